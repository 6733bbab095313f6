"""`ms5 verify` on a store with archived days: the files as recorded, the journal whole by id,
and the projections against the archived journal and the database's."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from core.store_archive import Archiver, archive_folder
from scripts.bench_store_growth import DEMO
from tests.archive_store import DAY_S, add_snapshot, build_store, journal_ids
from tests.cli_runs import Outcome, run_in_process


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archived")
    folder.chmod(0o700)
    db = folder / "station.db"
    end = build_store(db, days=2.5, poll_s=120.0)
    add_snapshot(db, journal_ids(db)[-1])
    assert len(Archiver(db, journal_days=1, clock=lambda: end + DAY_S).run()) == 2
    return db


@pytest.fixture
def store(archived: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copy(archived, data / "station.db")
    shutil.copytree(archive_folder(archived), archive_folder(data / "station.db"))
    return data / "station.db"


def _verify(db: Path) -> Outcome:
    return run_in_process("verify", str(DEMO), "--db", str(db))


def test_verify_finds_the_archive_and_the_journal_whole(store: Path) -> None:
    out = _verify(store)
    assert out.returncode == 0, out.stdout
    assert "ok     the archive holds (2 days" in out.stdout
    assert "ok     the journal is whole by id (archive to " in out.stdout
    # The projections of the archived days agree with the archived journal.
    assert "ok     the per-minute counts agree with the journal" in out.stdout


def test_a_changed_or_missing_archive_file_fails_verify(store: Path) -> None:
    day = archive_folder(store) / "2026-03-02.csv.gz"
    text = gzip.decompress(day.read_bytes()).replace(b"FILLER,total_count,1", b"FILLER,total_count,2", 1)
    day.write_bytes(gzip.compress(text))
    out = _verify(store)
    assert out.returncode == 1
    assert "FAILED the archive does not hold: 2026-03-02.csv.gz is not the file archived" in out.stdout
    day.unlink()
    out = _verify(store)
    assert out.returncode == 1 and "2026-03-02.csv.gz: No such file or directory" in out.stdout


def test_a_gap_in_the_journal_fails_verify(store: Path) -> None:
    with sqlite3.connect(store) as conn:
        (low,) = conn.execute("SELECT min(id) FROM journal").fetchone()
        conn.execute("DELETE FROM journal WHERE id = ?", (low + 5,))
    conn.close()
    out = _verify(store)
    assert out.returncode == 1
    assert "FAILED the database's journal has a gap: 1 ids missing" in out.stdout


def test_a_store_without_snapshots_says_nothing_is_archived(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    build_store(data / "station.db", days=0.2, poll_s=120.0)
    out = _verify(data / "station.db")
    assert out.returncode == 0, out.stdout
    assert "ok     retention: no engine snapshots in the store" in out.stdout
    assert "ok     the journal is whole by id (archive to 0, database 1-" in out.stdout
