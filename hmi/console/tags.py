"""Tags: every bound signal's live value, quality and age; filtered by machine, connection or name."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label

from hmi.console.base import ConsoleHost, ViewScreen
from hmi.console.format import duration, fit, value
from hmi.console.live_table import Col, LiveTable
from hmi.console.prompts import SteadyInput

QUALITY_STYLE = {"good": "green", "uncertain": "yellow", "bad": "bold red", "none": "dim"}

COLUMNS = (
    Col("equipment", "Machine", 10),
    Col("signal", "Signal", 12),
    Col("connection", "Connection", 12),
    Col("value", "Value", 11),
    Col("quality", "Quality", 9),
    Col("age", "Age", 7),
)

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


class TagsScreen(ViewScreen):
    MODE = "tags"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter"),
    ]

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self._tags: list[dict[str, Any]] = []

    def body(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Filter ", classes="filter-label")
            yield SteadyInput(placeholder="machine, connection or name (m: c: n:)", id="filter")
        yield LiveTable(COLUMNS, id="tags")

    def on_mount(self) -> None:
        self.query_one(LiveTable).focus()

    @property
    def filter_text(self) -> str:
        return self.query_one("#filter", Input).value

    def set_filter(self, text: str) -> None:
        self.query_one("#filter", Input).value = text
        self.query_one(LiveTable).focus()

    async def refresh_data(self) -> None:
        self._tags = await self.link.view("tags")
        self._show()

    def _show(self) -> None:
        query = self.filter_text
        rows = [(f"{t['equipment']}/{t['signal']}", self._cells(t)) for t in self._tags if matches(t, query)]
        self.query_one(LiveTable).sync(rows)

    def _cells(self, t: dict[str, Any]) -> list[str | Text]:
        return [
            fit(t["equipment"], 10),
            fit(t["signal"], 12),
            fit(t["connection"], 12),
            fit(value(t["value"]), 11),
            Text(t["quality"], style=QUALITY_STYLE.get(t["quality"], "")),
            duration(t["age_s"]),
        ]

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._show()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.query_one(LiveTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.set_filter("")
