"""The report screen's Week and Month views: the station's `report_trend` view
(hmi/station/report_trend.py) laid out: OEE by period (the week's shifts, the month's days), the
window's losses waterfall and downtime Pareto, drawn by the PDF's painters (hmi/report/charts.py),
and the insights on the periods.

Every figure is the view's, the window's totals too; the view changes when a shift closes, so it is
asked for at most every REFRESH_S.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hmi.panel import theme
from hmi.panel.context import PanelContext
from hmi.panel.language import QT_TRANSLATE_NOOP
from hmi.panel.model import ViewKey, view_key
from hmi.panel.screens.report_insights import InsightList
from hmi.panel.widgets.common import clock_date, count, duration, pct
from hmi.panel.widgets.report_chart import ChartView, chart_word
from hmi.report.charts import ChartColors, paint_pareto, paint_waterfall
from hmi.station.report_trend import NOTHING_TO_COMPARE
from hmi.station.trend_view import NO_HISTORY

REFRESH_S = 30.0
PERIOD_COLUMNS = (
    QT_TRANSLATE_NOOP("ReportTrend", "Period"),
    "OEE",
    QT_TRANSLATE_NOOP("ReportTrend", "Availability"),
    QT_TRANSLATE_NOOP("ReportTrend", "Performance"),
    QT_TRANSLATE_NOOP("ReportTrend", "Quality"),
    QT_TRANSLATE_NOOP("ReportTrend", "Down time"),
    QT_TRANSLATE_NOOP("ReportTrend", "Good parts"),
)


class Every:
    """When a view is due: at the first ask, then every `seconds`, or at once when `force`d."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.read_at: float | None = None
        self.forced = False

    def due(self, now: float) -> bool:
        return self.forced or self.read_at is None or not 0 <= now - self.read_at < self.seconds

    def done(self, now: float) -> None:
        self.read_at, self.forced = now, False


def note_text(note: str) -> str:
    """The view's note (why it has no figures) in the panel's language."""
    if note == NO_HISTORY:
        return QCoreApplication.translate("ReportTrend", "No closed shift in the store yet: nothing to show")
    if note == NOTHING_TO_COMPARE:
        return QCoreApplication.translate(
            "ReportTrend", "Nothing to compare: fewer than two in the last 7 days"
        )
    return QCoreApplication.translate("ReportTrend", "No history: {note}").format(note=note)


def chart_colors() -> ChartColors:
    """The report screen's chart colours (hmi/panel/screens/report.py)."""
    return ChartColors(
        text=QColor(theme.TEXT),
        grid=QColor(theme.MUTED),
        total=QColor(theme.CATEGORY_COLOURS["changeover"]),
        availability=QColor(theme.ALARM),
        performance=QColor(theme.WARNING),
        quality=QColor(theme.CATEGORY_COLOURS["no_data"]),
        good=QColor(theme.CATEGORY_COLOURS["running"]),
        target=QColor(theme.TEXT),
    )


def period_label(period: dict[str, Any], tz: ZoneInfo) -> str:
    """ "02.03.26 Early" for a shift, "02.03.26" for a day: the date in the locale's way."""
    day = clock_date(period["start"], tz)
    return f"{day} {period['shift']}" if period.get("shift") else day


class PeriodView(QWidget):
    """Week (`span="week"`: the last 7 days by shift) or Month (`"month"`: the last 30 by day)."""

    def __init__(self, ctx: PanelContext, span: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"report{span.title()}")
        self.ctx = ctx
        self.span = span
        self.line_index = 0
        self.every = Every(REFRESH_S)
        self._reading = False
        self.view: dict[str, Any] | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(6)
        self.summary = QLabel("")
        self.summary.setObjectName("caption")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(f"{span} summary")
        root.addWidget(self.summary)
        body = QHBoxLayout()
        body.setSpacing(10)
        self.table = self._build_table()
        body.addWidget(self.table, 1)
        charts = QVBoxLayout()
        self.waterfall = ChartView(
            self.tr("Losses: planned production time to fully productive time"),
            lambda p, r, line: paint_waterfall(p, r, line["waterfall"], chart_colors(), tr=chart_word),
        )
        self.pareto = ChartView(
            self.tr("Downtime by reason (every machine)"),
            lambda p, r, line: paint_pareto(p, r, line["pareto"], chart_colors(), tr=chart_word),
        )
        charts.addWidget(self.waterfall, 1)
        charts.addWidget(self.pareto, 1)
        body.addLayout(charts, 1)
        root.addLayout(body, 1)
        self.insights = InsightList()
        root.addWidget(self.insights)

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(PERIOD_COLUMNS))
        table.setObjectName(f"report{self.span.title()}Periods")
        table.setStyleSheet("QTableWidget { font-size: 16px; } QHeaderView::section { font-size: 16px; }")
        table.setHorizontalHeaderLabels(
            [QCoreApplication.translate("ReportTrend", c) for c in PERIOD_COLUMNS]
        )
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().setDefaultSectionSize(theme.TOUCH_PX - 8)
        return table

    # ------------------------------------------------------------------ data

    def key(self) -> ViewKey:
        return view_key("report_trend", span=self.span)

    def views(self, now: float) -> list[ViewKey]:
        self._reading = self.every.due(now)
        return [self.key()] if self._reading else []

    def refresh(self, now: float) -> None:
        if not self._reading:
            return
        self._reading = False
        self.every.done(now)
        self.show_view(self.ctx.model.view("report_trend", span=self.span))

    def line(self) -> dict[str, Any] | None:
        lines = (self.view or {}).get("lines") or []
        return lines[self.line_index % len(lines)] if lines else None

    def show_view(self, view: dict[str, Any]) -> None:
        self.view = view
        line = self.line()
        note = view.get("note")
        periods = (line or {}).get("periods") or []
        total = (line or {}).get("total")
        if note or line is None or total is None:
            self.summary.setText(note_text(str(note or NO_HISTORY)))
            self.table.setRowCount(0)
            for chart in (self.waterfall, self.pareto):
                chart.show_line(None)
            self.insights.show_insights(None)
            return
        tz = ZoneInfo(line["timezone"])
        self.summary.setText(
            self.tr(
                "Line {line}, last {days} days ({first} to {last}): OEE {oee} · availability {a}"
                " · performance {p} · quality {q} · down {down}"
            ).format(
                line=line["name"],
                days=view["days"],
                first=clock_date(periods[0]["start"], tz),
                last=clock_date(periods[-1]["start"], tz),
                oee=pct(total["oee"]),
                a=pct(total["availability"]),
                p=pct(total["performance"]),
                q=pct(total["quality"]),
                down=duration(total["down_time_s"]),
            )
        )
        self._show_periods(periods, tz)
        for chart in (self.waterfall, self.pareto):
            chart.show_line(line)
        self.insights.show_insights([i for i in view.get("insights", []) if i["subject"] in _names(line)])

    def _show_periods(self, periods: list[dict[str, Any]], tz: ZoneInfo) -> None:
        self.table.setRowCount(len(periods))
        # Newest first: the shift or day just closed is the one read first.
        for row, p in enumerate(reversed(periods)):
            cells = (
                period_label(p, tz),
                pct(p["oee"]),
                pct(p["availability"]),
                pct(p["performance"]),
                pct(p["quality"]),
                duration(p["down_time_s"]),
                count(p["good_count"]),
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))


def _names(line: dict[str, Any]) -> set[str]:
    """The subjects an insight of this line may name: the line (core names a line's by its id)."""
    return {line["id"]}
