"""The tables of `ms5 export` from the store's projections (docs/ANALYTICS.md, "History out"):
what `ms5 report` reads, so an export of a month costs what its rows cost, not its journal.

- figures (shift figures, downtime events, the edge pieces of minute counts): `ExactFigures`, the
  source of `ms5 report`, built the same way, so they are the report's to the count;
- per-minute counts: the `minute_counts` rows inside the window, its partial edge minutes from
  that source;
- state intervals: the `state_intervals` rows (the engine's raw conditions) cut by the shift
  calendar, a stop or a communication loss taking its category from the downtime events: covered
  is down (no data), not covered a small stop (or the run time inferred across a communication
  loss), as `Engine.timeline` decides it;
- Andon calls: the `andon_calls` rows; notes on stops: the journal's `note_stop` commands the
  database still holds; jobs: `core.job_source`, as the report's jobs.
"""

from __future__ import annotations

import bisect
import json
import math
import sqlite3
from collections.abc import Iterator

from core.calendar import Sched
from core.config import Config
from core.engine_figures import DowntimeEvent
from core.export_tables import JOB_HEADER, SHIFT_FIGURES, Table, Value, andon_calls, jobs
from core.job_source import job_source
from core.replay import Window
from core.store import Store
from core.store_archive import archived_up_to
from core.store_exact import ExactFigures, PieceEngines
from core.store_figures import closed_slices
from core.timefmt import iso

__all__ = ["projected_tables"]

_MINUTE = 60.0
# (start, end, raw condition or None before any data, the row's own start before the window's cut)
_Interval = tuple[float, float, str | None, float]


def projected_tables(config: Config, store: Store, a: float, b: float) -> list[Table] | None:
    """The six tables of [a, b] from the projections; None when the store has no closed figure
    slice yet (the caller replays the journal, as `ms5 report` does). Raises
    `core.store_figures.NotProjected` where the slices have a gap."""
    conn = store.conn
    if closed_slices(conn) is None:
        return None
    source = ExactFigures(config, conn, a, b, PieceEngines(config, store, b, (a, b)))
    now = _journal_end(conn) or b
    notes = _notes(conn)
    minute_rows: list[tuple[Value, ...]] = []
    state_rows: list[tuple[Value, ...]] = []
    downtime_rows: list[tuple[Value, ...]] = []
    shift_rows: list[tuple[Value, ...]] = []
    for line in config.lines:
        tz = line.tz
        pieces = source.calendars[line.id].pieces(a, b)
        for eq in line.equipment:
            for s, e, total, good, reject in _minutes(conn, source, eq.id, a, b):
                minute_rows.append((line.id, eq.id, iso(s, tz), iso(e, tz), total, good, reject))
            intervals = _intervals(conn, eq.id, a, b)
            still_open = b >= now and _open_before(conn, eq.id, b)
            events = source.downtime_events(eq.id, a, b)
            for s, e, category in _timeline(pieces, intervals, events):
                state_rows.append((line.id, eq.id, iso(s, tz), iso(e, tz), round(e - s, 6), category))
            for ev in events:
                # Open: still down at the journal's end, as an engine fed it all says.
                is_open = still_open and ev.end == b
                note = _note_of(notes.get(eq.id, []), intervals, ev)
                downtime_rows.append(
                    (
                        line.id,
                        eq.id,
                        iso(ev.start, tz),
                        iso(ev.end, tz),
                        round(ev.duration_s, 6),
                        ev.reason,
                        ev.fault_code,
                        note,
                        is_open,
                    )
                )
        for occ in source.shifts(line.id, a, b):
            s, e = max(occ.start, a), min(occ.end, b)
            m = source.metrics(line.constraint_id, s, e).to_dict()
            shift_rows.append(
                (
                    line.id,
                    occ.name,
                    iso(s, tz),
                    iso(e, tz),
                    line.constraint_id,
                    *(m[k] for k in SHIFT_FIGURES),
                )
            )
    found = job_source(config, store, Window(a, b))
    job_table = (
        Table("jobs", JOB_HEADER, [])
        if found is None
        else jobs(found.engine, found.runs, found.planned, a, b, found.now)
    )
    return [
        Table("minute_counts", _MINUTE_HEADER, minute_rows),
        Table("state_intervals", _STATE_HEADER, state_rows),
        Table("downtime_events", _DOWNTIME_HEADER, downtime_rows),
        andon_calls(source, a, b),
        job_table,
        Table("shift_figures", ("line", "shift", "start", "end", "constraint", *SHIFT_FIGURES), shift_rows),
    ]


