"""Retention: the journal's old days in compressed files beside the database (docs/STORE.md).

Journal rows older than `[store] journal_days` move, one UTC day at a time, into the folder
`<db>.archive/`: `<YYYY-MM-DD>.csv.gz` holds the day's samples as `ms5 export-journal` writes
them, `<YYYY-MM-DD>.actions.jsonl.gz` its commands as `--actions` writes them, so `ms5 replay`
reads them as they are. Then the rows leave the database; the projections, downtime events,
Andon calls, jobs and the audit trail stay.

A day is archived in three steps, and a kill -9 between any two (or inside one) loses and doubles
nothing:
1. both files are written under temporary names, fsynced, renamed into place, the folder fsynced;
2. the day is recorded in `journal_archives` (its first and last journal id, its row count, the
   files' sha256), in one transaction;
3. its rows are deleted from the journal, a small batch per transaction.
Every run first finishes step 3 of each recorded day and removes temporaries left by a kill. A
day whose files are in place but not recorded is written again: gzip without a time in its
header writes the same bytes from the same rows.

It runs on a connection and a thread of its own, in short transactions (reads in batches, a
delete of `batch_rows` rows at a time), pausing between batches: the station's writes wait at
most for one batch. Only rows a restart does not need go: those up to the journal position of the
oldest engine snapshot kept (`snapshots.journal_id`). A store without snapshots archives nothing,
since a restart replays its whole journal. Nor does the journal's newest row ever go: SQLite
gives the next row max(id) + 1, and an empty journal would start again at 1.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from core.journal import BAD, HEADER, exact_time_text, format_value
from core.samples import Quality
from core.store import command_record
from core.store_files import FOLDER_MODE, file_mode

__all__ = [
    "ACTIONS_SUFFIX",
    "JOURNAL_SUFFIX",
    "NO_SNAPSHOTS",
    "Archived",
    "Archiver",
    "ManifestRow",
    "archive_folder",
    "archived_up_to",
    "manifest",
    "sha256_of",
    "snapshot_bound",
]

JOURNAL_SUFFIX = ".csv.gz"
ACTIONS_SUFFIX = ".actions.jsonl.gz"
_TEMP = ".tmp"
NO_SNAPSHOTS = "no engine snapshots in the store: a restart needs the whole journal, none is archived"
_DAY_S = 86400.0
_KNOWN_QUALITIES = frozenset(int(q) for q in Quality)
_BAD = int(Quality.BAD)
_SELECT = (
    "SELECT id, ts, equipment, signal, value, quality, command, user, role, args "
    "FROM journal WHERE id > ? ORDER BY id LIMIT ?"
)

Row = tuple[
    int,
    float,
    str | None,
    str | None,
    float | None,
    int | None,
    str | None,
    str | None,
    str | None,
    str | None,
]


def archive_folder(db: Path) -> Path:
    return Path(f"{db}.archive")


@dataclass(frozen=True, slots=True)
class ManifestRow:
    name: str
    first_id: int
    last_id: int
    rows: int
    first_ts: float
    last_ts: float
    journal_sha256: str
    actions_sha256: str

    def files(self, folder: Path) -> tuple[Path, Path]:
        return folder / f"{self.name}{JOURNAL_SUFFIX}", folder / f"{self.name}{ACTIONS_SUFFIX}"


Archived = ManifestRow


def manifest(conn: sqlite3.Connection) -> list[ManifestRow]:
    """The archived days in journal order; none in a store from before retention."""
    if not _has_table(conn, "journal_archives"):
        return []
    rows = conn.execute(
        "SELECT name, first_id, last_id, rows, first_ts, last_ts, journal_sha256, actions_sha256 "
        "FROM journal_archives ORDER BY first_id"
    )
    return [ManifestRow(*row) for row in rows]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def archived_up_to(conn: sqlite3.Connection) -> int:
    """The last journal id in the archive files, 0 if none: rows up to it still in the database
    are the tail of a run cut short, deleted by the next."""
    if not _has_table(conn, "journal_archives"):
        return 0
    (last,) = conn.execute("SELECT max(last_id) FROM journal_archives").fetchone()
    return int(last or 0)


def snapshot_bound(conn: sqlite3.Connection) -> int | None:
    """The last journal id a restart no longer needs: the position of the oldest snapshot kept.
    None when the store keeps no snapshots (a restart then replays the whole journal)."""
    if not _has_table(conn, "snapshots"):
        return None
    (bound,) = conn.execute("SELECT min(journal_id) FROM snapshots").fetchone()
    return None if bound is None else int(bound)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _day_of(ts: float) -> tuple[str, float]:
    """The UTC day a time falls in, and the end of that day."""
    day = datetime.fromtimestamp(ts, UTC).date()
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return day.isoformat(), end.timestamp()


class _DayFiles:
    """The two temporary files of one day, gzip with no name or time in the header."""

    def __init__(self, folder: Path, name: str) -> None:
        self.final = (folder / f"{name}{JOURNAL_SUFFIX}", folder / f"{name}{ACTIONS_SUFFIX}")
        self.temp = tuple(Path(f"{p.parent}/.{p.name}{_TEMP}") for p in self.final)
        self._raw: list[IO[bytes]] = []
        self._text: list[io.TextIOWrapper] = []
        mode = file_mode(folder)
        for path in self.temp:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
            raw = os.fdopen(fd, "wb")
            packed = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            self._raw.append(raw)
            self._text.append(io.TextIOWrapper(packed, encoding="utf-8", newline=""))
        self.journal = csv.writer(self._text[0], lineterminator="\n")
        self.journal.writerow(HEADER)
        self.actions = self._text[1]

    def finish(self) -> None:
        """Closed, on the disk, and in place under the final names."""
        for text, raw in zip(self._text, self._raw, strict=True):
            text.close()  # closes the gzip stream (its trailer), not the file under it
            raw.flush()
            os.fsync(raw.fileno())
            raw.close()
        # The actions first: a journal file in place means its day's actions are too.
        for temp, final in zip(reversed(self.temp), reversed(self.final), strict=True):
            os.replace(temp, final)
        _fsync_folder(self.final[0].parent)

    def discard(self) -> None:
        for text in self._text:
            text.close()
        for raw in self._raw:
            raw.close()
        for temp in self.temp:
            temp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Archiver:
    """Moves the due days of one store's journal into its archive folder; `run` once per call.

    `checkpoint` is called with a step's name after each step (the crash harness kills there);
    `status` says, after a run, why nothing more was archived."""

    def __init__(
        self,
        db: Path,
        *,
        journal_days: float,
        batch_rows: int = 2000,
        pause_s: float = 0.005,
        clock: Callable[[], float] = time.time,
        stop: threading.Event | None = None,
        checkpoint: Callable[[str], None] = lambda step: None,
    ) -> None:
        self.db = db
        self.folder = archive_folder(db)
        self.journal_days = journal_days
        self.batch_rows = batch_rows
        self.pause_s = pause_s
        self.clock = clock
        self.stop = stop or threading.Event()
        self.checkpoint = checkpoint
        self.status = ""

    def run(self) -> list[Archived]:
        """Finish what a kill left, then archive every due day; the days archived."""
        conn = sqlite3.connect(self.db, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            self._recover(conn)
            done: list[Archived] = []
            while not self.stop.is_set():
                day = self._archive_day(conn)
                if day is None:
                    break
                done.append(day)
            return done
        finally:
            conn.close()

    def _recover(self, conn: sqlite3.Connection) -> None:
        if self.folder.is_dir():
            for temp in self.folder.glob(f".*{_TEMP}"):
                temp.unlink(missing_ok=True)
        for row in manifest(conn):
            self._delete(conn, row.first_id, row.last_id)

    def _delete(self, conn: sqlite3.Connection, first: int, last: int) -> None:
        (low,) = conn.execute(
            "SELECT min(id) FROM journal WHERE id BETWEEN ? AND ?", (first, last)
        ).fetchone()
        # Not cut short by `stop`: rows both in a file and in the database would be there twice
        # for anything that reads both before the next run (the batches are quick).
        while low is not None and low <= last:
            high = min(last, low + self.batch_rows - 1)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM journal WHERE id BETWEEN ? AND ?", (low, high))
            conn.execute("COMMIT")
            self.checkpoint("deleted a batch")
            low = high + 1
            self.stop.wait(self.pause_s)

    def _archive_day(self, conn: sqlite3.Connection) -> Archived | None:
        bound = snapshot_bound(conn)
        if bound is None:
            self.status = (
                "no engine snapshots in the store: a restart needs the whole journal, none is archived"
            )
            return None
        first = conn.execute("SELECT id, ts FROM journal ORDER BY id LIMIT 1").fetchone()
        if first is None:
            self.status = "the journal is empty"
            return None
        first_id, first_ts = int(first[0]), float(first[1])
        day, day_end = _day_of(first_ts)
        if day_end > self.clock() - self.journal_days * _DAY_S:
            self.status = f"no day older than {self.journal_days:g} days in the journal"
            return None
        if first_id > bound:
            self.status = f"waiting for a snapshot after {day}: a restart still needs its rows"
            return None
        taken = {row.name: row.first_id for row in manifest(conn)}
        name = day if taken.get(day, first_id) == first_id else f"{day}-{first_id}"
        self.folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        files = _DayFiles(self.folder, name)
        try:
            written = self._write(conn, files, first_id, day_end, bound)
            if written is None:
                files.discard()
                return None
            files.finish()
        except BaseException:
            files.discard()
            raise
        self.checkpoint("files in place")
        last_id, rows, last_ts = written
        record = ManifestRow(
            name,
            first_id,
            last_id,
            rows,
            first_ts,
            last_ts,
            sha256_of(files.final[0]),
            sha256_of(files.final[1]),
        )
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT OR REPLACE INTO journal_archives(name, first_id, last_id, rows, first_ts, last_ts, "
            "journal_sha256, actions_sha256, archived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*(getattr(record, f) for f in ManifestRow.__slots__), self.clock()),
        )
        conn.execute("COMMIT")
        self.checkpoint("recorded")
        self._delete(conn, first_id, last_id)
        return record

    def _write(
        self, conn: sqlite3.Connection, files: _DayFiles, first_id: int, day_end: float, bound: int
    ) -> tuple[int, int, float] | None:
        """The day's rows into `files`, batch by batch: (last id, rows, last time), or None when
        the day cannot be archived yet (`status` says why)."""
        last_id, rows, last_ts = first_id - 1, 0, 0.0
        for batch in self._batches(conn, first_id - 1):
            for row in batch:
                row_id, ts = row[0], row[1]
                if ts >= day_end:
                    return last_id, rows, last_ts
                if row_id > bound:
                    self.status = "waiting for a snapshot: a restart still needs the end of the day"
                    return None
                _write_row(files, row)
                last_id, rows, last_ts = row_id, rows + 1, ts
            self.checkpoint("wrote a batch")
            if self.stop.is_set():
                self.status = "stopped"
                return None
        self.status = "the oldest day has no later row yet: it may not be over"
        return None

    def _batches(self, conn: sqlite3.Connection, after: int) -> Iterator[list[Row]]:
        while True:
            batch: list[Row] = conn.execute(_SELECT, (after, self.batch_rows)).fetchall()
            if not batch:
                return
            yield batch
            after = batch[-1][0]
            self.stop.wait(self.pause_s)


def _write_row(files: _DayFiles, row: Row) -> None:
    _id, ts, equipment, signal, value, quality, command, user, role, args = row
    if command is None:
        # As Store.journal reads it back: an unknown quality is BAD, and so is NaN (Sample.valid).
        valid = value is not None and value == value and quality in _KNOWN_QUALITIES and quality != _BAD
        text = format_value(value) if valid and value is not None else BAD
        files.journal.writerow([exact_time_text(ts), equipment, signal, text])
        return
    record = command_record(ts, command, user, role, args)
    obj = {
        "ts": exact_time_text(ts),
        "user": record.user,
        "role": None if record.role is None else str(record.role),
        "command": record.command,
        **record.args,
    }
    files.actions.write(json.dumps(obj, sort_keys=False) + "\n")
