"""The PIN pad: pick who you are from a list, type the PIN on large keys.

It only collects a name and a PIN; the station checks them (the gate), and the panel shows the
station's answer. It is opened non-modally so the window (and the Andon banner) keep updating.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.widgets.common import button, label

PIN_MAX = 8


class Keypad(QWidget):
    """Digits 0-9, clear and back-space on keys big enough for gloves; the typed text in `text`."""

    changed = Signal(str)

    def __init__(self, *, max_len: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_len = max_len
        self.text = ""
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(8)
        layout = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "⌫"]
        for i, key in enumerate(layout):
            b = button(
                self.tr("Clear") if key == "Clear" else key,
                partial(self.press, key),
                object_name="key",
                name=f"key {key}",
            )
            self.keys[key] = b
            grid.addWidget(b, i // 3, i % 3)

    def press(self, key: str) -> None:
        if key == "Clear":
            self.text = ""
        elif key == "⌫":
            self.text = self.text[:-1]
        elif len(self.text) < self.max_len:
            self.text += key
        self.changed.emit(self.text)

    def set_text(self, text: str) -> None:
        self.text = text[: self.max_len]
        self.changed.emit(self.text)


class PinPad(QDialog):
    """Asks who and their PIN for `purpose`; `entered(user, pin)` when OK is pressed."""

    entered = Signal(str, str)

    def __init__(
        self, purpose: str, users: list[str], *, user: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("PIN"))
        self.setObjectName("pinpad")
        self.user: str | None = user if user in users else None
        self.user_buttons: dict[str, QPushButton] = {}
        outer = QVBoxLayout(self)
        self.purpose = label(purpose, "heading", wrap=True)
        outer.addWidget(self.purpose)
        body = QHBoxLayout()
        outer.addLayout(body)

        people = QGridLayout()
        people.setSpacing(8)
        if not users:
            people.addWidget(label(self.tr("No users yet: add one with `ms5 user add`."), wrap=True), 0, 0)
        for i, name in enumerate(users):
            b = button(name, partial(self.choose, name), checkable=True, name=f"user {name}")
            b.setMinimumHeight(64)
            self.user_buttons[name] = b
            people.addWidget(b, i // 2, i % 2)
        left = QVBoxLayout()
        left.addWidget(label(self.tr("Who"), "caption"))
        left.addLayout(people)
        left.addStretch(1)
        body.addLayout(left, 1)

        right = QVBoxLayout()
        self.dots = QLabel("")
        self.dots.setObjectName("figureSmall")
        self.dots.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dots.setMinimumHeight(64)
        right.addWidget(label(self.tr("PIN"), "caption"))
        right.addWidget(self.dots)
        self.keypad = Keypad(max_len=PIN_MAX)
        self.keypad.changed.connect(lambda text: self.dots.setText("●" * len(text)))
        right.addWidget(self.keypad)
        body.addLayout(right, 1)

        actions = QHBoxLayout()
        self.cancel_button = button(self.tr("Cancel"), self.reject, name="cancel")
        self.ok_button = button(self.tr("OK"), self._ok, name="ok")
        self.ok_button.setMinimumHeight(72)
        self.cancel_button.setMinimumHeight(72)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.ok_button)
        outer.addLayout(actions)
        if self.user is not None:
            self.choose(self.user)
        self._update_ok()
        self.keypad.changed.connect(lambda _t: self._update_ok())

    def choose(self, name: str) -> None:
        self.user = name
        for n, b in self.user_buttons.items():
            b.setChecked(n == name)
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self.user is not None and bool(self.keypad.text))

    def _ok(self) -> None:
        if self.user is None or not self.keypad.text:
            return
        user, pin = self.user, self.keypad.text
        self.keypad.set_text("")  # the PIN does not stay in a widget
        self.accept()
        self.entered.emit(user, pin)