def _journal_end(conn: sqlite3.Connection) -> float | None:
    """The journal's last time, from its newest rows (`max(ts)` over all of them reads the whole
    table: the journal has no index on time, and its rows come in time order)."""
    row = conn.execute("SELECT max(ts) FROM (SELECT ts FROM journal ORDER BY id DESC LIMIT 1000)").fetchone()
    return None if row[0] is None else float(row[0])


def _minutes(
    conn: sqlite3.Connection, source: ExactFigures, eq: str, a: float, b: float
) -> Iterator[tuple[float, float, int, int, int]]:
    """(start, end, total, good, reject) of each minute of [a, b] with a count row, the partial
    minutes at the edges from the report's source. A row of minute m holds what was counted in
    (m, m + 60], as an engine's bucket ending at m + 60 does."""
    first, last = math.ceil(a / _MINUTE) * _MINUTE, math.floor(b / _MINUTE) * _MINUTE
    if first >= last:
        yield from _piece(source, eq, a, b)
        return
    yield from _piece(source, eq, a, first)
    rows = conn.execute(
        "SELECT minute, total, good, reject FROM minute_counts WHERE equipment = ? AND minute >= ? "
        "AND minute < ? ORDER BY minute",
        (eq, first, last),
    )
    for minute, total, good, reject in rows:
        yield minute, minute + _MINUTE, total, good, reject
    yield from _piece(source, eq, last, b)


def _piece(source: ExactFigures, eq: str, a: float, b: float) -> Iterator[tuple[float, float, int, int, int]]:
    """The counts of a part of a minute, when something was counted in it (as the minutes: a
    minute in which nothing was counted has no row)."""
    if a < b:
        m = source.metrics(eq, a, b)
        if m.total_count or m.good_count or m.reject_count:
            yield a, b, m.total_count, m.good_count, m.reject_count


def _intervals(conn: sqlite3.Connection, eq: str, a: float, b: float) -> list[_Interval]:
    """The raw conditions of `eq` over [a, b), the time before its first row as no data; the
    interval still open runs to the window's end (a replay ends there)."""
    rows = conn.execute(
        'SELECT start, "end", state FROM state_intervals WHERE equipment = ? AND start < ? '
        'AND ("end" IS NULL OR "end" > ?) ORDER BY start',
        (eq, b, a),
    ).fetchall()
    out: list[_Interval] = []
    cursor = a
    for start, end, state in rows:
        if end is not None and end <= start:
            continue  # zero length: the engine replaced it
        if start > cursor:
            out.append((cursor, min(start, b), None, cursor))
        s, e = max(start, a), b if end is None else min(end, b)
        if e > s:
            out.append((s, e, state, start))
            cursor = e
    if cursor < b:
        out.append((cursor, b, None, cursor))
    return out


def _open_before(conn: sqlite3.Connection, eq: str, b: float) -> bool:
    row = conn.execute(
        'SELECT 1 FROM state_intervals WHERE equipment = ? AND "end" IS NULL AND start < ?', (eq, b)
    ).fetchone()
    return row is not None


