"""The panel with a live station: the simulated line served over Modbus TCP on 127.0.0.1, the
station's polling and the window's own refresh timer in one qasync loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from connectors.sim.runner import SimLine
from core.config import Config, parse_config
from hmi.panel.app import repaint_when_live
from hmi.panel.model import PanelModel
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.ports import free_port

pytestmark = pytest.mark.slow  # the panel under Qt

CONFIG = """
[site]
name = "Live"

[reasons]
"Mechanical/Jam" = "unplanned"

[[connections]]
id = "filler-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {port}
poll_interval_s = 0.1
timeout_s = 0.5
reconnect_max_s = 0.5

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.shifts]]
name = "All day"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "23:59"

[[lines.equipment]]
id = "FILLER"
name = "Filler"
ideal_cycle_time_s = 0.5
counter_max = 65535
signals = [
  {{ signal = "running", connection = "filler-plc", address = "coil:0", type = "bool" }},
  {{ signal = "total_count", connection = "filler-plc", address = "hr:0", type = "uint16" }},
  {{ signal = "reject_count", connection = "filler-plc", address = "hr:1", type = "uint16" }},
  {{ signal = "fault_code", connection = "filler-plc", address = "hr:2", type = "uint16" }},
]
"""


def live_config(port: int) -> Config:
    return parse_config(CONFIG.format(port=port), Path("live.toml"))


async def until(condition: Callable[[], bool]) -> None:
    """Until `condition` holds, the loop running meanwhile (a hang guard, not a speed limit)."""
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.02)


def shown_total(machine: MachineScreen) -> int:
    return int(machine.counts.value.text().split(" / ")[1].replace(" ", ""))


def test_every_screen_opens_against_the_simulated_line(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    config = live_config(free_port())

    async def scenario() -> None:
        sim = SimLine(config, seed=3, speed=20)
        await sim.start()
        station = Station(config, tmp_path / "station.db")
        station.open()
        await station.start()
        link = LocalLink(station)
        window = PanelWindow(await PanelModel.attach(link))
        qtbot.addWidget(window)
        try:
            window.show()
            # Until the station has counted parts from the simulated PLC.
            while not (await link.view("machine", equipment="FILLER"))["metrics"]["total_count"]:
                await asyncio.sleep(0.1)
            window.open_machine("FILLER")
            await window.model.settle()
            machine = window.screens["machine"]
            assert isinstance(machine, MachineScreen)
            first = shown_total(machine)
            assert first > 0
            # Nobody asks for a repaint from here on: the window repaints by itself as the count grows.
            await until(lambda: shown_total(machine) > first)
            for name in window.screen_names():
                window.show_screen(name)
                await window.model.settle()
            window.show_screen("overview")
            overview = window.screens["overview"]
            assert isinstance(overview, OverviewScreen)
            # The PLC's tags turn bad for a moment when the shared loop stalls past the connection's
            # watchdog (two polls of 0.1 s): the next state change repaints the tile.
            await until(lambda: overview.tiles["FILLER"].state.text() in ("Running", "Stopped"))
            assert overview.health.text() == "● PLC 1/1"
        finally:
            window.close()
            await station.stop()
            await sim.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_first_polls_repaint_the_window_when_they_bring_no_event(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    # Only the count is bound: the first poll changes no machine's state, so no face event comes
    # (as on the demo's line after its shift so far). The heartbeat is off: only the first polls
    # themselves can make the window show the PLC as connected.
    count = '{ signal = "total_count", connection = "filler-plc", address = "hr:0", type = "uint16" }'
    text = CONFIG.split("signals = [")[0].format(port=free_port()) + f"signals = [{count}]\n"
    config = parse_config(text, Path("live.toml"))

    async def scenario() -> None:
        sim = SimLine(config, seed=3)
        await sim.start()
        station = Station(config, tmp_path / "station.db")
        station.open()
        window = PanelWindow(await PanelModel.attach(LocalLink(station)))
        qtbot.addWidget(window)
        window.pump.heartbeat.stop()
        overview = window.screens["overview"]
        assert isinstance(overview, OverviewScreen)
        try:
            window.show()
            window.refresh_now()
            await window.model.settle()
            before = overview.health.text()
            await station.start()
            live = asyncio.create_task(repaint_when_live(station, window))
            await until(lambda: overview.health.text() == "● PLC 1/1")
            assert before != overview.health.text()
            await live
        finally:
            window.close()
            await station.stop()
            await sim.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
