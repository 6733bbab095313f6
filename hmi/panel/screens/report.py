"""The panel's shift report screen: the supervisor's end-of-shift read, and its PDF and CSV.

It shows the "report" view (hmi/report/view.py) of the current or the previous shift, read through
the window's link like every view: the
losses waterfall, the downtime Pareto, production per hour against target and the Andon
response times, with the charts the PDF prints (hmi/report/charts.py). Export writes the report
on screen to the station's reports folder; a touch panel has no file dialog.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hmi.panel import theme
from hmi.panel.context import PanelContext
from hmi.panel.doubts import doubt_texts
from hmi.panel.language import QT_TRANSLATE_NOOP
from hmi.panel.model import ViewKey, view_key
from hmi.panel.screens.report_compare import CompareView
from hmi.panel.screens.report_trend import PeriodView, chart_colors
from hmi.panel.theme import kind_label
from hmi.panel.widgets.common import clock_date, clock_time, count, pct
from hmi.panel.widgets.fit import FitLabel
from hmi.panel.widgets.report_chart import ChartView, chart_word, clock_hour
from hmi.paths import data_dir
from hmi.report.charts import ChartColors, hms, paint_hourly, paint_pareto, paint_waterfall
from hmi.report.export import write_pdf
from hmi.report.export_csv import write_csv
from hmi.station.link import LinkError

REFRESH_S = 5.0
ANDON_COLUMNS = (
    QT_TRANSLATE_NOOP("ReportScreen", "Machine"),
    QT_TRANSLATE_NOOP("ReportScreen", "Kind"),
    QT_TRANSLATE_NOOP("ReportScreen", "Raised"),
    QT_TRANSLATE_NOOP("ReportScreen", "Acknowledged"),
    QT_TRANSLATE_NOOP("ReportScreen", "Resolved"),
)
MODES = (
    ("shift", QT_TRANSLATE_NOOP("ReportScreen", "Shift")),
    ("week", QT_TRANSLATE_NOOP("ReportScreen", "Week")),
    ("month", QT_TRANSLATE_NOOP("ReportScreen", "Month")),
    ("compare", QT_TRANSLATE_NOOP("ReportScreen", "Compare")),
)
KPIS = (
    ("oee", "OEE"),
    ("availability", QT_TRANSLATE_NOOP("ReportScreen", "Availability")),
    ("performance", QT_TRANSLATE_NOOP("ReportScreen", "Performance")),
    ("quality", QT_TRANSLATE_NOOP("ReportScreen", "Quality")),
    ("good", QT_TRANSLATE_NOOP("ReportScreen", "Good parts")),
)


class ReportScreen(QWidget):
    """The report screen. It asks for the report view at most every REFRESH_S, or at the next frame
    after a button here; the buttons choose the shift and export what is shown."""

    def __init__(
        self, ctx: PanelContext, *, export_dir: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportScreen")
        self.ctx = ctx
        self.export_dir = export_dir
        self.previous = False
        self.report: dict[str, Any] | None = None
        self._read_at: float | None = None
        self._forced = False  # a button asked for the report afresh
        self._reading: bool | None = None  # the shift (previous?) this frame reads, if it does
        self.line_index = 0
        self._build()
        self._to_pages()

    # ------------------------------------------------------------------ layout

    def _button(self, text: str, name: str) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setAccessibleName(f"report {text.lower()}")
        b.setMinimumHeight(theme.TOUCH_PX)
        b.setMinimumWidth(theme.TOUCH_PX * 2)
        return b

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        outer.setSpacing(8)
        outer.addLayout(self._build_modes())
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        # The shift's page scrolls instead of squeezing its charts over each other when the mode
        # row above leaves it less height than they need (1024x768).
        shift_page = QWidget()
        shift_page.setObjectName("screen")
        shift_scroll = QScrollArea()
        shift_scroll.setWidgetResizable(True)
        shift_scroll.setFrameShape(QFrame.Shape.NoFrame)
        shift_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        shift_scroll.setWidget(shift_page)
        self.pages.addWidget(shift_scroll)
        self.week = PeriodView(self.ctx, "week")
        self.month = PeriodView(self.ctx, "month")
        self.compare = CompareView(self.ctx)
        for page in (self.week, self.month, self.compare):
            self.pages.addWidget(page)
        root = QVBoxLayout(shift_page)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(8)
        root.addLayout(self._build_bar())
        self.status_label = QLabel("")
        self.status_label.setObjectName("message")
        self.status_label.setWordWrap(True)
        self.status_label.hide()  # until an export has something to say
        root.addWidget(self.status_label)
        root.addLayout(self._build_kpis())
        # Why the figures rest on doubtful data (the report view's words), under a mark on the OEE.
        self.doubts_label = QLabel("")
        self.doubts_label.setObjectName("caption")
        self.doubts_label.setWordWrap(True)
        self.doubts_label.setAccessibleName("doubtful data")
        self.doubts_label.hide()
        root.addWidget(self.doubts_label)
        root.addLayout(self._build_charts(), 1)

    def _build_modes(self) -> QHBoxLayout:
        """Shift, Week, Month, Compare (the views of docs/PANEL.md "Report"), and the line."""
        bar = QHBoxLayout()
        group = QButtonGroup(self)
        self.mode_buttons: dict[str, QPushButton] = {}
        for mode, text in MODES:
            b = self._button(self.tr(text), f"reportMode{mode.title()}")
            b.setAccessibleName(f"report view {mode}")
            b.setCheckable(True)
            b.clicked.connect(lambda _checked=False, m=mode: self.show_mode(m))
            group.addButton(b)
            bar.addWidget(b)
            self.mode_buttons[mode] = b
        self.mode_buttons["shift"].setChecked(True)
        bar.addStretch(1)
        self.line_button = self._button(self.tr("Line"), "reportLine")
        self.line_button.clicked.connect(self._next_line)
        self.line_button.setVisible(len(self._lines()) > 1)
        bar.addWidget(self.line_button)
        return bar

    def _build_bar(self) -> QHBoxLayout:
        """The title, the shift and line choice, and the export buttons."""
        bar = QHBoxLayout()
        self.title_label = QLabel(self.tr("Shift report"))
        self.title_label.setObjectName("heading")
        self.title_label.setWordWrap(True)
        bar.addWidget(self.title_label, 1)
        self.current_button = self._button(self.tr("This shift"), "reportCurrent")
        self.previous_button = self._button(self.tr("Previous shift"), "reportPrevious")
        group = QButtonGroup(self)
        for b in (self.current_button, self.previous_button):
            b.setCheckable(True)
            group.addButton(b)
            bar.addWidget(b)
        self.current_button.setChecked(True)
        self.current_button.clicked.connect(lambda: self._choose(previous=False))
        self.previous_button.clicked.connect(lambda: self._choose(previous=True))
        self.pdf_button = self._button(self.tr("Export PDF"), "reportPdf")
        self.csv_button = self._button(self.tr("Export CSV"), "reportCsv")
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        bar.addWidget(self.pdf_button)
        bar.addWidget(self.csv_button)
        return bar

    def _build_kpis(self) -> QHBoxLayout:
        """A tile per headline figure of the shift."""
        kpis = QHBoxLayout()
        self.kpi: dict[str, QLabel] = {}
        self.kpi_caption: dict[str, QLabel] = {}
        for key, caption in KPIS:
            box = QFrame()
            box.setObjectName("tile")
            v = QVBoxLayout(box)
            v.setContentsMargins(10, 4, 10, 4)
            v.setSpacing(0)
            cap = QLabel(self.tr(caption))
            cap.setObjectName("caption")
            value = FitLabel("-", "figureSmall")
            v.addWidget(cap)
            v.addWidget(value)
            if key == "good":
                self.good_target = FitLabel("", "caption", min_px=12)
                v.addWidget(self.good_target)
            kpis.addWidget(box, 1)
            self.kpi[key] = value
            self.kpi_caption[key] = cap
        return kpis

    def _build_charts(self) -> QGridLayout:
        """The three charts and the Andon table, two by two."""
        grid = QGridLayout()
        grid.setSpacing(10)
        self.waterfall = ChartView(
            self.tr("Losses: planned production time to fully productive time"),
            lambda p, r, line: paint_waterfall(p, r, line["waterfall"], self._colors(), tr=chart_word),
        )
        self.pareto = ChartView(
            self.tr("Downtime by reason (every machine)"),
            lambda p, r, line: paint_pareto(p, r, line["pareto"], self._colors(), tr=chart_word),
        )
        self.hourly = ChartView(
            self.tr("Good parts per hour against target"),
            lambda p, r, line: paint_hourly(
                p, r, line["hourly"], line["timezone"], self._colors(), label=clock_hour, tr=chart_word
            ),
        )
        grid.addWidget(self.waterfall, 0, 0)
        grid.addWidget(self.pareto, 0, 1)
        grid.addWidget(self.hourly, 1, 0)
        grid.addWidget(self._build_andon(), 1, 1)
        return grid

    def _build_andon(self) -> QWidget:
        """The Andon calls of the shift with their response times."""
        andon_box = QWidget()
        av = QVBoxLayout(andon_box)
        av.setContentsMargins(0, 0, 0, 0)
        self.andon_label = QLabel(self.tr("Andon response times"))
        self.andon_label.setObjectName("caption")
        self.andon_label.setWordWrap(True)
        self.andon_table = QTableWidget(0, len(ANDON_COLUMNS))
        self.andon_table.setObjectName("reportAndon")
        # A report is read up close: smaller type than the live screens, so a shift's calls fit.
        self.andon_table.setStyleSheet(
            "QTableWidget { font-size: 16px; } QHeaderView::section { font-size: 16px; }"
        )
        self.andon_table.setHorizontalHeaderLabels([self.tr(c) for c in ANDON_COLUMNS])
        self.andon_table.verticalHeader().hide()
        self.andon_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.andon_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.andon_table.horizontalHeader()
        # Every column as wide as its header and cells: on a narrow panel the table scrolls
        # sideways instead of cutting its headers.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.andon_table.verticalHeader().setDefaultSectionSize(theme.TOUCH_PX - 8)
        av.addWidget(self.andon_label)
        av.addWidget(self.andon_table, 1)
        return andon_box

    def _colors(self) -> ChartColors:
        """The panel's ISA-101 greys for what is normal, its alarm colours for the losses."""
        return chart_colors()

    # ------------------------------------------------------------------ data

    @property
    def line(self) -> dict[str, Any] | None:
        if not self.report or not self.report["lines"]:
            return None
        line: dict[str, Any] = self.report["lines"][self.line_index % len(self.report["lines"])]
        return line

    def _key(self) -> ViewKey:
        return view_key("report", previous=self.previous)

    def views(self, now: float) -> list[ViewKey]:
        """The report view at most every REFRESH_S (the window repaints up to ten times a second
        while samples flow; a shift's report moves slower), or at once after a button here; in
        the Week, Month and Compare views, theirs."""
        page = self._page()
        if page is not None:
            return page.views(now)
        due = self._read_at is None or not 0 <= now - self._read_at < REFRESH_S
        self._reading = self.previous if self._forced or due else None
        return [] if self._reading is None else [self._key()]

    def refresh(self, now: float) -> None:
        page = self._page()
        if page is not None:
            page.refresh(now)
            return
        previous, self._reading = self._reading, None
        if previous is None:
            return
        self._forced = False
        self._read_at = now
        self._show(self.ctx.model.view("report", previous=previous))

    def _show(self, report: dict[str, Any]) -> None:
        self.report = report
        line = self.line
        if line is None:
            return
        self.line_button.setText(self.tr("Line {line}").format(line=line["id"]))
        # The checked button says which shift; the title says which one that is.
        self.title_label.setText(short_title(line))
        self._show_kpis(line)
        for chart in (self.waterfall, self.pareto, self.hourly):
            chart.show_line(line)
        self._show_andon(line)

    def _show_kpis(self, line: dict[str, Any]) -> None:
        m = line["metrics"]
        for key in ("oee", "availability", "performance", "quality"):
            self.kpi[key].setText(pct(m[key]))
        doubts = doubt_texts(m)
        if doubts:
            self.kpi["oee"].setText(pct(m["oee"]) + " !")
        self.doubts_label.setText(("! " + "; ".join(doubts)) if doubts else "")
        self.doubts_label.setVisible(bool(doubts))
        target = line["target_so_far"]
        self.kpi["good"].setText(count(m["good_count"]))
        self.good_target.setText(
            self.tr("no target") if target is None else self.tr("target so far {n}").format(n=count(target))
        )

    def _show_andon(self, line: dict[str, Any]) -> None:
        s = line["andon_summary"]
        self.andon_label.setText(
            self.tr(
                "Andon: {calls} calls · to acknowledge {ack_mean} mean, {ack_max} longest"
                " · to resolve {resolve_mean} mean"
            ).format(
                calls=s["calls"],
                ack_mean=hms(s["mean_to_acknowledge_s"]),
                ack_max=hms(s["max_to_acknowledge_s"]),
                resolve_mean=hms(s["mean_to_resolve_s"]),
            )
        )
        tz = ZoneInfo(line["timezone"])
        calls = line["andon"]
        self.andon_table.setRowCount(len(calls))
        for row, c in enumerate(calls):
            cells = (
                c["equipment"],
                kind_label(str(c["kind"])),
                clock_time(c["raised_at"], tz),
                _after(c["time_to_acknowledge_s"], c["acknowledged_by"]),
                _after(c["time_to_resolve_s"], c["resolved_by"]),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                self.andon_table.setItem(row, col, item)

    # ------------------------------------------------------------------ actions

    def _choose(self, *, previous: bool) -> None:
        self.previous = previous
        self._forced = True
        self.ctx.refresh_now()

    def _next_line(self) -> None:
        self.line_index += 1
        self._forced = True
        self._to_pages()
        self.ctx.refresh_now()

    def _lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = self.ctx.model.config["lines"]
        return lines

    def _to_pages(self) -> None:
        """The line chosen here, for the Week, Month and Compare views (read afresh)."""
        lines = self._lines()
        line = lines[self.line_index % len(lines)] if lines else None
        self.line_button.setText(self.tr("Line {line}").format(line=line["id"] if line else ""))
        for page in (self.week, self.month):
            page.line_index = self.line_index
            page.every.forced = True
        if line is not None and line["id"] != self.compare.line_id:
            self.compare.line_id, self.compare.left, self.compare.right = line["id"], "", ""
        self.compare.every.forced = True

    def _page(self) -> PeriodView | CompareView | None:
        page = self.pages.currentWidget()
        return page if isinstance(page, PeriodView | CompareView) else None

    def show_mode(self, mode: str) -> None:
        """Shift, Week, Month or Compare: the page shown, read afresh."""
        self.mode_buttons[mode].setChecked(True)
        pages = {"shift": 0, "week": 1, "month": 2, "compare": 3}
        self.pages.setCurrentIndex(pages[mode])
        self._forced = True
        self._to_pages()
        self.ctx.refresh_now()

    def export(self, kind: str) -> None:
        """Write the report as it is now as a PDF or CSV into the reports folder; says where."""
        self.ctx.model.start(self._export(kind))

    async def _export(self, kind: str) -> None:
        try:
            await self.ctx.model.load([self._key()])
        except LinkError as exc:
            self._say(self.tr("Export failed: station unreachable: {error}").format(error=exc))
            return
        self._show(self.ctx.model.view("report", previous=self.previous))
        line = self.line
        if self.report is None or line is None:
            self._say(self.tr("Nothing to export yet"))
            return
        folder = self.export_dir or data_dir() / "reports"
        shift = line["shift"]
        stamp = datetime.fromtimestamp(shift["start"], ZoneInfo(line["timezone"])).strftime("%Y-%m-%d-%H%M")
        path = folder / f"shift-report-{line['id']}-{shift['name'] or 'no-shift'}-{stamp}.{kind}"
        try:
            written = write_pdf(self.report, path) if kind == "pdf" else write_csv(self.report, path)
        except OSError as exc:
            self._say(self.tr("Export failed: {error}").format(error=exc.strerror or exc))
            return
        self._say(self.tr("Report written to {path}").format(path=written))

    def _say(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.show()


def _after(seconds: float | None, user: str | None) -> str:
    """How long until someone answered, and who ("PLC": the condition cleared by itself)."""
    if seconds is None:
        return QCoreApplication.translate("ReportScreen", "open")
    return f"{hms(seconds)} {user or 'PLC'}"


def short_title(line: dict[str, Any]) -> str:
    """ "Early 2026-03-02 06:00-14:00" (the line's id too when the station has more than one)."""
    shift = line["shift"]
    tz = ZoneInfo(line["timezone"])
    name = shift["name"] or QCoreApplication.translate("ReportScreen", "Last hour")
    day = clock_date(shift["start"], tz)
    return f"{name} {day} {clock_time(shift['start'], tz)}\u2013{clock_time(shift['end'], tz)}"
