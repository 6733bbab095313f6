"""Retention (core.store_archive): a store's old days move into gzip files beside it, which
`ms5 replay` reads as they are, and the figures do not change."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from core.store_archive import NO_SNAPSHOTS, Archiver, archive_folder, manifest, sha256_of
from tests.archive_store import DAY_S, add_snapshot, build_store, export, journal_ids, replay_figures


class Stop(BaseException):
    """Raised at a step, as an interruption the archiver cannot catch as an error."""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("recorded")
    folder.chmod(0o700)
    db = folder / "station.db"
    end = build_store(db, days=3.5, poll_s=60.0)
    return db, end


@pytest.fixture
def store(recorded: tuple[Path, float], tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    shutil.copy(recorded[0], folder / "station.db")
    return folder / "station.db"


def _at(recorded: tuple[Path, float]) -> float:
    """A clock a day after the recording ended: with journal_days = 1, every day but the last
    (2026-03-05, cut off by the recording's end) is due."""
    return recorded[1] + DAY_S


def _id_at(db: Path, day: str) -> int:
    """The last journal id before the start of `day` (UTC)."""
    with sqlite3.connect(db) as conn:
        (found,) = conn.execute("SELECT max(id) FROM journal WHERE ts < unixepoch(?)", (day,)).fetchone()
    conn.close()
    return int(found)


def test_a_store_without_snapshots_archives_nothing(store: Path, recorded: tuple[Path, float]) -> None:
    before = journal_ids(store)
    archiver = Archiver(store, journal_days=1, clock=lambda: _at(recorded))
    assert archiver.run() == []
    assert archiver.status == NO_SNAPSHOTS
    assert journal_ids(store) == before
    assert not archive_folder(store).exists()


def test_days_before_the_oldest_snapshot_move_into_files_and_replay_to_the_same_figures(
    store: Path, recorded: tuple[Path, float], tmp_path: Path
) -> None:
    whole = replay_figures(*export(store, tmp_path, "whole"))
    before = journal_ids(store)
    # The oldest snapshot reflects the journal up to noon of 03-04: 03-02 and 03-03 may go, not 03-04.
    bound = _id_at(store, "2026-03-04 12:00:00")
    last_of_0303 = _id_at(store, "2026-03-04 00:00:00")
    add_snapshot(store, bound)
    add_snapshot(store, before[-1])
    archiver = Archiver(store, journal_days=1, clock=lambda: _at(recorded), batch_rows=500)
    days = archiver.run()
    assert [d.name for d in days] == ["2026-03-02", "2026-03-03"]
    assert "snapshot" in archiver.status
    folder = archive_folder(store)
    assert sorted(p.name for p in folder.iterdir()) == [
        "2026-03-02.actions.jsonl.gz",
        "2026-03-02.csv.gz",
        "2026-03-03.actions.jsonl.gz",
        "2026-03-03.csv.gz",
    ]
    # Nothing lost, nothing twice: the files' rows and the database's are the journal, by id.
    left = journal_ids(store)
    assert days[0].first_id == before[0] and days[1].first_id == days[0].last_id + 1
    assert left[0] == days[1].last_id + 1 and left == before[len(before) - len(left) :]
    assert sum(d.rows for d in days) + len(left) == len(before)
    assert left[0] - 1 == last_of_0303
    for day in days:
        journal, actions = day.files(folder)
        with gzip.open(journal, "rt") as fh:
            samples = sum(1 for _ in fh) - 1  # the header
        with gzip.open(actions, "rt") as fh:
            commands = sum(1 for _ in fh)
        assert commands >= 2  # an Andon call every nine hours
        assert samples + commands == day.rows == day.last_id - day.first_id + 1
        assert sha256_of(journal) == day.journal_sha256
        assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    with sqlite3.connect(store) as conn:
        assert manifest(conn) == days
    conn.close()
    # The archive folder and an export of the rest replay to the figures of the whole journal.
    assert replay_figures(folder, *export(store, tmp_path)) == whole


def test_only_days_older_than_journal_days_go(store: Path, recorded: tuple[Path, float]) -> None:
    add_snapshot(store, journal_ids(store)[-1])
    # Two days after the end of 03-02: only 03-02 is older than two days.
    archiver = Archiver(store, journal_days=2, clock=lambda: 1772409600.0 + 3 * DAY_S)
    assert [d.name for d in archiver.run()] == ["2026-03-02"]
    assert "older than 2 days" in archiver.status


@pytest.mark.parametrize("step", ["wrote a batch", "files in place", "recorded", "deleted a batch"])
def test_a_run_cut_off_at_any_step_is_finished_by_the_next(
    store: Path, recorded: tuple[Path, float], step: str, tmp_path: Path
) -> None:
    whole = replay_figures(*export(store, tmp_path, "whole"))
    before = journal_ids(store)
    add_snapshot(store, before[-1])

    def interrupt(at: str) -> None:
        if at == step:
            raise Stop

    with pytest.raises(Stop):
        Archiver(
            store, journal_days=1, clock=lambda: _at(recorded), batch_rows=500, checkpoint=interrupt
        ).run()
    if step in ("recorded", "deleted a batch"):
        # A day in its files and (some of) its rows still in the database: the export leaves
        # them out, so the two together are still the whole journal once.
        assert replay_figures(archive_folder(store), *export(store, tmp_path)) == whole
    days = Archiver(store, journal_days=1, clock=lambda: _at(recorded), batch_rows=500).run()
    with sqlite3.connect(store) as conn:
        kept = manifest(conn)
    conn.close()
    assert [d.name for d in kept] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert len(days) in (2, 3)  # the day the first run recorded is not archived again
    left = journal_ids(store)
    assert sum(d.rows for d in kept) + len(left) == len(before)
    assert left[0] == kept[-1].last_id + 1
    folder = archive_folder(store)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left
    for day in kept:
        assert sha256_of(day.files(folder)[0]) == day.journal_sha256
