"""The store's upkeep while the station runs: retention and the scheduled backups (docs/STORE.md).

Each runs on a worker thread with a connection of its own (core.store_archive,
core.store_backup), so the event loop that polls the PLCs and commits the journal never waits for
more than one short batch of theirs. Stopping the station sets their stop flag and waits for the
batch in hand: a kill at any moment is safe all the same (the archiver's steps are, the backup's
temporary file is never the backup).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from core.config_store import StoreSection
from core.sqlite_tx import StoreError, one_line
from core.store_archive import Archiver
from core.store_backup import due, scheduled_backup

log = logging.getLogger("ms5.station")

_T = TypeVar("_T")


class Upkeep:
    first_delay_s = 60.0  # retention waits this long after the start: the first polls come first
    retention_every_s = 600.0
    backup_check_s = 60.0

    def __init__(self, settings: StoreSection, db: Path, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.stopping = threading.Event()
        self.archiver = Archiver(db, journal_days=settings.journal_days, clock=clock, stop=self.stopping)
        self.backup_folder = settings.backup_folder(db)
        self.retention = ""  # why no more days were archived in the last run (core.store_archive)
        # Set while an archive run or a backup fails (why, one line); None after one went through.
        self.error: str | None = None
        self.last_backup: Path | None = None

    def stop(self) -> None:
        self.stopping.set()

    def tasks(self) -> list[asyncio.Task[None]]:
        tasks = [asyncio.create_task(self._retain_loop(), name="retention")]
        if self.backup_folder is not None:
            tasks.append(asyncio.create_task(self._backup_loop(), name="backups"))
        return tasks

    async def _in_thread(self, work: Callable[[], _T]) -> _T:
        future = asyncio.get_running_loop().run_in_executor(None, work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The thread stops at its next batch; the store must not close under it.
            self.stopping.set()
            await asyncio.wait([future])
            raise

    async def retain_once(self) -> None:
        try:
            days = await self._in_thread(self.archiver.run)
        except (StoreError, OSError, ValueError) as exc:
            self._failed(f"archiving the journal failed: {exc}")
            return
        except Exception as exc:  # sqlite3.Error and its kin: said, and tried again later
            self._failed(f"archiving the journal failed: {one_line(exc)}")
            return
        self.error = None
        for day in days:
            log.info(
                "store: journal of %s archived (%d rows, ids %d-%d)",
                day.name,
                day.rows,
                day.first_id,
                day.last_id,
            )
        if self.archiver.status != self.retention:
            self.retention = self.archiver.status
            log.info("store: retention: %s", self.retention)

    async def backup_once(self) -> None:
        folder = self.backup_folder
        assert folder is not None
        now = self.clock()
        try:
            if not due(self.db, folder, self.settings.backup_every_h, now):
                return
            made, removed = await self._in_thread(
                lambda: scheduled_backup(self.db, folder, keep=self.settings.backup_keep, now=now)
            )
        except (StoreError, OSError) as exc:
            self._failed(f"backup failed: {exc}")
            return
        self.error, self.last_backup = None, made.path
        log.info("store: backed up to %s (%d old backups removed)", made.path, len(removed))

    def _failed(self, message: str) -> None:
        if message != self.error:
            log.error("store: %s", message)
        self.error = message

    async def _retain_loop(self) -> None:
        await asyncio.sleep(self.first_delay_s)
        while True:
            await self.retain_once()
            await asyncio.sleep(self.retention_every_s)

    async def _backup_loop(self) -> None:
        while True:
            await self.backup_once()
            await asyncio.sleep(self.backup_check_s)
