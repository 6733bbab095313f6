"""Machine detail: the shift's rate trend, its state timeline, counts, small stops, downtime."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.context import PanelContext
from hmi.panel.doubts import doubt_texts
from hmi.panel.model import ViewKey, view_key
from hmi.panel.theme import reason_label, state_label
from hmi.panel.widgets.common import (
    FigureTile,
    button,
    clock_time,
    count,
    duration,
    label,
    pct,
    picker_columns,
)
from hmi.panel.widgets.timeline import StateLegend, TimelineStrip

BUCKET_S = 60.0  # the engine's count buckets are minutes


class MachineScreen(QWidget):
    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.ctx = ctx
        self.equipment: str = next(iter(ctx.names))
        layout = QVBoxLayout(self)

        # Rows of machines (common.picker_columns): twenty side by side would overlap.
        picker = QGridLayout()
        self.machine_buttons: dict[str, QPushButton] = {}
        across = picker_columns(len(ctx.names))
        for i, (eq_id, name) in enumerate(ctx.names.items()):
            b = button(name, partial(self.choose, eq_id), checkable=True, name=f"machine {eq_id}")
            self.machine_buttons[eq_id] = b
            picker.addWidget(b, i // across, i % across)
        layout.addLayout(picker)

        figures = QHBoxLayout()
        self.state = FigureTile(self.tr("State"), small=True)
        self.oee = FigureTile("OEE", small=True)
        self.counts = FigureTile(self.tr("Good / total"), small=True)
        self.small_stops = FigureTile(self.tr("Small stops"), small=True)
        self.down = FigureTile(self.tr("Down time"), small=True)
        for tile in (self.state, self.oee, self.counts, self.small_stops, self.down):
            figures.addWidget(tile)
        layout.addLayout(figures)
        # Why the figures rest on doubtful data (the view's words), under a mark on the OEE.
        self.doubts = label("", "caption", wrap=True)
        self.doubts.setAccessibleName("doubtful data")
        layout.addWidget(self.doubts)

        layout.addWidget(label(self.tr("Parts per minute (good), this shift"), "caption"))
        self.axis = pg.DateAxisItem()
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.plot.setBackground("#e6e8ea")
        self.plot.setMinimumHeight(120)  # 1024×768 still holds the table under it
        self.plot.showGrid(x=False, y=True, alpha=0.3)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # One bar per count bucket (a minute): minutes without counts stay empty, not bridged.
        self.rate_bars = pg.BarGraphItem(x=[], height=[], width=BUCKET_S * 0.9, brush="#6f7b86", pen=None)
        self.plot.addItem(self.rate_bars)
        self.ideal_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen("#3d454d", width=2, style=Qt.PenStyle.DashLine)
        )
        self.plot.addItem(self.ideal_line)
        layout.addWidget(self.plot, 2)

        self.timeline = TimelineStrip()
        layout.addWidget(self.timeline)
        self.legend = StateLegend()
        layout.addWidget(self.legend)

        self.events = QTableWidget(0, 5)
        self.events.setHorizontalHeaderLabels(
            [self.tr("Start"), self.tr("End"), self.tr("Duration"), self.tr("Reason"), self.tr("Fault")]
        )
        self.events.verticalHeader().setVisible(False)
        self.events.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Times and the fault as wide as they are; the reason takes the rest, elided.
        self.events.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.events.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        # A cell shows what its column holds, elided: a tap on a row shows the whole stop here.
        self.events.cellClicked.connect(self._show_event)
        layout.addWidget(self.events, 2)
        self.event_detail = label("", "caption", wrap=True)
        self.event_detail.setAccessibleName("stop detail")
        self.event_detail.hide()
        layout.addWidget(self.event_detail)
        self._shown: tuple[Any, ...] = ()
        self.choose(self.equipment)

    def choose(self, eq_id: str) -> None:
        if eq_id not in self.ctx.names:
            return
        self.equipment = eq_id
        for e, b in self.machine_buttons.items():
            b.setChecked(e == eq_id)
        self._shown = ()

    def views(self, now: float) -> list[ViewKey]:
        return [view_key("machine", equipment=self.equipment)]

    def refresh(self, now: float) -> None:
        data = self.ctx.model.view("machine", equipment=self.equipment)
        tz = self.ctx.tz
        m = data["metrics"]
        state = str(data["state"])
        self.state.show_value(
            state_label(state), self.tr("for {time}").format(time=duration(now - float(data["since"])))
        )
        doubts = doubt_texts(m)
        self.oee.show_value(
            pct(m["oee"]) + (" !" if doubts else ""),
            self.tr("A {a} P {p} Q {q}").format(
                a=pct(m["availability"]), p=pct(m["performance"]), q=pct(m["quality"])
            ),
        )
        self.doubts.setText(("! " + "; ".join(doubts)) if doubts else "")
        self.doubts.setVisible(bool(doubts))
        self.counts.show_value(
            f"{count(m['good_count'])} / {count(m['total_count'])}",
            self.tr("rejects {n}").format(n=count(m["reject_count"])),
        )
        self.small_stops.show_value(count(m["small_stop_count"]), duration(m["small_stop_time_s"]))
        self.down.show_value(
            duration(m["down_time_s"]),
            self.tr("of which no data {time}").format(time=duration(m["comms_loss_time_s"])),
        )

        shift = data["shift"]
        self.timeline.show_pieces(data["timeline"], float(shift["start"]), float(shift["end"]))
        rate = data["rate"]
        key = (self.equipment, len(rate), rate[-1]["good"] if rate else None, len(data["downtime"]))
        if key != self._shown:
            self._shown = key
            self.rate_bars.setOpts(
                x=[float(r["end"]) - BUCKET_S / 2 for r in rate], height=[float(r["good"]) for r in rate]
            )
            ideal = data.get("ideal_cycle_time_s")
            if ideal:
                self.ideal_line.setPos(60.0 / float(ideal))
            self._events(data["downtime"], tz)
        offset = tz.utcoffset(datetime.fromtimestamp(now, tz))
        # pyqtgraph wants seconds west of UTC; the axis shows the line's local time.
        self.axis.utcOffset = -int(offset.total_seconds()) if offset is not None else None
        self.plot.setXRange(float(shift["start"]), max(float(shift["end"]), now), padding=0)

    def _show_event(self, row: int, _column: int) -> None:
        cells = [self.events.item(row, col) for col in range(self.events.columnCount())]
        start, end, length, reason, fault = (c.text() if c is not None else "" for c in cells)
        fault_text = self.tr("fault {0}").format(fault) if fault else ""
        self.event_detail.setText(" · ".join(t for t in (f"{start}–{end}", length, reason, fault_text) if t))
        self.event_detail.show()

    def _events(self, events: list[dict[str, Any]], tz: Any) -> None:
        self.events.setRowCount(len(events))
        self.event_detail.hide()  # its row may now hold another stop
        for row, ev in enumerate(reversed(events)):
            cells = [
                clock_time(ev["start"], tz),
                self.tr("open") if ev["open"] else clock_time(ev["end"], tz),
                duration(ev["duration_s"]),
                reason_label(str(ev["reason"])) + (f" — {ev['note']}" if ev.get("note") else ""),
                str(ev["fault_code"] or ""),
            ]
            for col, text in enumerate(cells):
                self.events.setItem(row, col, QTableWidgetItem(text))
