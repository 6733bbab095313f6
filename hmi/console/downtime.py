"""Downtime: the shift's stops, those without a reason first; give or correct a reason."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from hmi.console.format import DASH, duration, fit, hhmm
from hmi.console.live_table import Cell, Col
from hmi.console.prompts import Credentials, PinPrompt, ReasonPicker
from hmi.console.table import Row, TableScreen
from hmi.console.text_line import TextLine

UNASSIGNED = "Unassigned"


def stop_key(ev: dict[str, Any]) -> str:
    return f"{ev['equipment']}@{ev['start']}"


class DowntimeScreen(TableScreen):
    MODE = "downtime"
    # A new stop on top repaints the whole table: at most every 3 s (at once after a command).
    REFRESH_S = 3.0
    COLUMNS = (
        Col("equipment", "Machine", 9),
        Col("start", "Start", 5),
        Col("end", "End", 5),
        Col("duration", "Length", 6),
        Col("fault", "Fault", 5),
        Col("reason", "Reason", 34),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reason", "Reason"),
    ]

    def below(self) -> ComposeResult:
        yield TextLine(id="downtime-summary", classes="detail")

    def row_key(self, row: Row) -> str:
        return stop_key(row)

    def cells(self, row: Row) -> list[Cell]:
        reason = row["reason"]
        return [
            fit(row["equipment"], 9),
            hhmm(row["start"], self.tz),
            "open" if row["open"] else hhmm(row["end"], self.tz),
            duration(row["duration_s"]),
            str(row["fault_code"]) if row["fault_code"] else DASH,
            Text(fit(reason, 34), style="bold yellow" if reason == UNASSIGNED else ""),
        ]

    def show_detail(self) -> None:
        stops = self.rows.values()
        missing = sum(1 for ev in stops if ev["reason"] == UNASSIGNED)
        total = sum(ev["duration_s"] or 0.0 for ev in stops)
        summary = f"{len(stops)} stops, {duration(total)} down this shift; {missing} without a reason"
        if not stops:
            summary = "no stops this shift"
        self.set_line("#downtime-summary", summary)

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_reason()

    def action_reason(self) -> None:
        stop = self.selected
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
