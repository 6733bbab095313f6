"""The shift report's three charts drawn with a QPainter: on the panel's report screen and into
the PDF alike, so the printed report looks like the screen.

Drawing only: every figure comes in the report dict of hmi/report/view.py; nothing is computed
here but positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen


@dataclass(frozen=True)
class ChartColors:
    text: QColor
    grid: QColor
    total: QColor
    availability: QColor
    performance: QColor
    quality: QColor
    good: QColor
    target: QColor

    def loss(self, factor: str | None) -> QColor:
        return {"availability": self.availability, "performance": self.performance}.get(
            factor or "", self.quality
        )


def print_colors() -> ChartColors:
    """Dark ink on white paper."""
    return ChartColors(
        text=QColor("#202020"),
        grid=QColor("#c8c8c8"),
        total=QColor("#3a6ea5"),
        availability=QColor("#c0392b"),
        performance=QColor("#d68910"),
        quality=QColor("#7d3c98"),
        good=QColor("#2e8b57"),
        target=QColor("#202020"),
    )


def hms(seconds: float | None) -> str:
    """h:mm:ss, signed: the report's one way of writing a duration."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    return f"{sign}{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def clock_time(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%H:%M")


def _no_data(p: QPainter, rect: QRectF, colors: ChartColors, text: str, min_px: int) -> None:
    _font(p, rect, 0.06, min_px)
    p.setPen(colors.text)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _font(p: QPainter, rect: QRectF, share: float, min_px: int, *, bold: bool = False) -> QFontMetricsF:
    """A font sized from the chart's height, so a chart reads the same on a 1920 panel and on paper;
    never below `min_px` (paper asks for more than a screen: the PDF's labels are at least 8 pt)."""
    f = QFont(p.font())
    f.setPixelSize(max(min_px, round(rect.height() * share)))
    f.setBold(bold)
    p.setFont(f)
    return QFontMetricsF(f)


MIN_TEXT_PX = 9


def as_written(text: str) -> str:
    """The charts' words as they are (the PDF's English); the panel passes its translation."""
    return text


Words = Callable[[str], str]


def paint_waterfall(
    p: QPainter,
    rect: QRectF,
    steps: list[dict[str, Any]],
    colors: ChartColors,
    *,
    min_px: int = MIN_TEXT_PX,
    tr: Words = as_written,
) -> None:
    """Planned production time down to fully productive time: totals from zero, losses hanging
    from the level before them."""
    top = max(
        (max(s["level"], s["level"] + (s["seconds"] if s["kind"] == "loss" else 0)) for s in steps), default=0
    )
    if not steps or top <= 0:
        _no_data(p, rect, colors, tr("No planned production time in this shift"), min_px)
        return
    slot = rect.width() / len(steps)
    # Labels wrap at word breaks: the longest word must fit its slot.
    words = [word for s in steps for word in tr(s["label"]).split()]
    longest = max(len(word) for word in words)
    fm = _font(p, rect, min(0.05, slot / longest * 1.6 / max(rect.height(), 1.0)), min_px)
    # Where the type may not shrink to fit (paper's 8 pt), labels take turns on two rows, each as
    # wide as two slots, so neighbours never overlap.
    staggered = max(fm.horizontalAdvance(word) for word in words) > slot
    label_w = slot * 2 if staggered else slot
    row_h = fm.height() * (3.2 if staggered else 3.4)
    label_h = row_h * 2 if staggered else row_h
    value_h = fm.height() * 1.2
    plot = QRectF(rect.left(), rect.top() + value_h, rect.width(), rect.height() - label_h - value_h)
    bar_w = slot * 0.7

    def y(v: float) -> float:
        return plot.bottom() - max(min(v, top), 0.0) / top * plot.height()

    p.setPen(QPen(colors.grid, 1))
    p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
    for i, s in enumerate(steps):
        x = plot.left() + i * slot + (slot - bar_w) / 2
        if s["kind"] == "loss":
            hi, lo = s["level"] + s["seconds"], s["level"]
            color = colors.loss(s["factor"])
        else:
            hi, lo = s["level"], 0.0
            color = colors.total if s["kind"] == "total" else colors.grid
        y_hi, y_lo = y(max(hi, lo)), y(min(hi, lo))
        p.fillRect(QRectF(x, y_hi, bar_w, max(y_lo - y_hi, 1.0)), color)
        p.setPen(colors.text)
        value_rect = QRectF(plot.left() + i * slot, y_hi - value_h, slot, value_h)
        p.drawText(
            value_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, hms(s["seconds"])
        )
        centre = plot.left() + (i + 0.5) * slot
        # The first and last labels end at the chart's edges rather than shift onto a neighbour's.
        left = max(centre - label_w / 2, rect.left())
        right = min(centre + label_w / 2, rect.right())
        row = i % 2 if staggered else 0
        label_rect = QRectF(left, plot.bottom() + 2 + row * row_h, right - left, row_h)
        if staggered and row:  # a tick from the bar down to its label on the lower row
            p.setPen(QPen(colors.grid, 1))
            p.drawLine(QPointF(centre, plot.bottom() + 2), QPointF(centre, label_rect.top()))
            p.setPen(colors.text)
        p.drawText(
            label_rect,
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            tr(s["label"]),
        )


