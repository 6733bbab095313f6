"""The insights of a report's window (the PDF of `ms5 report`, docs/REPORTS.md): core.insights over
the window's shifts, read from the store's closed figure slices as `ms5 trend --by shift` reads them.

A window of one shift is compared as `ms5 trend --compare` compares it: with the shift before it
and with the same shift a week earlier. A longer window is compared shift by shift, each with the
one before. Shifts not yet closed in the store are in no comparison: the insights say nothing
rather than something about figures they cannot see, and a window without a closed whole shift
has no insights at all (None), not "none fired".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.config import Config, Line
from core.insights import Insight, insights
from core.store_figures import NotProjected, StoreFigures, closed_slices
from core.trend import COMPARE, Compare, Subject, lookback_s, trend_rows
from core.trend_periods import periods

__all__ = ["window_insights"]


def window_insights(
    config: Config, conn: sqlite3.Connection, lines: Sequence[Line], a: float, b: float
) -> list[Insight] | None:
    """The insights on the whole, closed shifts of each line inside [a, b]; None when the store
    has no such shift (no slices, or none closed yet) or its slices do not make them."""
    held = closed_slices(conn)
    if held is None:
        return None
    first, closed = held
    b = min(b, closed)
    if b <= a:
        return None
    out: list[Insight] = []
    seen = False
    for line in lines:
        source = StoreFigures(config, conn, max(first, a - lookback_s("shift", "same-last-week")), b)
        shifts = periods(source.calendars[line.id], "shift", a, b)
        seen = seen or bool(shifts)
        compares: tuple[Compare, ...] = COMPARE if len(shifts) == 1 else ("previous",)
        for compare in compares:
            try:
                rows = trend_rows(
                    source,
                    [Subject(line)],
                    "shift",
                    a,
                    b,
                    week_starts=config.trends.week_starts,
                    compare=compare,
                    data_from=first,
                )
            except NotProjected:  # slices with a gap (an older station's): no comparison
                return None
            out.extend(i for i in insights(rows, config.trends) if i not in out)
    return out if seen else None
