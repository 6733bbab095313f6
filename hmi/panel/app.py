"""`run_panel`: the panel's window with the station hosted in the same process (qasync).

qasync is imported after hmi/panel/__init__.py has set QT_API, so it drives PySide6. The window
itself is hmi/panel/window.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QWidget

from core.config import Config
from core.store import StoreError
from hmi.errors import UsageError
from hmi.panel import widget_map
from hmi.panel.model import PanelModel
from hmi.panel.window import PanelWindow
from hmi.paths import socket_path
from hmi.socket.server import ServerError, StationServer
from hmi.station.link import LocalLink
from hmi.station.runtime import Station


def dispose(window: QWidget) -> None:
    """Close `window` and delete it now, in this (the GUI) thread.

    Left to Python's garbage collector, a window caught in a reference cycle is freed by whichever
    thread happens to trigger a collection (a PLC driver's thread, say), and Qt widgets deleted
    outside the GUI thread crash the process later.
    """
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def run_panel(
    config: Config,
    db: Path,
    *,
    kiosk: bool = False,
    demo: bool = False,
    size: tuple[int, int] | None = None,
    seconds: float | None = None,
    config_path: Path | None = None,
) -> int:
    """The panel with its station (and, for `demo`, the simulated line on a fresh database) until
    the window is closed, SIGINT/SIGTERM, or `seconds` have passed. Returns the exit code."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    # Closing the window must not stop the loop: the station still has to stop cleanly in it.
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result: int = loop.run_until_complete(
            _serve(config, db, kiosk=kiosk, demo=demo, size=size, seconds=seconds, config_path=config_path)
        )
        return result
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        app.setQuitOnLastWindowClosed(quit_on_close)


async def _host(
    config: Config, db: Path, *, demo: bool, config_path: Path | None = None
) -> tuple[Station, StationServer, Any, asyncio.Future[None] | None]:
    """The station (not started: it opens its store and restores its engine as it starts, the
    window saying "starting (n %)" meanwhile) and served on its socket, with, for `demo`, the
    simulated line and its start (still under way: the window is built meanwhile, see _serve)."""
    sim: Any = None
    serving: asyncio.Future[None] | None = None
    station = Station(config, db, config_path=config_path)
    # The socket first, so maintenance can attach a console over SSH (docs/SOCKET.md), and so a
    # second station on this database refuses before it wipes a demo's record or polls the PLCs.
    server = StationServer(station, socket_path(db))
    try:
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    if demo:
        from connectors.sim.runner import SimError
        from hmi.station.demo_shift import begin_demo_line, users_lines

        try:
            sim, serving, _shift = await begin_demo_line(config, db)
        except SimError as exc:
            await server.stop()
            raise UsageError(str(exc)) from None
        print(*users_lines(), sep="\n", flush=True)
        try:
            station.open()  # the demo's shift so far is shown while its PLCs start: a short journal
        except StoreError as exc:
            await server.stop()
            await _stop_demo_line(sim, serving)
            raise UsageError(str(exc), located=True) from None
    return station, server, sim, serving


async def _stop_demo_line(sim: Any, serving: asyncio.Future[None] | None) -> None:
    if serving is not None:
        serving.cancel()  # nothing when the PLCs already serve; their failure is said already
        with contextlib.suppress(BaseException):
            await serving
    await sim.stop()


def _show(window: PanelWindow, *, kiosk: bool, size: tuple[int, int] | None) -> None:
    if size is not None:
        window.setMinimumSize(min(size[0], 1024), min(size[1], 700))
        window.resize(*size)
    if kiosk:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.showFullScreen()
    else:
        window.show()


async def repaint_when_live(station: Station, window: PanelWindow) -> None:
    """A frame as soon as the first polls are in. On a line whose state they do not change (the
    demo after its shift so far, a panel restarted beside a running line) they bring no event, and
    the first live frame would wait for the pump's heartbeat, up to a second."""
    await station.live.wait()
    window.refresh_now()


async def _serve(
    config: Config,
    db: Path,
    *,
    kiosk: bool,
    demo: bool,
    size: tuple[int, int] | None,
    seconds: float | None,
    config_path: Path | None = None,
) -> int:
    station, server, sim, serving = await _host(config, db, demo=demo, config_path=config_path)
    if serving is None:
        try:
            await station.start()
        except StoreError as exc:
            await server.stop()
            raise UsageError(str(exc), located=True) from None
    window = PanelWindow(await PanelModel.attach(LocalLink(station)))
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    _show(window, kiosk=kiosk, size=size)
    widget_map.start_writing(window)  # only for a test that taps the real window
    live = asyncio.create_task(repaint_when_live(station, window))
    failed: list[StoreError] = []
    watch = asyncio.create_task(_close_if_restore_fails(station, window, failed))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        window.close()

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # The demo's window shows its shift so far while the simulated PLCs still start (the OPC
        # UA server takes the longest); the station polls them once they serve.
        if serving is not None:
            from connectors.sim.runner import SimError

            try:
                await serving
            except SimError as exc:
                raise UsageError(str(exc)) from None
            await station.start()
        if seconds is None:
            await closed.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), seconds)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        live.cancel()
        watch.cancel()
        dispose(window)
        await server.stop()
        await station.stop()  # also when the demo's PLCs never served: it was open
        if sim is not None:
            await _stop_demo_line(sim, serving)
    if failed:
        raise UsageError(str(failed[0]), located=True)
    return 0


async def _close_if_restore_fails(station: Station, window: PanelWindow, failed: list[StoreError]) -> None:
    """A store found damaged while the window said "starting": the panel ends, saying why."""
    try:
        await station.restored()
    except StoreError as exc:
        failed.append(exc)
        window.close()
