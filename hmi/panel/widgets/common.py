"""Small building blocks: big buttons, figure tiles, and how times and ratios are written (in the
locale hmi/panel/language.py made the default: the one formatting path of the panel's figures)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QDate, QLocale, Qt, QTime
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.theme import SURFACE, TOUCH_PX
from hmi.panel.widgets.fit import FitButton, FitLabel


def pct(x: float | None) -> str:
    if x is None:
        return "–"
    # The translation says where the sign goes: "87.3%", "87,3 %".
    return QCoreApplication.translate("format", "%1%").replace("%1", QLocale().toString(x * 100, "f", 1))


def duration(seconds: float | None) -> str:
    """h:mm:ss or m:ss: an age or a stop's length at a glance (the same in every language)."""
    if seconds is None:
        return "–"
    s = max(int(seconds), 0)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def clock_time(ts: float | None, tz: ZoneInfo) -> str:
    """The hour and minute of `ts` in the line's time zone, in the locale's short time format."""
    if ts is None:
        return "–"
    t = datetime.fromtimestamp(ts, tz)
    return QLocale().toString(QTime(t.hour, t.minute), QLocale.FormatType.ShortFormat)


def clock_date(ts: float, tz: ZoneInfo) -> str:
    """The day of `ts` in the line's time zone, in the locale's short date format."""
    d = datetime.fromtimestamp(ts, tz)
    return QLocale().toString(QDate(d.year, d.month, d.day), QLocale.FormatType.ShortFormat)


def count(n: int | None) -> str:
    """A count with the locale's digit groups: 35,970 or 35.970."""
    return "–" if n is None else QLocale().toString(int(n))


PICKER_ROW = 10  # machine buttons side by side at most: 1024 px holds ten touch keys


def picker_columns(machines: int) -> int:
    """How many machine buttons a row of a picker holds: all of them up to PICKER_ROW, then rows
    of equal length (twenty in two rows of ten), so none is narrower than the others."""
    rows = max(1, math.ceil(machines / PICKER_ROW))
    return max(1, math.ceil(machines / rows))


def button(
    text: str,
    on_click: Callable[[], None] | None = None,
    *,
    name: str = "",
    checkable: bool = False,
    object_name: str = "",
) -> QPushButton:
    b = FitButton(text)
    b.setMinimumSize(TOUCH_PX, TOUCH_PX)
    b.setCheckable(checkable)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a touch panel has no keyboard focus to show
    if object_name:
        b.setObjectName(object_name)
    if name:
        b.setAccessibleName(name)
    if on_click is not None:
        b.clicked.connect(lambda _checked=False: on_click())
    return b


def label(text: str = "", object_name: str = "", *, wrap: bool = False) -> QLabel:
    lab = QLabel(text)
    if object_name:
        lab.setObjectName(object_name)
    lab.setWordWrap(wrap)
    return lab


def scrolled_list(heading: str) -> tuple[QVBoxLayout, QVBoxLayout]:
    """A column with a heading over a scrolling list: (the column, the list to fill)."""
    column = QVBoxLayout()
    column.addWidget(label(heading, "heading"))
    items = QVBoxLayout()
    # The list grows to its rows' height and scrolls; without this the scroll area squeezes the
    # rows into its own height and they are drawn over each other.
    items.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
    holder = QWidget()
    holder.setLayout(items)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(holder)
    column.addWidget(scroll, 1)
    return column, items


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        w = item.widget()
        if w is not None:
            w.setParent(None)
            w.deleteLater()
        elif item.layout() is not None:
            inner = item.layout()
            assert inner is not None
            clear_layout(inner)


class FigureTile(QFrame):
    """A big figure with its caption and a line under it (a target, a comparison)."""

    def __init__(self, caption: str, *, small: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4 if small else 8, 12, 4 if small else 8)
        layout.setSpacing(2 if small else 6)
        self.caption = label(caption, "caption")
        self.value = FitLabel("–", "figureSmall" if small else "figure")
        self.note = FitLabel("", "caption", words=True, min_px=16)
        # A tile gives way to the window rather than widen it: five tiles fit 1280 px.
        for w in (self.caption, self.value, self.note):
            layout.addWidget(w)
        for fitted in (self.value, self.note):
            fitted.set_background(SURFACE)  # the tile's colour: a new figure repaints only itself

    def show_value(self, value: str, note: str = "", colour: str | None = None) -> None:
        self.value.setText(value)
        self.note.setText(note)
        # Colour only when abnormal; otherwise the stylesheet's text colour.
        self.value.set_colour(colour or "")
