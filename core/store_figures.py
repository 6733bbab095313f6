"""Figures read from the store's projections instead of an engine: `StoreFigures` answers what a
report asks of an engine (metrics, downtime events, Andon calls, shifts) over windows made of
whole figure slices (core.figure_slices), by adding the slices up; no journal is read.

The sums add up as they are; a small stop over a slice edge is one stop (joined by its segment's
start), a signal had a good value in the window if it had one in any slice, and downtime events
cut at a slice edge are joined again, so the figures are those of an engine over the window.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from core.andon import AndonCall
from core.calendar import Sched, ShiftCalendar, ShiftOccurrence
from core.config import COMMS_LOSS_REASON, Config
from core.engine_figures import QUALITY_SIGNALS, DowntimeEvent
from core.figure_slices import SUM_FIELDS, next_edge
from core.metrics import Metrics
from core.store_archive import manifest
from core.store_calls import read_calls

__all__ = [
    "NotProjected",
    "StoreFigures",
    "closed_slices",
    "journal_end",
    "journal_start",
    "sliced_equipment",
]


class NotProjected(ValueError):
    """A window the slices do not cover whole: one not on slice edges, or not yet closed."""


@dataclass
class _Slice:
    start: float
    end: float
    sums: dict[str, float]
    small_stops: list[float]
    present: list[str]
    good_at_start: list[str]
    derived_from: list[str]
    downtime: list[list[Any]]


@dataclass
class _Board:
    calls: list[AndonCall] = field(default_factory=list)


def _before_data(calendar: ShiftCalendar, a: float, b: float) -> list[_Slice]:
    """The slices of [a, b), before the station's first time."""
    out = []
    while a < b:
        end = min(next_edge(calendar, a), b)
        out.append(_no_data(calendar, a, end))
        a = end
    return out


def _no_data(calendar: ShiftCalendar, a: float, b: float) -> _Slice:
    """[a, b) before the station's first time, as an engine sees it: no data (down, a
    communication loss) where scheduled, planned stop in a break, and unscheduled."""
    sums = dict.fromkeys(SUM_FIELDS, 0.0)
    sums["all_time_s"] = b - a
    downtime: list[list[Any]] = []
    for s, e, kind in calendar.pieces(a, b):
        if kind == Sched.UNSCHEDULED:
            sums["unscheduled_time_s"] += e - s
        elif kind == Sched.BREAK:
            sums["planned_stop_time_s"] += e - s
        else:
            sums["down_time_s"] += e - s
            sums["comms_loss_time_s"] += e - s
            downtime.append([s, e, COMMS_LOSS_REASON, None, None])
    for name in ("total_count", "good_count", "reject_count", "counter_resets", "counter_jitter_events"):
        sums[name] = 0  # whole numbers, as the engine's
    sums["counts_while_down"] = sums["clock_steps"] = 0
    return _Slice(a, b, sums, [], [], [], [], downtime)


