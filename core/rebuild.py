"""Crash recovery: the engine's state rebuilt from the store, its newest valid snapshot and the
journal after it (docs/STORE.md, "Snapshots"; docs/RELIABILITY.md). With no snapshot usable it is
the whole journal: the archive files of retention (core.store_archive), then the database's rows
after them, which is also what `ms5 verify` replays."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from core import engine_snapshot
from core.actions import read_actions
from core.auth import Role
from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.engine_snapshot import SnapshotError
from core.journal import JournalError, read_journal
from core.permissions import Actor
from core.samples import Sample
from core.sqlite_tx import StoreError
from core.store import Store
from core.store_archive import ManifestRow, archive_folder, archived_up_to, manifest, sha256_of
from core.store_snapshots import SnapshotRow, newest_first
from core.store_snapshots import clock as engine_clock

log = logging.getLogger("ms5.store")

Progress = Callable[[int, int], None]  # (rows done, rows in all): may raise to abandon the rebuild
_PROGRESS_EVERY = 20_000  # journal rows between two progress calls


def rebuild(
    config: Config, store: Store, *, marks: tuple[float, ...] = (), progress: Progress | None = None
) -> Engine:
    """A new engine restored from the store (its newest valid snapshot and the committed journal
    after it, in id order), then attached to `store`.

    The store is attached only afterwards: the projections of that journal are already in the
    file, and writing them again would double them. The engine's counters end at their last
    journaled values, so samples fed after this count nothing twice. `progress(done, total)` is
    called now and then with the journal rows replayed so far and to replay in all.
    """
    # Anything still buffered belongs in the journal before it is read back.
    store.flush()
    store.detach()
    engine = from_journal(config, store, marks=marks, progress=progress)
    store.attach(engine)
    return engine


def from_journal(
    config: Config,
    store: Store,
    *,
    marks: tuple[float, ...] = (),
    progress: Progress | None = None,
    snapshots: bool = True,
) -> Engine:
    """A new engine as the store's snapshot and committed journal make it, attached to nothing.
    `snapshots=False` replays the whole journal (what a restart did before snapshots). A full
    replay reads the retention's archive files first (`replay_archives`: StoreError naming a file
    missing or altered), then the database's rows after them.

    `store.restart_note` says what was read; `store.restart_trouble` is set when a snapshot had to
    be skipped (one line: which, why, and what was used instead)."""
    # One read of the file: an archive run (the station's upkeep) moving a day out of the
    # database meanwhile must not take rows from between the manifest read and the journal's.
    with _one_read(store.conn):
        return _from_journal(config, store, marks, progress, snapshots)


def _from_journal(
    config: Config, store: Store, marks: tuple[float, ...], progress: Progress | None, snapshots: bool
) -> Engine:
    engine, after, skipped = _restored(config, store, marks) if snapshots else (None, 0, [])
    days: list[ManifestRow] = []
    if engine is None:
        engine = Engine(config, marks=marks)
        # The database holds only the journal's tail once days are archived: a replay of it alone
        # would count from the middle of history (wrong baselines, open stops and calls lost).
        days = manifest(store.conn)
        after = archived_up_to(store.conn)
        base = (
            "a full replay of the archive files and the journal" if days else "a full replay of the journal"
        )
    else:
        base = f"the snapshot at journal row {after}"
    archived = sum(day.rows for day in days)
    total = archived + max(store.last_id - after, 0)
    if progress is not None:
        progress(0, total)
    done = replay_archives(engine, config, store, days, progress=progress, total=total)
    ingest_one = engine.ingest_one
    for row_id, record in store.journal(after):
        if isinstance(record, Sample):
            ingest_one(record)
        else:
            # Refused (or failed) when it was given, so it changed nothing then and changes nothing now.
            with contextlib.suppress(CommandError):
                apply_recorded(engine, record.command, record.args, record.ts, record.actor)
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(min(archived + row_id - after, total), total)
    if progress is not None:
        progress(total, total)
    clock = engine_clock(store.conn)
    if clock is not None and clock[0] == store.last_id:
        at, started = clock[1], clock[2]
        if engine.now is None and started is not None:
            engine.tick(started)  # the live engine began with a tick, before any journal row
        if engine.now is not None and at > engine.now:
            # The live engine's ticks had gone on past the last row: what they passed (a threshold,
            # an escalation) happened then and is not announced again by the first tick after this.
            engine.tick(at)
    store.restart_note = f"restart: {base} + {done} journal rows"
    store.restart_trouble = None
    if skipped:
        store.restart_trouble = f"{'; '.join(skipped)}: restarted from {base} + {done} journal rows"
    return engine


def whole_journal(config: Config, store: Store) -> Engine:
    """An engine fed the whole journal, snapshots aside: the archive files, then the database's
    rows past them in id order (what `ms5 verify` checks the projections against)."""
    with _one_read(store.conn):
        return _from_journal(config, store, (), None, False)


def replay_archives(
    engine: Engine,
    config: Config,
    store: Store,
    days: list[ManifestRow],
    *,
    progress: Progress | None = None,
    total: int = 0,
) -> int:
    """Feed `engine` the archived `days` of the store (`manifest`), each as `ms5 replay` reads
    it: its samples and its commands merged by time, a recorded clock step as the live station
    took it. Returns the rows fed. StoreError, naming the file, when one is missing, is not the
    file archived (its sha256) or cannot be read: a replay without it would miss part of history."""
    folder = archive_folder(store.path)
    done = 0
    for day in days:
        journal, commands = day.files(folder)
        try:
            samples = sorted(read_journal(_checked(journal, day.journal_sha256), config), key=lambda s: s.ts)
            actions = sorted(read_actions(_checked(commands, day.actions_sha256)), key=lambda a: a.ts)
        except JournalError as exc:  # the file archived, but not one this config replays
            raise StoreError(f"archive file {exc}; a restart replays the whole journal") from None
        i = 0
        for action in actions:
            while i < len(samples) and samples[i].ts <= action.ts:
                engine.ingest_one(samples[i])
                i += 1
            actor = (
                Actor(action.user, Role(action.role))
                if action.user is not None and action.role is not None
                else None
            )
            # Refused when it was given, so it changed nothing then either.
            with contextlib.suppress(CommandError):
                apply_recorded(engine, action.command, action.args, action.ts, actor)
        engine.ingest(samples[i:])
        done += len(samples) + len(actions)
        if progress is not None:
            progress(min(done, total), total)
    return done


def _checked(path: Path, sha256: str) -> Path:
    """`path` if it is the archive file recorded; StoreError (one line, naming it) if not."""
    why = "not the file archived (its sha256 differs)"
    try:
        if sha256_of(path) == sha256:
            return path
    except FileNotFoundError:
        why = "missing"
    except OSError as exc:
        why = f"cannot be read: {exc.strerror or exc}"
    raise StoreError(
        f"{path}: archive file {why}; no engine snapshot is usable, so a restart replays the whole "
        "journal and this file holds part of it: put it back (from a backup) and start again"
    )


@contextlib.contextmanager
def _one_read(conn: sqlite3.Connection) -> Iterator[None]:
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written: the read ends


def _restored(config: Config, store: Store, marks: tuple[float, ...]) -> tuple[Engine | None, int, list[str]]:
    """The engine of the newest snapshot that loads, the journal id it reflects, and one phrase per
    snapshot skipped on the way."""
    skipped: list[str] = []
    last = store.last_id
    for row in newest_first(store.conn):
        why = _unusable(row, last)
        if why is None:
            assert row.body is not None
            try:
                return engine_snapshot.load(config, row.body, marks=marks), row.journal_id, skipped
            except SnapshotError as exc:
                why = str(exc)
        if why != "taken with another config" and why != "taken with other bucket marks":
            skipped.append(f"snapshot #{row.id} (journal row {row.journal_id}) skipped: {why}")
        else:
            log.info("store: snapshot #%d not used: %s", row.id, why)
    return None, 0, skipped


def _unusable(row: SnapshotRow, last_id: int) -> str | None:
    if row.body is None:
        return row.error or "unreadable"
    if row.version != engine_snapshot.FORMAT_VERSION:
        return f"format version {row.version}, this station reads {engine_snapshot.FORMAT_VERSION}"
    if engine_snapshot.checksum(row.body) != row.checksum:
        return "damaged (checksum)"
    if row.journal_id > last_id:
        return f"ahead of the journal (which ends at row {last_id})"
    return None
