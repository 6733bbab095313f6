"""The start-up check does not grow with the file after a clean stop: the station restores first
and runs the full quick check once live, and a damage it finds stays on every face's health and
is logged once. After an unclean stop (no clean stop noted beside the file) the check runs before
the restore and a damaged file is refused with one line, as before (docs/RELIABILITY.md)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from core.clean_stop import marker
from core.config import load_config
from core.store import StoreError
from hmi.console.chrome import status_text
from hmi.station.runtime import Station
from hmi.station.views import health_view
from tests.test_report import make_store
from tests.test_store_damage import FIX, flip

CHECK_WAIT_S = 120.0  # a guard against a hang, not a figure


def rot(db: Path) -> int:
    """A byte flipped in a journal page as a failing disk flips it: the file's size, time and
    inode unchanged, so nothing but a check of its pages can tell."""
    st = db.stat()
    page = flip(db, 100)  # a cell pointer: the page's structure
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
    return page


async def start_and_check(station: Station) -> None:
    await station.start()
    await station.restored()
    await station.live.wait()
    assert station.check.started or station.check.state != "after the restore"
    await asyncio.to_thread(station.check.done.wait, CHECK_WAIT_S)


def test_after_a_clean_stop_the_station_restores_first_and_its_check_once_live_reports_the_damage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg, db = make_store(tmp_path)  # a station opened, counted and stopped cleanly
    assert marker(db).exists()
    page = rot(db)
    station = Station(load_config(cfg), db)

    async def scenario() -> dict[str, object]:
        try:
            await start_and_check(station)
            return health_view(station)
        finally:
            await station.stop()

    with caplog.at_level(logging.INFO, logger="ms5.station"):
        health = asyncio.run(scenario())
    # Not refused: the restore did not wait for the check (it would have refused this page).
    assert station.engine is not None
    assert health["store_check"] == "damaged"
    damage = str(health["store_damage"])
    assert damage.startswith(f"{db}: the database is damaged (On tree page {page} cell "), damage
    assert damage.endswith(f"); {FIX}")
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert said == [f"store: the check after the start found: {damage}"]
    assert any("stopped cleanly; the full quick check runs once the station is live" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    # Loud on the console's status line (the panel shows it as "Store: ..." the same way).
    assert f"STORE: {damage}" in status_text({"health": health}, load_config(cfg).lines[0].tz).plain

    # A file found damaged is not noted clean at the stop: the next start refuses it.
    assert not marker(db).exists()
    with pytest.raises(StoreError) as refused:
        Station(load_config(cfg), db).open()
    assert str(refused.value).startswith(f"{db}: the database is damaged (On tree page {page} cell ")


def test_a_clean_restart_of_a_sound_file_checks_it_live_and_notes_the_stop_clean(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    station = Station(load_config(cfg), db)

    async def scenario() -> dict[str, object]:
        try:
            await start_and_check(station)
            return health_view(station)
        finally:
            await station.stop()

    health = asyncio.run(scenario())
    assert health["store_check"] == "ok" and health["store_damage"] is None
    assert marker(db).exists()


def test_after_an_unclean_stop_the_damage_is_refused_before_the_restore_with_one_line(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    killed = Station(load_config(cfg), db)
    killed.open()  # the start takes the clean stop's note ...
    assert killed.store is not None and not marker(db).exists()
    killed.store.close()  # ... and the process dies after its last commit: no stop of the station
    page = rot(db)
    station = Station(load_config(cfg), db)

    async def scenario() -> None:
        try:
            await station.start()
            assert health_view(station)["store_check"] == "before the restore"
            await station.restored()
        finally:
            await station.stop()

    with pytest.raises(StoreError) as refused:
        asyncio.run(scenario())
    assert station.engine is None
    line = str(refused.value)
    assert line.startswith(f"{db}: the database is damaged (On tree page {page} cell ") and "\n" not in line
    assert line.endswith(f"); {FIX}")


def test_a_file_changed_since_its_clean_stop_is_checked_before_the_restore(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    assert marker(db).exists()
    page = flip(db, 100)  # written by another program: the file's time moved
    with pytest.raises(StoreError) as refused:
        Station(load_config(cfg), db).open()
    assert str(refused.value).startswith(f"{db}: the database is damaged (On tree page {page} cell ")