def _timeline(
    pieces: list[tuple[float, float, Sched]], intervals: list[_Interval], events: list[DowntimeEvent]
) -> list[tuple[float, float, str]]:
    """(start, end, time category) of the window, as `Engine.timeline` gives them: adjacent
    pieces of one category merged."""
    out: list[tuple[float, float, str]] = []

    def emit(s: float, e: float, category: str) -> None:
        if e <= s:
            return
        if out and out[-1][2] == category and out[-1][1] == s:
            out[-1] = (out[-1][0], e, category)
        else:
            out.append((s, e, category))

    down = [(ev.start, ev.end) for ev in events]
    down_starts = [d[0] for d in down]
    starts = [iv[0] for iv in intervals]
    for ps, pe, kind in pieces:
        j = max(bisect.bisect_right(starts, ps) - 1, 0)
        while j < len(intervals) and intervals[j][0] < pe:
            start, end, cond, _begun = intervals[j]
            s, e = max(ps, start), min(pe, end)
            j += 1
            if e <= s:
                continue
            if kind == Sched.UNSCHEDULED:
                emit(s, e, "unscheduled")
            elif cond == "running":
                emit(s, e, "running")
            elif kind == Sched.BREAK or cond == "planned_stop":
                emit(s, e, "planned_stop")
            elif cond == "changeover":
                emit(s, e, "changeover")
            else:
                stopped = cond == "stopped"
                for cs, ce, covered in _cover(down, down_starts, s, e):
                    if covered:
                        emit(cs, ce, "down" if stopped else "no_data")
                    else:
                        # Not down: a stop under the threshold, or run time inferred across
                        # a communication loss (docs/OEE.md).
                        emit(cs, ce, "small_stop" if stopped else "running")
    return out


def _cover(
    down: list[tuple[float, float]], starts: list[float], s: float, e: float
) -> Iterator[tuple[float, float, bool]]:
    """[s, e) cut into the parts the downtime spans `down` (sorted, `starts` theirs) cover and
    those they do not."""
    i = max(bisect.bisect_right(starts, s) - 1, 0)
    cursor = s
    while i < len(down) and down[i][0] < e:
        ds, de = down[i]
        i += 1
        if de <= cursor:
            continue
        if ds > cursor:
            yield cursor, ds, False
            cursor = ds
        stop = min(de, e)
        yield cursor, stop, True
        cursor = stop
    if cursor < e:
        yield cursor, e, False


def _notes(conn: sqlite3.Connection) -> dict[str, list[tuple[float, str]]]:
    """Per equipment, (time inside the stop, text) of every note the database's journal holds,
    in the order given. Notes of archived days are in the archive files only."""
    out: dict[str, list[tuple[float, str]]] = {}
    rows = conn.execute(
        "SELECT args FROM journal WHERE id > ? AND command = 'note_stop' ORDER BY id",
        (archived_up_to(conn),),
    )
    for (text,) in rows:
        try:
            args = json.loads(text)
            eq, at, note = str(args["equipment"]), float(args["at"]), " ".join(str(args["text"]).split())
        except (KeyError, TypeError, ValueError):
            continue  # refused when given: it changed nothing
        if note:
            out.setdefault(eq, []).append((at, note))
    return out


def _note_of(notes: list[tuple[float, str]], intervals: list[_Interval], ev: DowntimeEvent) -> str | None:
    """What people wrote about the stop `ev` is part of: the notes given at a time inside it (a
    stop begun before the window, at a time before the window's edge too)."""
    if not notes:
        return None
    begun = next((iv[3] for iv in intervals if iv[0] <= ev.start < iv[1]), ev.start)
    texts = [text for at, text in notes if min(begun, ev.start) <= at < ev.end]
    return " / ".join(texts) if texts else None


_MINUTE_HEADER = ("line", "equipment", "start", "end", "total_count", "good_count", "reject_count")
_STATE_HEADER = ("line", "equipment", "start", "end", "duration_s", "category")
_DOWNTIME_HEADER = ("line", "equipment", "start", "end", "duration_s", "reason", "fault_code", "note", "open")
