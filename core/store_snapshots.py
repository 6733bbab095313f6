"""The snapshots table: the engine's state at a journal position, so a restart replays only the
journal after it (docs/STORE.md, "Snapshots").

A row is written by `core.store.Store.write_snapshot` in the transaction that commits the journal
rows it reflects, so a crash leaves either both or neither. Reading goes newest first and row by
row: a row damaged in the file is met alone, and an older one can still be used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["KEEP", "SCHEMA", "SnapshotRow", "clock", "insert", "newest_first", "record_clock"]

KEEP = 4  # the newest rows kept; older ones are deleted in the transaction that writes a new one

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots(
    id INTEGER PRIMARY KEY,
    journal_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    version INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    body BLOB NOT NULL
);
-- The engine time the attached engine had reached at the last commit, and the journal row it
-- had then: ticks move the engine's clock without a journal row, and a restart catches up to it,
-- so the thresholds and escalations that tick had passed are not announced a second time.
CREATE TABLE IF NOT EXISTS engine_clock(
    id INTEGER PRIMARY KEY CHECK (id = 1),
    journal_id INTEGER NOT NULL,
    now REAL NOT NULL,
    -- the engine's first time: an engine that met no journal row yet began with its first tick
    started REAL
);
"""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    id: int
    journal_id: int
    ts: float
    version: int
    checksum: str
    # None when the row's body could not be read from the file (damage inside the row).
    body: bytes | None
    error: str | None = None


def insert(
    conn: sqlite3.Connection, ts: float, version: int, checksum: str, body: bytes, keep: int = KEEP
) -> int:
    """Inside the caller's transaction: a row at the journal's last committed id, and the oldest
    beyond `keep` deleted. Returns the journal id."""
    row = conn.execute("SELECT max(id) FROM journal").fetchone()
    journal_id = int(row[0]) if row[0] is not None else 0
    cur = conn.execute(
        "INSERT INTO snapshots(journal_id, ts, version, checksum, body) VALUES (?, ?, ?, ?, ?)",
        (journal_id, ts, version, checksum, body),
    )
    conn.execute(
        "DELETE FROM snapshots WHERE id <= ? - ?",
        (cur.lastrowid, keep),
    )
    return journal_id


def newest_first(conn: sqlite3.Connection) -> Iterator[SnapshotRow]:
    """The rows, newest journal position first; none when the file has no such table (a store
    opened read-only before its migration)."""
    try:
        heads = conn.execute(
            "SELECT id, journal_id, ts, version, checksum FROM snapshots ORDER BY journal_id DESC, id DESC"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return
        raise
    for sid, journal_id, ts, version, digest in heads:
        try:
            (body,) = conn.execute("SELECT CAST(body AS BLOB) FROM snapshots WHERE id = ?", (sid,)).fetchone()
        except sqlite3.DatabaseError as exc:
            yield SnapshotRow(sid, journal_id, ts, version, digest, None, f"unreadable ({exc})")
            continue
        yield SnapshotRow(sid, journal_id, ts, version, digest, bytes(body))


def record_clock(conn: sqlite3.Connection, now: float, started: float | None) -> None:
    """Inside the caller's transaction: the attached engine's time at this commit, and its first."""
    conn.execute(
        "INSERT INTO engine_clock(id, journal_id, now, started) "
        "VALUES (1, coalesce((SELECT max(id) FROM journal), 0), ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET journal_id = excluded.journal_id, now = excluded.now, "
        "started = excluded.started",
        (now, started),
    )


def clock(conn: sqlite3.Connection) -> tuple[int, float, float | None] | None:
    """(journal id, engine time, the engine's first time) of the last commit; None when not known."""
    try:
        row = conn.execute("SELECT journal_id, now, started FROM engine_clock WHERE id = 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return None if row is None else (int(row[0]), float(row[1]), None if row[2] is None else float(row[2]))
