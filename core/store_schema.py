"""The store's schema: frozen migration steps, and the check that a file is ours to migrate.

A file's `PRAGMA user_version` is the number of steps applied to it; `PRAGMA application_id`
tells our files from other applications' SQLite files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from core import audit, auth, shift_reports, store_jobs, store_snapshots, uplink_buffer
from core.sqlite_tx import StoreError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "check_ours", "migrate"]

# "MS5F": tells our files from other applications' SQLite files that happen to be at user_version 0.
APPLICATION_ID = 0x4D533546

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


def _v4_lockouts(db: sqlite_utils.Database) -> None:
    # The lockout per user and place (core.auth): CREATE ... IF NOT EXISTS, safe to run twice.
    db.conn.execute(auth.LOCKOUTS_SCHEMA)
    db.conn.commit()


def _v5_shift_reports(db: sqlite_utils.Database) -> None:
    # Commits on its own like v2, and is as safe to run twice.
    shift_reports.ensure_schema(db.conn)


# The journal rows moved into the archive files beside the database (core.store_archive): one
# row per day file, written after the file is in place and before its rows leave the journal.
_JOURNAL_ARCHIVES = """
CREATE TABLE IF NOT EXISTS journal_archives(
    name TEXT PRIMARY KEY,
    first_id INTEGER NOT NULL UNIQUE,
    last_id INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    first_ts REAL NOT NULL,
    last_ts REAL NOT NULL,
    journal_sha256 TEXT NOT NULL,
    actions_sha256 TEXT NOT NULL,
    archived REAL NOT NULL
);
"""


def _v6_journal_archives(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.executescript(_JOURNAL_ARCHIVES)


def _v7_snapshots(db: sqlite_utils.Database) -> None:
    # The engine's state at a journal position (core.store_snapshots): CREATE ... IF NOT EXISTS.
    with db.atomic():
        db.executescript(store_snapshots.SCHEMA)


def _v8_uplink_buffer(db: sqlite_utils.Database) -> None:
    # The Sparkplug edge node's store-and-forward rows and its bdSeq (core.uplink_buffer); commits
    # on its own and only creates IF NOT EXISTS, so it is safe to run twice.
    uplink_buffer.ensure_schema(db.conn)


_FIGURE_SLICES_AND_ANDON_CALLS = """
-- core.figure_slices: per equipment and slice (an hour cut at shift edges) the engine's final
-- figures as JSON; a report sums them instead of replaying the journal.
CREATE TABLE IF NOT EXISTS figure_slices(
    equipment TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY(equipment, start)
);
-- core.store_calls: each Andon call as the board last held it.
CREATE TABLE IF NOT EXISTS andon_calls(
    call_id INTEGER PRIMARY KEY,
    equipment TEXT NOT NULL,
    raised_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS andon_calls_raised_at ON andon_calls(raised_at);
"""


def _v9_figure_slices_and_andon_calls(db: sqlite_utils.Database) -> None:
    # Only CREATE ... IF NOT EXISTS: safe to run twice. An older store gets its slices and calls
    # from the first station run after the upgrade (its rebuild replays the whole journal).
    with db.atomic():
        db.executescript(_FIGURE_SLICES_AND_ANDON_CALLS)


def _v10_planned_jobs(db: sqlite_utils.Database) -> None:
    # The schedule `ms5 jobs import` writes (core.store_jobs): CREATE ... IF NOT EXISTS only.
    with db.atomic():
        db.executescript(store_jobs.SCHEMA)


# Append only; never edit a released step. Every step must be safe to run twice (see the runner).
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1_journal_and_projections,
    _v2_users_and_audit,
    _v3_andon,
    _v4_lockouts,
    _v5_shift_reports,
    _v6_journal_archives,
    _v7_snapshots,
    _v8_uplink_buffer,
    _v9_figure_slices_and_andon_calls,
    _v10_planned_jobs,
)
SCHEMA_VERSION = len(MIGRATIONS)
# users and audit may be there before the store: core.auth and core.audit create them on their own.
_OUR_TABLES = frozenset(
    {
        "journal",
        "state_intervals",
        "minute_counts",
        "downtime_events",
        "users",
        "lockouts",
        "audit",
        "andon_events",
        "shift_reports",
        "journal_archives",
        "snapshots",
        "engine_clock",
        "uplink_buffer",
        "uplink_state",
        "figure_slices",
        "andon_calls",
        "planned_jobs",
    }
)


def check_ours(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of the file at `path`; `StoreError` if it is not ours or is newer."""
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
    return version


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    """Bring the file at `path` to SCHEMA_VERSION; `StoreError` if it is not ours or is newer."""
    conn = db.conn
    version = check_ours(conn, path)
    db.enable_wal()
    # WAL with NORMAL loses no committed transaction when the process dies, only on power loss,
    # and then at most the last commits: within "a crash loses at most the last second".
    # Commands raise it to FULL for their own commit.
    conn.execute("PRAGMA synchronous=NORMAL")
    for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
        step(db)
        conn.execute(f"PRAGMA user_version = {target}")
