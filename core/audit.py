"""Append-only, hash-chained audit log in SQLite.

Each row stores ``prev_hash`` (the previous row's ``hash``, or 64 zeros for
row 1) and ``hash = sha256(prev_hash + canonical_json(id, ts, user, role,
command, target, result, detail))``. Ids are assigned densely from 1, so
editing, deleting or hand-inserting a row breaks either a hash, a link or the
id sequence, and :meth:`AuditLog.verify` names the first row affected.

Limits, by design of an unkeyed chain kept in the same file it protects:

* Deleting rows from the *end* leaves a shorter chain that is still valid.
* Someone who can write the file and read this module can recompute every
  hash from the edited row onward, and that too verifies.

Both are caught only against an anchor kept elsewhere. The store keeps one beside the
database (``core.audit_anchor``), which catches a lost tail; someone who can rewrite
both files is caught only by a head recorded where the station cannot write (shift
report, MES, a print-out) and passed back to :meth:`AuditLog.verify`.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from core.sqlite_tx import write_transaction

__all__ = ["GENESIS_HASH", "SCHEMA", "AuditLog", "AuditRow", "ensure_schema", "row_hash"]

GENESIS_HASH = "0" * 64

SCHEMA = """\
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    user TEXT,
    role TEXT,
    command TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
"""

_COLUMNS = "id, ts, user, role, command, target, result, detail, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    ts: float
    user: str | None
    role: str | None
    command: str
    target: str | None
    result: str
    detail: str | None
    prev_hash: str
    hash: str


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    conn.commit()


def row_hash(
    prev_hash: str,
    id: int,
    ts: float,
    user: str | None,
    role: str | None,
    command: str,
    target: str | None,
    result: str,
    detail: str | None,
) -> str:
    # Fixed-order array, no whitespace, repr-exact floats: the same values always
    # give the same bytes, whatever Python or SQLite version reads them back.
    canonical = json.dumps(
        [id, ts, user, role, command, target, result, detail],
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _to_row(values: tuple[object, ...]) -> AuditRow:
    return AuditRow(*values)  # type: ignore[arg-type]


class AuditLog:
    """The audit table on an open SQLite connection; call :func:`ensure_schema` first."""

    def __init__(self, conn: sqlite3.Connection, *, after_commit: Callable[[], None] | None = None) -> None:
        self._conn = conn
        # Called once a row appended here is committed: the store keeps its anchor (core.audit_anchor).
        self._after_commit = after_commit

    def append(
        self,
        ts: float,
        user: str | None,
        role: str | None,
        command: str,
        target: str | None,
        result: str,
        detail: str = "",
    ) -> AuditRow:
        """Add one row and commit it durably before returning.

        Raises ``RuntimeError`` if the connection has a transaction open.
        """
        # IMMEDIATE: the last row must not change between reading it and chaining onto it.
        with write_transaction(self._conn, owner="audit append", durable=True):
            row = self.append_in_transaction(ts, user, role, command, target, result, detail)
        if self._after_commit is not None:
            self._after_commit()
        return row

    def append_in_transaction(
        self,
        ts: float,
        user: str | None,
        role: str | None,
        command: str,
        target: str | None,
        result: str,
        detail: str = "",
    ) -> AuditRow:
        """Add one row inside the caller's open write transaction (its commit makes it durable).

        This is how a command's journal row and its audit row become one commit: neither can
        exist without the other after a crash.
        """
        ts = float(ts)
        # SQLite stores NaN as NULL and the hash must cover the exact stored value.
        if not math.isfinite(ts):
            raise ValueError(f"audit timestamp must be finite, got {ts!r}")
        last = self._conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        new_id, prev = (1, GENESIS_HASH) if last is None else (last[0] + 1, last[1])
        digest = row_hash(prev, new_id, ts, user, role, command, target, result, detail)
        row = AuditRow(new_id, ts, user, role, command, target, result, detail, prev, digest)
        self._conn.execute(
            f"INSERT INTO audit({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.ts,
                row.user,
                row.role,
                row.command,
                row.target,
                row.result,
                row.detail,
                row.prev_hash,
                row.hash,
            ),
        )
        return row

    def rows(self, since: float | None = None) -> list[AuditRow]:
        """Rows in id order; ``since`` keeps those with ``ts >= since``."""
        if since is None:
            cur = self._conn.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id")
        else:
            cur = self._conn.execute(
                f"SELECT {_COLUMNS} FROM audit WHERE ts >= ? ORDER BY id", (float(since),)
            )
        return [_to_row(r) for r in cur]

    def head(self) -> tuple[int, str] | None:
        """``(id, hash)`` of the last row, to store outside the database as an anchor."""
        last = self._conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return None if last is None else (int(last[0]), str(last[1]))

    def verify(self, anchor: tuple[int, str] | None = None) -> int | None:
        """Return None if the chain holds, else the id of the first broken row.

        A deleted row is reported as the row after the hole (its link and id
        no longer fit); with the first rows deleted, the first remaining row.

        With ``anchor`` (an earlier :meth:`head`), also require that row to be
        present with that hash. If rows after the last one were removed, the
        first missing id is returned; if the anchored row exists with another
        hash, the chain was rebuilt somewhere at or before it and the anchor id
        is returned, as the exact starting row cannot be known.
        """
        expected_id = 1
        expected_prev = GENESIS_HASH
        anchor_seen = False
        # Iterate the cursor rather than fetchall(): the log grows for years.
        for values in self._conn.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id"):
            row = _to_row(values)
            if row.id != expected_id or row.prev_hash != expected_prev:
                return row.id
            if not isinstance(row.ts, float) or not math.isfinite(row.ts):
                return row.id
            try:
                recomputed = row_hash(
                    row.prev_hash,
                    row.id,
                    row.ts,
                    row.user,
                    row.role,
                    row.command,
                    row.target,
                    row.result,
                    row.detail,
                )
            except (TypeError, ValueError):
                return row.id
            if recomputed != row.hash:
                return row.id
            if anchor is not None and row.id == anchor[0]:
                if row.hash != anchor[1]:
                    return row.id
                anchor_seen = True
            expected_id += 1
            expected_prev = row.hash
        if anchor is not None and not anchor_seen:
            return expected_id
        return None
