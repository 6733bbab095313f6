"""The report screen's Compare view: two shifts of the last 7 days, or two machines over those
days, side by side, from the station's `report_compare` view (hmi/station/report_trend.py).

Each side is chosen with a pair of arrow buttons (touch targets, no keyboard); the table shows both
sides' figures and the difference, right minus left, as the view gives it: ratios in points, times
in seconds, counts in parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
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
from hmi.panel.screens.report_trend import REFRESH_S, Every, note_text
from hmi.panel.widgets.common import button, clock_date, count, duration, pct
from hmi.panel.widgets.fit import FitLabel

# (figure of a side, its difference in the view's `difference`, how it is written)
ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("oee", "oee_points", "ratio", "OEE"),
    ("availability", "availability_points", "ratio", QT_TRANSLATE_NOOP("ReportCompare", "Availability")),
    ("performance", "performance_points", "ratio", QT_TRANSLATE_NOOP("ReportCompare", "Performance")),
    ("quality", "quality_points", "ratio", QT_TRANSLATE_NOOP("ReportCompare", "Quality")),
    (
        "planned_production_time_s",
        "planned_production_time_s",
        "time",
        QT_TRANSLATE_NOOP("ReportCompare", "Planned production time"),
    ),
    ("run_time_s", "run_time_s", "time", QT_TRANSLATE_NOOP("ReportCompare", "Run time")),
    ("down_time_s", "down_time_s", "time", QT_TRANSLATE_NOOP("ReportCompare", "Down time")),
    ("small_stop_time_s", "small_stop_time_s", "time", QT_TRANSLATE_NOOP("ReportCompare", "Small stop time")),
    ("small_stop_count", "small_stop_count", "count", QT_TRANSLATE_NOOP("ReportCompare", "Small stops")),
    ("good_count", "good_count", "count", QT_TRANSLATE_NOOP("ReportCompare", "Good parts")),
    ("reject_count", "reject_count", "count", QT_TRANSLATE_NOOP("ReportCompare", "Rejects")),
)
MINUS = "\u2212"


def difference_text(kind: str, d: float | None) -> str:
    """+8.3 pts, −2,400 s, +6: the difference as the view gives it, in the locale's digits."""
    if d is None:
        return "–"
    loc = QLocale()
    if kind == "ratio":
        n = round(d, 1)
        text = QCoreApplication.translate("ReportCompare", "{n} pts").format(n=loc.toString(abs(n), "f", 1))
    elif kind == "time":
        n = round(d)
        text = QCoreApplication.translate("ReportCompare", "{n} s").format(n=loc.toString(abs(int(n))))
    else:
        n = int(d)
        text = loc.toString(abs(n))
    return ("+" if n > 0 else MINUS if n < 0 else "\u00b1") + text


def figure_text(kind: str, value: Any) -> str:
    if kind == "ratio":
        return pct(value)
    return duration(value) if kind == "time" else count(value)


