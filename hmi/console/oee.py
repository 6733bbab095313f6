"""OEE: per machine and line for the current or previous shift, the hourly trend and the losses."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Sparkline

from hmi.console.base import ConsoleHost, ViewScreen
from hmi.console.format import DASH, duration, fit, hhmm, pct
from hmi.console.live_table import Col, LiveTable
from hmi.console.text_line import TextLine

COLUMNS = (
    Col("name", "Machine", 10),
    Col("oee", "OEE", 6),
    Col("availability", "Avail", 6),
    Col("performance", "Perf", 6),
    Col("quality", "Qual", 6),
    Col("good", "Good", 7),
    Col("reject", "Reject", 6),
    Col("down", "Down", 6),
)

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


class OeeScreen(ViewScreen):
    MODE = "oee"
    REFRESH_S = 5.0  # shift figures: a 5 s step is plenty, and every count moves each second
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("p", "toggle_previous", "Prev/current shift"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self.previous = False
        self._rows: dict[str, dict[str, Any]] = {}

    def body(self) -> ComposeResult:
        yield TextLine(id="oee-title", classes="section")
        yield LiveTable(COLUMNS, id="oee")
        with Horizontal(id="trend-row"):
            yield TextLine(id="trend-label")
            yield Sparkline([], id="trend")
        yield TextLine(id="losses", classes="detail")

    def on_mount(self) -> None:
        self.query_one(LiveTable).focus()

    async def refresh_data(self) -> None:
        rows = await self.link.view("oee", previous=self.previous)
        self._rows = {row_key(r): r for r in rows}
        self.query_one(LiveTable).sync([(row_key(r), self._cells(r)) for r in rows])
        which = "Previous" if self.previous else "Current"
        if rows:
            shift = rows[0]["shift"]
            span = f"{hhmm(shift['start'], self.tz)}-{hhmm(shift['end'], self.tz)}"
            other = "current" if self.previous else "previous"
            title = f"{which} shift: {shift['name'] or 'no shift'} {span}   (p: {other})"
        else:
            title = f"{which} shift: no figures"
        self._set("#oee-title", title)
        self._show_detail()

    def _cells(self, r: dict[str, Any]) -> list[str | Text]:
        m = r["metrics"]
        name = r["equipment"] or f"{r['line']} line"
        oee = Text(pct(m["oee"]), style="bold" if r["equipment"] is None else "")
        if m.get("flags"):  # the engine flags a ratio over 1: a wrong ideal cycle time
            oee.stylize("reverse yellow")
        return [
            Text(fit(name, 10), style="bold" if r["equipment"] is None else ""),
            oee,
            pct(m["availability"]),
            pct(m["performance"]),
            pct(m["quality"]),
            str(m["good_count"]),
            str(m["reject_count"]),
            duration(m["down_time_s"]),
        ]

    def _show_detail(self) -> None:
        key = self.query_one(LiveTable).selected_key
        r = self._rows.get(key) if key else None
        if r is None:
            self._set("#trend-label", "")
            self._set("#losses", "")
            return
        hourly = r["hourly_oee"]
        name = r["equipment"] or f"{r['line']} line"
        known = [x for x in hourly if x is not None]
        span = f"{pct(min(known))}..{pct(max(known))}" if known else DASH
        self._set("#trend-label", f"{fit(name, 10)} OEE by hour\n{span}")
        # No figure for an hour (nothing planned) draws as an empty bar, never as a made-up value.
        # Whole percents: three lines of bars cannot show less, and an unchanged sparkline is
        # not repainted while the hour's OEE moves by a hair every refresh.
        data = [round(x, 2) if x is not None else 0.0 for x in hourly]
        spark = self.query_one(Sparkline)
        if list(spark.data or []) != data:
            spark.data = data
        losses = r["metrics"].get("losses") or {}
        parts = [f"{label} {duration(losses.get(k))}" for k, label in LOSSES]
        self._set("#losses", "Losses: " + ", ".join(parts))

    def _set(self, selector: str, text: str | Text) -> None:
        self.query_one(selector, TextLine).set(text)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.host.refresh_soon()
