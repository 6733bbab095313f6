"""A DataTable that is brought up to date in place: only the cells whose text changed are
repainted, so a refresh every second costs a few bytes on an SSH link, not a whole table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

Cell = str | Text


@dataclass(frozen=True)
class Col:
    key: str
    label: str
    width: int


class LiveTable(DataTable[Cell]):
    """Rows are identified by the caller's keys; `sync` makes the table show exactly `rows`."""

    def __init__(self, columns: Sequence[Col], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._cols = list(columns)
        self._order: list[str] = []

    def on_mount(self) -> None:
        for col in self._cols:
            # Fixed widths: a changing value never re-lays out the table (and repaints it all).
            self.add_column(col.label, key=col.key, width=col.width)

    @property
    def selected_key(self) -> str | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def sync(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        keys = [key for key, _ in rows]
        shown = len(self._order)
        if keys[:shown] != self._order:
            self._rebuild(rows)
            return
        # Same rows in the same order, perhaps with new ones at the end (a log): update in place.
        for key, cells in rows[:shown]:
            self._update_row(key, cells)
        for key, cells in rows[shown:]:
            self.add_row(*cells, key=key)
            self._order.append(key)

    def _rebuild(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        # Rows came, went or moved (a new stop on top): rare, so a full repaint is fine here.
        selected = self.selected_key
        self.clear()
        self._order = []
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._order.append(key)
        if selected in self._order:
            self.move_cursor(row=self._order.index(selected), animate=False)

    def _update_row(self, key: str, cells: Sequence[Cell]) -> None:
        row_key = RowKey(key)
        current = self._data[row_key]
        for col_index, (col, cell) in enumerate(zip(self._cols, cells, strict=True)):
            col_key = ColumnKey(col.key)
            if current.get(col_key) == cell:
                continue
            # DataTable.update_cell repaints the whole widget; this repaints the one cell.
            current[col_key] = cell
            self._update_count += 1
            self.refresh_coordinate(Coordinate(self.get_row_index(row_key), col_index))

    def append_log(self, rows: Sequence[tuple[str, Sequence[Cell]]], limit: int) -> None:
        """A log: rows not shown yet are added at the bottom, the oldest go beyond `limit`; rows
        already shown are never repainted. A cursor on the newest row moves on to the new newest
        one; a cursor the user moved up stays where it is, on what they are reading."""
        follow = self.cursor_row >= self.row_count - 1
        newest = self._order[-1:]
        shown = set(self._order)
        for key, cells in rows:
            if key not in shown:
                self.add_row(*cells, key=key)
                self._order.append(key)
                shown.add(key)
        while len(self._order) > limit:
            self.remove_row(self._order.pop(0))
        if follow and self._order[-1:] != newest:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # Textual moves the scrollbar's thumb only while the scrollbar shows: a table that
        # scrolled to its end as its first rows arrived would show the thumb at the top.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y
