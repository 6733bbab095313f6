"""The console on a station that is still restoring its engine says `starting (n %)` on its
status line, not "unreachable", and shows the station once it runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hmi.console.app import ConsoleApp
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.console.screen import SIZE, settle
from tests.test_station_start import ROWS, WAIT_S, _config, _paused_restore, write_journal

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


async def test_the_console_says_starting_with_progress_until_the_station_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)  # its PLC does not answer: the station starts all the same
    db = tmp_path / "station.db"
    write_journal(config, db, ROWS, start=time.time() - ROWS - 60)
    paused, go_on = _paused_restore(monkeypatch)
    station = Station(config, db)
    await station.start()
    try:
        await asyncio.wait_for(asyncio.to_thread(paused.wait, WAIT_S), WAIT_S)
        app = ConsoleApp(LocalLink(station))
        async with app.run_test(size=SIZE) as pilot:
            text = await settle(pilot)
            assert "station starting (66 %)" in text
            assert "unreachable" not in text
            go_on.set()
            await asyncio.wait_for(station.restored(), WAIT_S)
            text = await settle(pilot)
            assert "starting" not in text
            assert "Start-up" in text  # the site's name: the overview answers now
    finally:
        go_on.set()
        await station.stop()
