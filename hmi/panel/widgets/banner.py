"""The Andon banner: the active calls, on every screen and on the lock screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from hmi.panel.language import QT_TRANSLATE_NOOP
from hmi.panel.theme import andon_colour, kind_label, text_on
from hmi.panel.widgets.common import button, clear_layout, duration, label

SHOWN = 4  # chips side by side at 1280 px; the rest are counted

STATE_SHORT = {
    "active-unacknowledged": QT_TRANSLATE_NOOP("call", "NEW"),
    "active-acknowledged": QT_TRANSLATE_NOOP("call", "ACK"),
    "returned-to-normal-unacknowledged": QT_TRANSLATE_NOOP("call", "CLEARED, NOT ACK"),
}


def call_state(call: dict[str, Any]) -> str:
    """A call's alarm state in short, in the panel's language."""
    state = str(call["state"])
    return QCoreApplication.translate("call", STATE_SHORT[state]) if state in STATE_SHORT else state


def call_text(call: dict[str, Any], now: float, names: dict[str, str]) -> str:
    state = call_state(call)
    if call.get("shelved_until") is not None and call["shelved_until"] > now:
        state = QCoreApplication.translate("call", "SHELVED")
    machine = names.get(str(call["equipment"]), str(call["equipment"]))
    age = duration(now - float(call["raised_at"]))
    kind = kind_label(str(call["kind"])).upper()
    level = QCoreApplication.translate("call", "L{level}").format(level=call["max_level"])
    return f"#{call['id']} {kind} · {machine} · {level} · {age} · {state}"


class AndonBanner(QFrame):
    """Hidden while no call is active. A tap opens the Andon board."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("QFrame#banner { background: #2b3036; }")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 4, 6, 4)
        self.chips: list[QPushButton] = []
        self.texts: list[str] = []
        self.total = 0
        self.more: QLabel | None = None
        self.hide()

    def show_calls(
        self, calls: list[dict[str, Any]], now: float, names: dict[str, str], total: int | None = None
    ) -> None:
        """`calls`: the most urgent open calls the station sent; `total`: how many are open in
        all (the station sends at most a hundred, hmi/station/andon_list.py)."""
        total = len(calls) if total is None else max(total, len(calls))
        texts = [call_text(c, now, names) for c in calls]
        if texts == self.texts and total == self.total:
            return
        self.texts = texts
        self.total = total
        clear_layout(self._layout)
        self.chips = []
        for call, text in zip(calls[:SHOWN], texts, strict=False):
            colour = andon_colour(str(call["kind"]))
            chip = button(text, self.clicked.emit, name=f"banner call {call['id']}")
            chip.setStyleSheet(
                f"QPushButton {{ background: {colour}; color: {text_on(colour)}; font-size: 22px;"
                f" font-weight: 700; border: 2px solid #111; }}"
            )
            self.chips.append(chip)
            self._layout.addWidget(chip, 1)
        self.more = None
        if total > len(self.chips):
            self.more = label(self.tr("+{n} more").format(n=total - len(self.chips)), "heading")
            self.more.setStyleSheet("color: #ffffff;")
            self._layout.addWidget(self.more)
        self.setVisible(bool(calls))
