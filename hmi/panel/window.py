"""The panel's main window: the navigation, the Andon banner (on every screen, and above the idle
lock), the message line where every command's answer is shown, and the frames of the refresh pump.

It knows its station only through the link of its PanelModel, as the console does: it is built
from the station's "config" view, and each frame loads the views it paints first. Who is at the
panel (the PIN pad, the login, the idle lock) is hmi/panel/session.py; when the window repaints is
hmi/panel/pump.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.permissions import PUBLIC
from hmi.panel import language
from hmi.panel.context import Screen
from hmi.panel.model import OVERVIEW, PanelModel
from hmi.panel.pump import RefreshPump
from hmi.panel.screens.andon import AndonScreen
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.screens.jobs import JobsScreen
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.screens.report import ReportScreen
from hmi.panel.session import PanelSession
from hmi.panel.theme import ALARM, OK_TEXT, stylesheet
from hmi.panel.widgets.banner import AndonBanner
from hmi.panel.widgets.common import button, clock_time, label
from hmi.panel.widgets.lock import LockOverlay
from hmi.panel.widgets.sound import AndonSound
from hmi.station.link import CommandResult, LinkError, starting_status

AnyScreen = OverviewScreen | MachineScreen | DowntimeScreen | AndonScreen | JobsScreen | ReportScreen


class PanelWindow(QMainWindow):
    closed = Signal()

    def __init__(self, model: PanelModel, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.model = model
        self.clock = clock
        config = model.config
        language.install(str(config["panel"].get("language", "")))
        self.tz = ZoneInfo(config["lines"][0]["timezone"])
        self.names: dict[str, str] = {
            eq: str(name) for line in config["lines"] for eq, name in line["equipment_names"].items()
        }
        self._painting = False
        self._again = False
        self._starting = False  # "station starting (n %)" is shown in the message line
        self.session = PanelSession(
            model,
            self,
            clock=clock,
            idle_lock_s=float(config["panel"]["idle_lock_s"]),
            show_result=self.show_result,
        )
        self.session.user_changed.connect(self._show_user)
        self.session.lock_changed.connect(self._show_lock)
        self.last_result: CommandResult | None = None
        self.screens: dict[str, AnyScreen] = {}
        self.nav_buttons: dict[str, QPushButton] = {}
        self.setWindowTitle(f"MS5 Floor · {config['site']}")
        self.setStyleSheet(stylesheet())
        self.setMinimumSize(1024, 700)
        self.resize(1280, 800)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)
        outer.addLayout(self._build_top())
        self.banner = AndonBanner()
        self.banner.clicked.connect(lambda: None if self.session.locked else self.show_screen("andon"))
        outer.addWidget(self.banner)
        outer.addWidget(self._build_area(), 1)
        self.message = label("", "message", wrap=True)
        outer.addWidget(self.message)
        self.setCentralWidget(central)

        self.add_screen("overview", self.tr("Overview"), OverviewScreen(self))
        self.add_screen("machine", self.tr("Machine"), MachineScreen(self))
        self.add_screen("downtime", self.tr("Downtime"), DowntimeScreen(self))
        self.add_screen("andon", self.tr("Andon"), AndonScreen(self))
        self.add_screen("jobs", self.tr("Jobs"), JobsScreen(self))
        self.add_screen("report", self.tr("Report"), ReportScreen(self))
        self._show_sound()

        self.pump = RefreshPump(model.link, clock)
        self.pump.frame.connect(self._frame)
        self.show_screen("overview")
        self.pump.start()

    def _build_top(self) -> QHBoxLayout:
        """The screens' buttons on the left; login, sound, lock and the clock on the right."""
        top = QHBoxLayout()
        self.nav = QHBoxLayout()
        self.nav_end = QHBoxLayout()
        top.addLayout(self.nav)
        top.addStretch(1)
        top.addLayout(self.nav_end)
        self.clock_label = label("", "heading")
        self.user_button = button(self.tr("Log in"), self.session.login_or_out, name="login")
        self.sound = AndonSound(
            self.model.station_folder, default_on=bool(self.model.config["panel"]["sound"]), parent=self
        )
        self.sound_button = button("", self.toggle_sound, name="sound")
        self.lock_button = button(self.tr("Lock"), self.session.lock, name="lock")
        for w in (self.user_button, self.sound_button, self.lock_button, self.clock_label):
            self.nav_end.addWidget(w)
        return top

    def _build_area(self) -> QWidget:
        """The screens, and the idle lock lying above them in the same cell."""
        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        grid.addWidget(self.stack, 0, 0)
        machines = list(self.names.items())
        kinds = list(self.model.config["andon_kinds"])
        # The lock shares the stack's cell and lies above it; the banner is outside the cell.
        self.lock_overlay = LockOverlay(machines, kinds)
        self.lock_overlay.unlock_requested.connect(self.session.unlock)
        self.lock_overlay.raise_panel.raise_requested.connect(
            lambda eq, kind: self.act(
                "raise_andon", {"equipment": eq, "kind": kind}, purpose=self.tr("Raise a call")
            )
        )
        grid.addWidget(self.lock_overlay, 0, 0)
        return area

    # ------------------------------------------------------------ screens

    def screen_names(self) -> list[str]:
        return list(self.screens)

    def add_screen(self, name: str, title: str, widget: AnyScreen) -> None:
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
        """Read the views and repaint now (tests and screenshots; the pump does it live). Over a
        link that waits (a RemoteLink) the frame is painted when the views have come."""
        self.pump.force()

    def _frame(self, now: float) -> None:
        if self._painting:  # the last frame still waits for its views: one more after it
            self._again = True
            return
        self.model.start(self._paint(now))

    async def _paint(self, now: float) -> None:
        self._painting = True
        try:
            self.session.lock_if_idle(now)
            current = self.current_screen()
            screen: Screen | None = None if self.session.locked else self.screens.get(current)
            try:
                await self.model.load([OVERVIEW, *(screen.views(now) if screen else [])])
            except LinkError as exc:
                status = starting_status(exc)
                if status is not None:  # restoring its engine: said, not "unreachable"
                    self.show_starting(status)
                    return
                self.show_result(
                    CommandResult(False, self.tr("station unreachable: {error}").format(error=exc))
                )
                return
            if self._starting:
                self._starting = False
                self.message.setText("")
                self.message.setStyleSheet("")
            overview = self.model.view("overview")
            calls = overview["andon"]
            self.banner.show_calls(calls, now, self.names, overview["andon_open"]["total"])
            self.sound.update(calls, now)
            self.clock_label.setText(clock_time(now, self.tz))
            # Another screen shown, or the lock, while the views came: that one has its own frame.
            if screen is not None and current == self.current_screen() and not self.session.locked:
                screen.refresh(now)
        finally:
            self._painting = False
            if self._again:
                self._again = False
                self.pump.request()

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
        async def run(user: str | None, pin: str | None) -> None:
            result = await self.model.command(command, args, user=user, pin=pin)
            self.show_result(result)
            if then is not None:
                then(result)
            self.refresh_now()

        credentials = self.session.credentials
        if command in PUBLIC:
            self.model.start(run(None, None))
        elif ask_pin:
            self.session.ask_pin(purpose, run)
        elif credentials is not None:
            self.model.start(run(*credentials))
        else:

            async def logged_in(user: str, pin: str) -> None:
                if await self.session.log_in(user, pin):
                    await run(user, pin)

            self.session.ask_pin(self.tr("{purpose}: log in").format(purpose=purpose), logged_in)

    def show_starting(self, status: str) -> None:
        """The station restores its engine: said where results go, plainly, until it runs."""
        self._starting = True
        self.message.setText(self.tr("station {status}").format(status=status))
        self.message.setStyleSheet(f"color: {OK_TEXT};")

    def show_result(self, result: CommandResult) -> None:
        self.last_result = result
        self.message.setText(result.message)
        colour = OK_TEXT if result.ok else ALARM
        self.message.setStyleSheet(
            f"color: {colour};" if result.ok else f"color: #ffffff; background: {colour}; font-weight: 700;"
        )

    # ------------------------------------------------------------ session, sound

    def _show_user(self, user: str | None) -> None:
        self.user_button.setText(
            self.tr("Log in") if user is None else self.tr("{user} · Log out").format(user=user)
        )

    def _show_lock(self, locked: bool) -> None:
        for b in (*self.nav_buttons.values(), self.user_button, self.sound_button, self.lock_button):
            b.setEnabled(not locked)
        if locked:
            self.lock_overlay.show()
            self.lock_overlay.raise_()
        else:
            self.lock_overlay.hide()
            self.refresh_now()

    def toggle_sound(self) -> None:
        self.sound.set_muted(not self.sound.muted)
        self._show_sound()
        self.refresh_now()

    def _show_sound(self) -> None:
        self.sound_button.setText(self.tr("Sound off") if self.sound.muted else self.tr("Sound on"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pump.stop()
        self.sound.stop()
        self.session.close()
        self.model.close()
        self.closed.emit()
        super().closeEvent(event)
