from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.audit import GENESIS_HASH, AuditLog, AuditRow, ensure_schema, row_hash

T0 = 1_700_000_000.0


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "station.db"


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    c = sqlite3.connect(db_path)
    ensure_schema(c)
    yield c
    c.close()


@pytest.fixture
def log(conn: sqlite3.Connection) -> AuditLog:
    return AuditLog(conn)


def _fill(log: AuditLog, n: int = 5) -> list[AuditRow]:
    return [
        log.append(T0 + i, f"user{i}", "operator", "ack_andon", f"line{i}", "ok", f"detail {i}")
        for i in range(n)
    ]


def _raw(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> None:
    conn.execute(sql, params)
    conn.commit()


def _plausible(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_empty_log_verifies(log: AuditLog) -> None:
    assert log.rows() == []
    assert log.verify() is None
    assert log.head() is None


def test_ensure_schema_is_idempotent(conn: sqlite3.Connection) -> None:
    ensure_schema(conn)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(audit)")]
    assert cols == [
        "id",
        "ts",
        "user",
        "role",
        "command",
        "target",
        "result",
        "detail",
        "prev_hash",
        "hash",
    ]


def test_append_builds_chain(log: AuditLog) -> None:
    rows = _fill(log)
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH == "0" * 64
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
    for row in rows:
        assert row.hash == row_hash(
            row.prev_hash,
            row.id,
            row.ts,
            row.user,
            row.role,
            row.command,
            row.target,
            row.result,
            row.detail,
        )
    assert log.rows() == rows
    assert log.verify() is None
    assert log.head() == (5, rows[-1].hash)


def test_defaults_and_nulls(log: AuditLog) -> None:
    row = log.append(T0, None, None, "startup", None, "ok")
    assert row.detail == ""
    assert log.rows() == [row]
    assert log.verify() is None


def test_integer_timestamp_hashes_as_stored(log: AuditLog) -> None:
    row = log.append(1_700_000_000, "ann", "admin", "login", None, "ok")
    assert isinstance(row.ts, float)
    assert log.rows()[0] == row
    assert log.verify() is None


@pytest.mark.parametrize("ts", [float("nan"), float("inf")])
def test_non_finite_timestamp_rejected(log: AuditLog, ts: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        log.append(ts, "ann", "admin", "login", None, "ok")
    assert log.rows() == []


def test_unicode_survives_round_trip(log: AuditLog, db_path: Path) -> None:
    log.append(T0 + 0.1, "Jürgen", "supervisor", "set_target", "Füller 3", "ok", "Δ 5 → 6 ✓")
    assert AuditLog(sqlite3.connect(db_path)).verify() is None


def test_rows_since(log: AuditLog) -> None:
    rows = _fill(log)
    assert log.rows(since=T0 + 2) == rows[2:]
    assert log.rows(since=T0 + 99) == []
    assert log.rows(since=None) == rows


def test_append_is_committed_and_restores_synchronous(log: AuditLog, conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous=NORMAL")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    log.append(T0, "ann", "admin", "login", None, "ok")
    conn.set_trace_callback(None)
    assert not conn.in_transaction
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)
    up = [s.strip().upper() for s in statements]
    full = up.index("PRAGMA SYNCHRONOUS=FULL")
    commit = up.index("COMMIT")
    restore = up.index("PRAGMA SYNCHRONOUS=NORMAL")
    assert full < up.index("BEGIN IMMEDIATE") < commit < restore


def test_refuses_to_join_open_transaction(log: AuditLog, conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE other(x)")
    conn.execute("INSERT INTO other VALUES (1)")
    with pytest.raises(RuntimeError, match="open transaction"):
        log.append(T0, "ann", "admin", "login", None, "ok")
    assert conn.in_transaction
    conn.rollback()
    assert log.rows() == []


def test_survives_reopen(log: AuditLog, db_path: Path) -> None:
    _fill(log, 3)
    other = AuditLog(sqlite3.connect(db_path))
    assert other.verify() is None
    assert other.append(T0 + 10, "bob", "admin", "x", None, "ok").id == 4
    assert log.verify() is None


# --- tampering ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("result", "denied"),
        ("user", "someone_else"),
        ("ts", T0 + 2.5),
        ("detail", None),
        ("target", "line9"),
        ("command", "reset_counter"),
        ("ts", "yesterday"),
    ],
)
def test_edited_row_detected(log: AuditLog, conn: sqlite3.Connection, column: str, value: object) -> None:
    _fill(log)
    _raw(conn, f"UPDATE audit SET {column} = ? WHERE id = 3", (value,))
    assert log.verify() == 3


def test_edited_row_with_recomputed_hash_breaks_next_link(log: AuditLog, conn: sqlite3.Connection) -> None:
    rows = _fill(log)
    r = rows[2]
    forged = row_hash(r.prev_hash, r.id, r.ts, r.user, r.role, r.command, r.target, "denied", r.detail)
    _raw(conn, "UPDATE audit SET result = 'denied', hash = ? WHERE id = 3", (forged,))
    assert log.verify() == 4


def test_edited_prev_hash_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    _raw(conn, "UPDATE audit SET prev_hash = ? WHERE id = 2", (_plausible("x"),))
    assert log.verify() == 2


def test_deleted_row_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    _raw(conn, "DELETE FROM audit WHERE id = 3")
    assert log.verify() == 4


def test_deleted_first_row_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    _raw(conn, "DELETE FROM audit WHERE id = 1")
    assert log.verify() == 2


def test_deleted_row_with_ids_renumbered_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    _raw(conn, "DELETE FROM audit WHERE id = 3")
    _raw(conn, "UPDATE audit SET id = id - 1 WHERE id > 3")
    assert log.verify() == 3


def test_inserted_row_at_end_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    rows = _fill(log)
    _raw(
        conn,
        "INSERT INTO audit VALUES (6, ?, 'ann', 'admin', 'reset_counter', 'line1', 'ok', '', ?, ?)",
        (T0 + 6, rows[-1].hash, _plausible("forged")),
    )
    assert log.verify() == 6


def test_inserted_row_after_gap_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    rows = _fill(log)
    r = rows[-1]
    # Even a correctly computed hash does not help if the id skips ahead.
    good = row_hash(r.hash, 9, T0 + 9, "ann", "admin", "x", None, "ok", "")
    _raw(
        conn,
        "INSERT INTO audit VALUES (9, ?, 'ann', 'admin', 'x', NULL, 'ok', '', ?, ?)",
        (T0 + 9, r.hash, good),
    )
    assert log.verify() == 9


def test_inserted_row_in_middle_detected(log: AuditLog, conn: sqlite3.Connection) -> None:
    rows = _fill(log)
    _raw(conn, "DELETE FROM audit WHERE id = 3")
    _raw(
        conn,
        "INSERT INTO audit VALUES (3, ?, 'ann', 'admin', 'reset_counter', 'line1', 'ok', '', ?, ?)",
        (T0 + 2, rows[1].hash, _plausible("forged")),
    )
    assert log.verify() == 3


def test_append_after_tampering_does_not_heal(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    _raw(conn, "UPDATE audit SET result = 'denied' WHERE id = 2")
    log.append(T0 + 10, "bob", "admin", "x", None, "ok")
    assert log.verify() == 2


# --- tail truncation: documented limit, caught only with an anchor -----------


def test_tail_truncation_needs_anchor(log: AuditLog, conn: sqlite3.Connection) -> None:
    _fill(log)
    anchor = log.head()
    assert anchor is not None
    assert log.verify(anchor) is None
    _raw(conn, "DELETE FROM audit WHERE id >= 4")
    assert log.verify() is None  # the limitation stated in the module docstring
    assert log.verify(anchor) == 4


def test_anchor_catches_rebuilt_chain(log: AuditLog, conn: sqlite3.Connection) -> None:
    rows = _fill(log)
    anchor = log.head()
    assert anchor is not None
    # Rewrite row 4 and recompute every later hash: internally consistent again.
    prev = rows[2].hash
    for r in rows[3:]:
        result = "denied" if r.id == 4 else r.result
        h = row_hash(prev, r.id, r.ts, r.user, r.role, r.command, r.target, result, r.detail)
        _raw(
            conn, "UPDATE audit SET result = ?, prev_hash = ?, hash = ? WHERE id = ?", (result, prev, h, r.id)
        )
        prev = h
    assert log.verify() is None
    assert log.verify(anchor) == 5


def test_anchor_still_valid_after_more_appends(log: AuditLog) -> None:
    _fill(log, 3)
    anchor = log.head()
    assert anchor is not None
    _fill(log, 2)
    assert log.verify(anchor) is None
