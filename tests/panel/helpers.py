"""Taps as a person does them: find the button by its accessible name and click it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hmi.panel.widgets.pinpad import PinPad
from hmi.panel.window import PanelWindow


def tap(qtbot: QtBot, b: QPushButton) -> None:
    QApplication.processEvents()  # widgets added to a shown layout appear at the next turn
    what = repr(b.accessibleName() or b.text())
    assert b.isVisible() and b.isEnabled(), f"{what} cannot be tapped"
    # A finger hits what is on top: a button under the lock screen cannot be tapped.
    top = b.window()
    hit = top.childAt(b.mapTo(top, b.rect().center()))
    assert hit is not None and (hit is b or b.isAncestorOf(hit)), f"{what} is covered by {hit!r}"
    QTest.mouseClick(b, Qt.MouseButton.LeftButton)


def named(parent: QWidget, name: str) -> QPushButton:
    QApplication.processEvents()
    found = [b for b in parent.findChildren(QPushButton) if b.accessibleName() == name and b.isVisible()]
    assert found, f"no visible button {name!r}"
    return found[0]


def enter_pin(qtbot: QtBot, window: PanelWindow, user: str, pin: str) -> None:
    pad = window.session.pinpad
    assert isinstance(pad, PinPad) and pad.isVisible(), "the PIN pad is not open"
    tap(qtbot, pad.user_buttons[user])
    for digit in pin:
        tap(qtbot, pad.keypad.keys[digit])
    tap(qtbot, pad.ok_button)
