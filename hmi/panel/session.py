"""Who is at the panel: the PIN pad, the logged-in user and the idle lock.

The panel never decides who may do what: the PIN pad collects a name and a PIN, the station
checks them and the window shows its answer (docs/PANEL.md, "People: PIN login and the idle lock").
A login keeps the user and PIN for the session's commands; the lock drops them.

What follows a PIN (a login, a command) is a coroutine: it waits for the station's answer, which
over a RemoteLink comes later (hmi/panel/model.py, `start`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from hmi.panel.model import PanelModel
from hmi.panel.theme import role_label
from hmi.panel.widgets.pinpad import PinPad
from hmi.station.link import CommandResult, LinkError

AfterPin = Callable[[str, str], Coroutine[Any, Any, None]]  # (user, pin): what the PIN was for

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


class PanelSession(QObject):
    """The user logged in at the panel (and their PIN), the PIN pad, and the idle lock."""

    user_changed = Signal(object)  # the user's name, or None: logged out
    lock_changed = Signal(bool)  # locked

    def __init__(
        self,
        model: PanelModel,
        window: QWidget,
        *,
        clock: Callable[[], float],
        idle_lock_s: float,
        show_result: Callable[[CommandResult], None],
    ) -> None:
        super().__init__(window)
        self.model = model
        self.window = window
        self.clock = clock
        self.idle_lock_s = idle_lock_s
        self.show_result = show_result
        self.last_input = clock()
        self.locked = False
        self.user: str | None = None
        self.role: str | None = None
        self._pin: str | None = None  # kept for the session's commands, dropped at lock and logout
        self.pinpad: PinPad | None = None
        self._input = _InputWatch(self.touched, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._input)

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The logged-in user and their PIN, or None."""
        if self.user is None or self._pin is None:
            return None
        return self.user, self._pin

    # ------------------------------------------------------------ the PIN pad

    def ask_pin(self, purpose: str, then: AfterPin) -> None:
        """Open the PIN pad for `purpose`; `then(user, pin)` when OK is pressed."""
        self.model.start(self._open_pad(purpose, then))

    async def _open_pad(self, purpose: str, then: AfterPin) -> None:
        try:
            users = await self.model.users()
        except LinkError as exc:
            self.show_result(CommandResult(False, self.tr("station unreachable: {error}").format(error=exc)))
            return
        if self.pinpad is not None:
            self.pinpad.close()
        pad = PinPad(purpose, users, user=self.user, parent=self.window)
        pad.entered.connect(lambda user, pin: self.model.start(then(user, pin)))
        pad.finished.connect(lambda _code: self._pad_closed(pad))
        self.pinpad = pad
        pad.open()

    def _pad_closed(self, pad: PinPad) -> None:
        if self.pinpad is pad:
            self.pinpad = None
        pad.deleteLater()

    # ------------------------------------------------------------ login

    async def log_in(self, user: str, pin: str) -> bool:
        role, why = await self.model.login(user, pin)
        if role is None:
            self.show_result(CommandResult(False, why, refused=True))
            return False
        self.user, self.role, self._pin = user, role, pin
        self.user_changed.emit(user)
        self.show_result(
            CommandResult(True, self.tr("{user} ({role}) logged in").format(user=user, role=role_label(role)))
        )
        return True

    def log_out(self) -> None:
        self.user = self.role = self._pin = None
        self.user_changed.emit(None)

    def login_or_out(self) -> None:
        if self.user is not None:
            self.log_out()
            self.show_result(CommandResult(True, self.tr("logged out")))
        else:
            self.ask_pin(self.tr("Log in"), self._log_in_quietly)

    async def _log_in_quietly(self, user: str, pin: str) -> None:
        await self.log_in(user, pin)

    # ------------------------------------------------------------ the idle lock

    def touched(self) -> None:
        self.last_input = self.clock()

    def lock_if_idle(self, now: float) -> None:
        if not self.locked and now - self.last_input >= self.idle_lock_s:
            self.lock()

    def lock(self) -> None:
        self.locked = True
        self.log_out()
        self.lock_changed.emit(True)

    def unlock(self) -> None:
        async def logged_in(user: str, pin: str) -> None:
            if await self.log_in(user, pin):
                self._unlocked()

        self.ask_pin(self.tr("Unlock the panel"), logged_in)

    def _unlocked(self) -> None:
        self.locked = False
        self.last_input = self.clock()
        self.lock_changed.emit(False)

    def close(self) -> None:
        if self.pinpad is not None:
            self.pinpad.close()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._input)
