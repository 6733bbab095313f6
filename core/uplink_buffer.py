"""The plant uplink's store-and-forward buffer and session counter, in the station's SQLite file.

While the plant broker (or its primary host) is away, what the station would have published waits
here, opaque bytes per equipment with their original time, oldest first; `max_bytes` bounds it and
the oldest rows go first, each drop counted (`dropped`, kept in the file, so a restart does not
forget them). A row is deleted only when the caller says the broker acknowledged it. The session
counter (`next_session`) is the Sparkplug bdSeq's home across restarts, but nothing here knows the
protocol: the edge node (hmi/sparkplug/) gives and takes bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from core.sqlite_tx import write_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS uplink_buffer(
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    device TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS uplink_state(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
ROW_OVERHEAD = 32  # bytes a row costs besides its body and device name, roughly (SQLite's record)
_COST = f"length(body) + length(device) + {ROW_OVERHEAD}"
_SESSION, _DROPPED = "session", "dropped"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables (CREATE ... IF NOT EXISTS: safe to run twice)."""
    with write_transaction(conn, owner="uplink schema"):
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)


@dataclass(frozen=True)
class Buffered:
    id: int
    ts: float
    device: str
    body: bytes


class UplinkBuffer:
    def __init__(self, conn: sqlite3.Connection, max_bytes: int) -> None:
        self._conn = conn
        self.max_bytes = max_bytes
        ensure_schema(conn)  # a store opened before the migration existed, or a test's own file
        size, count = conn.execute(
            f"SELECT COALESCE(SUM({_COST}), 0), COUNT(*) FROM uplink_buffer"
        ).fetchone()
        self.size_bytes, self.count = int(size), int(count)

    def _get(self, key: str) -> int | None:
        row = self._conn.execute("SELECT value FROM uplink_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _set(self, key: str, value: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO uplink_state(key, value) VALUES (?, ?)", (key, value))

    @property
    def dropped(self) -> int:
        """Rows dropped to stay within `max_bytes`, ever (the file's count)."""
        return self._get(_DROPPED) or 0

    def last_session(self) -> int | None:
        return self._get(_SESSION)

    def next_session(self, modulo: int) -> int:
        """The next session number (0 the first time, then +1, wrapping at `modulo`), committed
        durably before it is returned: the broker holds it in the will before anything else."""
        with write_transaction(self._conn, owner="uplink session", durable=True):
            last = self._get(_SESSION)
            number = 0 if last is None else (last + 1) % modulo
            self._set(_SESSION, number)
        return number

    def append(self, ts: float, device: str, body: bytes) -> None:
        cost = len(body) + len(device.encode()) + ROW_OVERHEAD
        with write_transaction(self._conn, owner="uplink buffer"):
            self._conn.execute(
                "INSERT INTO uplink_buffer(ts, device, body) VALUES (?, ?, ?)", (ts, device, body)
            )
            self.size_bytes += cost
            self.count += 1
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        dropped = 0
        while self.size_bytes > self.max_bytes and self.count > 1:
            row = self._conn.execute(f"SELECT id, {_COST} FROM uplink_buffer ORDER BY id LIMIT 1").fetchone()
            self._conn.execute("DELETE FROM uplink_buffer WHERE id = ?", (row[0],))
            self.size_bytes -= int(row[1])
            self.count -= 1
            dropped += 1
        if dropped:
            self._set(_DROPPED, (self._get(_DROPPED) or 0) + dropped)

    def oldest(self, limit: int, devices: Sequence[str] | None = None) -> list[Buffered]:
        """The oldest `limit` rows, of `devices` only when given, in the order they were kept."""
        if devices is None:
            rows = self._conn.execute(
                "SELECT id, ts, device, body FROM uplink_buffer ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        else:
            marks = ",".join("?" * len(devices))
            rows = self._conn.execute(
                "SELECT id, ts, device, body FROM uplink_buffer "
                f"WHERE device IN ({marks}) ORDER BY id LIMIT ?",
                (*devices, limit),
            ).fetchall()
        return [Buffered(int(r[0]), float(r[1]), str(r[2]), bytes(r[3])) for r in rows]

    def delete(self, ids: Sequence[int]) -> None:
        """Forget rows the broker acknowledged."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with write_transaction(self._conn, owner="uplink buffer"):
            size = self._conn.execute(
                f"SELECT COALESCE(SUM({_COST}), 0), COUNT(*) FROM uplink_buffer WHERE id IN ({marks})",
                tuple(ids),
            ).fetchone()
            self._conn.execute(f"DELETE FROM uplink_buffer WHERE id IN ({marks})", tuple(ids))
        self.size_bytes -= int(size[0])
        self.count -= int(size[1])
