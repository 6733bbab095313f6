"""The station's SQLite file: the journal of inputs, and the projections the faces and reports read.

The journal (samples and operator commands, in the order the engine saw them) is the truth; the
projections (state intervals, per-minute counts, downtime events; `core.store_projections`) are
written from the engine's events so a face or a report can read them without an engine. Both go
into the same transaction, so after a crash the file holds a journal prefix and exactly the
projections of that prefix. The schema and its migrations are in `core.store_schema`.

Samples are buffered in memory and committed at most a second apart (`maybe_flush`); an operator
command is committed at once with `synchronous=FULL`, together with everything buffered before
it, so the journal keeps the engine's order. Between commits no transaction is left open, which
is what lets `core.auth` and `core.audit` write their rows on the same connection at any time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from core import engine_snapshot
from core.audit import AuditLog
from core.audit_anchor import Anchor, Loss, anchor_path, compare, head_of
from core.auth import Role
from core.counter_thinning import COUNTER_SIGNALS
from core.engine import Engine
from core.permissions import Actor
from core.samples import Quality, Sample
from core.sqlite_tx import StoreError, one_line, write_failure
from core.store_open import damaged, open_read_only, open_writable, quick_check
from core.store_projections import Projections
from core.store_schema import MIGRATIONS, SCHEMA_VERSION
from core.store_snapshots import KEEP, record_clock
from core.store_snapshots import insert as insert_snapshot
from core.text import writable_text

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "CommandRecord",
    "Store",
    "StoreError",
    "command_record",
    "write_failure",
]

log = logging.getLogger("ms5.store")

FLUSH_INTERVAL_S = 1.0
# Samples kept in memory while the file cannot be written (a full or read-only disk): about ten
# minutes of a busy line polled at 100 ms, some 10 MB. Beyond it the oldest are dropped and counted.
BACKLOG_MAX = 50_000
_BACKLOG_KEEP = 0.9  # dropping down to 90 % of the bound makes dropping rare, not every sample


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """An operator command as journaled: replayed through `Engine.command(command, args, ts, actor)`."""

    ts: float
    user: str | None
    role: Role | None
    command: str
    args: dict[str, Any]

    @property
    def actor(self) -> Actor | None:
        return Actor(self.user, self.role) if self.user is not None and self.role is not None else None


# ---------------------------------------------------------------- the store

_INSERT_SAMPLE = "INSERT INTO journal(ts, equipment, signal, value, quality) VALUES (?, ?, ?, ?, ?)"
_INSERT_COMMAND = "INSERT INTO journal(ts, command, user, role, args) VALUES (?, ?, ?, ?, ?)"
_SELECT_JOURNAL = (
    "SELECT id, ts, equipment, signal, value, quality, command, user, role, args "
    "FROM journal WHERE id > ? ORDER BY id"
)
_QUALITIES = {int(q): q for q in Quality}
_ROLES = frozenset(r.value for r in Role)

_SampleRow = tuple[float, str, str, float | None, int]
# A station before core.text journaled such text (as JSON escapes) and could write nothing after.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _writable_args(args: dict[str, Any]) -> dict[str, Any]:
    """Command arguments read back with each lone surrogate made U+FFFD: the rebuilt engine must
    hold nothing its projections or the faces cannot carry."""
    return {writable_text(str(k)): writable_text(v) if isinstance(v, str) else v for k, v in args.items()}


def command_record(
    ts: float, command: str, user: str | None, role: str | None, args: str | None
) -> CommandRecord:
    """A command row of the journal as the engine replays it (also what the archives hold)."""
    known_role = Role(role) if role in _ROLES else None
    decoded = json.loads(args) if args else {}
    if _ESCAPED_SURROGATE.search(args or ""):
        decoded = _writable_args(decoded)
    return CommandRecord(ts, user, known_role, command, decoded)


class Store:
    """One station's SQLite file. Open with `Store.open(path)`; one writer per file."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        path: Path,
        *,
        read_only: bool = False,
        notes: list[str] | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self.path = path
        self.read_only = read_only
        # One line per thing the opening did that a person should know (a mode tightened).
        self.notes = notes or []
        self._cleanup = cleanup
        # The audit head outside the file (core.audit_anchor); read, never written, when read-only.
        self.anchor = Anchor(anchor_path(path))
        # Set while the anchor cannot be written (why); the database itself is fine then.
        self.anchor_error: str | None = None
        self._samples: list[_SampleRow] = []
        self._projections = Projections()
        self._engine: Engine | None = None  # the attached engine, whose clock each commit records
        self._clock_written: float | None = None
        self._last_flush: float | None = None
        self._closed = False
        self.backlog_max = BACKLOG_MAX
        # Set while commits fail (why, in a few words); None when the last commit went through.
        self.write_error: str | None = None
        # Samples dropped from the backlog since the store was opened: journal rows lost for good.
        self.dropped_samples = 0
        # What the last rebuild read (core.rebuild), and a snapshot it had to skip, in one line each.
        self.restart_note: str | None = None
        self.restart_trouble: str | None = None

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating or migrating) the store at `path` for writing; `StoreError` if it
        cannot be used. The data folder and the store's files are made private first
        (`core.store_files`): `notes` says what was tightened."""
        p = Path(path)
        db, notes = open_writable(p)
        return cls(db, p, notes=notes)

    @classmethod
    def open_read_only(cls, path: str | Path) -> Store:
        """Open an existing store without writing to it or beside it (an auditor's copy on a
        read-only folder included, `core.store_open`); nothing is migrated or tightened."""
        p = Path(path)
        db, cleanup, notes = open_read_only(p)
        return cls(db, p, read_only=True, notes=notes, cleanup=cleanup)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def db(self) -> sqlite_utils.Database:
        return self._db

    @property
    def conn(self) -> sqlite3.Connection:
        """For `core.auth.UserStore` and `core.audit.AuditLog`: no transaction is held open here."""
        return self._db.conn

    @property
    def schema_version(self) -> int:
        return int(self._db.conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def pending(self) -> int:
        """Samples appended and not yet committed."""
        return len(self._samples)

    def close(self) -> None:
        """Commit what is buffered and close the file. A crash is simply not calling this."""
        if self._closed:
            return
        try:
            if not self.read_only:
                self.flush()
        finally:
            self.detach()
            self._db.close()
            self._closed = True
            if self._cleanup is not None:
                self._cleanup()

    def quick_check(self) -> None:
        """SQLite's quick_check; `StoreError` naming the fix when the file is damaged."""
        quick_check(self._db.conn, self.path)

    def audit(self) -> AuditLog:
        """The audit trail on this store; every row it commits moves the anchor."""
        return AuditLog(self._db.conn, after_commit=self.record_head)

    def record_head(self) -> None:
        """Write the committed audit head to the anchor. The database already holds the rows,
        so a failure here is said (`anchor_error`) and the command stands."""
        if self.read_only:
            return
        try:
            head = head_of(self._db.conn)
            if head.audit:
                self.anchor.record(head)
        except (OSError, sqlite3.Error) as exc:
            self.anchor_error = f"{self.anchor.path}: cannot write: {getattr(exc, 'strerror', None) or exc}"
            log.warning("store: %s", self.anchor_error)
        else:
            self.anchor_error = None

    def lost_tail(self) -> Loss | None:
        """What the database lost against its anchor (None: nothing, or no anchor)."""
        head, _losses = self.anchor.read()
        return None if head is None else compare(self._db.conn, head)

    def keep_loss(self, loss: Loss, ts: float) -> str | None:
        """Keep a loss found at start on record: a `lost` line in the anchor, then an audit row
        (`store_loss`, in the trail every face lists), whose commit starts the anchor again from
        the file as it is. Returns why that could not be done, or None."""
        try:
            self.anchor.record_loss(loss, head_of(self._db.conn), ts)
        except OSError as exc:
            return f"{self.anchor.path}: cannot write: {exc.strerror or exc}"
        try:
            self.audit().append(ts, None, None, "store_loss", self.path.name, "found", loss.describe())
        except sqlite3.Error as exc:
            return f"{self.path}: the loss could not be audited: {write_failure(exc)}"
        return self.anchor_error

    # ---------------------------------------------------------------- journal

    def append_sample(self, s: Sample) -> None:
        self._samples.append(s[:5])
        if self.write_error is not None and len(self._samples) > self.backlog_max:
            self._drop_oldest()

    def append_samples(self, samples: Iterable[Sample]) -> None:
        # Slicing the NamedTuple gives the five journal columns without a Python call per field.
        self._samples.extend([s[:5] for s in samples])
        if self.write_error is not None and len(self._samples) > self.backlog_max:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        """Bound the backlog while the file cannot be written: the engine goes on counting in
        memory, and the backlog must not grow until the process runs out of memory.

        Counter rows go first, oldest first, when a later row of the same counter is still kept:
        counts are cumulative, so a rebuild counts the same parts (at the later row's time).
        Only when no such row is left do the oldest rows go, whatever they are.
        """
        rows = self._samples
        excess = len(rows) - int(self.backlog_max * _BACKLOG_KEEP)
        seen: set[tuple[str, str]] = set()
        redundant: list[int] = []
        for i in range(len(rows) - 1, -1, -1):
            _ts, eq, signal, value, quality = rows[i]
            if signal in COUNTER_SIGNALS and value is not None and quality != 0:
                if (eq, signal) in seen:
                    redundant.append(i)
                else:
                    seen.add((eq, signal))
        drop = set(redundant[::-1][:excess])
        i = 0
        while len(drop) < excess:
            drop.add(i)
            i += 1
        self._samples = [row for i, row in enumerate(rows) if i not in drop]
        self.dropped_samples += len(drop)

    def append_command(
        self,
        ts: float,
        user: Actor | None,
        command: str,
        args: Mapping[str, Any],
        *,
        also: Callable[[sqlite3.Connection], object] | None = None,
        durable: bool = True,
    ) -> None:
        """Journal an operator command and commit it durably before returning.

        `also` writes more rows in the same transaction (the command's audit row). Without
        `durable` the commit is an ordinary one (an import inside its own transaction, where
        SQLite refuses to change the safety level).

        Everything buffered before it is committed in the same transaction: the journal must keep
        the order in which the engine saw samples and commands, or a rebuild would differ. The
        user's role is kept with the name because the engine's permission check depends on it, and
        a role changed later must not change what a rebuild accepts.
        """
        try:
            args_json = json.dumps(dict(args), sort_keys=True, separators=(",", ":"), allow_nan=False)
            # The JSON above escapes a lone surrogate; the text itself must be UTF-8 all the same,
            # or the engine would hold a note that no projection row can carry.
            json.dumps(dict(args), ensure_ascii=False).encode("utf-8")
            if user is not None:
                user.name.encode("utf-8")
            command.encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"{self.path}: command {command!a}: arguments are not UTF-8 JSON: {one_line(exc)}"
            ) from None
        self._check_open()
        conn = self._db.conn
        if durable:
            conn.execute("PRAGMA synchronous=FULL")
        try:
            self._commit(
                (
                    float(ts),
                    command,
                    None if user is None else user.name,
                    None if user is None else str(user.role),
                    args_json,
                ),
                also,
            )
        finally:
            if durable:
                conn.execute("PRAGMA synchronous=NORMAL")
        if also is not None:
            self.record_head()
        if command in ("set_reason", "split_stop") and "equipment" in args:
            # The engine publishes nothing when a reason changes or a closed stop is split. Checked
            # at the next flush, not in this transaction: the caller may journal the command before
            # handing it to the engine.
            try:
                at = float(args.get("at", ts))
            except (TypeError, ValueError):
                return
            self._projections.check_reason(str(args["equipment"]), at)

    def flush(self) -> None:
        """Commit buffered samples and projection rows in one transaction."""
        self._commit(None)

    def maybe_flush(self, now: float) -> bool:
        """Flush if at least a second passed since the last flush; `now` is the caller's clock."""
        if (
            not self._projections.andon_pending
            and self._last_flush is not None
            and now - self._last_flush < FLUSH_INTERVAL_S
        ):
            return False
        self.flush()
        self._last_flush = now
        return True

    def journal(self, after_id: int = 0) -> Iterator[tuple[int, Sample | CommandRecord]]:
        """Committed journal rows after `after_id`, in id order (buffered samples are not there)."""
        qualities = _QUALITIES
        rows = self._db.conn.execute(_SELECT_JOURNAL, (after_id,))
        try:
            for row_id, ts, equipment, signal, value, quality, command, user, role, args in rows:
                if command is None:
                    yield row_id, Sample(ts, equipment, signal, value, qualities.get(quality, Quality.BAD))
                else:
                    yield row_id, command_record(ts, command, user, role, args)
        except sqlite3.DatabaseError as exc:
            # Damage the quick check at opening cannot see (a flipped byte inside a row) is met here.
            raise damaged(exc, self.path) from None

    def write_snapshot(
        self, engine: Engine, *, keep: int = KEEP, before_commit: Callable[[], object] | None = None
    ) -> int:
        """Commit what is buffered and a snapshot of `engine` in one transaction; returns the
        journal id it reflects. `engine` must have been fed exactly this store's journal, buffer
        included (the station's engine is). `before_commit` runs inside the transaction, after
        the row is written: the point the crash harness kills the station at."""
        body = engine_snapshot.dump(engine)
        digest = engine_snapshot.checksum(body)
        ts = engine.now if engine.now is not None else 0.0
        done: list[int] = []

        def write(conn: sqlite3.Connection) -> None:
            done.append(insert_snapshot(conn, ts, engine_snapshot.FORMAT_VERSION, digest, body, keep))
            if before_commit is not None:
                before_commit()

        self._commit(None, write)
        return done[0]

    @property
    def last_id(self) -> int:
        """Id of the last committed journal row, 0 if there is none."""
        row = self._db.conn.execute("SELECT max(id) FROM journal").fetchone()
        return int(row[0]) if row[0] is not None else 0

    # ---------------------------------------------------------------- projections

    def attach(self, engine: Engine) -> None:
        """Write projections from `engine`'s events, from now on."""
        self.detach()
        # Operations of a previous engine must land before the open intervals are read back.
        self.flush()
        self._projections.attach(engine, self._db.conn)
        self._engine = engine

    def detach(self) -> None:
        self._projections.detach()
        self._engine = None

    @property
    def slices_owed_from(self) -> float | None:
        """The start of the oldest figure slice not yet written: the engine must keep it."""
        return self._projections.slices_owed_from

    # ---------------------------------------------------------------- writing

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")

    def _commit(
        self,
        command: tuple[float, str, str | None, str | None, str] | None,
        also: Callable[[sqlite3.Connection], object] | None = None,
    ) -> None:
        self._check_open()
        projections = self._projections
        projections.settle()
        engine = self._engine
        now = engine.now if engine is not None else None
        # With nothing else to write, the engine's clock is still written when it moved: its ticks
        # move it, and a restart must not announce again what they passed (core.rebuild).
        idle = command is None and also is None and not (self._samples or projections.pending)
        if idle and (now is None or now == self._clock_written):
            return
        conn = self._db.conn
        try:
            with self._db.atomic():
                if self._samples:
                    conn.executemany(_INSERT_SAMPLE, self._samples)
                projections.write(conn)
                if now is not None:
                    record_clock(conn, now, engine.started if engine is not None else None)
                if command is not None:
                    conn.execute(_INSERT_COMMAND, command)
                if also is not None:
                    also(conn)
        except sqlite3.Error as exc:
            # A failed COMMIT (a full disk shows up there, when the WAL grows) can leave the
            # transaction open; the next attempt must start clean.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
            # The buffers stay as they were, so the next flush tries the same rows again.
            self.write_error = write_failure(exc)
            raise StoreError(f"{self.path}: cannot write: {one_line(exc)}") from None
        self.write_error = None
        self._samples = []
        projections.clear()
        self._clock_written = now
