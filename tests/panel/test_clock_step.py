"""The panel says a step of the wall clock on its health line (docs/RELIABILITY.md, "Clock steps")."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.config import Config
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.station.clock import StationClock
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, attach

pytestmark = pytest.mark.slow  # the panel under Qt


def test_a_step_of_the_wall_clock_is_on_the_overview(
    qtbot: QtBot, tmp_path: Path, panel_config: Config
) -> None:
    clocks = {"wall": NOW, "mono": 50.0}
    station = Station(
        panel_config,
        tmp_path / "station.db",
        clock=StationClock(lambda: clocks["wall"], lambda: clocks["mono"]),
    )
    station.open()
    clocks["wall"] -= 3600.0  # an NTP correction of an hour back
    station.tick()
    window = PanelWindow(attach(station), clock=station.clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1280, 800)
    window.show()
    window.refresh_now()
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    assert screen.health.text() == (
        "Clock: wall clock stepped back 1 h 00 min 00 s at 2026-03-02 11:15:00;"
        " times hold until it catches up"
    )
    assert "background" in screen.health.styleSheet()
    assert station.store is not None
    station.store.close()