class StoreFigures:
    """What a report reads of an engine, from the slices of [lo, hi] in the store behind `conn`."""

    def __init__(self, config: Config, conn: sqlite3.Connection, lo: float, hi: float) -> None:
        self.config = config
        self.calendars = {line.id: ShiftCalendar(line) for line in config.lines}
        equipment = [eq for line in config.lines for eq in line.equipment]
        self._bound = {eq.id: frozenset(str(b.signal) for b in eq.signals) for eq in equipment}
        self._slices: dict[str, list[_Slice]] = {eq.id: [] for eq in equipment}
        rows = conn.execute(
            'SELECT equipment, start, "end", body FROM figure_slices WHERE start >= ? AND start < ? '
            "ORDER BY equipment, start",
            (lo, hi),
        )
        for eq, start, end, body in rows:
            if eq in self._slices:
                b = json.loads(body)
                self._slices[eq].append(
                    _Slice(
                        start,
                        end,
                        b["sums"],
                        b["small_stops"],
                        b["present"],
                        b["good_at_start"],
                        b["derived_from"],
                        b["downtime"],
                    )
                )
        for line in config.lines:
            for eq in line.equipment:
                slices = self._slices[eq.id]
                if slices and lo < slices[0].start:
                    first = slices[0]
                    before = _before_data(self.calendars[line.id], lo, first.start)
                    # A window [a, b] holds its instant b: the signals good when the data began.
                    before[-1].present = list(first.good_at_start)
                    for piece in before:
                        piece.derived_from = first.derived_from
                    slices[:0] = before
        self._starts = {eq: [s.start for s in slices] for eq, slices in self._slices.items()}
        self.andon = _Board(list(read_calls(conn, lo, hi)))

    def _window(self, equipment: str, a: float, b: float) -> list[_Slice]:
        """The slices that make [a, b) exactly; `NotProjected` if they do not."""
        slices, starts = self._slices[equipment], self._starts[equipment]
        i = bisect.bisect_left(starts, a)
        j = bisect.bisect_left(starts, b)
        chosen = slices[i:j]
        whole = bool(chosen) and chosen[0].start == a and chosen[-1].end == b
        if not whole or any(x.end != y.start for x, y in pairwise(chosen)):
            if a == b:
                return []
            raise NotProjected(f"{equipment}: no closed figure slices make the window {a}..{b}")
        return chosen

    def metrics(self, equipment: str, a: float, b: float) -> Metrics:
        chosen = self._window(equipment, a, b)
        m = Metrics()
        for name in SUM_FIELDS:
            setattr(m, name, sum(s.sums[name] for s in chosen))
        m.small_stop_count = len({t for s in chosen for t in s.small_stops})
        present = {signal for s in chosen for signal in s.present}
        m.signals_missing = tuple(sorted(self._bound[equipment] - present))
        if chosen and QUALITY_SIGNALS & set(m.signals_missing):
            used = set(chosen[-1].derived_from)
            m.quality_unknown = len(used) < 2 or not used <= present  # as the engine judges it
        return m

    def downtime_events(self, equipment: str, a: float, b: float) -> list[DowntimeEvent]:
        out: list[DowntimeEvent] = []
        last_key: object = ()
        for s in self._window(equipment, a, b):
            for start, end, reason, fault, key in s.downtime:
                if out and last_key == key and out[-1].end == start == s.start:
                    # One stop cut by the slice edge: the engine's event goes on.
                    prev = out[-1]
                    out[-1] = DowntimeEvent(equipment, prev.start, end, prev.reason, prev.fault_code)
                else:
                    out.append(DowntimeEvent(equipment, start, end, reason, fault))
                last_key = key
        return out

    def shifts(self, line: str, a: float, b: float) -> list[ShiftOccurrence]:
        return self.calendars[line].occurrences(a, b)

    def closed_until(self) -> float | None:
        """The end of the last slice every equipment has closed, None without slices."""
        ends = [slices[-1].end for slices in self._slices.values() if slices]
        if len(ends) < len(self._slices):
            return None
        return min(ends)


def closed_slices(conn: sqlite3.Connection) -> tuple[float, float] | None:
    """(start of the first slice, end of the last slice every equipment has closed), or None
    when the store has none (or is older than the slices)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'figure_slices'").fetchone() is None:
        return None
    row = conn.execute(
        'SELECT max(first), min(last) FROM (SELECT min(start) AS first, max("end") AS last '
        "FROM figure_slices GROUP BY equipment)"
    ).fetchone()
    if row[0] is None:
        return None
    return float(row[0]), float(row[1])


def journal_start(conn: sqlite3.Connection) -> float | None:
    """The time of the journal's first row, archived days included (their manifest keeps it)."""
    firsts = [float(day.first_ts) for day in manifest(conn)[:1]]
    row = conn.execute("SELECT min(ts) FROM journal").fetchone()
    if row[0] is not None:
        firsts.append(float(row[0]))
    return min(firsts, default=None)


def journal_end(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT max(ts) FROM journal").fetchone()
    return None if row[0] is None else float(row[0])


def sliced_equipment(conn: sqlite3.Connection) -> list[str]:
    return [eq for (eq,) in conn.execute("SELECT DISTINCT equipment FROM figure_slices")]
