"""Tags: every bound signal's live value, quality and age; filtered by machine, connection or name."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label

from hmi.console.base import ConsoleHost
from hmi.console.format import duration, fit, value
from hmi.console.live_table import Cell, Col
from hmi.console.prompts import SteadyInput
from hmi.console.table import Row, TableScreen

QUALITY_STYLE = {"good": "green", "uncertain": "yellow", "bad": "bold red", "none": "dim"}

# The filter's field prefixes: "m:filler", "connection:capper-plc", "n:count".
FIELDS = {
    "m": "equipment",
    "machine": "equipment",
    "c": "connection",
    "connection": "connection",
    "n": "signal",
    "name": "signal",
}


def matches(tag: dict[str, Any], query: str) -> bool:
    """Every word of `query` must occur in the tag's machine, connection or signal name; a word
    with a prefix (m:, c:, n:) only in that field."""
    for word in query.lower().split():
        field, _, text = word.partition(":")
        if text and field in FIELDS:
            if text not in str(tag[FIELDS[field]]).lower():
                return False
        elif not any(word in str(tag[f]).lower() for f in ("equipment", "connection", "signal")):
            return False
    return True


class TagsScreen(TableScreen):
    MODE = "tags"
    COLUMNS = (
        Col("equipment", "Machine", 10),
        Col("signal", "Signal", 12),
        Col("connection", "Connection", 12),
        Col("value", "Value", 11),
        Col("quality", "Quality", 9),
        Col("age", "Age", 7),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self._tags: list[dict[str, Any]] = []  # every tag; the table shows those the filter lets by

    def above(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Filter ", classes="filter-label")
            yield SteadyInput(placeholder="machine, connection or name (m: c: n:)", id="filter")

    @property
    def filter_text(self) -> str:
        return self.query_one("#filter", Input).value

    def set_filter(self, text: str) -> None:
        self.query_one("#filter", Input).value = text
        self.table.focus()

    async def refresh_data(self) -> None:
        self._tags = await self.link.view("tags")
        self._show()

    def _show(self) -> None:
        query = self.filter_text
        self.show_rows([t for t in self._tags if matches(t, query)])

    def row_key(self, row: Row) -> str:
        return f"{row['equipment']}/{row['signal']}"

    def cells(self, row: Row) -> list[Cell]:
        return [
            fit(row["equipment"], 10),
            fit(row["signal"], 12),
            fit(row["connection"], 12),
            fit(value(row["value"]), 11),
            Text(row["quality"], style=QUALITY_STYLE.get(row["quality"], "")),
            duration(row["age_s"]),
        ]

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._show()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.set_filter("")
