"""A chart of the report screen (hmi/panel/screens/report.py), drawn by a painter of
hmi/report/charts.py, and the charts' words in the panel's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from hmi.panel.language import QT_TRANSLATE_NOOP
from hmi.panel.widgets.common import clock_time

Painter = Callable[[QPainter, QRectF, dict[str, Any]], None]
# The words the charts of hmi/report/charts.py draw (the report view's step labels among them):
# marked here for translation, translated as they are drawn on the screen; the PDF keeps English.
CHART_WORDS = (
    QT_TRANSLATE_NOOP("charts", "Planned production time"),
    QT_TRANSLATE_NOOP("charts", "Unplanned stops"),
    QT_TRANSLATE_NOOP("charts", "Changeovers"),
    QT_TRANSLATE_NOOP("charts", "Small stops"),
    QT_TRANSLATE_NOOP("charts", "Slow cycles"),
    QT_TRANSLATE_NOOP("charts", "Startup rejects"),
    QT_TRANSLATE_NOOP("charts", "Production rejects"),
    QT_TRANSLATE_NOOP("charts", "Run time"),
    QT_TRANSLATE_NOOP("charts", "Net run time"),
    QT_TRANSLATE_NOOP("charts", "Fully productive time"),
    QT_TRANSLATE_NOOP("charts", "Communication loss"),
    QT_TRANSLATE_NOOP("charts", "Unassigned"),
    QT_TRANSLATE_NOOP("charts", "No planned production time in this shift"),
    QT_TRANSLATE_NOOP("charts", "No downtime in this shift"),
    QT_TRANSLATE_NOOP("charts", "No shift now"),
    QT_TRANSLATE_NOOP("charts", "{n} stop"),
    QT_TRANSLATE_NOOP("charts", "{n} stops"),
    QT_TRANSLATE_NOOP("charts", "+ {n} more reasons"),
)


def chart_word(text: str) -> str:
    """A chart's word in the panel's language; the plant's reasons have no translation and stay."""
    return QCoreApplication.translate("charts", text)


def clock_hour(ts: float, tz: str) -> str:
    return clock_time(ts, ZoneInfo(tz))


class ChartView(QWidget):
    """One chart of the report line on screen, drawn by a painter of hmi/report/charts.py."""

    def __init__(self, heading: str, paint: Painter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportChart")
        self.heading = heading
        self._paint = paint
        self.line: dict[str, Any] | None = None
        self.setMinimumSize(300, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_line(self, line: dict[str, Any] | None) -> None:
        self.line = line
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(self.foregroundRole())
        head = QFont(self.font())
        head.setBold(True)
        head.setPixelSize(min(20, max(14, self.height() // 16)))
        p.setFont(head)
        p.setPen(text)
        head_h = head.pixelSize() * 1.6
        p.drawText(QRectF(4, 0, self.width() - 8, head_h), Qt.AlignmentFlag.AlignVCenter, self.heading)
        p.setFont(self.font())
        if self.line is not None:
            area = QRectF(6, head_h, self.width() - 12, self.height() - head_h - 4)
            self._paint(p, area, self.line)
        p.end()
