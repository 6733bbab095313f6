"""The shape of the console's table screens: one live table of one station view.

A table screen says only what is its own: the columns (COLUMNS), the view that feeds them (VIEW,
`view_args`), a row's key and cells (`row_key`, `cells`), whether it is a log (LOG), what sits
above and below the table (`above`, `below`) and the lines that follow its rows (`show_detail`).
The table, its focus, the rows by key, the highlighted row and bringing the table up to date
are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from hmi.console.base import ConsoleHost, ViewScreen
from hmi.console.live_table import Cell, Col, LiveTable
from hmi.console.text_line import TextLine

Row = dict[str, Any]  # one row of a station view, as the view gives it


class TableScreen(ViewScreen):
    VIEW: ClassVar[str] = ""  # the station view whose rows the table shows; MODE when empty
    TABLE: ClassVar[str] = ""  # the table's id; MODE when empty
    COLUMNS: ClassVar[Sequence[Col]] = ()
    LOG: ClassVar[int] = 0  # a log of the last LOG rows (new rows are appended); 0: not a log

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__(host)
        self.rows: dict[str, Row] = {}  # the rows shown, by key, in the view's order

    # What a screen says.

    def row_key(self, row: Row) -> str:
        """What identifies `row` from one refresh to the next (so it is updated in place)."""
        raise NotImplementedError

    def row_keys(self, rows: Sequence[Row]) -> list[str]:
        """The keys of `rows`: each row's `row_key` unless a row's key depends on the others."""
        return [self.row_key(r) for r in rows]

    def cells(self, row: Row) -> list[Cell]:
        """The row's cells, one per column."""
        raise NotImplementedError

    def view_args(self) -> dict[str, Any]:
        return {}

    def above(self) -> ComposeResult:
        yield from ()

    def below(self) -> ComposeResult:
        yield from ()

    def show_detail(self) -> None:
        """The lines that follow the rows: a summary of them, or the highlighted row's detail.
        Called after every refresh and whenever another row is highlighted."""

    # The shape they share.

    def body(self) -> ComposeResult:
        yield from self.above()
        yield LiveTable(self.COLUMNS, id=self.TABLE or self.MODE)
        yield from self.below()

    @property
    def table(self) -> LiveTable:
        return self.query_one(f"#{self.TABLE or self.MODE}", LiveTable)

    @property
    def selected(self) -> Row | None:
        """The highlighted row, if any."""
        key = self.table.selected_key
        return self.rows.get(key) if key else None

    def on_mount(self) -> None:
        self.table.focus()

    async def refresh_data(self) -> None:
        self.show_rows(await self.link.view(self.VIEW or self.MODE, **self.view_args()))

    def show_rows(self, rows: Sequence[Row]) -> None:
        self.rows = dict(zip(self.row_keys(rows), rows, strict=True))
        shown = [(key, self.cells(r)) for key, r in self.rows.items()]
        if self.LOG:
            self.table.append_log(shown, self.LOG)
        else:
            self.table.sync(shown)
        self.show_detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def set_line(self, selector: str, text: str | Text) -> None:
        self.query_one(selector, TextLine).set(text)


def one_line(text: str) -> Text:
    """A detail line cut with an ellipsis at the screen's edge, never wrapped."""
    return Text(text, no_wrap=True, overflow="ellipsis")
