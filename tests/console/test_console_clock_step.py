"""The console says a step of the wall clock in its status bar (docs/RELIABILITY.md, "Clock steps")."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from hmi.console.app import ConsoleApp
from hmi.station.clock import StationClock
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.console.conftest import DEMO_CONFIG, NOW
from tests.console.screen import settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


async def test_a_step_of_the_wall_clock_is_in_the_status_bar(tmp_path: Path) -> None:
    clocks = {"wall": NOW, "mono": 50.0}
    station = Station(
        load_config(DEMO_CONFIG),
        tmp_path / "station.db",
        clock=StationClock(lambda: clocks["wall"], lambda: clocks["mono"]),
    )
    station.open()
    clocks["wall"] += 3600.0  # a clock set an hour slow at boot, put right
    station.tick()
    app = ConsoleApp(LocalLink(station))
    async with app.run_test(size=(200, 24)) as pilot:
        text = await settle(pilot)
    assert (
        "CLOCK: wall clock stepped forward 1 h 00 min 00 s at 2026-03-02 13:30:00; that time is not counted"
        in text
    )
    assert station.store is not None
    station.store.close()
