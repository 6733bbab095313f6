"""A starting station's engine, restored from the store's journal in a worker thread.

The thread works on a read-only connection of its own and into an engine nobody else sees: the
station's loop goes on polling and serving meanwhile, and takes the engine once it is whole
(hmi.station.runtime). `status()` says how far it is for the faces; `abandon()`, from the loop,
ends it at once (the connection is interrupted) when the station stops during its start-up.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from core.config import Config
from core.engine import Engine
from core.rebuild import from_journal
from core.store import Store
from core.store_open import damaged


class Abandoned(Exception):
    """Raised in the restore thread once the station stops during its start-up."""


class Restore:
    def __init__(self, config: Config, db_path: Path, *, check: bool = True) -> None:
        self.config = config
        self.db_path = db_path
        # The full quick check first: after an unclean stop (hmi.station.store_check).
        self.check = check
        self.progress: tuple[int, int] = (0, 0)  # journal rows restored, rows in all
        self.stage = "opening the store"
        self._abandon = threading.Event()
        self._conn: sqlite3.Connection | None = None
        # What the restore read (a snapshot and the rows after it) and a snapshot it had to skip.
        self.restart_note: str | None = None
        self.restart_trouble: str | None = None

    def status(self) -> str:
        """`starting (42 %)`, or the stage before the journal: what every face shows."""
        done, total = self.progress
        if self.stage == "restoring" and total:
            return f"starting ({100 * done // total} %)"
        return f"starting ({self.stage})"

    def run(self) -> Engine:
        """In the worker thread: the quick check (when asked) and the journal's replay into a
        fresh engine (attached to nothing: the projections are in the file already). A damaged
        page the replay meets is refused with the check's one line too."""
        ro = Store.open_read_only(self.db_path)
        self._conn = ro.conn
        try:
            if self._abandon.is_set():
                raise Abandoned
            if self.check:
                self.stage = "checking the store"
                ro.quick_check()  # a damaged file is refused here, not met as a traceback later
            self.stage = "restoring"
            try:
                engine = from_journal(self.config, ro, progress=self._on_progress)
            except sqlite3.DatabaseError as exc:
                if self._abandon.is_set():
                    raise Abandoned from None
                raise damaged(exc, self.db_path) from None
            self.restart_note, self.restart_trouble = ro.restart_note, ro.restart_trouble
            return engine
        finally:
            self._conn = None
            ro.close()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        if self._abandon.is_set():
            raise Abandoned

    def abandon(self) -> None:
        """From the loop: the thread stops at its next statement or its next progress."""
        self._abandon.set()
        conn = self._conn
        if conn is not None:
            conn.interrupt()  # the one call SQLite allows from another thread
