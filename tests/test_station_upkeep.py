"""The station's own upkeep (hmi/station/upkeep.py): while it runs, it archives the journal's old
days and makes its scheduled backups, and goes on counting."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from core.config_store import StoreSection
from core.samples import Sample
from core.store_archive import manifest
from core.store_backup import backup_files
from hmi.station.runtime import Station
from hmi.station.upkeep import Upkeep
from hmi.station.views import health_view
from tests.archive_store import DAY_S, Clock, add_snapshot, build_store, demo_config, journal_ids

WAIT_S = 120.0


async def _until(condition: object, what: str) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        assert loop.time() < deadline, f"no {what} within {WAIT_S} s"
        await asyncio.sleep(0.05)


def _days(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        names = [d.name for d in manifest(conn)]
    conn.close()
    return names


def test_a_running_station_archives_its_old_days_and_backs_itself_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "station.db"
    end = build_store(db, days=3.5, poll_s=120.0)
    add_snapshot(db, journal_ids(db)[-1])
    before = journal_ids(db)
    monkeypatch.setattr(Upkeep, "first_delay_s", 0.0)
    # No PLC: the station's clock runs from the start, and its samples come from the test.
    config = demo_config().model_copy(
        update={"connections": [], "store": StoreSection(journal_days=1, backup_dir="backups", backup_keep=2)}
    )
    clock = Clock(end + DAY_S)
    station = Station(config, db, clock=clock)

    async def run() -> None:
        await station.start()
        await _until(lambda: len(_days(db)) == 3, "archived days")
        await _until(lambda: backup_files(db, data / "backups"), "backup")
        # It counts on all the while.
        station.ingest([Sample(clock.t, "FILLER", "running", 1.0)])
        station.tick()
        await station.stop()

    asyncio.run(run())
    assert _days(db) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    left = journal_ids(db)
    assert left[-1] == before[-1] + 1  # the sample fed after, journaled
    with sqlite3.connect(db) as conn:
        archived = sum(d.rows for d in manifest(conn))
    conn.close()
    assert archived + len(left) - 1 == len(before)
    (made,) = backup_files(db, data / "backups")
    assert made.name == "station-20260306T170000Z.db"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert station.upkeep is not None and station.upkeep.error is None


def test_a_backup_that_fails_is_said_in_the_health_view_and_counting_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "station.db"
    (data / "backups").write_text("a file where the backup folder should be", encoding="utf-8")
    config = demo_config().model_copy(update={"connections": [], "store": StoreSection(backup_dir="backups")})
    clock = Clock(1772427600.0)
    station = Station(config, db, clock=clock)

    async def run() -> dict[str, object]:
        await station.start()
        assert station.upkeep is not None
        await station.upkeep.backup_once()
        health = health_view(station)
        station.ingest([Sample(clock.t, "FILLER", "running", 1.0)])
        await station.stop()
        return health

    health = asyncio.run(run())
    problem = health["store_upkeep_error"]
    assert isinstance(problem, str) and problem.startswith("backup failed: ") and "backups" in problem
    assert len(journal_ids(db)) == 1
