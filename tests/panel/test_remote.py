"""The panel attached to a station over the station socket (a RemoteLink), as the console attaches:
it shows the same figures as a panel on a LocalLink to the same station, and its taps and PINs
travel to the station and back.

Both windows run in one qasync loop with the station and its socket server, so each tap is a
click (no nested event processing inside the loop) and each wait is for the thing itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hmi.panel.model import PanelModel
from hmi.panel.screens.andon import AndonScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.panel.conftest import Clock


async def until(condition: Callable[[], bool]) -> None:
    """Until `condition` holds, the loop (and Qt's events) running meanwhile; a hang guard."""
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.01)


def click(parent: QWidget, name: str) -> None:
    (b,) = [b for b in parent.findChildren(QPushButton) if b.accessibleName() == name and b.isVisible()]
    b.click()


def shown(window: PanelWindow) -> dict[str, Any]:
    """Everything the overview and the banner show, as text."""
    o = window.screens["overview"]
    assert isinstance(o, OverviewScreen)
    tiles = (o.oee, o.availability, o.performance, o.quality, o.good)
    return {
        "title": o.title.text(),
        "health": o.health.text(),
        "figures": [(t.caption.text(), t.value.text(), t.note.text()) for t in tiles],
        "job": o.job.text(),
        "machines": {eq: (t.state.text(), t.since.text(), t.fault.text()) for eq, t in o.tiles.items()},
        "banner": list(window.banner.texts),
        "clock": window.clock_label.text(),
        "window": window.windowTitle(),
    }


def test_a_panel_over_the_socket_shows_and_does_what_it_does_in_process(
    qtbot: QtBot, qloop: qasync.QEventLoop, station: Station, clock: Clock, tmp_path: Path
) -> None:
    async def scenario() -> None:
        server = StationServer(station, tmp_path / "station.sock")
        await server.start()
        link = await RemoteLink.connect(server.path)
        windows: list[PanelWindow] = []
        try:
            for model in (await PanelModel.attach(LocalLink(station)), await PanelModel.attach(link)):
                w = PanelWindow(model, clock=clock)
                qtbot.addWidget(w)
                w.pump.heartbeat.stop()  # frames when asked, and on the station's events
                w.session.idle_lock_s = 3600
                w.resize(1280, 800)
                w.show()
                windows.append(w)
            local, remote = windows
            await remote.model.settle()
            await local.model.settle()
            assert shown(remote)["figures"][0][1] not in ("", "–")  # the shift's OEE, painted
            assert shown(remote) == shown(local)

            # A call raised on the remote panel reaches the station; its event repaints both.
            remote.show_screen("andon")
            board = remote.screens["andon"]
            assert isinstance(board, AndonScreen)
            click(board, "machine CAPPER")
            click(board, "raise maintenance")
            await until(lambda: remote.last_result is not None)
            assert station.engine is not None
            call = station.engine.andon.calls[-1]
            assert remote.message.text() == f"maintenance call #{call.id} raised at CAPPER"
            text = f"#{call.id} MAINTENANCE · Capper · L1 · 0:00 · NEW"
            await until(lambda: remote.banner.texts == [text] and local.banner.texts == [text])

            # Acknowledged with a PIN typed on the remote panel: the pad lists the station's users.
            await until(
                lambda: f"call {call.id}" in [b.accessibleName() for b in board.call_buttons.values()]
            )
            click(board, f"call {call.id}")
            click(board, "ack_andon")
            await until(lambda: remote.session.pinpad is not None)
            pad = remote.session.pinpad
            assert pad is not None and sorted(pad.user_buttons) == ["max", "olga", "sam"]
            pad.user_buttons["sam"].click()
            for digit in "2580":
                pad.keypad.keys[digit].click()
            pad.ok_button.click()
            await until(lambda: call.acknowledged)
            assert call.acknowledged_by == "sam"
            await until(lambda: remote.message.text() == f"call #{call.id} acknowledged")
            remote.show_screen("overview")
            local.refresh_now()
            await remote.model.settle()
            await local.model.settle()
            assert shown(remote) == shown(local)
        finally:
            for w in windows:
                w.close()
            await link.close()
            await server.stop()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
