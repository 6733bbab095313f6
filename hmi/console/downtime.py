"""Downtime: the shift's stops, those without a reason first; give or correct a reason."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from hmi.console.base import ConsoleHost, ViewScreen
from hmi.console.format import DASH, duration, fit, hhmm
from hmi.console.live_table import Col, LiveTable
from hmi.console.prompts import Credentials, PinPrompt, ReasonPicker
from hmi.console.text_line import TextLine

COLUMNS = (
    Col("equipment", "Machine", 9),
    Col("start", "Start", 5),
    Col("end", "End", 5),
    Col("duration", "Length", 6),
    Col("fault", "Fault", 5),
    Col("reason", "Reason", 34),
)

UNASSIGNED = "Unassigned"


def stop_key(ev: dict[str, Any]) -> str:
    return f"{ev['equipment']}@{ev['start']}"


class DowntimeScreen(ViewScreen):
    MODE = "downtime"
    # A new stop on top repaints the whole table: at most every 3 s (at once after a command).
    REFRESH_S = 3.0
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("r", "reason", "Reason"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self._stops: dict[str, dict[str, Any]] = {}

    def body(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="downtime")
        yield TextLine(id="downtime-summary", classes="detail")

    def on_mount(self) -> None:
        self.query_one(LiveTable).focus()

    async def refresh_data(self) -> None:
        stops = await self.link.view("downtime")
        self._stops = {stop_key(ev): ev for ev in stops}
        self.query_one(LiveTable).sync([(stop_key(ev), self._cells(ev)) for ev in stops])
        missing = sum(1 for ev in stops if ev["reason"] == UNASSIGNED)
        total = sum(ev["duration_s"] or 0.0 for ev in stops)
        summary = f"{len(stops)} stops, {duration(total)} down this shift; {missing} without a reason"
        if not stops:
            summary = "no stops this shift"
        self.query_one("#downtime-summary", TextLine).set(summary)

    def _cells(self, ev: dict[str, Any]) -> list[str | Text]:
        reason = ev["reason"]
        return [
            fit(ev["equipment"], 9),
            hhmm(ev["start"], self.tz),
            "open" if ev["open"] else hhmm(ev["end"], self.tz),
            duration(ev["duration_s"]),
            str(ev["fault_code"]) if ev["fault_code"] else DASH,
            Text(fit(reason, 34), style="bold yellow" if reason == UNASSIGNED else ""),
        ]

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_reason()

    def action_reason(self) -> None:
        key = self.query_one(LiveTable).selected_key
        stop = self._stops.get(key) if key else None
        if stop is None:
            self.notify("select a stop first", severity="warning")
            return
        host = self.host
        current = None if stop["reason"] == UNASSIGNED else stop["reason"]

        async def picked(reason: str | None) -> None:
            if reason is None:
                return
            title = f"{stop['equipment']} stop at {hhmm(stop['start'], self.tz)}: {reason}"

            async def send(creds: Credentials | None) -> None:
                if creds is not None:
                    args = {"equipment": stop["equipment"], "at": stop["start"], "reason": reason}
                    await host.send_command("set_reason", args, creds)

            self.app.push_screen(PinPrompt(title, user=host.last_user), send)

        self.app.push_screen(ReasonPicker(host.reasons, current=current), picked)
