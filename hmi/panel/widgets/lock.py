"""The idle lock: covers the screens after the configured idle time; the banner stays above it.

While locked anyone may still raise an Andon call; everything else waits for a PIN.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from hmi.panel.widgets.common import button, label
from hmi.panel.widgets.raise_panel import RaisePanel


class LockOverlay(QFrame):
    unlock_requested = Signal()

    def __init__(
        self, machines: list[tuple[str, str]], kinds: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lock")
        self.setStyleSheet("QFrame#lock { background: #c3c8cd; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.addWidget(label(self.tr("Panel locked"), "figureSmall"))
        layout.addWidget(
            label(self.tr("Touch Unlock and enter your PIN. Andon calls need no PIN."), "caption")
        )
        self.unlock_button = button(self.tr("Unlock"), self.unlock_requested.emit, name="unlock")
        self.unlock_button.setMinimumHeight(96)
        self.unlock_button.setStyleSheet("font-size: 34px; font-weight: 700;")
        layout.addWidget(self.unlock_button)
        layout.addStretch(1)
        self.raise_panel = RaisePanel(machines, kinds)
        layout.addWidget(self.raise_panel)
        self.hide()
