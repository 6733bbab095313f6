"""A damaged database file: one byte flipped in a journal page. The station refuses it at start
with one line naming the fix, every command that opens it says one line (never a traceback), and
`ms5 verify` and `ms5 audit verify` tell it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from core.config import load_config
from core.store import StoreError
from hmi.station.runtime import Station
from tests.cli_runs import Outcome, run_in_process
from tests.test_report import make_store

FIX = "restore it from a backup, or rebuild it from an exported journal (ms5 export-journal, ms5 replay)"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_store(tmp_path_factory.mktemp("store"))


def flip(db: Path, offset_in_page: int) -> int:
    """Flip every bit of one byte of a journal leaf page in the middle of the table; the page."""
    conn = sqlite3.connect(db)
    try:
        pages = [
            int(r[0])
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'journal' AND pagetype = 'leaf' ORDER BY pageno"
            )
        ]
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    page = pages[len(pages) // 2]
    with open(db, "r+b") as f:
        f.seek((page - 1) * size + offset_in_page)
        byte = f.read(1)[0]
        f.seek((page - 1) * size + offset_in_page)
        f.write(bytes([byte ^ 0xFF]))
    return page


def damaged_copy(store: tuple[Path, Path], tmp_path: Path, offset_in_page: int) -> tuple[Path, Path, int]:
    cfg, db = store
    copy = tmp_path / "station.db"
    shutil.copy(db, copy)
    shutil.copy(db.with_name("station.db.anchor"), tmp_path / "station.db.anchor")
    return cfg, copy, flip(copy, offset_in_page)


def one_line(out: Outcome) -> str:
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.mark.slow  # `ms5 engine` binds its socket before it opens the store
def test_a_broken_page_is_refused_at_start_and_every_command_says_one_line(
    store: tuple[Path, Path], tmp_path: Path
) -> None:
    cfg, db, page = damaged_copy(store, tmp_path, 100)  # a cell pointer: the page's structure

    with pytest.raises(StoreError) as refused:
        Station(load_config(cfg), db).open()
    # SQLite's own words name the page: "On tree page N cell 46: Offset 63328 out of range ...".
    assert str(refused.value).startswith(f"{db}: the database is damaged (On tree page {page} cell ")
    assert str(refused.value).endswith(f"); {FIX}")

    engine = run_in_process("engine", str(cfg), "--db", str(db))
    assert engine.returncode == 2
    assert one_line(engine) == str(refused.value)

    for argv in (["report", str(cfg)], ["export-journal", "-o", str(tmp_path / "j.csv")]):
        out = run_in_process(*argv, "--db", str(db))
        assert out.returncode == 1, argv
        assert one_line(out) == (
            f"{db}: the database is damaged (database disk image is malformed); "
            f"`ms5 verify` tells more; {FIX}"
        )

    audit = run_in_process("audit", "verify", "--db", str(db))
    assert audit.returncode == 1
    damage, chain = audit.stdout.splitlines()
    assert damage.startswith(f"the file is damaged: On tree page {page} cell ")
    assert damage.endswith(FIX)
    assert chain == "the audit chain was not checked"

    verify = run_in_process("verify", str(cfg), "--db", str(db))
    assert verify.returncode == 1
    assert verify.stdout.startswith(f"FAILED the file is damaged: On tree page {page} ")
    assert len(verify.stdout.splitlines()) == 1


def test_a_flipped_value_that_the_quick_check_cannot_see_still_gives_one_line(
    store: tuple[Path, Path], tmp_path: Path
) -> None:
    # Near the page's end: inside a row's text, where the page's structure is intact.
    cfg, db, _page = damaged_copy(store, tmp_path, 4096 - 10)
    # A report from the figure slices reads no journal row: --replay reads them all.
    out = run_in_process("report", str(cfg), "--db", str(db), "--replay")
    assert out.returncode == 1
    line = one_line(out)
    # The station's start reads its newest snapshot and the journal after it: rows before the
    # snapshot are not read, so the start goes on (ms5 report and ms5 verify still meet them).
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] > 0
    conn.close()
    started = Station(load_config(cfg), db)
    started.open()
    assert started.store is not None
    started.store.close()
    # Without a snapshot it meets the damage in the replay, and refuses the file the same way.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM snapshots")
    conn.close()
    with pytest.raises(StoreError, match="the database is damaged"):
        Station(load_config(cfg), db).open()
    assert line.startswith(f"{db}: the database is damaged (")
    assert line.endswith(FIX)


def test_verify_on_a_sound_store_says_what_it_checked(store: tuple[Path, Path]) -> None:
    cfg, db = store
    out = run_in_process("verify", str(cfg), "--db", str(db))
    assert out.returncode == 0, out.stdout
    conn = sqlite3.connect(db)
    (last_command,) = conn.execute("SELECT max(id) FROM journal WHERE command IS NOT NULL").fetchone()
    conn.close()
    # The station wrote its snapshots, so retention has nothing to say (tests/test_verify_archive.py).
    file, chain, anchor, ids, counts, slices = out.stdout.splitlines()
    assert file == "ok     the file holds (SQLite integrity_check: ok)"
    assert chain == "ok     audit chain holds (3 rows)"
    assert anchor == f"ok     the anchor agrees (audit row 3, journal row {last_command})"
    assert ids.startswith("ok     the journal is whole by id (archive to 0, database 1-")
    assert counts.startswith("ok     the per-minute counts agree with the journal (")
    assert slices.startswith("ok     the figure slices agree with the journal (")


def test_verify_finds_a_projection_the_journal_does_not_give(
    store: tuple[Path, Path], tmp_path: Path
) -> None:
    cfg, db = store
    copy = tmp_path / "station.db"
    shutil.copy(db, copy)
    shutil.copy(db.with_name("station.db.anchor"), tmp_path / "station.db.anchor")
    conn = sqlite3.connect(copy)
    (minute,) = conn.execute("SELECT max(minute) FROM minute_counts WHERE equipment = 'FILLER'").fetchone()
    conn.execute(
        "UPDATE minute_counts SET total = total + 7 WHERE equipment = 'FILLER' AND minute = ?", (minute,)
    )
    conn.commit()
    conn.close()

    out = run_in_process("verify", str(cfg), "--db", str(copy))

    assert out.returncode == 1
    last = out.stdout.splitlines()[-2]  # the figure slices' line follows
    assert last.startswith("FAILED the per-minute counts differ from the journal: FILLER minute ")
    assert "(total/good/reject), the journal gives" in last
    # Without the config the other checks still run, and it says what it left out.
    bare = run_in_process("verify", "--db", str(copy))
    assert bare.returncode == 0
    assert bare.stdout.splitlines()[-1] == (
        "-       the projections were not checked: give the station's config (ms5 verify CONFIG)"
    )
