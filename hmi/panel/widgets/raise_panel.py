"""Raise an Andon call: pick the machine, then the kind. No login: a call must never wait."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from hmi.panel.theme import andon_colour, kind_label, text_on
from hmi.panel.widgets.common import button, label, picker_columns


class RaisePanel(QWidget):
    raise_requested = Signal(str, str)  # equipment, kind

    def __init__(
        self, machines: list[tuple[str, str]], kinds: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.machine: str | None = machines[0][0] if machines else None
        self.machine_buttons: dict[str, QPushButton] = {}
        self.kind_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.tr("Raise a call"), "heading"))
        row = QGridLayout()
        # Four to a row for a small line; a large one in rows of up to ten, or its rows would
        # push the calls under them off the screen.
        across = 4 if len(machines) <= 8 else picker_columns(len(machines))
        for i, (eq_id, name) in enumerate(machines):
            b = button(name, partial(self.choose, eq_id), checkable=True, name=f"machine {eq_id}")
            self.machine_buttons[eq_id] = b
            row.addWidget(b, i // across, i % across)
        layout.addLayout(row)
        kinds_row = QHBoxLayout()
        for kind in kinds:
            colour = andon_colour(kind)
            b = button(kind_label(kind), partial(self._raise, kind), name=f"raise {kind}")
            b.setMinimumHeight(72)
            b.setStyleSheet(
                f"QPushButton {{ background: {colour}; color: {text_on(colour)}; font-weight: 700; }}"
            )
            self.kind_buttons[kind] = b
            kinds_row.addWidget(b)
        layout.addLayout(kinds_row)
        if self.machine is not None:
            self.choose(self.machine)

    def choose(self, eq_id: str) -> None:
        self.machine = eq_id
        for e, b in self.machine_buttons.items():
            b.setChecked(e == eq_id)

    def _raise(self, kind: str) -> None:
        if self.machine is not None:
            self.raise_requested.emit(self.machine, kind)
