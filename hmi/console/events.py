"""Events: the tail of the engine's events and of the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from hmi.console.base import ConsoleHost
from hmi.console.format import DASH, clock, duration, fit, pct
from hmi.console.live_table import Cell, Col, LiveTable
from hmi.console.table import Row, TableScreen

TAIL = 200  # rows kept on screen; the station keeps its own longer tail

EVENT_COLUMNS = (
    Col("time", "Time", 8),
    Col("type", "Event", 13),
    Col("equipment", "Machine", 9),
    Col("detail", "Detail", 38),
)
AUDIT_COLUMNS = (
    Col("time", "Time", 8),
    Col("user", "User", 8),
    Col("command", "Command", 13),
    Col("target", "Target", 9),
    Col("result", "Result", 7),
    Col("detail", "Detail", 19),
)

EVENT_NAMES = {
    "StateChanged": "state",
    "DowntimeStarted": "stop started",
    "DowntimeEnded": "stop ended",
    "ChangeoverStarted": "changeover",
    "ChangeoverEnded": "changeover end",
    "QualityAlert": "QUALITY",
    "AndonChanged": "andon",
}
RESULT_STYLE = {"ok": "green", "refused": "bold red", "failed": "yellow"}


def event_detail(ev: dict[str, Any]) -> str:
    kind = ev.get("type")
    if kind == "StateChanged":
        fault = f" (fault {ev['fault_code']})" if ev.get("fault_code") else ""
        return f"{ev['previous']} -> {ev['state']}{fault}"
    if kind == "DowntimeStarted":
        return str(ev["reason"])
    if kind == "DowntimeEnded":
        return f"{duration(ev['end'] - ev['start'])}, {ev['reason']}"
    if kind == "ChangeoverEnded":
        return f"after {duration(ev['duration_s'])}"
    if kind == "QualityAlert":
        return f"rejects {pct(ev['reject_rate'])} of {ev['window_parts']} (limit {pct(ev['limit'])})"
    if kind == "AndonChanged":
        who = f" by {ev['user']}" if ev.get("user") else ""
        detail = f": {ev['detail']}" if ev.get("detail") else ""
        return f"#{ev['call_id']} {ev['action']}{who}{detail}"
    return ""


def event_keys(events: Sequence[dict[str, Any]]) -> list[str]:
    """Keys that stay the same while the station's tail moves on (events carry no id)."""
    seen: dict[str, int] = {}
    keys = []
    for ev in events:
        text = json.dumps(ev, sort_keys=True, default=str)
        n = seen.get(text, 0)
        seen[text] = n + 1
        keys.append(f"{n}:{text}")
    return keys


class EventsScreen(TableScreen):
    MODE = "events"
    # A new row scrolls, and so repaints, the whole table: at most every 2 s.
    REFRESH_S = 2.0
    COLUMNS = EVENT_COLUMNS
    LOG = TAIL
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_table", "Events/Audit"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self._seen_serial = -1

    def above(self) -> ComposeResult:
        yield Label("Engine events", classes="section")

    def below(self) -> ComposeResult:
        yield Label("Audit log", classes="section")
        yield LiveTable(AUDIT_COLUMNS, id="audit")

    async def refresh_data(self) -> None:
        serial = self.host.event_serial
        if serial != self._seen_serial:  # the engine's tail changes only with an event
            self._seen_serial = serial
            self.show_rows(list(await self.link.view("events"))[-TAIL:])
        audit = await self.link.view("audit", limit=TAIL)
        rows = [(str(r["id"]), self._audit_cells(r)) for r in audit]
        self.query_one("#audit", LiveTable).append_log(rows, TAIL)

    def row_keys(self, rows: Sequence[Row]) -> list[str]:
        return event_keys(rows)

    def cells(self, row: Row) -> list[Cell]:
        kind = str(row.get("type"))
        name = EVENT_NAMES.get(kind, kind)
        return [
            clock(row.get("ts"), self.tz),
            Text(fit(name, 13), style="bold red" if kind == "QualityAlert" else ""),
            fit(str(row.get("equipment") or DASH), 9),
            fit(event_detail(row), 38),
        ]

    def _audit_cells(self, r: Row) -> list[Cell]:
        return [
            clock(r["ts"], self.tz),
            fit(r["user"] or DASH, 8),
            fit(r["command"], 13),
            fit(r["target"] or DASH, 9),
            Text(r["result"], style=RESULT_STYLE.get(r["result"], "")),
            fit(r["detail"] or "", 19),
        ]

    def action_switch_table(self) -> None:
        events, audit = self.query_one("#events", LiveTable), self.query_one("#audit", LiveTable)
        (audit if events.has_focus else events).focus()
