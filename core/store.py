"""The station's SQLite file: the journal of inputs, and the projections the faces and reports read.

The journal (samples and operator commands, in the order the engine saw them) is the truth; the
projections (state intervals, per-minute counts, downtime events) are written from the engine's
events so a face or a report can read them without an engine. Both go into the same transaction,
so after a crash the file holds a journal prefix and exactly the projections of that prefix.

Samples are buffered in memory and committed at most a second apart (`maybe_flush`); an operator
command is committed at once with `synchronous=FULL`, together with everything buffered before
it, so the journal keeps the engine's order. Between commits no transaction is left open, which
is what lets `core.auth` and `core.audit` write their rows on the same connection at any time.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from core import audit, auth
from core.andon import AndonChanged
from core.auth import Role
from core.counter_thinning import COUNTER_SIGNALS
from core.engine import Engine
from core.events import DowntimeEnded, ProductionUpdate, StateChanged
from core.permissions import Actor
from core.samples import Quality, Sample

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "CommandRecord", "Store", "StoreError", "write_failure"]

# "MS5F": tells our files from other applications' SQLite files that happen to be at user_version 0.
APPLICATION_ID = 0x4D533546
FLUSH_INTERVAL_S = 1.0
# Samples kept in memory while the file cannot be written (a full or read-only disk): about ten
# minutes of a busy line polled at 100 ms, some 10 MB. Beyond it the oldest are dropped and counted.
BACKLOG_MAX = 50_000
_BACKLOG_KEEP = 0.9  # dropping down to 90 % of the bound makes dropping rare, not every sample
# SQLite's primary result codes for the failures a station meets on a plant PC.
_WHY = {13: "disk full", 8: "read-only", 10: "disk I/O error", 14: "cannot open the file", 5: "file locked"}
_BUCKET_S = 60.0


class StoreError(Exception):
    """The store file cannot be used; the message is one line and names the file."""


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


# ---------------------------------------------------------------- migrations

# Migrations are frozen SQL rather than sqlite-utils table definitions: what version N means must
# not change when the library changes its type mapping (sqlite-utils 4 turned FLOAT into REAL).
_V1_JOURNAL_AND_PROJECTIONS = f"""
CREATE TABLE IF NOT EXISTS journal(
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    equipment TEXT,
    signal TEXT,
    value REAL,
    quality INTEGER,
    command TEXT,
    user TEXT,
    role TEXT,
    args TEXT
);
CREATE TABLE IF NOT EXISTS state_intervals(
    id INTEGER PRIMARY KEY,
    equipment TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS state_intervals_equipment_start ON state_intervals(equipment, start);
CREATE UNIQUE INDEX IF NOT EXISTS state_intervals_open ON state_intervals(equipment) WHERE "end" IS NULL;
CREATE TABLE IF NOT EXISTS minute_counts(
    equipment TEXT NOT NULL,
    minute REAL NOT NULL,
    total INTEGER NOT NULL,
    good INTEGER NOT NULL,
    reject INTEGER NOT NULL,
    PRIMARY KEY(equipment, minute)
);
CREATE TABLE IF NOT EXISTS downtime_events(
    id INTEGER PRIMARY KEY,
    equipment TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    duration_s REAL NOT NULL,
    reason TEXT NOT NULL,
    fault_code INTEGER
);
CREATE INDEX IF NOT EXISTS downtime_events_equipment_start ON downtime_events(equipment, start);
PRAGMA application_id = {APPLICATION_ID};
"""


def _v1_journal_and_projections(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.executescript(_V1_JOURNAL_AND_PROJECTIONS)


def _v2_users_and_audit(db: sqlite_utils.Database) -> None:
    # These commit on their own, so this step cannot share a transaction with the version bump;
    # they only CREATE ... IF NOT EXISTS, so a crash before the bump just runs them again.
    auth.ensure_schema(db.conn)
    audit.ensure_schema(db.conn)


_V3_ANDON = """
CREATE TABLE IF NOT EXISTS andon_events(
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL,
    equipment TEXT NOT NULL,
    action TEXT NOT NULL,
    ts REAL NOT NULL,
    user TEXT,
    level INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL
);
-- The engine recomputes due escalations after a restart; the same event must not land twice.
CREATE UNIQUE INDEX IF NOT EXISTS andon_events_once ON andon_events(call_id, action, ts, level);
"""


def _v3_andon(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.executescript(_V3_ANDON)


# Append only; never edit a released step. Every step must be safe to run twice (see the runner).
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1_journal_and_projections,
    _v2_users_and_audit,
    _v3_andon,
)
SCHEMA_VERSION = len(MIGRATIONS)
# users and audit may be there before the store: core.auth and core.audit create them on their own.
_OUR_TABLES = frozenset(
    {"journal", "state_intervals", "minute_counts", "downtime_events", "users", "audit", "andon_events"}
)


def _migrate(db: sqlite_utils.Database, path: Path) -> None:
    conn = db.conn
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"{path}: a SQLite file of another application (application_id {app_id:#x})")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer MS5 Floor (schema version {version}, this one knows up to "
            f"{SCHEMA_VERSION}); upgrade MS5 Floor to open it"
        )
    if version == 0:
        foreign = sorted(
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in _OUR_TABLES and not name.startswith("sqlite_")
        )
        if foreign:
            # Migrating into somebody else's database would mix our tables into theirs.
            raise StoreError(f"{path}: not an MS5 Floor store (it holds tables {', '.join(foreign)})")
    db.enable_wal()
    # WAL with NORMAL loses no committed transaction when the process dies, only on power loss,
    # and then at most the last commits: within "a crash loses at most the last second".
    # Commands raise it to FULL for their own commit.
    conn.execute("PRAGMA synchronous=NORMAL")
    for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
        step(db)
        conn.execute(f"PRAGMA user_version = {target}")


# ---------------------------------------------------------------- the store

_INSERT_SAMPLE = "INSERT INTO journal(ts, equipment, signal, value, quality) VALUES (?, ?, ?, ?, ?)"
_INSERT_COMMAND = "INSERT INTO journal(ts, command, user, role, args) VALUES (?, ?, ?, ?, ?)"
_SELECT_JOURNAL = (
    "SELECT id, ts, equipment, signal, value, quality, command, user, role, args "
    "FROM journal WHERE id > ? ORDER BY id"
)
_UPSERT_MINUTE = (
    "INSERT INTO minute_counts(equipment, minute, total, good, reject) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(equipment, minute) DO UPDATE SET "
    "total = excluded.total, good = excluded.good, reject = excluded.reject"
)
_INSERT_ANDON = (
    "INSERT OR IGNORE INTO andon_events(call_id, equipment, action, ts, user, level, state, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DOWNTIME = (
    'INSERT INTO downtime_events(equipment, start, "end", duration_s, reason, fault_code) '
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_QUALITIES = {int(q): q for q in Quality}
_ROLES = frozenset(r.value for r in Role)

# Interval operations, replayed in order at flush.
_OPEN = 0  # (kind, equipment, state, since): the equipment is in `state` since `since`
_NEXT = 1  # the same, when the open interval started before `since`: the usual case, and cheaper

_SampleRow = tuple[float, str, str, float | None, int]
_IntervalOp = tuple[int, str, str, float]
_DowntimeRow = tuple[str, float, float, float, str, int | None]


class Store:
    """One station's SQLite file. Open with `Store.open(path)`; one writer per file."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self._db = db
        self.path = path
        self._samples: list[_SampleRow] = []
        self._intervals: list[_IntervalOp] = []
        self._minutes: dict[tuple[str, float], tuple[int, int, int]] = {}
        self._dirty_minutes: set[tuple[str, float]] = set()
        self._downtime: list[_DowntimeRow] = []
        self._andon: list[tuple[int, str, str, float, str | None, int, str, str]] = []
        self._reason_checks: list[tuple[str, float]] = []
        # What the projection says each equipment is doing now, buffered operations included.
        self._open: dict[str, tuple[str, float]] = {}
        self._engine: Engine | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._last_flush: float | None = None
        self._closed = False
        self.backlog_max = BACKLOG_MAX
        # Set while commits fail (why, in a few words); None when the last commit went through.
        self.write_error: str | None = None
        # Samples dropped from the backlog since the store was opened: journal rows lost for good.
        self.dropped_samples = 0

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating or migrating) the store at `path`; `StoreError` if it cannot be used."""
        p = Path(path)
        try:
            db = sqlite_utils.Database(p, execute_plugins=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{p}: cannot open: {_one_line(exc)}") from None
        try:
            _migrate(db, p)
        except sqlite3.DatabaseError as exc:
            db.close()
            if "not a database" in str(exc):
                raise StoreError(f"{p}: not a SQLite database") from None
            raise StoreError(f"{p}: cannot open: {_one_line(exc)}") from None
        except BaseException:
            db.close()
            raise
        return cls(db, p)

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
            self.flush()
        finally:
            self.detach()
            self._db.close()
            self._closed = True

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
    ) -> None:
        """Journal an operator command and commit it durably before returning.

        `also` writes more rows in the same transaction (the command's audit row).

        Everything buffered before it is committed in the same transaction: the journal must keep
        the order in which the engine saw samples and commands, or a rebuild would differ. The
        user's role is kept with the name because the engine's permission check depends on it, and
        a role changed later must not change what a rebuild accepts.
        """
        try:
            args_json = json.dumps(dict(args), sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.path}: command {command!r}: arguments are not JSON: {exc}") from None
        self._check_open()
        conn = self._db.conn
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
            conn.execute("PRAGMA synchronous=NORMAL")
        if command in ("set_reason", "split_stop") and "equipment" in args:
            # The engine publishes nothing when a reason changes or a closed stop is split. Checked
            # at the next flush, not in this transaction: the caller may journal the command before
            # handing it to the engine.
            try:
                at = float(args.get("at", ts))
            except (TypeError, ValueError):
                return
            self._reason_checks.append((str(args["equipment"]), at))

    def flush(self) -> None:
        """Commit buffered samples and projection rows in one transaction."""
        self._commit(None)

    def maybe_flush(self, now: float) -> bool:
        """Flush if at least a second passed since the last flush; `now` is the caller's clock."""
        if not self._andon and self._last_flush is not None and now - self._last_flush < FLUSH_INTERVAL_S:
            return False
        self.flush()
        self._last_flush = now
        return True

    def journal(self, after_id: int = 0) -> Iterator[tuple[int, Sample | CommandRecord]]:
        """Committed journal rows after `after_id`, in id order (buffered samples are not there)."""
        qualities = _QUALITIES
        for row_id, ts, equipment, signal, value, quality, command, user, role, args in self._db.conn.execute(
            _SELECT_JOURNAL, (after_id,)
        ):
            if command is None:
                yield row_id, Sample(ts, equipment, signal, value, qualities.get(quality, Quality.BAD))
            else:
                known_role = Role(role) if role in _ROLES else None
                yield row_id, CommandRecord(ts, user, known_role, command, json.loads(args) if args else {})

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
        self._open = {
            eq: (state, start)
            for eq, state, start in self._db.conn.execute(
                'SELECT equipment, state, start FROM state_intervals WHERE "end" IS NULL'
            )
        }
        self._engine = engine
        bus = engine.bus
        self._unsubscribe = [
            bus.subscribe(StateChanged, self._on_state),
            bus.subscribe(ProductionUpdate, self._on_production),
            bus.subscribe(DowntimeEnded, self._on_downtime),
            bus.subscribe(AndonChanged, self._on_andon),
        ]

    def detach(self) -> None:
        # What is still owed to the projections must be read while the engine is at hand.
        self._settle()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._engine = None

    def _on_state(self, ev: StateChanged) -> None:
        current = self._open.get(ev.equipment)
        # `since` before ts: the engine undid a zero-length state and the one before goes on.
        kind = _NEXT if current is not None and current[1] < ev.since else _OPEN
        self._intervals.append((kind, ev.equipment, ev.state, ev.since))
        self._open[ev.equipment] = (ev.state, ev.since)

    def _on_production(self, ev: ProductionUpdate) -> None:
        # The event's totals are those of the engine's current count bucket, which is a part of the
        # minute when the engine has marks inside it; so the event only says which minute to read
        # back from the engine at flush. A count at t is of parts made before t: a minute's row m
        # holds the counts reported in (m, m + 60].
        end = ev.ts - ev.ts % _BUCKET_S
        if end < ev.ts:
            end += _BUCKET_S
        self._dirty_minutes.add((ev.equipment, end - _BUCKET_S))

    def _on_andon(self, ev: AndonChanged) -> None:
        # Committed at the next maybe_flush whatever the interval (or with the command that caused it).
        self._andon.append(
            (ev.call_id, ev.equipment, ev.action, ev.ts, ev.user, ev.level, ev.state, ev.detail)
        )

    def _on_downtime(self, ev: DowntimeEnded) -> None:
        self._downtime.append((ev.equipment, ev.start, ev.end, ev.end - ev.start, ev.reason, ev.fault_code))

    def _settle(self) -> None:
        """Turn what the engine's events announced into rows, reading the engine where they fall short."""
        engine = self._engine
        if engine is None or engine.now is None:
            return
        for eq, minute in self._dirty_minutes:
            end = minute + _BUCKET_S
            m = engine.metrics(eq, minute, end)
            self._minutes[(eq, minute)] = (m.total_count, m.good_count, m.reject_count)
        self._dirty_minutes.clear()
        # Equipment without data since the engine started has had no event yet.
        for eq in engine.equipment_ids:
            state, since, _fault = engine.state_of(eq)
            if self._open.get(eq) != (state, since):
                self._intervals.append((_OPEN, eq, state, since))
                self._open[eq] = (state, since)

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
        self._settle()
        if command is None and not (
            self._samples
            or self._intervals
            or self._minutes
            or self._downtime
            or self._reason_checks
            or self._andon
        ):
            return
        conn = self._db.conn
        try:
            with self._db.atomic():
                if self._samples:
                    conn.executemany(_INSERT_SAMPLE, self._samples)
                for op in self._intervals:
                    self._write_interval(conn, op)
                if self._minutes:
                    conn.executemany(
                        _UPSERT_MINUTE, [(eq, m, *counts) for (eq, m), counts in self._minutes.items()]
                    )
                if self._downtime:
                    conn.executemany(_INSERT_DOWNTIME, self._downtime)
                if self._andon:
                    conn.executemany(_INSERT_ANDON, self._andon)
                for eq, at in self._reason_checks:
                    self._refresh_reason(conn, eq, at)
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
            raise StoreError(f"{self.path}: cannot write: {_one_line(exc)}") from None
        self.write_error = None
        self._samples = []
        self._intervals = []
        self._minutes = {}
        self._downtime = []
        self._andon = []
        self._reason_checks = []

    @staticmethod
    def _write_interval(conn: sqlite3.Connection, op: _IntervalOp) -> None:
        kind, eq, state, since = op
        if kind == _OPEN:
            # Intervals from `since` on are zero-length ones the engine replaced, or ones a
            # reconciliation found never happened.
            conn.execute("DELETE FROM state_intervals WHERE equipment = ? AND start >= ?", (eq, since))
        conn.execute(
            'UPDATE state_intervals SET "end" = ? WHERE equipment = ? AND "end" IS NULL', (since, eq)
        )
        conn.execute(
            'INSERT INTO state_intervals(equipment, start, "end", state) VALUES (?, ?, NULL, ?)',
            (eq, since, state),
        )

    def _refresh_reason(self, conn: sqlite3.Connection, eq: str, at: float) -> None:
        engine = self._engine
        if engine is None or eq not in engine.equipment_ids:
            return
        row = conn.execute(
            'SELECT id, start, "end" FROM downtime_events WHERE equipment = ? AND start <= ? AND "end" > ? '
            "ORDER BY start DESC LIMIT 1",
            (eq, at, at),
        ).fetchone()
        if row is None:
            return  # still open: DowntimeEnded will carry the reason
        events = engine.downtime_events(eq, row[1], row[2])
        if len(events) == 1:
            conn.execute("UPDATE downtime_events SET reason = ? WHERE id = ?", (events[0].reason, row[0]))
        elif events:  # split_stop: the row becomes the engine's events over its time
            conn.execute("DELETE FROM downtime_events WHERE id = ?", (row[0],))
            conn.executemany(
                _INSERT_DOWNTIME,
                [(eq, ev.start, ev.end, ev.duration_s, ev.reason, ev.fault_code) for ev in events],
            )


def write_failure(exc: sqlite3.Error) -> str:
    """Why a write failed, in the words an operator understands ("disk full", "read-only")."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _WHY:
        return _WHY[code & 0xFF]
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
