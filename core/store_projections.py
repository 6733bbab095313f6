"""The projections of the store: state intervals, per-minute counts, downtime events and Andon
events, written from an engine's events so a face or a report can read them without an engine.

`Projections` buffers what the events announce; `core.store.Store` writes the buffers in the
transaction that commits the journal rows the events came from, so after a crash the file holds
exactly the projections of its journal prefix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from core.andon import AndonChanged
from core.clock_steps import gap_seconds
from core.engine import Engine
from core.events import DowntimeEnded, DowntimeRevised, ProductionUpdate, StateChanged
from core.figure_slices import SliceWriter
from core.store_calls import CallWriter

__all__ = ["Projections"]

# The engine's count buckets end on whole minutes (and on marks inside them): a minute's row is
# read back from the engine over the minute.
_BUCKET_S = 60.0

_UPSERT_MINUTE = (
    "INSERT INTO minute_counts(equipment, minute, total, good, reject) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(equipment, minute) DO UPDATE SET "
    "total = excluded.total, good = excluded.good, reject = excluded.reject"
)
_INSERT_ANDON = (
    "INSERT OR IGNORE INTO andon_events(call_id, equipment, action, ts, user, level, state, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DOWNTIME = (
    'INSERT INTO downtime_events(equipment, start, "end", duration_s, reason, fault_code) '
    "VALUES (?, ?, ?, ?, ?, ?)"
)

# Interval operations, replayed in order at flush.
_OPEN = 0  # (kind, equipment, state, since): the equipment is in `state` since `since`
_NEXT = 1  # the same, when the open interval started before `since`: the usual case, and cheaper

_IntervalOp = tuple[int, str, str, float]
_DowntimeRow = tuple[str, float, float, float, str, int | None]
_AndonRow = tuple[int, str, str, float, str | None, int, str, str]


class Projections:
    """Projection rows owed to the file, from the events of the attached engine."""

    def __init__(self) -> None:
        self._intervals: list[_IntervalOp] = []
        self._minutes: dict[tuple[str, float], tuple[int, int, int]] = {}
        self._dirty_minutes: set[tuple[str, float]] = set()
        self._downtime: list[_DowntimeRow] = []
        self._andon: list[_AndonRow] = []
        self._reason_checks: list[tuple[str, float]] = []
        self._revisions: list[tuple[str, float, float]] = []
        # What the projection says each equipment is doing now, buffered operations included.
        self._open: dict[str, tuple[str, float]] = {}
        self._slices = SliceWriter()
        self._calls = CallWriter()
        self._engine: Engine | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    @property
    def pending(self) -> bool:
        """Rows (or checks) waiting for the next commit."""
        return bool(
            self._intervals
            or self._minutes
            or self._downtime
            or self._reason_checks
            or self._andon
            or self._revisions
            or self._slices.pending
            or self._calls.pending
        )

    @property
    def slices_owed_from(self) -> float | None:
        return self._slices.owed_from

    @property
    def andon_pending(self) -> bool:
        """Andon events waiting: they are committed at the next flush, whatever the interval."""
        return bool(self._andon)

    def attach(self, engine: Engine, conn: sqlite3.Connection) -> None:
        """Follow `engine`'s events, from now on; the open intervals are read back from `conn`."""
        self._open = {
            eq: (state, start)
            for eq, state, start in conn.execute(
                'SELECT equipment, state, start FROM state_intervals WHERE "end" IS NULL'
            )
        }
        self._slices.attach(conn)
        self._calls.attach(conn, engine.andon)
        self._engine = engine
        bus = engine.bus
        self._unsubscribe = [
            bus.subscribe(StateChanged, self._on_state),
            bus.subscribe(ProductionUpdate, self._on_production),
            bus.subscribe(DowntimeEnded, self._on_downtime),
            bus.subscribe(DowntimeRevised, self._on_revised),
            bus.subscribe(AndonChanged, self._on_andon),
        ]

    def detach(self) -> None:
        # What is still owed to the projections must be read while the engine is at hand.
        self.settle()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._engine = None

    def check_reason(self, equipment: str, at: float) -> None:
        """At the next commit, bring the downtime event covering `at` in line with the engine."""
        self._reason_checks.append((equipment, at))
        self._slices.recheck(equipment, at)

    def _on_state(self, ev: StateChanged) -> None:
        current = self._open.get(ev.equipment)
        # `since` before ts: the engine undid a zero-length state and the one before goes on.
        kind = _NEXT if current is not None and current[1] < ev.since else _OPEN
        self._intervals.append((kind, ev.equipment, ev.state, ev.since))
        self._open[ev.equipment] = (ev.state, ev.since)

    def _on_production(self, ev: ProductionUpdate) -> None:
        # The event's totals are those of the engine's current count bucket, which is a part of the
        # minute when the engine has marks inside it; so the event only says which minute to read
        # back from the engine at flush. A count at t is of parts made before t: a minute's row m
        # holds the counts reported in (m, m + 60].
        end = ev.ts - ev.ts % _BUCKET_S
        if end < ev.ts:
            end += _BUCKET_S
        self._dirty_minutes.add((ev.equipment, end - _BUCKET_S))

    def _on_revised(self, ev: DowntimeRevised) -> None:
        self._revisions.append((ev.equipment, ev.start, ev.end))

    def _on_andon(self, ev: AndonChanged) -> None:
        self._calls.changed(ev.call_id)
        # Committed at the next maybe_flush whatever the interval (or with the command that caused it).
        self._andon.append(
            (ev.call_id, ev.equipment, ev.action, ev.ts, ev.user, ev.level, ev.state, ev.detail)
        )

    def _on_downtime(self, ev: DowntimeEnded) -> None:
        # A step of the clock inside the stop is no time (core.clock_steps).
        gaps = self._engine.clock_gaps if self._engine is not None else []
        length = ev.end - ev.start - (gap_seconds(gaps, ev.start, ev.end) if gaps else 0.0)
        self._downtime.append((ev.equipment, ev.start, ev.end, length, ev.reason, ev.fault_code))

    def settle(self) -> None:
        """Turn what the engine's events announced into rows, reading the engine where they fall short."""
        engine = self._engine
        if engine is None or engine.now is None:
            return
        for eq, minute in self._dirty_minutes:
            end = minute + _BUCKET_S
            m = engine.metrics(eq, minute, end)
            self._minutes[(eq, minute)] = (m.total_count, m.good_count, m.reject_count)
        self._dirty_minutes.clear()
        self._slices.settle(engine)
        self._calls.settle(engine.andon)
        # Equipment without data since the engine started has had no event yet.
        for eq in engine.equipment_ids:
            state, since, _fault = engine.state_of(eq)
            if self._open.get(eq) != (state, since):
                self._intervals.append((_OPEN, eq, state, since))
                self._open[eq] = (state, since)

    def write(self, conn: sqlite3.Connection) -> None:
        """Write what is owed, inside the caller's transaction; `clear` once it committed."""
        for op in self._intervals:
            self._write_interval(conn, op)
        if self._minutes:
            conn.executemany(_UPSERT_MINUTE, [(eq, m, *counts) for (eq, m), counts in self._minutes.items()])
        if self._downtime:
            conn.executemany(_INSERT_DOWNTIME, self._downtime)
        if self._andon:
            conn.executemany(_INSERT_ANDON, self._andon)
        self._slices.write(conn)
        self._calls.write(conn)
        for eq, at in self._reason_checks:
            self._refresh_reason(conn, eq, at)
        for eq, start, end in self._revisions:
            self._revise(conn, eq, start, end)

    def clear(self) -> None:
        """Forget what was written: the transaction that wrote it committed. (A failed one leaves
        the buffers as they were, so the next flush tries the same rows again.)"""
        self._intervals = []
        self._minutes = {}
        self._downtime = []
        self._andon = []
        self._reason_checks = []
        self._revisions = []
        self._slices.clear()
        self._calls.clear()

    @staticmethod
    def _write_interval(conn: sqlite3.Connection, op: _IntervalOp) -> None:
        kind, eq, state, since = op
        if kind == _OPEN:
            # Intervals from `since` on are zero-length ones the engine replaced, or ones a
            # reconciliation found never happened.
            conn.execute("DELETE FROM state_intervals WHERE equipment = ? AND start >= ?", (eq, since))
        conn.execute(
            'UPDATE state_intervals SET "end" = ? WHERE equipment = ? AND "end" IS NULL', (since, eq)
        )
        conn.execute(
            'INSERT INTO state_intervals(equipment, start, "end", state) VALUES (?, ?, NULL, ?)',
            (eq, since, state),
        )

    def _revise(self, conn: sqlite3.Connection, eq: str, start: float, end: float) -> None:
        """The rows of a communication loss become what the engine says of its time now."""
        engine = self._engine
        if engine is None or eq not in engine.equipment_ids:
            return
        conn.execute(
            'DELETE FROM downtime_events WHERE equipment = ? AND start >= ? AND "end" <= ?', (eq, start, end)
        )
        conn.executemany(
            _INSERT_DOWNTIME,
            [
                (eq, ev.start, ev.end, ev.duration_s, ev.reason, ev.fault_code)
                for ev in engine.downtime_events(eq, start, end)
            ],
        )

    def _refresh_reason(self, conn: sqlite3.Connection, eq: str, at: float) -> None:
        engine = self._engine
        if engine is None or eq not in engine.equipment_ids:
            return
        row = conn.execute(
            'SELECT id, start, "end" FROM downtime_events WHERE equipment = ? AND start <= ? AND "end" > ? '
            "ORDER BY start DESC LIMIT 1",
            (eq, at, at),
        ).fetchone()
        if row is None:
            return  # still open: DowntimeEnded will carry the reason
        events = engine.downtime_events(eq, row[1], row[2])
        if len(events) == 1:
            conn.execute("UPDATE downtime_events SET reason = ? WHERE id = ?", (events[0].reason, row[0]))
        elif events:  # split_stop: the row becomes the engine's events over its time
            conn.execute("DELETE FROM downtime_events WHERE id = ?", (row[0],))
            conn.executemany(
                _INSERT_DOWNTIME,
                [(eq, ev.start, ev.end, ev.duration_s, ev.reason, ev.fault_code) for ev in events],
            )
