"""Crash recovery: the engine's state rebuilt from the store, its newest valid snapshot and the
journal after it (docs/STORE.md, "Snapshots"; docs/RELIABILITY.md)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from core import engine_snapshot
from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.engine_snapshot import SnapshotError
from core.samples import Sample
from core.store import Store
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
    `snapshots=False` replays the whole journal (what a restart did before snapshots).

    `store.restart_note` says what was read; `store.restart_trouble` is set when a snapshot had to
    be skipped (one line: which, why, and what was used instead)."""
    engine, after, skipped = _restored(config, store, marks) if snapshots else (None, 0, [])
    base = "a full replay of the journal" if engine is None else f"the snapshot at journal row {after}"
    if engine is None:
        engine = Engine(config, marks=marks)
    total = max(store.last_id - after, 0)
    done = 0
    ingest_one = engine.ingest_one
    if progress is not None:
        progress(0, total)
    for row_id, record in store.journal(after):
        if isinstance(record, Sample):
            ingest_one(record)
        else:
            # Refused (or failed) when it was given, so it changed nothing then and changes nothing now.
            with contextlib.suppress(CommandError):
                apply_recorded(engine, record.command, record.args, record.ts, record.actor)
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(min(row_id - after, total), total)
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
