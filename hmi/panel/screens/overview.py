"""Line overview: the constraint's OEE against target, good count against the shift's target so
far, a tile per machine, the running job and the connection health."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLayout,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.context import PanelContext
from hmi.panel.model import OVERVIEW, ViewKey
from hmi.panel.theme import ALARM, STATE_ALARM, SURFACE, WARNING, state_label
from hmi.panel.uplink import uplink_text
from hmi.panel.widgets.common import FigureTile, button, clock_time, count, duration, label, pct
from hmi.panel.widgets.fit import FitLabel

FRAME_PX = 4  # an abnormal tile's frame


def per_minute(rate: float) -> str:
    """A rate as read on a line: whole parts a minute, a decimal only for a slow machine."""
    return f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"


# More machines than this and the tiles go compact (three lines each, five to a row above
# COLUMNS_AT machines), so twenty fit a 1280 x 800 panel without a label squeezed below 14 px.
COMPACT_ABOVE = 8
COLUMNS_AT = 13


def columns(machines: int) -> int:
    return 5 if machines >= COLUMNS_AT else 4


class MachineTile(QFrame):
    """State (in colour only when abnormal), time in state, the current fault, the rate against
    ideal and the shift's OEE of one machine; a tap opens its detail.

    A frame changes only texts and, on a change of state, colours: none of it asks a layout to
    run or re-polishes a widget (no style sheet per state). Full tiles keep the fault's line even
    when there is no fault; a compact tile has one line for both, showing the fault in place of
    the rate while there is one (`fault` and `rate` are then the same label)."""

    def __init__(self, eq_id: str, name: str, ctx: PanelContext, *, compact: bool = False) -> None:
        super().__init__()
        self.setObjectName("tile")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.compact = compact
        layout = QVBoxLayout(self)
        self.open_button = button(
            name,
            lambda: ctx.open_machine(eq_id),
            name=f"open {eq_id}",
            object_name="tileNameCompact" if compact else "tileName",
        )
        # Fitted, not plain labels: a long fault text or a rate in a narrow tile (1024 px) would clip.
        self.state = FitLabel("–", "tileState" if compact else "figureSmall")
        self.since = FitLabel("", "tileState" if compact else "heading")
        self.fault = FitLabel("", "caption", shrink=False, words=not compact)
        # One label, not two shown by turns: showing one and hiding the other laid the tile out
        # again on every stop and restart.
        self.rate = self.fault if compact else FitLabel("", "caption")
        self.oee = FitLabel("", "caption")
        layout.addWidget(self.open_button)
        for w in (self.state, self.since, self.fault, self.rate, self.oee):
            # On the tile's own colour: a new figure repaints the label, not the tile under it.
            w.set_background(SURFACE)
        if compact:
            # Below FRAME_PX from the edge (the tile's 1 px border and 3) the labels paint
            # their background over no part of the state's frame.
            layout.setContentsMargins(6, 2, 6, FRAME_PX - 1)
            layout.setSpacing(0)
            status = QHBoxLayout()
            status.setSpacing(8)
            status.addWidget(self.state, 3)
            status.addWidget(self.since, 2)
            status.addWidget(self.oee, 3)
            self.oee.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            layout.addLayout(status)
            layout.addWidget(self.fault)
        else:
            for w in (self.state, self.since, self.fault, self.rate, self.oee):
                layout.addWidget(w)
        self.colour = ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.colour:
            # The whole tile is framed in the state's colour: abnormal stands out across the line.
            p = QPainter(self)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(QPen(QColor(self.colour), FRAME_PX))
            half = FRAME_PX / 2
            p.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 8, 8)
            p.end()

    def show_state(self, eq: dict[str, Any], now: float) -> None:
        state = str(eq["state"])
        text = state_label(state)
        colour = STATE_ALARM.get(state, "")
        if eq.get("connection_lost"):
            text, colour = self.tr("PLC lost"), ALARM
        elif eq.get("connection_driver_error"):
            text, colour = self.tr("Driver error"), ALARM
        self.state.setText(text)
        self.state.set_colour(colour)
        if colour != self.colour:
            self.colour = colour
            self.update()
        self.since.setText(duration(now - float(eq["since"])))
        fault = eq.get("fault_code") or 0
        reason = eq.get("fault_reason")
        fault_text = (
            self.tr("Fault {code}: {reason}").format(code=fault, reason=reason or self.tr("no reason mapped"))
            if fault
            else ""
        )
        if self.compact:
            # The rate shrinks to be read whole; a fault keeps its size, cut, the whole a tap away.
            self.fault.set_shrink(not fault)
            self.fault.setText(fault_text or self._rate(eq))
        else:
            self.fault.setText(fault_text)
            self.rate.setText(self._rate(eq))
        oee = pct(eq["metrics"]["oee"])
        # A compact tile has no room for "Shift": its line already says whose OEE it is.
        self.oee.setText(
            self.tr("OEE {oee}").format(oee=oee)
            if self.compact
            else self.tr("Shift OEE {oee}").format(oee=oee)
        )

    @property
    def showing_fault(self) -> bool:
        """A compact tile's one line shows the fault, not the rate."""
        return self.compact and not self.fault.shrink

    def _rate(self, eq: dict[str, Any]) -> str:
        rate, ideal = eq.get("rate_per_min"), eq.get("ideal_rate_per_min")
        if rate is None:
            return self.tr("Rate –")
        if not ideal:
            return self.tr("Rate {rate}/min").format(rate=per_minute(rate))
        return self.tr("{rate}/min · {ratio} of ideal").format(
            rate=per_minute(rate), ratio=pct(eq.get("rate_vs_ideal"))
        )


