"""The one way the station's own writers (`core.auth`, `core.audit`) open a write transaction on
the station's SQLite connection: BEGIN IMMEDIATE, then commit, or roll back on any failure."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["write_transaction"]

# PRAGMA synchronous reports a number; these are the names it accepts back.
_SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


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
