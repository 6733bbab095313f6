"""Each job's figures: target against actual quantity, planned against actual start and end, and
its OEE over the time it really ran (`ms5 report`'s `jobs`).

A job's run is read from the journal's commands: a `start_job` opens it on its line, an `end_job`
or the next `start_job` there closes it. Its figures are the line's constraint's over the run, as
a line's figures are ([OEE.md](OEE.md)); the actual quantity is the constraint's good parts. A
planned job (core.store_jobs) that never ran is listed too, with no actual figures, so a late or
skipped job is seen against its plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any

from core.actions import Action
from core.config import Config
from core.figure_source import FigureSource
from core.metrics import Metrics
from core.store_jobs import PlannedJob
from core.timefmt import iso

__all__ = ["JobRun", "job_figures", "job_runs", "job_spans", "run_figures"]


@dataclass(frozen=True)
class JobRun:
    """One job as it ran on a line: `end` is None while it runs."""

    line: str
    product: str
    quantity: int | None
    start: float
    end: float | None
    job: str | None  # the planned job it ran, when started from the plan


def _line_of(config: Config, args: dict[str, Any]) -> str | None:
    if "line" in args:
        return str(args["line"])
    if "equipment" in args:
        found = config.equipment_by_id().get(str(args["equipment"]))
        return found[0].id if found else None
    return config.lines[0].id if len(config.lines) == 1 else None


def job_runs(config: Config, actions: Iterable[Action], refused: Iterable[Action] = ()) -> list[JobRun]:
    """The runs of the job commands in `actions` (those the engine did not `refuse`), by start."""
    skip = {id(a) for a in refused}
    open_runs: dict[str, JobRun] = {}
    runs: list[JobRun] = []
    for a in sorted(actions, key=lambda a: a.ts):
        if id(a) in skip or a.command not in ("start_job", "end_job"):
            continue
        line = _line_of(config, a.args)
        if line is None:
            continue
        running = open_runs.pop(line, None)
        if running is not None:
            runs.append(replace(running, end=a.ts))
        if a.command == "start_job":
            q = a.args.get("quantity")
            job = a.args.get("job")
            open_runs[line] = JobRun(
                line, str(a.args["product"]), q if isinstance(q, int) else None, a.ts, None, job and str(job)
            )
    runs.extend(open_runs.values())
    return sorted(runs, key=lambda r: r.start)


def job_spans(
    config: Config,
    runs: Sequence[JobRun],
    planned: Sequence[PlannedJob],
    start: float,
    end: float,
    now: float,
) -> list[tuple[JobRun, PlannedJob | None, float]]:
    """The runs within [start, end) on a line of `config`, each with its plan (if started from
    one) and the end its figures are counted to: its end, or `now` while it runs."""
    lines = {line.id for line in config.lines}
    plan = {p.job: p for p in planned}
    out = []
    for run in runs:
        until = run.end if run.end is not None else now
        if run.line not in lines or not (run.start < end and until > start):
            continue
        out.append((run, plan.get(run.job) if run.job else None, max(until, run.start)))
    return out


def run_figures(run: JobRun, p: PlannedJob | None, tz: tzinfo, m: Metrics) -> dict[str, Any]:
    """A run's target against actual: the actual quantity is the good parts of `m`."""
    return {
        "job": run.job,
        "line": run.line,
        "product": run.product,
        "target_quantity": run.quantity if run.quantity is not None else (p.quantity if p else None),
        "actual_quantity": m.good_count,
        "planned_start": iso(p.planned_start, tz) if p else None,
        "planned_end": iso(p.planned_end, tz) if p else None,
        "actual_start": iso(run.start, tz),
        "actual_end": iso(run.end, tz) if run.end is not None else None,
        "running": run.end is None,
    }


def job_figures(
    source: FigureSource,
    runs: Sequence[JobRun],
    planned: Sequence[PlannedJob],
    start: float,
    end: float,
    now: float,
) -> list[dict[str, Any]]:
    """The jobs that ran or were planned within [start, end), by line and start; a run still
    open is counted up to `now` (the journal's end)."""
    config = source.config
    lines = {line.id: line for line in config.lines}
    out: list[tuple[str, float, dict[str, Any]]] = []
    ran: set[str] = set()
    for run, p, until in job_spans(config, runs, planned, start, end, now):
        line = lines[run.line]
        if run.job:
            ran.add(run.job)
        m = source.metrics(line.constraint_id, run.start, until)
        out.append((run.line, run.start, {**run_figures(run, p, line.tz, m), **_figures(m.to_dict())}))
    for p in planned:
        if p.job in ran or p.line not in lines or not (p.planned_start < end and p.planned_end > start):
            continue
        tz = lines[p.line].tz
        out.append(
            (
                p.line,
                p.planned_start,
                {
                    "job": p.job,
                    "line": p.line,
                    "product": p.product,
                    "target_quantity": p.quantity,
                    "actual_quantity": None,
                    "planned_start": iso(p.planned_start, tz),
                    "planned_end": iso(p.planned_end, tz),
                    "actual_start": None,
                    "actual_end": None,
                    "running": False,
                    **{k: None for k in _FIGURES},
                },
            )
        )
    return [d for _, _, d in sorted(out, key=lambda x: (x[0], x[1]))]


_FIGURES = ("availability", "performance", "quality", "oee", "run_time_s", "down_time_s", "reject_count")


def _figures(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in _FIGURES}
