"""The source of every job's figures (`ms5 report`'s `jobs`, `ms5 trend --by job`): the store's
journal replayed with count buckets split at each job's start and end.

A job starts and ends at a command's second, not at a slice's edge, so its figures come from the
journal, not the hourly slices: exact, like `ms5 report --replay`, whichever source the rest of a
report read (core/job_figures.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Config
from core.engine import Engine
from core.export import recorded
from core.job_figures import JobRun, job_runs
from core.replay import Window, run_engine
from core.store import Store
from core.store_archive import archived_up_to
from core.store_jobs import PlannedJob, planned_jobs

__all__ = ["JobSource", "job_source"]


@dataclass(frozen=True)
class JobSource:
    engine: Engine
    runs: list[JobRun]  # those the engine did not refuse
    planned: list[PlannedJob]
    now: float  # the journal's end: a run still open is counted up to it


def _job_commands(store: Store) -> bool:
    """Whether the database's journal holds a job command (one scan in SQLite, not in Python)."""
    row = store.conn.execute(
        "SELECT 1 FROM journal WHERE id > ? AND command IN ('start_job', 'end_job') LIMIT 1",
        (archived_up_to(store.conn),),
    ).fetchone()
    return row is not None


def job_source(config: Config, store: Store, window: Window) -> JobSource | None:
    """The replayed journal of `store` and its jobs; None when it holds no job, run or planned."""
    planned = planned_jobs(store.conn)
    if not planned and not _job_commands(store):
        return None  # the usual case: no need to read the journal into memory to find none
    samples, actions = recorded(store)
    runs = job_runs(config, actions)
    if not runs and not planned:
        return None
    now = max([s.ts for s in samples] + [a.ts for a in actions], default=window.end)
    edges = tuple(t for r in runs for t in (r.start, r.end) if t is not None)
    first = min([s.ts for s in samples] + [a.ts for a in actions], default=window.start)
    engine, refused = run_engine(config, samples, Window(first, now), actions, marks=edges)
    return JobSource(engine, job_runs(config, actions, [r.action for r in refused]), planned, now)
