"""`ms5 trend --by job`: a row per job run, with its target against actual quantity, planned
against actual start and end, and the figures of the time it ran (docs/ANALYTICS.md, "Jobs").

The runs and their spans are those of `ms5 report`'s `jobs` (core.job_figures over the replayed
journal of core.job_source); a row's figures are its subject's over the run, added up by the
engine like any window's, so its ratios come from the run's summed times and counts. With
`--compare previous` a run is compared with the run before it on its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from core.calendar import ShiftOccurrence
from core.job_figures import JobRun, job_spans, run_figures
from core.job_source import JobSource
from core.timefmt import iso
from core.trend import Compare, Row, Subject, compare_rows
from core.trend_periods import Period

__all__ = ["job_key", "job_rows"]


def job_key(run: JobRun, tz: tzinfo) -> str:
    """A run's name in a trend: its planned job and product, or (started on the panel without a
    plan) its product and start."""
    return f"{run.job} ({run.product})" if run.job else f"{run.product} from {iso(run.start, tz)}"


def _period(run: JobRun, tz: tzinfo, until: float) -> Period:
    key = job_key(run, tz)
    day = datetime.fromtimestamp(run.start, tz).date()
    return Period(key, day, None, (ShiftOccurrence(run.line, key, run.start, until, ()),))


def job_rows(
    jobs: JobSource, subjects: Sequence[Subject], a: float, b: float, compare: Compare | None = None
) -> list[Row]:
    """The runs within [a, b) of each subject's line, in subject then start order; with
    `compare`, each row's `base` is the line's run before it (which may have begun before a)."""
    out: list[Row] = []
    source = jobs.engine
    for subject in subjects:
        line = subject.line
        # From the journal's first run: the run before the window's first is its comparison.
        spans = job_spans(source.config, jobs.runs, jobs.planned, float("-inf"), b, jobs.now)
        rows = []
        for run, plan, until in spans:
            if run.line != line.id:
                continue
            m = source.metrics(subject.figures_of, run.start, until)
            downtime = [ev for eq in subject.stops_of for ev in source.downtime_events(eq, run.start, until)]
            row = Row(subject, _period(run, line.tz, until), m, downtime)
            row.job = run_figures(run, plan, line.tz, m)
            rows.append(row)
        if compare is not None:
            compare_rows(rows, compare)
        out.extend(r for r in rows if r.period.start < b and r.period.end > a)
    return out
