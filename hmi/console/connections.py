"""Connections: the health of each PLC connection; Enter lists that connection's tags."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from hmi.console.base import ConsoleHost, ViewScreen
from hmi.console.format import DASH, clock, fit, number
from hmi.console.live_table import Col, LiveTable
from hmi.console.text_line import TextLine

STATE_STYLE = {
    "connected": "green",
    "connecting": "yellow",
    "failed": "bold red",
    "driver_error": "bold reverse magenta",  # a bug in the station, not the PLC: apart from failed
    "stopped": "dim",
}

COLUMNS = (
    Col("connection", "Connection", 12),
    Col("state", "State", 10),
    Col("reads", "Rd/s", 5),
    Col("p50", "p50ms", 5),
    Col("p99", "p99ms", 5),
    Col("reconnects", "Rec", 3),
    Col("last_good", "Good at", 8),
    Col("error", "Last error", 14),
)


class ConnectionsScreen(ViewScreen):
    MODE = "connections"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("enter", "show_tags", "Tags of connection"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self._rows: dict[str, dict[str, Any]] = {}

    def body(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="connections")
        yield TextLine(id="connection-detail", classes="detail")

    def on_mount(self) -> None:
        self.query_one(LiveTable).focus()

    async def refresh_data(self) -> None:
        rows = await self.link.view("connections")
        self._rows = {r["connection"]: r for r in rows}
        self.query_one(LiveTable).sync([(r["connection"], self._cells(r)) for r in rows])
        self._show_detail()

    def _cells(self, r: dict[str, Any]) -> list[str | Text]:
        return [
            fit(r["connection"], 12),
            Text(r["state"], style=STATE_STYLE.get(r["state"], "")),
            number(r["reads_per_s"]),
            number(r["latency_p50_ms"]),
            number(r["latency_p99_ms"]),
            str(r["reconnects"]),
            clock(r["last_good"], self.tz),
            fit(r["last_error"] or DASH, 14),
        ]

    def _show_detail(self) -> None:
        key = self.query_one(LiveTable).selected_key
        r = self._rows.get(key) if key else None
        if r is None:
            text = "no connections: the station polls none" if not self._rows else ""
        else:
            text = f"{r['connection']} ({r['protocol']}): {r['polls']} polls; Enter lists its tags"
            if r["state"] == "driver_error":
                text = f"{r['connection']}: driver error (a bug, not the PLC): {r['last_error']}"
            elif r["last_error"]:
                text = f"{r['connection']}: {r['last_error']}"
        self.query_one("#connection-detail", TextLine).set(Text(text, no_wrap=True, overflow="ellipsis"))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_show_tags()

    def action_show_tags(self) -> None:
        key = self.query_one(LiveTable).selected_key
        if key is not None:
            self.host.show_tags(f"connection:{key}")
