"""Connections: the health of each PLC connection; Enter lists that connection's tags."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from hmi.console.format import DASH, clock, fit, number
from hmi.console.live_table import Cell, Col
from hmi.console.table import Row, TableScreen, one_line
from hmi.console.text_line import TextLine

STATE_STYLE = {
    "connected": "green",
    "connecting": "yellow",
    "failed": "bold red",
    "driver_error": "bold reverse magenta",  # a bug in the station, not the PLC: apart from failed
    "stopped": "dim",
}


class ConnectionsScreen(TableScreen):
    MODE = "connections"
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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "show_tags", "Tags of connection"),
    ]

    def below(self) -> ComposeResult:
        yield TextLine(id="connection-detail", classes="detail")

    def row_key(self, row: Row) -> str:
        return str(row["connection"])

    def cells(self, row: Row) -> list[Cell]:
        return [
            fit(row["connection"], 12),
            Text(row["state"], style=STATE_STYLE.get(row["state"], "")),
            number(row["reads_per_s"]),
            number(row["latency_p50_ms"]),
            number(row["latency_p99_ms"]),
            str(row["reconnects"]),
            clock(row["last_good"], self.tz),
            fit(row["last_error"] or DASH, 14),
        ]

    def show_detail(self) -> None:
        r = self.selected
        if r is None:
            text = "no connections: the station polls none" if not self.rows else ""
        else:
            text = f"{r['connection']} ({r['protocol']}): {r['polls']} polls; Enter lists its tags"
            if r["state"] == "driver_error":
                text = f"{r['connection']}: driver error (a bug, not the PLC): {r['last_error']}"
            elif r["last_error"]:
                text = f"{r['connection']}: {r['last_error']}"
        self.set_line("#connection-detail", one_line(text))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_show_tags()

    def action_show_tags(self) -> None:
        key = self.table.selected_key
        if key is not None:
            self.host.show_tags(f"connection:{key}")