class Chooser(QWidget):
    """◀ the chosen one ▶: a side of the comparison, stepped through the view's choices."""

    def __init__(self, name: str, step: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        h = QHBoxLayout(self)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(4)
        self.back = button("\u25c0", lambda: step(-1), name=f"{name} back")
        self.label = FitLabel("–", "caption", min_px=12)
        self.label.setAccessibleName(f"{name} chosen")
        self.label.setMinimumHeight(theme.TOUCH_PX)
        self.forward = button("\u25b6", lambda: step(1), name=f"{name} forward")
        h.addWidget(self.back)
        h.addWidget(self.label, 1)
        h.addWidget(self.forward)


class CompareView(QWidget):
    """Two shifts or two machines of the chosen line, side by side, and their difference."""

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportCompare")
        self.ctx = ctx
        self.kind = "shifts"
        self.left = ""  # the chosen keys; "" lets the station choose (the last two shifts)
        self.right = ""
        self.line_id = ""
        self.every = Every(REFRESH_S)
        self._reading: ViewKey | None = None
        self.view: dict[str, Any] | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(6)
        bar = QHBoxLayout()
        self.shifts_button = button(
            self.tr("Two shifts"), lambda: self.choose_kind("shifts"), name="compare shifts"
        )
        self.machines_button = button(
            self.tr("Two machines"), lambda: self.choose_kind("machines"), name="compare machines"
        )
        group = QButtonGroup(self)
        for b in (self.shifts_button, self.machines_button):
            b.setCheckable(True)
            b.setMinimumWidth(theme.TOUCH_PX * 3)
            group.addButton(b)
            bar.addWidget(b)
        self.shifts_button.setChecked(True)
        self.left_chooser = Chooser("compare left", lambda n: self.step("left", n))
        self.right_chooser = Chooser("compare right", lambda n: self.step("right", n))
        bar.addWidget(self.left_chooser, 1)
        bar.addWidget(self.right_chooser, 1)
        root.addLayout(bar)
        self.caption = QLabel("")
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setAccessibleName("compare caption")
        root.addWidget(self.caption)
        self.table = QTableWidget(len(ROWS), 4)
        self.table.setObjectName("reportCompareTable")
        self.table.setStyleSheet(
            "QTableWidget { font-size: 18px; } QHeaderView::section { font-size: 18px; }"
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(theme.TOUCH_PX - 8)
        root.addWidget(self.table, 1)
        self._headers("–", "–")

    def _headers(self, left: str, right: str) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Figure"), left, right, self.tr("Difference")])

    # ------------------------------------------------------------------ data

    def key(self) -> ViewKey:
        return view_key("report_compare", line=self.line_id, kind=self.kind, a=self.left, b=self.right)

    def views(self, now: float) -> list[ViewKey]:
        self._reading = self.key() if self.line_id and self.every.due(now) else None
        return [self._reading] if self._reading else []

    def refresh(self, now: float) -> None:
        key, self._reading = self._reading, None
        if key is None:
            return
        self.every.done(now)
        self.show_view(self.ctx.model.view(key[0], **dict(key[1])))

    def show_view(self, view: dict[str, Any]) -> None:
        self.view = view
        note = view.get("note")
        left, right, diff = view.get("left"), view.get("right"), view.get("difference")
        if note or left is None or right is None or diff is None:
            self.caption.setText(note_text(str(note)))
            for chooser in (self.left_chooser, self.right_chooser):
                chooser.label.setText("–")
            self._headers("–", "–")
            self.table.clearContents()
            return
        tz = ZoneInfo(view["timezone"])
        names = (self.side_label(left, tz), self.side_label(right, tz))
        self.left_chooser.label.setText(names[0])
        self.right_chooser.label.setText(names[1])
        self._headers(*names)
        self.caption.setText(
            self.tr("Difference: right minus left; ratios in points, times in seconds")
            if view["kind"] == "shifts"
            else self.tr(
                "Both machines over the last {days} days' shifts. Difference: right minus left;"
                " ratios in points, times in seconds"
            ).format(days=view["days"])
        )
        for row, (key, dkey, kind, caption) in enumerate(ROWS):
            cells = (
                self.tr(caption),
                figure_text(kind, left[key]),
                figure_text(kind, right[key]),
                difference_text(kind, diff.get(dkey)),
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def side_label(self, side: dict[str, Any], tz: ZoneInfo) -> str:
        """A shift by its date (the locale's) and name; a machine by its name."""
        if self.view is not None and self.view["kind"] == "shifts":
            choice = next((c for c in self.view["choices"] if c["key"] == side["key"]), None)
            if choice is not None and choice.get("shift"):
                return f"{clock_date(choice['start'], tz)} {choice['shift']}"
        return str(side["label"])

    # ------------------------------------------------------------------ actions

    def choose_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind, self.left, self.right = kind, "", ""
        self._again()

    def step(self, side: str, by: int) -> None:
        """The next (or previous) choice on one side; onto the other side's, the two swap."""
        view = self.view
        if not view or view.get("left") is None or view.get("right") is None:
            return
        keys = [c["key"] for c in view["choices"]]
        mine, other = view["left"]["key"], view["right"]["key"]
        if side == "right":
            mine, other = other, mine
        chosen = keys[((keys.index(mine) if mine in keys else 0) + by) % len(keys)]
        if chosen == other:
            other = mine
        self.left, self.right = (chosen, other) if side == "left" else (other, chosen)
        self._again()

    def _again(self) -> None:
        self.every.forced = True
        self.ctx.refresh_now()