class OverviewScreen(QWidget):
    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.ctx = ctx
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = label("", "heading")
        self.health = label("", "caption")
        head.addWidget(self.title, 1)
        head.addWidget(self.health)
        layout.addLayout(head)

        figures = QHBoxLayout()
        # With many machines the line's figures take less height: the tiles need it.
        small = len(ctx.model.config["lines"][0]["equipment_names"]) > COMPACT_ABOVE
        self.oee = FigureTile("OEE", small=small)
        self.availability = FigureTile(self.tr("Availability"), small=small)
        self.performance = FigureTile(self.tr("Performance"), small=small)
        self.quality = FigureTile(self.tr("Quality"), small=small)
        self.good = FigureTile(self.tr("Good parts"), small=small)
        for tile in (self.oee, self.availability, self.performance, self.quality, self.good):
            figures.addWidget(tile)
        layout.addLayout(figures)

        job = QHBoxLayout()
        self.job = label("", "heading")
        self.job_progress = QProgressBar()
        self.job_progress.setRange(0, 1000)
        self.job_progress.setTextVisible(True)
        job.addWidget(self.job, 2)
        job.addWidget(self.job_progress, 3)
        layout.addLayout(job)

        # The tiles scroll rather than squeeze when more machines than the panel holds: a label
        # never shrinks below its 14 px (docs/PANEL.md, "Fit").
        self.tiles_grid = QGridLayout()
        self.tiles_grid.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
        self.tiles_grid.setContentsMargins(0, 0, 0, 0)
        self.tiles_grid.setSpacing(4)
        holder = QWidget()
        holder.setObjectName("screen")
        holder.setLayout(self.tiles_grid)
        self.tiles_scroll = QScrollArea()
        self.tiles_scroll.setWidgetResizable(True)
        self.tiles_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tiles_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tiles_scroll.setWidget(holder)
        self.tiles: dict[str, MachineTile] = {}
        layout.addWidget(self.tiles_scroll, 1)
        # The configured machines' tiles are made now, with the window: made by the first frame,
        # they would be laid out and painted whole in the frames after it, which were live.
        self._tiles_for(list(ctx.model.config["lines"][0]["equipment_names"].items()))

    def views(self, now: float) -> list[ViewKey]:
        return [OVERVIEW]

    def refresh(self, now: float) -> None:
        data = self.ctx.model.view("overview")
        if not data["lines"]:
            return
        line = data["lines"][0]  # one station, one line (docs/PANEL.md, "Screens")
        shift = line["shift"]
        when = f"{clock_time(shift['start'], self.ctx.tz)}–{clock_time(shift['end'], self.ctx.tz)}"
        shift_text = f"{shift['name']} {when}" if shift["name"] else self.tr("no shift (last hour)")
        self.title.setText(f"{line['name']} · {shift_text}")
        self._figures(line)
        self._job(line["job"], now)
        self._tiles(line["equipment"], now)
        self._health(data["health"], data["connections"])

    def _figures(self, line: dict[str, Any]) -> None:
        m = line["metrics"]
        target = line["target_oee"]
        behind = target is not None and m["oee"] is not None and m["oee"] < target
        self.oee.show_value(
            pct(m["oee"]),
            self.tr("target {oee}").format(oee=pct(target)) if target is not None else "",
            WARNING if behind else None,
        )
        self.availability.show_value(
            pct(m["availability"]), self.tr("down {time}").format(time=duration(m["down_time_s"]))
        )
        self.performance.show_value(
            pct(m["performance"]), self.tr("small stops {n}").format(n=count(m["small_stop_count"]))
        )
        self.quality.show_value(pct(m["quality"]), self.tr("rejects {n}").format(n=count(m["reject_count"])))
        so_far = line["target_so_far"]
        good = m["good_count"]
        if so_far is None:
            self.good.show_value(count(good), self.tr("no target this shift"))
        else:
            gap = good - so_far
            sign = "+" if gap >= 0 else "−"
            self.good.show_value(
                count(good),
                self.tr("target so far {target} ({gap})").format(
                    target=count(so_far), gap=f"{sign}{count(abs(gap))}"
                ),
                WARNING if gap < 0 else None,
            )

    def _job(self, job: dict[str, Any] | None, now: float) -> None:
        if job is None:
            self.job.setText(self.tr("No job running"))
            self.job_progress.hide()
            return
        quantity = job["quantity"]
        end = job["estimated_end"]
        eta = (
            self.tr(" · ends about {time}").format(time=clock_time(end, self.ctx.tz))
            if end is not None
            else ""
        )
        self.job.setText(
            self.tr("Job {product}: {good} / {quantity}").format(
                product=job["product"], good=count(job["good_count"]), quantity=count(quantity)
            )
            + eta
        )
        if job["progress"] is None:
            self.job_progress.hide()
        else:
            self.job_progress.show()
            self.job_progress.setValue(int(min(float(job["progress"]), 1.0) * 1000))
            self.job_progress.setFormat(pct(job["progress"]))

    def _tiles_for(self, machines: list[tuple[str, str]]) -> list[MachineTile]:
        """The tiles of `machines` (id, name) in their order, those missing made."""
        compact = len(machines) > COMPACT_ABOVE
        across = columns(len(machines))
        out = []
        for i, (eq_id, name) in enumerate(machines):
            tile = self.tiles.get(eq_id)
            if tile is None:
                tile = MachineTile(eq_id, name, self.ctx, compact=compact)
                self.tiles[eq_id] = tile
                self.tiles_grid.addWidget(tile, i // across, i % across)
                # Columns of equal width: a long machine name must not narrow its neighbours.
                self.tiles_grid.setColumnStretch(i % across, 1)
            out.append(tile)
        return out

    def _tiles(self, equipment: list[dict[str, Any]], now: float) -> None:
        machines = [(str(eq["equipment"]), str(eq["name"])) for eq in equipment]
        for tile, eq in zip(self._tiles_for(machines), equipment, strict=True):
            tile.show_state(eq, now)

    def _health(self, health: dict[str, Any], connections: list[dict[str, Any]]) -> None:
        lost = health["connections_lost"]
        problems = [self.tr("PLC lost: {names}").format(names=", ".join(lost))] if lost else []
        if broken := health.get("connections_driver_error"):
            problems.append(self.tr("Driver error: {names}").format(names=", ".join(broken)))
        if health.get("store_error"):
            problems.append(self.tr("Store: {problem}").format(problem=health["store_error"]))
        if health.get("store_loss"):
            problems.append(self.tr("Store: {problem}").format(problem=health["store_loss"]))
        if health.get("store_damage"):
            problems.append(self.tr("Store: {problem}").format(problem=health["store_damage"]))
        if health.get("store_upkeep_error"):
            problems.append(self.tr("Store: {problem}").format(problem=health["store_upkeep_error"]))
        if health.get("reports_error"):
            problems.append(self.tr("Reports: {problem}").format(problem=health["reports_error"]))
        if health.get("clock_step"):
            problems.append(self.tr("Clock: {problem}").format(problem=health["clock_step"]))
        if health.get("uplink_problem"):
            status = health.get("uplink_status")  # a station of an older version has only the line
            problems.append(uplink_text(status) if status else str(health["uplink_problem"]))
        if problems:
            # Loud only when something is wrong.
            self.health.setText(" · ".join(problems))
            self._health_sheet(f"color: #ffffff; background: {ALARM}; font-size: 24px; padding: 6px;")
        else:
            up = sum(1 for c in connections if c.get("state") == "connected")
            self.health.setText(
                self.tr("● PLC {up}/{all}").format(up=up, all=len(connections))
                if connections
                else self.tr("● no PLCs")
            )
            self._health_sheet("")

    def _health_sheet(self, sheet: str) -> None:
        # Only on a change: a style sheet re-polishes the label, too dear for every frame.
        if sheet != self.health.styleSheet():
            self.health.setStyleSheet(sheet)
