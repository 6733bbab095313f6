"""Writing the station's SQLite file: the one way its own writers (`core.auth`, `core.audit`) open
a write transaction (BEGIN IMMEDIATE, then commit, or roll back on any failure), and what a failed
write is called, in an operator's words and in the store's error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["StoreError", "one_line", "write_failure", "write_transaction"]

# PRAGMA synchronous reports a number; these are the names it accepts back.
_SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
# SQLite's primary result codes for the failures a station meets on a plant PC.
_WHY = {13: "disk full", 8: "read-only", 10: "disk I/O error", 14: "cannot open the file", 5: "file locked"}


class StoreError(Exception):
    """The store file cannot be used; the message is one line and names the file."""


def write_failure(exc: sqlite3.Error) -> str:
    """Why a write failed, in the words an operator understands ("disk full", "read-only")."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _WHY:
        return _WHY[code & 0xFF]
    return one_line(exc)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def write_transaction(conn: sqlite3.Connection, *, owner: str, durable: bool = False) -> Iterator[None]:
    """One committed write transaction on a connection that has none open (`owner` names the
    writer in the error otherwise).

    IMMEDIATE takes the write lock before the first read, so two writers cannot both read a row
    and then write past each other: a lost failed-PIN count, or an audit chain forked in two.

    `durable`: the commit is fsynced (synchronous=FULL) whatever the connection's setting, which is
    restored afterwards, so the rest of the station keeps the trade-off it chose.
    """
    if conn.in_transaction:
        # Joining would mean committing, or on a failure rolling back, the caller's unrelated
        # work; and SQLite refuses to change the safety level inside a transaction.
        raise RuntimeError(f"{owner} needs a connection with no open transaction; commit first")
    previous = conn.execute("PRAGMA synchronous").fetchone()[0] if durable else None
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.commit()
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
    finally:
        if previous is not None:
            conn.execute(f"PRAGMA synchronous={_SYNC_NAMES.get(previous, 'FULL')}")
