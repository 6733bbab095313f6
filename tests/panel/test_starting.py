"""The panel on a station that is still restoring its engine says `station starting (n %)`
where its messages go, not "unreachable", and paints the line once the station runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from hmi.panel.model import PanelModel
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.test_station_start import ROWS, WAIT_S, _config, _paused_restore, write_journal

pytestmark = pytest.mark.slow  # the panel under Qt


def test_the_panel_says_starting_with_progress_until_the_station_runs(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)  # its PLC does not answer: the station starts all the same
    db = tmp_path / "station.db"
    write_journal(config, db, ROWS, start=time.time() - ROWS - 60)
    paused, go_on = _paused_restore(monkeypatch)

    async def scenario() -> None:
        station = Station(config, db)
        await station.start()
        try:
            await asyncio.to_thread(paused.wait, WAIT_S)
            window = PanelWindow(await PanelModel.attach(LocalLink(station)))
            qtbot.addWidget(window)
            window.pump.heartbeat.stop()  # frames only when the test asks
            window.show()
            window.refresh_now()
            await window.model.settle()
            assert window.message.text() == "station starting (66 %)"
            go_on.set()
            await station.restored()
            window.refresh_now()
            await window.model.settle()
            assert window.message.text() == ""
            overview = window.screens["overview"]
            assert isinstance(overview, OverviewScreen)
            assert "FILLER" in overview.tiles
            window.close()
        finally:
            go_on.set()
            await station.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), WAIT_S))
