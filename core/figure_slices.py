"""Figure slices: per equipment, the engine's exact figures of each hour (counted from each
shift's start inside a shift, whole hours outside one) cut at the shift edges, so a report over
any window made of slices adds rows up instead of replaying the journal (docs/STORE.md,
"figure_slices").

A slice is written once its figures are final (`Engine.settled`); what does not add up across
slices (a small stop over an edge is one stop, a signal good in either slice was good in both)
is kept as the parts `core.store_figures` joins. A reason given or a stop split later rewrites
the downtime events of the slices that stop covers.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from typing import Any

from core.calendar import ShiftCalendar
from core.engine import Engine
from core.metrics import Metrics

__all__ = ["HOUR_S", "SliceWriter", "edge_at_or_before", "next_edge", "slice_body"]

HOUR_S = 3600.0

# The figures of a slice that add up as they are; the others are joined from the slice's parts.
_JOINED = frozenset({"small_stop_count", "signals_missing", "quality_unknown"})
SUM_FIELDS = tuple(f.name for f in fields(Metrics) if f.name not in _JOINED)

_UPSERT = 'INSERT OR REPLACE INTO figure_slices(equipment, start, "end", body) VALUES (?, ?, ?, ?)'


def _hour_floor(t: float) -> float:
    return t - t % HOUR_S


def next_edge(calendar: ShiftCalendar, t: float) -> float:
    """The first slice edge after `t`: inside a shift its next hour from the shift's start or
    its end, outside one the next whole hour or the next shift's start."""
    occ = calendar.shift_at(t)
    if occ is not None:
        hours = (t - occ.start) // HOUR_S + 1
        return min(occ.start + hours * HOUR_S, occ.end)
    hour = _hour_floor(t) + HOUR_S
    starts = [o.start for o in calendar.occurrences(t, hour) if o.start > t]
    return min([hour, *starts])


def edge_at_or_before(calendar: ShiftCalendar, t: float) -> float:
    """The last slice edge at or before `t`."""
    occ = calendar.shift_at(t)
    if occ is not None:
        return occ.start + (t - occ.start) // HOUR_S * HOUR_S
    hour = _hour_floor(t)
    ends = [o.end for o in calendar.occurrences(hour, t + 1e-6) if o.end <= t]
    return max([hour, *ends])


def slice_body(engine: Engine, equipment: str, a: float, b: float) -> str:
    """The stored figures of [a, b): the sums that add up, and the parts that are joined."""
    m = engine.metrics(equipment, a, b)
    parts = engine.slice_parts(equipment, a, b)
    body: dict[str, Any] = {
        "sums": {name: getattr(m, name) for name in SUM_FIELDS},
        "small_stops": list(parts.small_stops),
        "present": list(parts.present),
        "good_at_start": list(parts.good_at_start),
        "derived_from": list(parts.derived_from),
        "downtime": [[ev.start, ev.end, ev.reason, ev.fault_code, key] for ev, key in parts.downtime],
    }
    return json.dumps(body, separators=(",", ":"))


class SliceWriter:
    """The slices owed to the file: `core.store_projections.Projections` drives it."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}  # per equipment, the start of its first unwritten slice
        self._rows: dict[tuple[str, float], tuple[float, str]] = {}
        self._recheck: list[tuple[str, float]] = []
        self._due: dict[str, float] = {}  # per equipment, the end of its first unwritten slice

    @property
    def pending(self) -> bool:
        return bool(self._rows or self._recheck)

    @property
    def owed_from(self) -> float | None:
        """The start of the oldest slice not yet written, None before the engine had a time."""
        return min(self._next.values(), default=None)

    def attach(self, conn: sqlite3.Connection) -> None:
        self._next = {
            eq: float(end)
            for eq, end in conn.execute('SELECT equipment, max("end") FROM figure_slices GROUP BY 1')
        }

    def recheck(self, equipment: str, at: float) -> None:
        """At the next settle, rewrite the slices of the stop at `at` (its reason or split changed)."""
        self._recheck.append((equipment, at))

    def settle(self, engine: Engine) -> None:
        if engine.now is None or engine.started is None:
            return
        for line in engine.config.lines:
            calendar = engine.calendars[line.id]
            for eq in line.equipment:
                if engine.now <= self._due.get(eq.id, float("-inf")):
                    continue  # this runs at every flush: most of the time no slice has ended
                # The first slice begins with the engine: no slice holds time before its data.
                start = self._next.get(eq.id, engine.started)
                while True:
                    end = next_edge(calendar, start)
                    if not engine.settled(eq.id, start, end):
                        break
                    self._rows[(eq.id, start)] = (end, slice_body(engine, eq.id, start, end))
                    start = end
                self._next[eq.id] = start
                self._due[eq.id] = end
        for eq_id, at in self._recheck:
            self._rewrite(engine, eq_id, at)
        self._recheck = []

    def _rewrite(self, engine: Engine, equipment: str, at: float) -> None:
        span = engine.stop_span(equipment, at)
        written_until = self._next.get(equipment)
        if span is None or written_until is None:
            return
        calendar = engine.calendars[engine.line_of(equipment)]
        start = max(edge_at_or_before(calendar, span[0]), engine.started or span[0])
        if start < engine.pruned_before:
            return  # the engine no longer has that stop (nor would it take a command about it)
        while start < min(span[1], written_until):
            end = next_edge(calendar, start)
            self._rows[(equipment, start)] = (end, slice_body(engine, equipment, start, end))
            start = end

    def write(self, conn: sqlite3.Connection) -> None:
        if self._rows:
            conn.executemany(_UPSERT, [(eq, s, end, body) for (eq, s), (end, body) in self._rows.items()])

    def clear(self) -> None:
        self._rows = {}
