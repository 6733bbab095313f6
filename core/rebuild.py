"""Crash recovery: the engine's state rebuilt from the store's journal."""

from __future__ import annotations

from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.samples import Sample
from core.store import Store


def rebuild(config: Config, store: Store, *, marks: tuple[float, ...] = ()) -> Engine:
    """A new engine fed the whole committed journal in id order, then attached to `store`.

    The store is attached only afterwards: the projections of that journal are already in the
    file, and writing them again would double them. The engine's counters end at their last
    journaled values, so samples fed after this count nothing twice.
    """
    # Anything still buffered belongs in the journal before it is read back.
    store.flush()
    store.detach()
    engine = from_journal(config, store, marks=marks)
    store.attach(engine)
    return engine


def from_journal(config: Config, store: Store, *, marks: tuple[float, ...] = ()) -> Engine:
    """A new engine fed the store's committed journal, attached to nothing."""
    engine = Engine(config, marks=marks)
    ingest_one = engine.ingest_one
    for _id, record in store.journal():
        if isinstance(record, Sample):
            ingest_one(record)
            continue
        try:
            apply_recorded(engine, record.command, record.args, record.ts, record.actor)
        except CommandError:  # Refused included
            continue  # refused when it was given, so it changed nothing then and changes nothing now
    return engine
