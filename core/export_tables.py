"""The history of a window as plain tables (`ms5 export`, docs/ANALYTICS.md "History out"):
per-minute counts, state intervals, downtime events, Andon calls, jobs and shift figures.

Here every table is built from one engine fed the store's journal (`core.replay.run_engine`), the
source of `ms5 report --replay`: what `ms5 export` reads of a store without a closed figure slice
yet; otherwise it reads the projections (core/export_projected.py), which give the same rows.
The per-minute good counts of an equipment add up to the report's good count for the same
window, and the downtime events are the report's. A table is a header and rows of plain
values (text, numbers, None); the file formats are the writers' business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.engine import Engine
from core.figure_source import FigureSource
from core.job_figures import JobRun, job_figures
from core.store_jobs import PlannedJob
from core.timefmt import iso

Value = str | int | float | None


@dataclass(frozen=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: list[tuple[Value, ...]]


def _t(x: float | None, tz: Any) -> str | None:
    return None if x is None else iso(x, tz)


def minute_counts(engine: Engine, a: float, b: float) -> Table:
    rows: list[tuple[Value, ...]] = []
    for line in engine.config.lines:
        for eq in line.equipment:
            before = a
            for end, total, good, reject in engine.counts_per_bucket(eq.id, a, b):
                # A bucket ends on the minute or where the engine split one (the window's edges,
                # a job's): it starts at the minute before its end, or at the split before it.
                start = max(end - (end % 60.0 or 60.0), before)
                rows.append((line.id, eq.id, iso(start, line.tz), iso(end, line.tz), total, good, reject))
                before = end
    header = ("line", "equipment", "start", "end", "total_count", "good_count", "reject_count")
    return Table("minute_counts", header, rows)


def state_intervals(engine: Engine, a: float, b: float) -> Table:
    rows: list[tuple[Value, ...]] = []
    for line in engine.config.lines:
        for eq in line.equipment:
            for s, e, category in engine.timeline(eq.id, a, b):
                rows.append((line.id, eq.id, iso(s, line.tz), iso(e, line.tz), round(e - s, 6), category))
    return Table("state_intervals", ("line", "equipment", "start", "end", "duration_s", "category"), rows)


def downtime_events(engine: Engine, a: float, b: float) -> Table:
    rows: list[tuple[Value, ...]] = []
    for line in engine.config.lines:
        for eq in line.equipment:
            for ev in engine.downtime_events(eq.id, a, b):
                rows.append(
                    (
                        line.id,
                        eq.id,
                        iso(ev.start, line.tz),
                        iso(ev.end, line.tz),
                        round(ev.duration_s, 6),
                        ev.reason,
                        ev.fault_code,
                        ev.note,
                        ev.open,
                    )
                )
    header = ("line", "equipment", "start", "end", "duration_s", "reason", "fault_code", "note", "open")
    return Table("downtime_events", header, rows)


def andon_calls(engine: FigureSource, a: float, b: float) -> Table:
    """One row per call raised in the window; its timeline (escalations, notes) as text cells,
    `at level N -> who` and `at user: text`, in time order."""
    line_of = {eq.id: line for line in engine.config.lines for eq in line.equipment}
    rows: list[tuple[Value, ...]] = []
    for call in engine.andon.calls:
        line = line_of.get(call.equipment)
        if line is None or not a <= call.raised_at <= b:
            continue
        tz = line.tz
        escalations = "; ".join(f"{_t(e.at, tz)} level {e.level} -> {e.notify}" for e in call.escalations)
        notes = "; ".join(f"{_t(n.at, tz)} {n.user or '-'}: {n.text}" for n in call.notes)
        ack = None if call.acknowledged_at is None else round(call.acknowledged_at - call.raised_at, 6)
        res = None if call.resolved_at is None else round(call.resolved_at - call.raised_at, 6)
        rows.append(
            (
                call.id,
                line.id,
                call.equipment,
                call.kind,
                call.source.value,
                call.state.value,
                _t(call.raised_at, tz),
                call.raised_by,
                _t(call.acknowledged_at, tz),
                call.acknowledged_by,
                _t(call.resolved_at, tz),
                call.resolved_by,
                call.owner,
                call.level,
                ack,
                res,
                escalations,
                notes,
            )
        )
    header = (
        "id",
        "line",
        "equipment",
        "kind",
        "source",
        "state",
        "raised_at",
        "raised_by",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "owner",
        "max_level",
        "time_to_acknowledge_s",
        "time_to_resolve_s",
        "escalations",
        "notes",
    )
    return Table("andon_calls", header, rows)


JOB_HEADER = (
    "job",
    "line",
    "product",
    "target_quantity",
    "actual_quantity",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "running",
    "availability",
    "performance",
    "quality",
    "oee",
    "run_time_s",
    "down_time_s",
    "reject_count",
)


def jobs(
    engine: Engine, runs: Sequence[JobRun], planned: Sequence[PlannedJob], a: float, b: float, now: float
) -> Table:
    figures = job_figures(engine, runs, planned, a, b, now)
    return Table("jobs", JOB_HEADER, [tuple(d[k] for k in JOB_HEADER) for d in figures])


SHIFT_FIGURES = (
    "scheduled_time_s",
    "planned_production_time_s",
    "run_time_s",
    "down_time_s",
    "total_count",
    "good_count",
    "reject_count",
    "availability",
    "performance",
    "quality",
    "oee",
)


def shift_figures(engine: Engine, a: float, b: float) -> Table:
    """Each shift's figures on its line's constraint, the shift cut to the window (as the
    `shifts` of `ms5 report --json`)."""
    rows: list[tuple[Value, ...]] = []
    for line in engine.config.lines:
        for occ in engine.shifts(line.id, a, b):
            s, e = max(occ.start, a), min(occ.end, b)
            m = engine.metrics(line.constraint_id, s, e).to_dict()
            rows.append(
                (
                    line.id,
                    occ.name,
                    iso(s, line.tz),
                    iso(e, line.tz),
                    line.constraint_id,
                    *(m[k] for k in SHIFT_FIGURES),
                )
            )
    return Table("shift_figures", ("line", "shift", "start", "end", "constraint", *SHIFT_FIGURES), rows)


def history_tables(
    engine: Engine,
    runs: Sequence[JobRun],
    planned: Sequence[PlannedJob],
    a: float,
    b: float,
    now: float,
) -> list[Table]:
    """All six tables of [a, b], in the order of docs/ANALYTICS.md."""
    return [
        minute_counts(engine, a, b),
        state_intervals(engine, a, b),
        downtime_events(engine, a, b),
        andon_calls(engine, a, b),
        jobs(engine, runs, planned, a, b, now),
        shift_figures(engine, a, b),
    ]