def paint_pareto(
    p: QPainter,
    rect: QRectF,
    rows: list[dict[str, Any]],
    colors: ChartColors,
    *,
    min_px: int = MIN_TEXT_PX,
    tr: Words = as_written,
) -> None:
    """Down time per reason, longest first: one bar a reason, its time, stops and share."""
    if not rows:
        _no_data(p, rect, colors, tr("No downtime in this shift"), min_px)
        return
    shown = rows[:8]
    # Type sized from the room a row has (at least four rows' worth: one reason is no giant).
    room = rect.height() / max(len(shown), 4)
    fm = _font(p, rect, min(room * 0.42, 24.0) / max(rect.height(), 1.0), min_px)
    row_h = min(room, fm.height() * 2.4)
    label_w = min(rect.width() * 0.36, max(fm.horizontalAdvance(tr(r["reason"])) for r in shown) + 8)
    value_w = fm.horizontalAdvance("00:00:00 · " + tr("{n} stops").format(n="000") + " · 100 %") + 8
    bar_left = rect.left() + label_w
    bar_room = max(rect.width() - label_w - value_w, 10.0)
    longest = max(r["duration_s"] for r in shown) or 1.0
    for i, r in enumerate(shown):
        top = rect.top() + i * row_h
        p.setPen(colors.text)
        label = fm.elidedText(tr(r["reason"]), Qt.TextElideMode.ElideMiddle, label_w - 8)
        p.drawText(
            QRectF(rect.left(), top, label_w - 8, row_h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            label,
        )
        w = r["duration_s"] / longest * bar_room
        color = colors.availability if r["category"] == "unplanned" else colors.performance
        p.fillRect(QRectF(bar_left, top + row_h * 0.18, max(w, 1.0), row_h * 0.64), color)
        share = "" if r["share"] is None else f" · {r['share'] * 100:.0f} %"
        stops = tr("{n} stop" if r["count"] == 1 else "{n} stops").format(n=r["count"])
        p.drawText(
            QRectF(bar_left + w + 6, top, value_w, row_h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{hms(r['duration_s'])} · {stops}{share}",
        )
    if len(rows) > len(shown):
        p.drawText(
            QRectF(rect.left(), rect.bottom() - fm.height(), rect.width(), fm.height()),
            Qt.AlignmentFlag.AlignRight,
            tr("+ {n} more reasons").format(n=len(rows) - len(shown)),
        )


def paint_hourly(
    p: QPainter,
    rect: QRectF,
    hours: list[dict[str, Any]],
    tz: str,
    colors: ChartColors,
    *,
    label: Callable[[float, str], str] = clock_time,
    min_px: int = MIN_TEXT_PX,
    tr: Words = as_written,
) -> None:
    """Good parts per hour as bars, the pro-rata target of each hour as a line across its slot."""
    if not hours:
        _no_data(p, rect, colors, tr("No shift now"), min_px)
        return
    values = [h["good_count"] or 0 for h in hours] + [h["target"] or 0 for h in hours]
    top = max(values) * 1.12 or 1.0
    fm = _font(p, rect, 0.05, min_px)
    label_h = fm.height() * 1.3
    value_h = fm.height() * 1.2
    plot = QRectF(rect.left(), rect.top() + value_h, rect.width(), rect.height() - label_h - value_h)
    slot = plot.width() / len(hours)
    bar_w = slot * 0.6

    def y(v: float) -> float:
        return plot.bottom() - v / top * plot.height()

    p.setPen(QPen(colors.grid, 1))
    p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
    for i, h in enumerate(hours):
        x0 = plot.left() + i * slot
        good = h["good_count"]
        if good is not None:
            behind = h["target_so_far"] is not None and good < h["target_so_far"]
            color = colors.availability if behind else colors.good
            p.fillRect(QRectF(x0 + (slot - bar_w) / 2, y(good), bar_w, plot.bottom() - y(good)), color)
            p.setPen(colors.text)
            p.drawText(
                QRectF(x0, y(good) - value_h, slot, value_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                str(good),
            )
        if h["target"] is not None:
            p.setPen(QPen(colors.target, 2, Qt.PenStyle.DashLine))
            ty = y(h["target"])
            p.drawLine(QPointF(x0 + slot * 0.08, ty), QPointF(x0 + slot * 0.92, ty))
        p.setPen(colors.text)
        p.drawText(
            QRectF(x0, plot.bottom() + 2, slot, label_h), Qt.AlignmentFlag.AlignHCenter, label(h["start"], tz)
        )
