"""OEE: per machine and line for the current or previous shift, the hourly trend and the losses."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal

from hmi.console.base import ConsoleHost
from hmi.console.format import DASH, duration, fit, hhmm, pct
from hmi.console.live_table import Cell, Col
from hmi.console.shift_trend import insight_text, trend_lines
from hmi.console.table import Row, TableScreen, one_line
from hmi.console.text_line import TextLine
from hmi.console.trend import TrendBars

LOSSES = (
    ("unplanned_stops_s", "Unplanned stops"),
    ("planned_stops_s", "Changeovers"),
    ("small_stops_s", "Small stops"),
    ("slow_cycles_s", "Slow cycles"),
    ("startup_rejects_s", "Startup rejects"),
    ("production_rejects_s", "Prod. rejects"),
)


def row_key(row: dict[str, Any]) -> str:
    return f"{row['line']}/{row['equipment'] or '*'}"


class OeeScreen(TableScreen):
    MODE = "oee"
    REFRESH_S = 5.0  # shift figures: a 5 s step is plenty, and every count moves each second
    # The 14 days by shift change when a shift closes: asked again then (the shift shown starts
    # anew) or after this long, not with the shift figures (bytes over SSH, the station's time).
    SHIFT_TREND_S = 300.0
    COLUMNS = (
        Col("name", "Machine", 10),
        Col("oee", "OEE", 7),
        Col("availability", "Avail", 6),
        Col("performance", "Perf", 6),
        Col("quality", "Qual", 6),
        Col("good", "Good", 7),
        Col("reject", "Reject", 6),
        Col("down", "Down", 6),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_previous", "Prev/current shift"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self.previous = False
        self.shift_trend_at = float("-inf")  # monotonic time the 14 days were last asked for
        self.shift_trend_for: Any = None  # the shift shown then: another one means one closed

    def above(self) -> ComposeResult:
        yield TextLine(id="oee-title", classes="section")

    def below(self) -> ComposeResult:
        with Horizontal(id="trend-row"):
            yield TextLine(id="trend-label")
            yield TrendBars(id="trend")
        yield TextLine(id="losses", classes="detail")
        yield TextLine(id="doubts", classes="detail")
        yield TextLine(id="shift-trend")
        yield TextLine(id="insight", classes="detail")

    def view_args(self) -> dict[str, Any]:
        return {"previous": self.previous}

    def row_key(self, row: Row) -> str:
        return row_key(row)

    def cells(self, row: Row) -> list[Cell]:
        m = row["metrics"]
        name = row["equipment"] or f"{row['line']} line"
        oee = Text(pct(m["oee"]), style="bold" if row["equipment"] is None else "")
        if m.get("doubts"):  # the figures rest on doubtful data: the reasons are under the table
            oee.append("!", style="reverse yellow")
        return [
            Text(fit(name, 10), style="bold" if row["equipment"] is None else ""),
            oee,
            pct(m["availability"]),
            pct(m["performance"]),
            pct(m["quality"]),
            str(m["good_count"]),
            str(m["reject_count"]),
            duration(m["down_time_s"]),
        ]

    async def refresh_data(self) -> None:
        await super().refresh_data()
        self._show_title()
        await self._refresh_shift_trend()

    async def _refresh_shift_trend(self) -> None:
        first = next(iter(self.rows.values()), None)
        shift = first["shift"]["start"] if first is not None else None
        due = time.monotonic() - self.shift_trend_at >= self.SHIFT_TREND_S
        if not due and shift == self.shift_trend_for:
            return
        view = await self.link.view("shift_trend")
        self.shift_trend_at, self.shift_trend_for = time.monotonic(), shift
        lines = trend_lines(view)
        trend = self.query_one("#shift-trend", TextLine)
        if trend.styles.height is None or trend.styles.height.value != len(lines):
            trend.styles.height = len(lines)  # a new layout only when a line of the plant is added
        trend.set("\n".join(lines))
        self.set_line("#insight", one_line(insight_text(view)))

    def show_detail(self) -> None:
        r = self.selected
        if r is None:
            self.set_line("#trend-label", "")
            self.set_line("#losses", "")
            self.set_line("#doubts", "")
            return
        hourly = r["hourly_oee"]
        name = r["equipment"] or f"{r['line']} line"
        known = [x for x in hourly if x is not None]
        span = f"{pct(min(known))}..{pct(max(known))}" if known else DASH
        self.set_line("#trend-label", f"{fit(name, 10)} OEE by hour\n{span}")
        # No figure for an hour (nothing planned) draws as an empty bar, never as a made-up value.
        # Whole percents: three lines of bars cannot show less, and an unchanged trend is not
        # repainted while the hour's OEE moves by a hair every refresh.
        self.query_one(TrendBars).set_data([round(x, 2) if x is not None else None for x in hourly])
        losses = r["metrics"].get("losses") or {}
        parts = [f"{label} {duration(losses.get(k))}" for k, label in LOSSES]
        self.set_line("#losses", "Losses: " + ", ".join(parts))
        doubts = r["metrics"].get("doubts") or []
        self.set_line("#doubts", ("! " + "; ".join(doubts)) if doubts else "")

    def _show_title(self) -> None:
        which = "Previous" if self.previous else "Current"
        first = next(iter(self.rows.values()), None)
        if first is not None:
            shift = first["shift"]
            span = f"{hhmm(shift['start'], self.tz)}-{hhmm(shift['end'], self.tz)}"
            other = "current" if self.previous else "previous"
            title = f"{which} shift: {shift['name'] or 'no shift'} {span}   (p: {other})"
        else:
            title = f"{which} shift: no figures"
        self.set_line("#oee-title", title)

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.host.refresh_soon()
