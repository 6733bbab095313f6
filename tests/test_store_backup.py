"""Backups of a running station's store (`ms5 backup`, `[store] backup_dir`) and restoring one:
a restored backup plus the archives beside the database replays to the original figures."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from core.samples import Sample
from core.store import Store
from core.store_archive import Archiver, archive_folder, manifest
from core.store_backup import backup, backup_files, due, scheduled_backup
from tests.archive_store import DAY_S, add_snapshot, build_store, export, journal_ids, replay_figures
from tests.cli_runs import run_in_process

T = 1772427600.0


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder


def _small_store(db: Path, rows: int) -> None:
    with Store.open(db) as store:
        for k in range(rows):
            store.append_sample(Sample(T + k, "FILLER", "total_count", float(k)))
            if k % 100 == 99:
                store.flush()
        store.flush()


def test_a_backup_is_the_store_as_it_was_when_it_began_while_the_station_goes_on_writing(data: Path) -> None:
    db = data / "station.db"
    _small_store(db, 20_000)
    # The station's writer: a commit between every two steps of the copy, none waiting (timeout 0).
    station = sqlite3.connect(db, timeout=0, isolation_level=None)
    written: list[int] = []

    def write_during(_left: int) -> None:
        if len(written) < 20:
            station.execute(
                "INSERT INTO journal(ts, equipment, signal, value, quality) "
                "VALUES (?, 'FILLER', 'total_count', 1, 2)",
                (T + 50_000 + len(written),),
            )
            written.append(1)

    made = backup(db, data / "copy.db", pages=4, after_step=write_during)
    station.close()
    assert len(written) == 20
    copy = sqlite3.connect(made.path)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    # The journal up to the start of the copy, and nothing the station wrote during it.
    assert [r[0] for r in copy.execute("SELECT id FROM journal ORDER BY id")] == list(range(1, 20_001))
    assert made.journal_last == 20_000
    copy.close()
    assert journal_ids(db)[-1] == 20_020
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_ms5_backup_copies_a_store_and_refuses_bad_paths_in_one_line(data: Path) -> None:
    db = data / "station.db"
    _small_store(db, 300)
    out = run_in_process("backup", "--db", str(db), "-o", str(data / "b.db"))
    assert out.returncode == 0, out.stderr
    assert "journal up to row 300" in out.stdout
    assert stat.S_IMODE((data / "b.db").stat().st_mode) == 0o600
    for argv, said in [
        (["--db", str(data / "none.db"), "-o", str(data / "c.db")], "no such database"),
        (["--db", str(db), "-o", str(data / "nowhere" / "c.db")], "no such folder"),
        (["--db", str(db), "-o", str(db)], "the database itself"),
    ]:
        out = run_in_process("backup", *argv)
        assert out.returncode == 2 and said in out.stderr and len(out.stderr.splitlines()) == 1, out
    (data / "other.db").write_bytes(b"not a database at all, just text" * 100)
    out = run_in_process("backup", "--db", str(data / "other.db"), "-o", str(data / "d.db"))
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out
    assert not (data / "d.db").exists()


def test_scheduled_backups_keep_the_last_n(data: Path) -> None:
    db = data / "station.db"
    _small_store(db, 10)
    folder = data / "backups"
    assert due(db, folder, 24, T)
    for k in range(4):
        scheduled_backup(db, folder, keep=2, now=T + k * DAY_S)
    kept = backup_files(db, folder)
    assert [p.name for p in kept] == ["station-20260304T050000Z.db", "station-20260305T050000Z.db"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not due(db, folder, 24, T + 3 * DAY_S + 23 * 3600)
    assert due(db, folder, 24, T + 4 * DAY_S)


def test_a_restored_backup_with_the_archives_after_it_replays_to_the_original_figures(
    tmp_path: Path, data: Path
) -> None:
    db = data / "station.db"
    end = build_store(db, days=3.5, poll_s=120.0)
    whole = replay_figures(*export(db, tmp_path, "whole"))
    add_snapshot(db, journal_ids(db)[-1])
    # 03-02 is archived, then the backup is made, then 03-03 and 03-04 are archived too.
    Archiver(db, journal_days=2, clock=lambda: 1772409600.0 + 3 * DAY_S).run()
    made = backup(db, tmp_path / "backup.db")
    later = Archiver(db, journal_days=1, clock=lambda: end + DAY_S).run()
    assert [d.name for d in later] == ["2026-03-03", "2026-03-04"]
    # Restore (docs/STORE.md): the station stopped, the backup put in place of the database.
    db.unlink()
    shutil.copy(made.path, db)
    with sqlite3.connect(db) as conn:
        assert [d.name for d in manifest(conn)] == ["2026-03-02"]
    conn.close()
    # What the restored file and the archive files it lists hold replays to the original figures.
    listed = [p for d in manifest(sqlite3.connect(db)) for p in d.files(archive_folder(db))]
    assert replay_figures(*listed, *export(db, tmp_path, "restored")) == whole
    # At its start the station archives the days again, to the same bytes; then the whole folder
    # and the rest replay to them too.
    again = Archiver(db, journal_days=1, clock=lambda: end + DAY_S).run()
    assert [(d.name, d.journal_sha256) for d in again] == [(d.name, d.journal_sha256) for d in later]
    assert replay_figures(archive_folder(db), *export(db, tmp_path, "after")) == whole
