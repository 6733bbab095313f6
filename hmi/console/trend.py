"""A ratio's trend (an OEE by hour) as bars against a fixed 0..100 % scale.

Textual's Sparkline scales each series from its own minimum to its maximum, so a constant 0.7 %
drew as full blocks, like 100 %. Here the scale is always 0..1: the bars' height is the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a cell, from empty to full
STEPS = len(BLOCKS) - 1


def bar_rows(values: Sequence[float | None], width: int, height: int) -> list[str]:
    """`height` lines of `width` cells, top line first. Each value (a ratio, 0..1) gets an equal
    share of the width. A known value is at least the lowest bar, so 0 % is a flat low line and
    not a gap; None (no figure for that hour) stays empty."""
    if width <= 0 or height <= 0:
        return []
    if not values:
        return [" " * width for _ in range(height)]
    eighths: list[int] = []
    n = len(values)
    for column in range(width):
        # Several values to a cell when the series is longer than the width: the highest shows.
        lo = column * n // width
        share = values[lo : max((column + 1) * n // width, lo + 1)]
        known = [v for v in share if v is not None]
        if not known:
            eighths.append(0)
            continue
        top = min(max(max(known), 0.0), 1.0)
        eighths.append(max(round(top * height * STEPS), 1))
    rows = []
    for line in range(height):
        base = (height - 1 - line) * STEPS
        rows.append("".join(BLOCKS[min(max(e - base, 0), STEPS)] for e in eighths))
    return rows


class TrendBars(Widget):
    """The bars of `data`, as wide and as high as the widget; the colour comes from its CSS."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._data: tuple[float | None, ...] = ()

    @property
    def data(self) -> tuple[float | None, ...]:
        return self._data

    def set_data(self, data: Sequence[float | None]) -> None:
        new = tuple(data)
        if new != self._data:  # an unchanged trend is not repainted (bytes over SSH)
            self._data = new
            self.refresh()

    def render(self) -> Text:
        return Text("\n".join(bar_rows(self._data, self.size.width, self.size.height)))
