"""The console over the station socket behaves as it does in-process: it cannot tell the links apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmi.console.app import ConsoleApp
from hmi.console.live_table import LiveTable
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.runtime import Station
from tests.console.screen import SIZE, settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


async def test_attached_console_acknowledges_through_the_socket(station: Station, tmp_path: Path) -> None:
    server = StationServer(station, tmp_path / "station.sock")
    await server.start()
    link = await RemoteLink.connect(tmp_path / "station.sock")
    try:
        app = ConsoleApp(link)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            text = await settle(pilot)
            assert "labeller-plc  failed" in text  # the hosting station's connections, not polled here
            await pilot.press("3", "a", *"mia", "enter", *"1357", "enter")
            text = await settle(pilot)
            assert app.last_result is not None and app.last_result.ok
            table = app.screen.query_one("#active", LiveTable)
            assert [str(c) for c in table.get_row_at(0)][7] == "mia"
            assert station.engine is not None and station.engine.andon.active()[0].acknowledged_by == "mia"

            # A refusal travels back with the engine's reason.
            await pilot.press("s", *"5", "enter", *"1357", "enter")  # the user (mia) is offered
            await settle(pilot)
            assert app.last_result is not None and app.last_result.refused
            assert "may not shelve_andon" in app.last_result.message
    finally:
        await link.close()
        await server.stop()


async def test_a_stopped_station_is_shown_not_crashed_on(station: Station, tmp_path: Path) -> None:
    server = StationServer(station, tmp_path / "station.sock")
    await server.start()
    link = await RemoteLink.connect(tmp_path / "station.sock")
    try:
        app = ConsoleApp(link)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await server.stop()
            text = await settle(pilot)
            assert "station unreachable" in text
            assert app.is_running
    finally:
        await link.close()
