"""Crash recovery: the engine's state rebuilt from the store's journal."""

from __future__ import annotations

from collections.abc import Callable

from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.samples import Sample
from core.store import Store

PROGRESS_EVERY = 20_000  # journal rows between two calls of a `progress` callback

Progress = Callable[[int, int], None]  # (rows done, rows in all): may raise to abandon the rebuild


def rebuild(
    config: Config, store: Store, *, marks: tuple[float, ...] = (), progress: Progress | None = None
) -> Engine:
    """A new engine fed the whole committed journal in id order, then attached to `store`.

    The store is attached only afterwards: the projections of that journal are already in the
    file, and writing them again would double them. The engine's counters end at their last
    journaled values, so samples fed after this count nothing twice.
    """
    # Anything still buffered belongs in the journal before it is read back.
    store.flush()
    store.detach()
    engine = from_journal(config, store, marks=marks, progress=progress)
    store.attach(engine)
    return engine


def from_journal(
    config: Config, store: Store, *, marks: tuple[float, ...] = (), progress: Progress | None = None
) -> Engine:
    """A new engine fed the store's committed journal, attached to nothing. `progress` is called
    at the start, every PROGRESS_EVERY rows and at the end, with row ids (the journal's ids run
    from 1 without gaps but for rows lost to damage, so they are a fair measure)."""
    engine = Engine(config, marks=marks)
    ingest_one = engine.ingest_one
    total = store.last_id if progress is not None else 0
    if progress is not None:
        progress(0, total)
    next_call = PROGRESS_EVERY
    for row_id, record in store.journal():
        if progress is not None and row_id >= next_call:
            progress(row_id, total)
            next_call = row_id + PROGRESS_EVERY
        if isinstance(record, Sample):
            ingest_one(record)
            continue
        try:
            apply_recorded(engine, record.command, record.args, record.ts, record.actor)
        except CommandError:  # Refused included
            continue  # refused when it was given, so it changed nothing then and changes nothing now
    if progress is not None:
        progress(total, total)
    return engine
