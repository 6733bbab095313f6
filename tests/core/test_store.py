"""The station's SQLite store against real files: journal, durability, migrations, projections,
and rebuilding the engine after a crash without counting anything twice."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import AuditLog
from core.auth import Role, UserStore
from core.auth import ensure_schema as ensure_users_schema
from core.config import Config
from core.engine import Engine
from core.permissions import Actor
from core.rebuild import rebuild
from core.samples import Quality, Sample
from core.store import MIGRATIONS, SCHEMA_VERSION, CommandRecord, Store, StoreError

# Monday 5 January 2026, 06:00 in Berlin: the start of the early shift, on a whole minute.
T0 = datetime(2026, 1, 5, 5, 0, tzinfo=UTC).timestamp()
SUE = Actor("sue", Role.SUPERVISOR)
JAM = "Mechanical/Jam/Infeed"
DRIVE = "Electrical/Drive fault"


def filler(t: float, signal: str, value: float | None) -> Sample:
    if value is None:
        return Sample(T0 + t, "FILLER", signal, None, Quality.BAD)
    return Sample(T0 + t, "FILLER", signal, float(value))


def feed(engine: Engine, store: Store, samples: list[Sample]) -> None:
    """What the station does with each batch from a connector."""
    engine.ingest(samples)
    store.append_samples(samples)


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read through a connection of its own: what another process (or a restart) would see."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def journal_count(path: Path) -> int:
    return int(rows(path, "SELECT count(*) FROM journal")[0][0])


# ---------------------------------------------------------------- journal and durability


def test_flushed_samples_survive_close_and_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    samples = [
        filler(5, "running", 1),
        filler(1, "total_count", 10),  # late: the journal keeps the order the engine saw, not time order
        filler(6, "running", None),
        filler(7, "total_count", None),
        Sample(T0 + 8, "CAPPER", "state", 6.0, Quality.UNCERTAIN),
    ]
    with Store.open(path) as store:
        store.append_sample(samples[0])
        store.append_samples(samples[1:])
        assert store.pending == 5
        store.flush()
        assert store.pending == 0
        assert store.last_id == 5

    with Store.open(path) as store:
        assert store.db.journal_mode == "wal"
        assert store.schema_version == SCHEMA_VERSION
        got = list(store.journal())
        assert [row_id for row_id, _ in got] == [1, 2, 3, 4, 5]
        assert [rec for _, rec in got] == samples
        bad = [rec for _, rec in got if isinstance(rec, Sample) and rec.quality == Quality.BAD]
        assert [s.value for s in bad] == [None, None]
        assert [rec for _, rec in store.journal(after_id=3)] == samples[3:]
    assert rows(path, "SELECT value, quality FROM journal WHERE id = 3") == [(None, 0)]


def test_unflushed_samples_are_not_in_the_file_while_a_command_is_there_at_once(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    crashed = Store.open(path)
    crashed.append_samples([filler(0, "running", 1), filler(1, "total_count", 5)])
    assert journal_count(path) == 0

    crashed.append_command(T0 + 2, SUE, "start_changeover", {"equipment": "FILLER"})
    # The samples the engine saw before the command go in with it, so the order survives.
    assert rows(path, "SELECT id, signal, command, user, role, args FROM journal ORDER BY id") == [
        (1, "running", None, None, None, None),
        (2, "total_count", None, None, None, None),
        (3, None, "start_changeover", "sue", "supervisor", '{"equipment":"FILLER"}'),
    ]

    crashed.append_samples([filler(3, "total_count", 9)])
    # A crash: the process dies without flushing. Whatever opens the file next sees no trace of it.
    with Store.open(path) as restarted:
        records = [rec for _, rec in restarted.journal()]
    crashed.db.conn.close()
    assert len(records) == 3
    assert records[2] == CommandRecord(
        T0 + 2, "sue", Role.SUPERVISOR, "start_changeover", {"equipment": "FILLER"}
    )
    assert records[2].actor == SUE


def test_samples_are_committed_at_most_a_second_apart(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        assert store.maybe_flush(100.0)
        store.append_sample(filler(0, "running", 1))
        assert not store.maybe_flush(100.9)
        assert journal_count(path) == 0
        assert store.maybe_flush(101.0)
        assert journal_count(path) == 1


def test_audit_rows_share_the_connection_and_commit_apart_from_buffered_samples(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        store.append_sample(filler(0, "running", 1))
        AuditLog(store.conn).append(T0, "sue", "supervisor", "start_planned_stop", "L1", "ok")
        assert rows(path, "SELECT user, command FROM audit") == [("sue", "start_planned_stop")]
        assert journal_count(path) == 0
        assert AuditLog(store.conn).verify() is None


def test_a_hundred_thousand_samples_go_in_one_flush(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    samples = [filler(i * 0.01, "total_count", i % 65536) for i in range(100_000)]
    with Store.open(path) as store:
        store.append_samples(samples)
        store.flush()
        assert store.last_id == 100_000
    assert rows(path, "SELECT min(id), max(id), sum(value) FROM journal") == [
        (1, 100_000, float(sum(i % 65536 for i in range(100_000))))
    ]


def test_command_arguments_that_are_not_json_are_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "station.db") as store:
        with pytest.raises(StoreError, match="not JSON"):
            store.append_command(T0, SUE, "start_job", {"product": {1, 2}})
        assert store.last_id == 0


def test_a_closed_store_refuses_writes(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "station.db")
    store.close()
    store.close()  # twice is harmless
    store.append_sample(filler(0, "running", 1))
    with pytest.raises(StoreError, match="closed"):
        store.flush()
    with pytest.raises(StoreError, match="closed"):
        store.append_command(T0, SUE, "start_changeover", {})


# ---------------------------------------------------------------- migrations and bad files


def tables(path: Path) -> set[str]:
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_file_at_version_0_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch(x)")  # makes a real, non-empty SQLite file ...
    conn.execute("DROP TABLE scratch")  # ... that holds nothing and is at user_version 0
    conn.commit()
    conn.close()
    assert rows(path, "PRAGMA user_version") == [(0,)]

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert {"journal", "state_intervals", "minute_counts", "downtime_events", "users", "audit"} <= tables(
        path
    )
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_users_added_before_the_station_first_ran_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    conn = sqlite3.connect(path)
    ensure_users_schema(conn)
    UserStore(conn).add("sue", Role.SUPERVISOR, "4711", T0)
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert UserStore(store.conn).verify("sue", "4711", T0).role == Role.SUPERVISOR


def test_a_file_at_version_1_keeps_its_journal_and_gains_users_and_audit(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO journal(ts, equipment, signal, value, quality) VALUES (?, 'FILLER', 'running', 1, 2)",
        [T0],
    )
    db.close()
    assert "users" not in tables(path)

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 10
        assert [rec for _, rec in store.journal()] == [filler(0, "running", 1)]
    tables_now = tables(path)
    assert {"users", "audit", "shift_reports", "journal_archives", "snapshots"} <= tables_now
    assert {"uplink_buffer", "figure_slices", "andon_calls"} <= tables_now


def test_a_file_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()

    with pytest.raises(StoreError) as info:
        Store.open(path)
    message = str(info.value)
    assert "newer" in message and str(path) in message and "\n" not in message
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


def test_a_file_that_is_not_sqlite_gives_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    garbage = random.Random(2).randbytes(8192)
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(info.value) == f"{path}: not a SQLite database"
    assert path.read_bytes() == garbage


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an MS5 Floor store"):
        Store.open(path)
    assert tables(path) == {"invoices"}


def test_a_path_that_cannot_be_opened_gives_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "no").write_text("a file where the data folder should be")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        Store.open(tmp_path / "no" / "folder" / "station.db")


# ---------------------------------------------------------------- projections


def stop_of_150_s() -> list[Sample]:
    """Runs a minute making 100 parts, stops 150 s with fault 101 (a jam), runs again."""
    return [
        filler(0, "running", 1),
        filler(0, "total_count", 1000),
        filler(59, "total_count", 1100),
        filler(60, "running", 0),
        filler(61, "fault_code", 101),
        filler(210, "fault_code", 0),
        filler(210, "running", 1),
        filler(230, "total_count", 1120),
    ]


def test_projections_hold_state_intervals_minute_counts_and_the_downtime_with_its_fault_reason(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        feed(engine, store, stop_of_150_s())
        assert rows(path, "SELECT count(*) FROM downtime_events") == [(0,)]
        store.flush()

    assert rows(
        path, 'SELECT equipment, start, "end", duration_s, reason, fault_code FROM downtime_events'
    ) == [("FILLER", T0 + 60, T0 + 210, 150.0, JAM, 101)]
    assert rows(
        path, 'SELECT equipment, start, "end", state FROM state_intervals ORDER BY equipment, start'
    ) == [
        ("CAPPER", T0, None, "no_data"),  # never a sample: no data since the engine started
        ("FILLER", T0, T0 + 60, "running"),
        ("FILLER", T0 + 60, T0 + 210, "stopped"),
        ("FILLER", T0 + 210, None, "running"),
    ]
    assert rows(path, "SELECT equipment, minute, total, good, reject FROM minute_counts ORDER BY minute") == [
        ("FILLER", T0, 100, 100, 0),
        ("FILLER", T0 + 180, 20, 20, 0),
    ]


def test_a_reason_given_afterwards_reaches_the_downtime_row_and_survives_a_rebuild(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    store = Store.open(path)
    engine = Engine(reference_config)
    store.attach(engine)
    feed(engine, store, stop_of_150_s())
    args = {"equipment": "FILLER", "reason": DRIVE, "at": T0 + 100}
    engine.command("set_reason", args, T0 + 240, SUE)
    store.append_command(T0 + 240, SUE, "set_reason", args)
    store.flush()
    assert rows(path, "SELECT reason FROM downtime_events") == [(DRIVE,)]
    store.close()

    with Store.open(path) as store:
        rebuilt = rebuild(reference_config, store)
        assert [ev.reason for ev in rebuilt.downtime_events("FILLER", T0, T0 + 240)] == [DRIVE]


def test_a_stop_undone_at_the_same_instant_leaves_no_interval(
    tmp_path: Path, reference_config: Config
) -> None:
    """The engine drops a zero-length segment by reopening the previous one, and says nothing."""
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        feed(engine, store, [filler(0, "running", 1), filler(10, "running", 0), filler(10, "running", 1)])
        store.flush()
        assert engine.state_of("FILLER")[:2] == ("running", T0)
        assert rows(path, "SELECT start, \"end\", state FROM state_intervals WHERE equipment = 'FILLER'") == [
            (T0, None, "running")
        ]
        # The same, noticed at the next change rather than at a flush.
        feed(engine, store, [filler(20, "running", 0), filler(20, "running", 1), filler(30, "running", 0)])
        store.flush()
    assert rows(
        path, "SELECT start, \"end\", state FROM state_intervals WHERE equipment = 'FILLER' ORDER BY start"
    ) == [
        (T0, T0 + 30, "running"),
        (T0 + 30, None, "stopped"),
    ]


def test_minute_counts_stay_whole_when_the_engine_splits_a_minute_at_a_mark(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config, marks=(T0 + 15,))
        store.attach(engine)
        feed(
            engine,
            store,
            [filler(0, "running", 1), filler(0, "total_count", 0), filler(10, "total_count", 5)],
        )
        feed(engine, store, [filler(20, "total_count", 8), filler(60, "total_count", 9)])
    # The count reported at T0 + 60 is of parts made before then: it belongs to the first minute.
    assert rows(path, "SELECT minute, total FROM minute_counts ORDER BY minute") == [(T0, 9)]


# ---------------------------------------------------------------- rebuilding after a restart


def test_after_a_restart_counts_resume_from_the_last_counter_value(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        feed(
            engine,
            store,
            [filler(0, "running", 1), filler(0, "total_count", 100), filler(30, "total_count", 110)],
        )

    with Store.open(path) as store:
        engine = rebuild(reference_config, store)
        feed(engine, store, [filler(90, "total_count", 115)])
        # 10 parts before the restart and 5 after; the counter's 100 and 110 are not parts again.
        assert engine.metrics("FILLER", T0, T0 + 90).total_count == 15
        store.flush()
    assert rows(path, "SELECT minute, total FROM minute_counts ORDER BY minute") == [(T0, 10), (T0 + 60, 5)]


def test_rebuild_replays_commands_with_the_role_they_were_given_and_skips_refused_ones(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        feed(engine, store, [filler(0, "running", 0)])
        # Refused live (an unplanned reason is no planned stop); journaled all the same.
        store.append_command(T0 + 5, SUE, "start_planned_stop", {"equipment": "FILLER", "reason": JAM})
        engine.command("start_planned_stop", {"equipment": "FILLER", "reason": "Meeting"}, T0 + 10, SUE)
        store.append_command(T0 + 10, SUE, "start_planned_stop", {"equipment": "FILLER", "reason": "Meeting"})
        live = engine.state_of("FILLER")

    with Store.open(path) as store:
        # Only a supervisor may declare a planned stop: replayed without its role it would be refused.
        assert rebuild(reference_config, store).state_of("FILLER") == live == ("planned_stop", T0 + 10, 0)
        assert rows(
            path, "SELECT state FROM state_intervals WHERE equipment = 'FILLER' AND \"end\" IS NULL"
        ) == [("planned_stop",)]


# The property of the foundation issue: splitting a journal at any row and resuming from the store
# gives the same figures as one pass.

KINDS = ("toggle", "count", "count", "count", "reset", "bad_running", "bad_count", "fault")
STEPS = (0.0, 0.5, 1.0, 7.0, 30.0, 59.5, 119.0, 120.0, 150.0, 400.0)


@st.composite
def filler_journals(draw: st.DrawFn) -> list[Sample]:
    count = draw(st.one_of(st.integers(0, 65535), st.integers(65400, 65535)))
    running = 1
    t = 0.0
    out = [filler(t, "running", running), filler(t, "total_count", count)]
    for _ in range(draw(st.integers(20, 300))):
        t += draw(st.sampled_from(STEPS))
        kind = draw(st.sampled_from(KINDS))
        if kind == "toggle":
            running = 1 - running
            out.append(filler(t, "running", running))
        elif kind == "count":
            count = (count + draw(st.integers(1, 40))) % 65536  # past 65535: a rollover
            out.append(filler(t, "total_count", count))
        elif kind == "reset":
            count = draw(st.integers(0, 5))
            out.append(filler(t, "total_count", count))
        elif kind == "bad_running":
            out.append(filler(t, "running", None))
        elif kind == "bad_count":
            out.append(filler(t, "total_count", None))
        else:
            out.append(filler(t, "fault_code", draw(st.sampled_from((0, 101, 205)))))
    return out


PROJECTIONS = {
    "state_intervals": 'SELECT equipment, start, "end", state FROM state_intervals ORDER BY equipment, start',
    "minute_counts": "SELECT * FROM minute_counts ORDER BY equipment, minute",
    "downtime_events": (
        'SELECT equipment, start, "end", duration_s, reason, fault_code FROM downtime_events '
        "ORDER BY equipment, start"
    ),
}


def outcome(engine: Engine, path: Path, a: float, b: float) -> dict[str, Any]:
    result: dict[str, Any] = {name: rows(path, sql) for name, sql in PROJECTIONS.items()}
    for eq in engine.equipment_ids:
        result[eq] = engine.metrics(eq, a, b).to_dict()
        result[f"{eq} downtime"] = engine.downtime_events(eq, a, b)
    result["journal"] = rows(path, "SELECT * FROM journal ORDER BY id")
    return result


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(journal=filler_journals(), data=st.data())
def test_splitting_a_journal_anywhere_and_resuming_from_the_store_gives_one_pass_figures(
    tmp_path_factory: pytest.TempPathFactory,
    reference_config: Config,
    journal: list[Sample],
    data: st.DataObject,
) -> None:
    k = data.draw(st.integers(0, len(journal)), label="split at row")
    a, b = journal[0].ts, journal[-1].ts
    marks = (a, b)
    folder = tmp_path_factory.mktemp("split")

    one_pass_path = folder / "one_pass.db"
    with Store.open(one_pass_path) as store:
        one_pass = Engine(reference_config, marks=marks)
        store.attach(one_pass)
        feed(one_pass, store, journal)

    split_path = folder / "split.db"
    store = Store.open(split_path)
    first = Engine(reference_config, marks=marks)
    store.attach(first)
    for s in journal[:k]:
        feed(first, store, [s])
        store.maybe_flush(s.ts)  # commits a second of journal time apart, unlike the one pass
    store.close()
    with Store.open(split_path) as store:
        resumed = rebuild(reference_config, store, marks=marks)
        feed(resumed, store, journal[k:])

    result = outcome(resumed, split_path, a, b)
    assert result == outcome(one_pass, one_pass_path, a, b)

    # And both are right, not merely alike: intervals tile time up to what the engine says now,
    # and the minutes add up to the window's counts.
    for eq in resumed.equipment_ids:
        intervals = [(start, end, state) for e, start, end, state in result["state_intervals"] if e == eq]
        assert all(prev[1] == nxt[0] for prev, nxt in pairwise(intervals))
        state, since, _ = resumed.state_of(eq)
        assert intervals[-1] == (since, None, state)
        # A minute row m holds the counts reported in (m, m + 60]; counts reported at the window's
        # very start are of parts made before it.
        minutes = [counts for e, m, *counts in result["minute_counts"] if e == eq and m + 60 > a]
        figures = result[eq]
        assert [sum(c[i] for c in minutes) for i in range(3)] == [
            figures["total_count"],
            figures["good_count"],
            figures["reject_count"],
        ]


def test_a_communication_loss_found_to_be_partly_run_time_shortens_its_downtime_row(
    tmp_path: Path, reference_config: Config
) -> None:
    # Running, the link lost from +600 s to +1200 s; the row is committed when the link is back.
    # The counter's first value after it, a second later, shows 600 parts (300 s at 0.5 s): the
    # first 300 s of the loss ran, so the row keeps the last 300 s (docs/OEE.md).
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        feed(engine, store, [filler(0, "running", 1), filler(0, "total_count", 0)])
        feed(engine, store, [filler(600, "total_count", 1200), filler(600, "running", None)])
        feed(engine, store, [filler(600, "total_count", None), filler(1200, "running", 1)])
        store.flush()
        sql = 'SELECT equipment, start, "end", duration_s, reason, fault_code FROM downtime_events'
        assert rows(path, sql) == [("FILLER", T0 + 600, T0 + 1200, 600.0, "Communication loss", None)]
        feed(engine, store, [filler(1201, "total_count", 1800)])
        store.flush()
        assert rows(path, sql) == [("FILLER", T0 + 900, T0 + 1200, 300.0, "Communication loss", None)]
        (event,) = engine.downtime_events("FILLER", T0, T0 + 1201)
        assert (event.start, event.end) == (T0 + 900, T0 + 1200)
        # Another 600 parts' worth would be more than the loss: all of it ran, no row is left.
        feed(engine, store, [filler(1202, "running", None), filler(1202, "total_count", None)])
        feed(engine, store, [filler(1262, "running", 1), filler(1262, "total_count", 2400)])
        store.flush()
        assert rows(path, sql) == [("FILLER", T0 + 900, T0 + 1200, 300.0, "Communication loss", None)]
