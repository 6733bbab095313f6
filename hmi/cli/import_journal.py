"""`ms5 import-journal`: a recorded journal (and its commands) written into a station's store as
if the station had recorded it (core/journal_import.py), a new store or one extended.

Everything is read and checked before the store is touched, so a bad row is refused with its
line number and nothing written; the writing is one transaction. The store must not be in use:
the import holds the lock a station holds on it (hmi/socket/server.py), so neither can start
while the other runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from core.actions import Action, read_actions
from core.config import Config, ConfigError, load_config
from core.journal import JournalError, read_journal
from core.journal_import import Imported, ImportRefused, import_journal
from core.samples import Sample
from core.sqlite_tx import StoreError
from core.store import Store
from core.store_files import remove_store
from hmi.errors import UsageError
from hmi.paths import socket_path

BAR_AFTER_S = 2.0  # a progress bar only for an import that takes longer than this
BAR_WIDTH = 30


class ProgressBar:
    """A bar on one terminal line (stderr), drawn once the work takes a while; nothing otherwise."""

    def __init__(self, out: TextIO, what: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.what = what
        self.clock = clock
        self.started = clock()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.drawn and self.clock() - self.started < BAR_AFTER_S:
            return
        self.drawn = True
        share = done / total if total else 1.0
        filled = int(share * BAR_WIDTH)
        self.out.write(
            f"\r{self.what} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} ({done:,} rows)"
        )
        self.out.flush()

    def end(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.out.flush()


@contextlib.contextmanager
def store_not_in_use(db: Path) -> Iterator[None]:
    """The station's lock on `db` held for the import; UsageError when a station runs on it."""
    lock = socket_path(db).with_name(socket_path(db).name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    except FileNotFoundError:  # no data folder yet: no station has ever run there
        yield
        return
    except OSError as exc:
        raise UsageError(f"cannot open {lock}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise UsageError(f"a station runs on {db}; stop it before importing into its store") from None
            raise UsageError(f"cannot lock {lock}: {exc.strerror}") from None
        yield
    finally:
        os.close(fd)


def _read(args: argparse.Namespace, config: Config) -> tuple[list[Sample], list[Action]]:
    try:
        samples = read_journal(args.journal, config)
        actions = read_actions(args.actions) if args.actions else []
    except JournalError as exc:
        raise UsageError(str(exc), located=True) from None
    if not samples and not actions:
        raise UsageError(f"{args.journal}: the journal has no rows")
    return samples, actions


def run_import(config: Config, db: Path, samples: list[Sample], actions: list[Action]) -> Imported:
    """Into `db` (created when missing; a store created for an import that fails is removed)."""
    existed = db.exists()
    bar = ProgressBar(sys.stderr, f"importing into {db.name}") if sys.stderr.isatty() else None
    try:
        with store_not_in_use(db), Store.open(db) as store:
            return import_journal(config, store, samples, actions, progress=bar)
    except (ImportRefused, StoreError) as exc:
        if not existed:
            remove_store(db)
        raise UsageError(str(exc), located=True) from None
    finally:
        if bar is not None:
            bar.end()


def cmd_import(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    samples, actions = _read(args, config)
    db = Path(args.db)
    result = run_import(config, db, samples, actions)
    how = "extended" if result.extended else "new store"
    line = f"{result.samples} samples and {result.commands} commands imported into {db} ({how})"
    if result.refused:
        first_line, why = result.refused[0]
        line += (
            f"; {len(result.refused)} commands refused as the station would have (line {first_line}: {why})"
        )
    print(line)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import-journal",
        help="Build (or extend) a station's store from a recorded journal, as if it had recorded it.",
        description="Write a journal CSV (what ms5 export-journal writes) and its commands (JSON "
        "Lines) into a station's store through the engine, projections included; an existing "
        "store is extended, and a journal that starts before its last row is refused. "
        "Nothing is written when a row is bad (its line is named). See docs/STORE.md.",
    )
    p.set_defaults(func=cmd_import)
    p.add_argument("config")
    p.add_argument("journal", metavar="JOURNAL.csv")
    p.add_argument("--actions", metavar="JSONL", help="the operator commands to import with it")
    p.add_argument("--db", metavar="PATH", required=True, help="the store to build or extend")
