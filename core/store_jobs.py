"""The planned jobs in the store: the schedule `ms5 jobs import` writes (core.job_plan checks it)
and the panel's Jobs screen lists, in the order of their planned start on each line.

A plan row is the plan, not a run: a job is run by the engine's `start_job` command, which names
the planned job it starts (`job`), so the journal keeps when it really ran.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["SCHEMA", "PlannedJob", "add_planned", "planned_jobs"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS planned_jobs(
    job TEXT PRIMARY KEY,
    line TEXT NOT NULL,
    product TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    planned_start REAL NOT NULL,
    planned_end REAL NOT NULL,
    imported REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS planned_jobs_line_start ON planned_jobs(line, planned_start);
"""


@dataclass(frozen=True)
class PlannedJob:
    """One row of the schedule: what is to be made on a line, how many, and when."""

    job: str
    product: str
    quantity: int
    line: str
    planned_start: float
    planned_end: float


def planned_jobs(conn: sqlite3.Connection, line: str | None = None) -> list[PlannedJob]:
    """The planned jobs (of `line`, else of every line) by line, then planned start."""
    if not _has_table(conn):  # a read-only store of an older schema: no plan yet
        return []
    where, params = ("WHERE line = ?", (line,)) if line is not None else ("", ())
    rows = conn.execute(
        "SELECT job, product, quantity, line, planned_start, planned_end FROM planned_jobs "
        f"{where} ORDER BY line, planned_start, job",
        params,
    ).fetchall()
    return [PlannedJob(str(j), str(p), int(q), str(ln), float(s), float(e)) for j, p, q, ln, s, e in rows]


def add_planned(conn: sqlite3.Connection, jobs: list[PlannedJob], imported: float) -> None:
    """Write `jobs` in one transaction: all of them or, on any error, none."""
    with conn:
        conn.executemany(
            "INSERT INTO planned_jobs(job, line, product, quantity, planned_start, planned_end, imported) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(j.job, j.line, j.product, j.quantity, j.planned_start, j.planned_end, imported) for j in jobs],
        )


def _has_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'planned_jobs'"
    ).fetchone()
    return row is not None
