"""The panel's main window and `run_panel`, which hosts the station in the same process (qasync).

qasync is imported after hmi/panel/__init__.py has set QT_API, so it drives PySide6.

The window owns the navigation, the Andon banner (on every screen, and above the idle lock),
the PIN pad, the message line where every command's answer is shown, and one refresh timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.config import Config
from core.permissions import PUBLIC
from core.store import StoreError
from hmi.errors import UsageError
from hmi.panel.model import PanelModel, RefreshPump
from hmi.panel.screens.andon import AndonScreen
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.screens.jobs import JobsScreen
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.screens.report import ReportScreen
from hmi.panel.theme import ALARM, OK_TEXT, stylesheet
from hmi.panel.widgets.banner import AndonBanner
from hmi.panel.widgets.common import button, label
from hmi.panel.widgets.lock import LockOverlay
from hmi.panel.widgets.pinpad import PinPad
from hmi.panel.widgets.sound import AndonSound
from hmi.paths import socket_path
from hmi.socket.server import ServerError, StationServer
from hmi.station.link import CommandResult, LocalLink
from hmi.station.runtime import Station

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.TouchBegin,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
    }
)


class _InputWatch(QObject):
    """Any touch, click or key anywhere in the application counts as someone at the panel."""

    def __init__(self, on_input: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.on_input = on_input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self.on_input()
        return False


class PanelWindow(QMainWindow):
    closed = Signal()

    def __init__(self, link: LocalLink, config: Config, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.link = link
        self.config = config
        self.clock = clock
        self.model = PanelModel(link)
        self.tz = config.lines[0].tz
        self.names = {eq.id: eq.name or eq.id for line in config.lines for eq in line.equipment}
        self.idle_lock_s = float(config.panel.idle_lock_s)
        self.last_input = clock()
        self.locked = False
        self.user: str | None = None
        self.role: str | None = None
        self._pin: str | None = None  # kept for the session's commands, dropped at lock and logout
        self.last_result: CommandResult | None = None
        self.pinpad: PinPad | None = None
        self.screens: dict[str, QWidget] = {}
        self.nav_buttons: dict[str, QPushButton] = {}
        self.setWindowTitle(f"MS5 Floor · {config.site.name}")
        self.setStyleSheet(stylesheet())
        self.setMinimumSize(1024, 700)
        self.resize(1280, 800)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)
        top = QHBoxLayout()
        self.nav = QHBoxLayout()
        self.nav_end = QHBoxLayout()
        top.addLayout(self.nav)
        top.addStretch(1)
        top.addLayout(self.nav_end)
        outer.addLayout(top)
        self.clock_label = label("", "heading")
        self.user_button = button("Log in", self.login_or_out, name="login")
        self.sound = AndonSound(self.model.station_folder, default_on=config.panel.sound, parent=self)
        self.sound_button = button("", self.toggle_sound, name="sound")
        self.lock_button = button("Lock", self.lock, name="lock")
        for w in (self.user_button, self.sound_button, self.lock_button, self.clock_label):
            self.nav_end.addWidget(w)
        self.banner = AndonBanner()
        self.banner.clicked.connect(lambda: None if self.locked else self.show_screen("andon"))
        outer.addWidget(self.banner)

        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        grid.addWidget(self.stack, 0, 0)
        machines = list(self.names.items())
        kinds = list(self.model.view("config")["andon_kinds"])
        # The lock shares the stack's cell and lies above it; the banner is outside the cell.
        self.lock_overlay = LockOverlay(machines, kinds)
        self.lock_overlay.unlock_requested.connect(self.unlock)
        self.lock_overlay.raise_panel.raise_requested.connect(
            lambda eq, kind: self.act("raise_andon", {"equipment": eq, "kind": kind}, purpose="Raise a call")
        )
        grid.addWidget(self.lock_overlay, 0, 0)
        outer.addWidget(area, 1)
        self.message = label("", "message", wrap=True)
        outer.addWidget(self.message)
        self.setCentralWidget(central)

        self.add_screen("overview", "Overview", OverviewScreen(self))
        self.add_screen("machine", "Machine", MachineScreen(self))
        self.add_screen("downtime", "Downtime", DowntimeScreen(self))
        self.add_screen("andon", "Andon", AndonScreen(self))
        self.add_screen("jobs", "Jobs", JobsScreen(self))
        self.add_screen("report", "Report", ReportScreen(link))
        self._show_sound()

        self._input = _InputWatch(self.touched, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._input)
        self.pump = RefreshPump(link, clock)
        self.pump.frame.connect(self._frame)
        self.show_screen("overview")
        self.pump.start()

    # ------------------------------------------------------------ screens

    def screen_names(self) -> list[str]:
        return list(self.screens)

    def add_screen(self, name: str, title: str, widget: QWidget) -> None:
        self.screens[name] = widget
        self.stack.addWidget(widget)
        b = button(
            title, lambda: self.show_screen(name), checkable=True, object_name="nav", name=f"screen {name}"
        )
        self.nav_buttons[name] = b
        self.nav.addWidget(b)

    def show_screen(self, name: str) -> None:
        widget = self.screens[name]
        self.stack.setCurrentWidget(widget)
        for n, b in self.nav_buttons.items():
            b.setChecked(n == name)
        self.refresh_now()

    def current_screen(self) -> str:
        current = self.stack.currentWidget()
        return next((n for n, w in self.screens.items() if w is current), "")

    def open_machine(self, equipment: str) -> None:
        machine = self.screens["machine"]
        assert isinstance(machine, MachineScreen)
        machine.choose(equipment)
        self.show_screen("machine")

    # ------------------------------------------------------------ repaint

    def refresh_now(self) -> None:
        """Re-read the views and repaint now (tests and screenshots; the timer does it live)."""
        self.pump.force()

    def _frame(self, now: float) -> None:
        self.model.forget()
        if not self.locked and now - self.last_input >= self.idle_lock_s:
            self.lock()
        overview = self.model.view("overview")
        calls = overview["andon"]
        self.banner.show_calls(calls, now, self.names)
        self.sound.update(calls, now)
        self.clock_label.setText(datetime.fromtimestamp(now, self.tz).strftime("%H:%M"))
        current = self.stack.currentWidget()
        refresh = getattr(current, "refresh", None)
        if refresh is not None and not self.locked:
            refresh(now)

    # ------------------------------------------------------------ commands

    def act(
        self,
        command: str,
        args: Mapping[str, Any],
        *,
        purpose: str,
        ask_pin: bool = False,
        then: Callable[[CommandResult], None] | None = None,
    ) -> None:
        def run(user: str | None, pin: str | None) -> None:
            result = self.model.command(command, args, user=user, pin=pin)
            self.show_result(result)
            if then is not None:
                then(result)
            self.refresh_now()

        if command in PUBLIC:
            run(None, None)
        elif ask_pin:
            self._ask_pin(purpose, run)
        elif self.user is not None and self._pin is not None:
            run(self.user, self._pin)
        else:

            def logged_in(user: str, pin: str) -> None:
                if self._log_in(user, pin):
                    run(user, pin)

            self._ask_pin(f"{purpose}: log in", logged_in)

    def _ask_pin(self, purpose: str, then: Callable[[str, str], None]) -> None:
        if self.pinpad is not None:
            self.pinpad.close()
        pad = PinPad(purpose, self.model.users(), user=self.user, parent=self)
        pad.entered.connect(then)
        pad.finished.connect(lambda _code: self._pad_closed(pad))
        self.pinpad = pad
        pad.open()

    def _pad_closed(self, pad: PinPad) -> None:
        if self.pinpad is pad:
            self.pinpad = None
        pad.deleteLater()

    def show_result(self, result: CommandResult) -> None:
        self.last_result = result
        self.message.setText(result.message)
        colour = OK_TEXT if result.ok else ALARM
        self.message.setStyleSheet(
            f"color: {colour};" if result.ok else f"color: #ffffff; background: {colour}; font-weight: 700;"
        )

    # ------------------------------------------------------------ session and lock

    def _log_in(self, user: str, pin: str) -> bool:
        role, why = self.model.login(user, pin)
        if role is None:
            self.show_result(CommandResult(False, why, refused=True))
            return False
        self.user, self.role, self._pin = user, role, pin
        self.user_button.setText(f"{user} · Log out")
        self.show_result(CommandResult(True, f"{user} ({role}) logged in"))
        return True

    def log_out(self) -> None:
        self.user = self.role = self._pin = None
        self.user_button.setText("Log in")

    def login_or_out(self) -> None:
        if self.user is not None:
            self.log_out()
            self.show_result(CommandResult(True, "logged out"))
        else:
            self._ask_pin("Log in", self._log_in_quietly)

    def _log_in_quietly(self, user: str, pin: str) -> None:
        self._log_in(user, pin)

    def touched(self) -> None:
        self.last_input = self.clock()

    def lock(self) -> None:
        self.locked = True
        self.log_out()
        for b in (*self.nav_buttons.values(), self.user_button, self.sound_button, self.lock_button):
            b.setEnabled(False)
        self.lock_overlay.show()
        self.lock_overlay.raise_()

    def unlock(self) -> None:
        def logged_in(user: str, pin: str) -> None:
            if self._log_in(user, pin):
                self._unlocked()

        self._ask_pin("Unlock the panel", logged_in)

    def _unlocked(self) -> None:
        self.locked = False
        self.last_input = self.clock()
        for b in (*self.nav_buttons.values(), self.user_button, self.sound_button, self.lock_button):
            b.setEnabled(True)
        self.lock_overlay.hide()
        self.refresh_now()

    def toggle_sound(self) -> None:
        self.sound.set_muted(not self.sound.muted)
        self._show_sound()
        self.refresh_now()

    def _show_sound(self) -> None:
        self.sound_button.setText("Sound off" if self.sound.muted else "Sound on")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pump.stop()
        self.sound.stop()
        if self.pinpad is not None:
            self.pinpad.close()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._input)
        self.closed.emit()
        super().closeEvent(event)


# ---------------------------------------------------------------- running it


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
            _serve(config, db, kiosk=kiosk, demo=demo, size=size, seconds=seconds)
        )
        return result
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        app.setQuitOnLastWindowClosed(quit_on_close)


async def _serve(
    config: Config,
    db: Path,
    *,
    kiosk: bool,
    demo: bool,
    size: tuple[int, int] | None,
    seconds: float | None,
) -> int:
    sim: Any = None
    station = Station(config, db)
    # The socket first, so maintenance can attach a console over SSH (docs/SOCKET.md), and so a
    # second station on this database refuses before it wipes a demo's record or polls the PLCs.
    server = StationServer(station, socket_path(db))
    try:
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    if demo:
        from connectors.sim.runner import SimError, SimLine

        for suffix in ("", "-wal", "-shm"):  # a demo starts from a fresh shift record
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db}{suffix}").unlink()
        sim = SimLine(config)
        try:
            await sim.start()
        except SimError as exc:
            await server.stop()
            raise UsageError(str(exc)) from None
    try:
        station.open()
    except StoreError as exc:
        await server.stop()
        if sim is not None:
            await sim.stop()
        raise UsageError(str(exc), located=True) from None
    await station.start()
    window = PanelWindow(LocalLink(station), config)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    if size is not None:
        window.setMinimumSize(min(size[0], 1024), min(size[1], 700))
        window.resize(*size)
    if kiosk:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.showFullScreen()
    else:
        window.show()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        window.close()

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if seconds is None:
            await closed.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), seconds)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        dispose(window)
        await server.stop()
        await station.stop()
        if sim is not None:
            await sim.stop()
    return 0
