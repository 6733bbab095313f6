"""The shift's state timeline as one strip, a colour per time category, and its legend."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from hmi.panel.theme import CATEGORY_COLOURS, MUTED
from hmi.panel.widgets.common import label

SWATCH_PX = 24


class TimelineStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pieces: list[dict[str, Any]] = []
        self.start = 0.0
        self.end = 1.0
        self.setMinimumHeight(48)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_pieces(self, pieces: list[dict[str, Any]], start: float, end: float) -> None:
        if (pieces, start, end) == (self.pieces, self.start, self.end):
            return
        self.pieces, self.start, self.end = pieces, start, max(end, start + 1)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        width, height = float(self.width()), float(self.height())
        p.fillRect(QRectF(0, 0, width, height), QColor(CATEGORY_COLOURS["unscheduled"]))
        span = self.end - self.start
        for piece in self.pieces:
            x0 = (float(piece["start"]) - self.start) / span * width
            x1 = (float(piece["end"]) - self.start) / span * width
            colour = QColor(CATEGORY_COLOURS.get(str(piece["category"]), "#888888"))
            # At least a pixel: a short stop must stay visible on a long shift.
            p.fillRect(QRectF(x0, 0, max(x1 - x0, 1.0), height), colour)
        p.setPen(QColor("#5b6168"))
        p.drawRect(QRectF(0, 0, width - 1, height - 1))
        p.end()


class StateLegend(QWidget):
    """A colour swatch and its name for each category the strip draws, in the strip's colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        names = {
            "running": self.tr("Running"),
            "small_stop": self.tr("Small stop"),
            "down": self.tr("Down"),
            "no_data": self.tr("No data"),
            "changeover": self.tr("Changeover"),
            "planned_stop": self.tr("Planned stop"),
            "unscheduled": self.tr("Not scheduled"),
        }
        self.swatches: dict[str, QFrame] = {}
        self.names: dict[str, QLabel] = {}
        # A legend is read once, not at a glance: smaller type keeps seven names on one row at
        # 1024 px, in German too.
        self.setStyleSheet("QLabel { font-size: 16px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for category, name in names.items():
            swatch = QFrame()
            swatch.setObjectName("swatch")
            swatch.setAccessibleName(f"swatch {category}")
            swatch.setFixedSize(SWATCH_PX, SWATCH_PX)
            # A border: the light colours (planned stop, not scheduled) must show on the grey.
            swatch.setStyleSheet(
                f"QFrame#swatch {{ background: {CATEGORY_COLOURS[category]}; border: 1px solid {MUTED}; }}"
            )
            text = label(name, "caption")
            row.addWidget(swatch)
            row.addWidget(text)
            row.addSpacing(10)
            self.swatches[category] = swatch
            self.names[category] = text
        row.addStretch(1)
