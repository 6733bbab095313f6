"""The store's full quick check at start: before the restore, or once the station is live.

`PRAGMA quick_check` reads every page of the file, so it grows with the file (0.46 s at 71 MB,
about 9 s at 1.4 GB). After a clean stop (core.clean_stop: the file is as its last station left
it) nothing can have been torn by a dying writer, so the check runs in a worker thread on a
read-only connection of its own once the station is live: polling and the socket go on, and a
problem found is said once in the log and stays on every face's health. After any other stop it
runs before the restore, and a damaged file is refused with one line (hmi.station.restore).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from core.store import Store, StoreError

BEFORE, AFTER, CHECKING, OK, DAMAGED, NOT_RUN = (
    "before the restore",  # no clean stop recorded: the restore waits for the check
    "after the restore",  # a clean stop recorded: the check waits for the station to be live
    "checking",  # in its worker thread, the station live
    "ok",
    "damaged",
    "not run",  # the station stopped before the check ended
)


class StoreCheck:
    def __init__(self, db_path: Path, stopped_cleanly_at: float | None) -> None:
        self.db_path = db_path
        self.stopped_cleanly_at = stopped_cleanly_at
        self.before = stopped_cleanly_at is None
        self.state = BEFORE if self.before else AFTER
        self.problem: str | None = None  # the one line of a damage found while live
        self._abandon = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self.started = False  # set on the loop as the worker thread is started
        self.done = threading.Event()  # the worker thread let go of the file

    def passed(self) -> None:
        """The check before the restore found nothing."""
        self.state = OK

    def run(self) -> None:
        """In the worker thread: the full check; the state says what it found."""
        try:
            if self._abandon.is_set():
                return
            self.state = CHECKING
            try:
                ro = Store.open_read_only(self.db_path)
            except StoreError as exc:
                self._found(str(exc))
                return
            self._conn = ro.conn
            if self._abandon.is_set():
                ro.conn.interrupt()  # abandoned while it opened: nothing else would stop it
            try:
                ro.quick_check()
            except StoreError as exc:
                self._found(str(exc))
            else:
                self.state = OK
            finally:
                self._conn = None
                ro.close()
        finally:
            if self.state == CHECKING:
                self.state = NOT_RUN
            self.done.set()

    def _found(self, problem: str) -> None:
        if self._abandon.is_set():
            self.state = NOT_RUN  # interrupted: SQLite's "interrupted" is no damage
            return
        self.state, self.problem = DAMAGED, problem

    def abandon(self) -> None:
        """From the loop: the thread stops at once (its connection is interrupted)."""
        self._abandon.set()
        conn = self._conn
        if conn is not None:
            conn.interrupt()
