"""`shift_trend`: the last 14 days by shift of each line, and the top insights on them, for the
faces (docs/SOCKET.md, docs/ANALYTICS.md "In the console").

The figures are `ms5 trend --by shift --compare previous` over the store's closed figure slices
(core.trend, core.insights), never a replay. Reading 14 days of slices takes about a tenth of a
second (docs/BENCHMARKS.md): too long for the station's loop, which polls the PLCs. So the view
is read in a worker thread on a read-only connection of its own (the view is then awaitable,
hmi/station/link.py awaits it), once per closed shift, and kept (`TrendCache`): a face asking
again inside the same shift gets the kept answer at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.calendar import ShiftCalendar
from core.config import Config
from core.insights import insights
from core.store_figures import NotProjected, StoreFigures, closed_slices
from core.timefmt import iso
from core.trend import DAY_S, Row, Subject, lookback_s, trend_rows

if TYPE_CHECKING:
    from hmi.station.runtime import Station

__all__ = ["DAYS", "NO_HISTORY", "TOP_INSIGHTS", "TrendCache", "shift_trend_view"]

DAYS = 14  # how far back the console's OEE screen looks
TOP_INSIGHTS = 3  # the insights a face is given, in core.insights' order (top loss first)
NO_HISTORY = "no history yet: the store holds no closed shift"


def last_closed_shift_end(station: Station, now: float) -> float | None:
    """The end of the latest shift (of any line) that ended by `now`: what the view is kept for."""
    ends = []
    for line in station.config.lines:
        occs = ShiftCalendar(line).occurrences(now - 8 * DAY_S, now)
        ended = [o.end for o in occs if o.end <= now]
        if ended:
            ends.append(max(ended))
    return max(ends) if ends else None


def _shift(row: Row) -> dict[str, Any]:
    m = row.metrics
    return {
        "period": row.period.key,
        "day": row.period.day.isoformat(),
        "shift": row.period.shift,
        "start": row.period.start,
        "end": row.period.end,
        "oee": m.oee,
        "availability": m.availability,
        "performance": m.performance,
        "quality": m.quality,
        "planned_production_time_s": m.planned_production_time_s,
    }


def _empty(config: Config, note: str) -> dict[str, Any]:
    lines = [{"id": line.id, "name": line.name or line.id, "shifts": []} for line in config.lines]
    return {"days": DAYS, "from": None, "to": None, "lines": lines, "insights": [], "note": note}


def compute(config: Config, conn: sqlite3.Connection, now: float) -> dict[str, Any]:
    """The view, read from the store behind `conn` now (see TrendCache for when)."""
    try:
        held = closed_slices(conn)
        if held is None:
            return _empty(config, NO_HISTORY)
        first, closed = held
        b = min(closed, now)
        a = max(first, b - DAYS * DAY_S)
        lo = max(first, a - lookback_s("shift", "previous"))
        source = StoreFigures(config, conn, lo, max(lo, b))
        subjects = [Subject(line) for line in config.lines]
        rows = trend_rows(source, subjects, "shift", a, b, compare="previous", data_from=first)
    except NotProjected as exc:
        return _empty(config, f"no history: {exc}")
    except sqlite3.DatabaseError as exc:
        return _empty(config, f"no history: the store cannot be read ({exc})")
    if not rows:
        return _empty(config, NO_HISTORY)
    out = _empty(config, "")
    for line in out["lines"]:
        line["shifts"] = [_shift(r) for r in rows if r.subject.line.id == line["id"]]
    tz = config.lines[0].tz
    found = insights(rows, config.trends)
    out.update(
        {"from": iso(a, tz), "to": iso(b, tz), "insights": [i.to_dict() for i in found[:TOP_INSIGHTS]]}
    )
    out["note"] = None
    return out


Compute = Callable[[Config, sqlite3.Connection, float], dict[str, Any]]


def _read(
    config: Config, db: Path, now: float, compute: Compute = compute
) -> tuple[float | None, dict[str, Any]]:
    """In a worker thread: the slices' closed end and the view, on a connection of its own (a
    connection is not shared between threads; a read-only one sees what the station committed)."""
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return None, _empty(config, f"no history: the store cannot be read ({exc})")
    with contextlib.closing(conn):
        try:
            held = closed_slices(conn)
        except sqlite3.DatabaseError as exc:
            return None, _empty(config, f"no history: the store cannot be read ({exc})")
        return (held[1] if held else None), compute(config, conn, now)


@dataclass
class _Kept:
    shift_end: float | None  # the last closed shift's end when it was computed
    closed: float | None  # the store's closed slices' end then
    view: dict[str, Any]


class TrendCache:
    """The view kept per closed shift. While the store's slices lag behind the last shift's end
    (its last slice closes a moment after the shift), the view is read again at each ask until
    they catch up; from then on it is kept until the next shift closes."""

    def __init__(self, compute: Compute = compute) -> None:
        self._compute = compute  # the view read from the store (the panel's report views have theirs)
        self._kept: _Kept | None = None
        self._reading: asyncio.Task[dict[str, Any]] | None = None  # shared by faces asking meanwhile
        self.computed = 0  # how many times the store was read (a test and the bench look)

    def view(self, station: Station, now: float) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        """The kept view, or the read of a new one to await (inside the station's loop)."""
        store = station.store
        if store is None:  # the store could not be opened: the faces say so already
            return _empty(station.config, "no history: the store is not open")
        end = last_closed_shift_end(station, now)
        kept = self._kept
        if kept is not None and kept.shift_end == end:
            if self._whole(kept):
                return kept.view
            held = closed_slices(store.conn)
            if kept.closed == (held[1] if held else None):
                return kept.view  # the slices have not moved since
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read(station, now, end))
        return self._reading

    async def _read(self, station: Station, now: float, end: float | None) -> dict[str, Any]:
        try:
            closed, view = await asyncio.to_thread(_read, station.config, station.db_path, now, self._compute)
        finally:
            self._reading = None
        self._kept = _Kept(end, closed, view)
        self.computed += 1
        return view

    @staticmethod
    def _whole(kept: _Kept) -> bool:
        return kept.shift_end is None or (kept.closed is not None and kept.closed >= kept.shift_end)


_CACHES: weakref.WeakKeyDictionary[Station, TrendCache] = weakref.WeakKeyDictionary()


def cache_of(station: Station) -> TrendCache:
    cache = _CACHES.get(station)
    if cache is None:
        cache = _CACHES[station] = TrendCache()
    return cache


def shift_trend_view(station: Station, now: float) -> dict[str, Any] | Awaitable[dict[str, Any]]:
    return cache_of(station).view(station, now)
