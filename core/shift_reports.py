"""Which finished shifts still owe their report, and the store's record of those written.

The rule: every shift occurrence of every line that ended at least `SETTLE_S` ago, within the
last `catch_up_days` and after the store's first journal row (a shift before the station ever ran
has nothing to report), and that the store does not record as written. A station that was down
over a shift end catches up when it starts again; one that crashed while writing writes it again
(the files are replaced whole, so never twice).

The record is one row per (line, shift start) in `shift_reports`, committed durably only after
the files are in place.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.calendar import ShiftCalendar
from core.config import Config
from core.sqlite_tx import write_transaction

__all__ = [
    "SETTLE_S",
    "DueReport",
    "done_reports",
    "due_reports",
    "ensure_schema",
    "first_journal_ts",
    "mark_done",
]

# The last samples of a shift reach the store within a second or two (counters are thinned to one
# a second, the store commits every second): a report waits this long after the shift's end.
SETTLE_S = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS shift_reports(
    line TEXT NOT NULL,
    shift TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    written_at REAL NOT NULL,
    files TEXT NOT NULL,
    PRIMARY KEY (line, start)
)
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)
    conn.commit()


@dataclass(frozen=True)
class DueReport:
    line: str
    shift: str
    start: float
    end: float
    timezone: str

    @property
    def key(self) -> tuple[str, float]:
        return self.line, self.start

    def _local(self) -> datetime:
        return datetime.fromtimestamp(self.start, ZoneInfo(self.timezone))

    @property
    def stem(self) -> str:
        """The files' name without suffix, as the panel's export names them."""
        return f"shift-report-{self.line}-{self.shift}-{self._local():%Y-%m-%d-%H%M}"

    def folder(self, root: Path) -> Path:
        """One subfolder per month (of the shift's start), so a year of reports stays browsable."""
        return root / f"{self._local():%Y-%m}"


def due_reports(
    config: Config,
    now: float,
    done: set[tuple[str, float]],
    *,
    first_journal_ts: float | None,
    catch_up_days: float,
) -> list[DueReport]:
    """The shifts whose report is owed at `now`, oldest end first."""
    if first_journal_ts is None:
        return []
    since = max(first_journal_ts, now - catch_up_days * 86400)
    ready = now - SETTLE_S
    out: list[DueReport] = []
    for line in config.lines:
        for occ in ShiftCalendar(line).occurrences(since, ready):
            if since < occ.end <= ready and (line.id, occ.start) not in done:
                out.append(DueReport(line.id, occ.name, occ.start, occ.end, line.timezone))
    out.sort(key=lambda r: (r.end, r.line))
    return out


def first_journal_ts(conn: sqlite3.Connection) -> float | None:
    # The first row by id, not min(ts): the journal has no index on ts, and engine time never
    # runs backwards, so the first row is the earliest.
    row = conn.execute("SELECT ts FROM journal ORDER BY id LIMIT 1").fetchone()
    return None if row is None else float(row[0])


def done_reports(conn: sqlite3.Connection, since: float = 0.0) -> set[tuple[str, float]]:
    """The shifts recorded as written that started after `since` (a day before the catch-up
    window is enough: no shift lasts longer)."""
    rows = conn.execute("SELECT line, start FROM shift_reports WHERE start >= ?", (since,))
    return {(line, float(start)) for line, start in rows}


def mark_done(conn: sqlite3.Connection, report: DueReport, written_at: float, files: list[str]) -> None:
    """Durably: once this returns, no restart writes the report again."""
    with write_transaction(conn, owner="shift reports", durable=True):
        conn.execute(
            'INSERT OR IGNORE INTO shift_reports(line, shift, start, "end", written_at, files) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (report.line, report.shift, report.start, report.end, written_at, json.dumps(files)),
        )
