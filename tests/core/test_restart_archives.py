"""A restart with no usable snapshot on a store whose old days are archived (core.rebuild): the
archive files, then the database's journal, give the figures of the whole history, and a missing
or altered archive file refuses the start in one line naming it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from core.engine import Engine
from core.rebuild import from_journal, rebuild
from core.sqlite_tx import StoreError
from core.store import Store
from core.store_archive import Archiver, archive_folder
from hmi.station.restore import Restore
from scripts.bench_store_growth import DEMO, T0
from tests.archive_store import DAY_S, add_snapshot, build_store, demo_config, journal_ids
from tests.cli_runs import run_in_process


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, object]:
    """The store, its end, and the figures of a rebuild before anything is archived."""
    folder = tmp_path_factory.mktemp("recorded")
    folder.chmod(0o700)
    db = folder / "station.db"
    end = build_store(db, days=3.5, poll_s=60.0)
    with Store.open_read_only(db) as store:
        figures = _figures(from_journal(demo_config(), store, snapshots=False), end)
    return db, end, figures


def _figures(engine: Engine, end: float) -> object:
    """Per equipment over the whole history: the metrics, the downtime events; and the open calls."""
    return (
        {eq: engine.metrics(eq, T0, end).to_dict() for eq in engine.equipment_ids},
        {eq: engine.downtime_events(eq, T0, end) for eq in engine.equipment_ids},
        [call.to_dict() for call in engine.andon.active()],
    )


@pytest.fixture
def archived(recorded: tuple[Path, float, object], tmp_path: Path) -> Path:
    """A copy of the store with its first days archived and every snapshot unusable: one damaged
    (checksum), the others of a format version this station does not read."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    db = folder / "station.db"
    shutil.copy(recorded[0], db)
    with sqlite3.connect(db) as conn:
        (row,) = conn.execute(
            "SELECT max(id) FROM journal WHERE ts < unixepoch('2026-03-04 12:00:00')"
        ).fetchone()
    conn.close()
    add_snapshot(db, int(row))
    config = demo_config()
    with Store.open(db) as store:
        store.write_snapshot(rebuild(config, store), keep=10)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE snapshots SET checksum = 'x' WHERE version != 0")
    conn.close()
    days = Archiver(db, journal_days=1, clock=lambda: recorded[1] + DAY_S, batch_rows=500).run()
    assert [d.name for d in days] == ["2026-03-02", "2026-03-03"]
    return db


def test_a_restart_without_a_usable_snapshot_replays_the_archive_files_first(
    archived: Path, recorded: tuple[Path, float, object]
) -> None:
    _db, end, before = recorded
    rows = len(journal_ids(recorded[0]))
    assert len(journal_ids(archived)) < rows / 2  # most of the history is in the files now
    with Store.open(archived) as store:
        engine = rebuild(demo_config(), store)
        assert _figures(engine, end) == before
        base = "a full replay of the archive files and the journal"
        assert store.restart_note == f"restart: {base} + {rows} journal rows"
        trouble = store.restart_trouble or ""
        assert "damaged (checksum)" in trouble and "format version 0" in trouble
        assert trouble.endswith(f"restarted from {base} + {rows} journal rows")


def test_the_restore_thread_finds_the_archive_beside_the_store_it_reads(
    archived: Path, recorded: tuple[Path, float, object]
) -> None:
    # The station's start: a read-only store of its own (hmi.station.restore), run here directly.
    restore = Restore(demo_config(), archived)
    engine = restore.run()
    assert _figures(engine, recorded[1]) == recorded[2]
    assert restore.progress[0] == restore.progress[1] == len(journal_ids(recorded[0]))
    assert "archive files" in (restore.restart_note or "")


def test_a_missing_archive_file_refuses_the_restart_naming_it(archived: Path) -> None:
    missing = archive_folder(archived) / "2026-03-03.actions.jsonl.gz"
    missing.unlink()
    with Store.open(archived) as store, pytest.raises(StoreError) as caught:
        rebuild(demo_config(), store)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{missing}: archive file missing;")
    with pytest.raises(StoreError) as caught:
        Restore(demo_config(), archived).run()
    assert str(caught.value) == text
    engine = run_in_process("engine", str(DEMO), "--db", str(archived))
    assert engine.returncode == 2
    assert "Traceback" not in engine.stderr
    assert engine.stderr.splitlines() == [text]


def test_an_altered_archive_file_refuses_the_restart_naming_it(archived: Path) -> None:
    altered = archive_folder(archived) / "2026-03-02.csv.gz"
    altered.write_bytes(altered.read_bytes()[:-9])  # cut short: gzip's trailer gone
    with Store.open(archived) as store, pytest.raises(StoreError) as caught:
        rebuild(demo_config(), store)
    assert str(caught.value).startswith(f"{altered}: archive file not the file archived (its sha256 differs)")
