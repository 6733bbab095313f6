from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.auth import (
    LOCK_AFTER,
    LOCK_SECONDS,
    ROLES,
    AuthError,
    Role,
    User,
    UserStore,
    ensure_schema,
)

T0 = 1_700_000_000.0
PIN = "4711"
OTHER = "0815"


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
def store(conn: sqlite3.Connection) -> UserStore:
    return UserStore(conn)


def _hash_of(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT pin_hash FROM users WHERE name = ?", (name,)).fetchone()
    assert row is not None
    return str(row[0])


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def _fail(store: UserStore, name: str, now: float) -> str:
    with pytest.raises(AuthError) as exc:
        store.verify(name, OTHER, now)
    return str(exc.value)


def test_roles_are_ordered_and_match_enum() -> None:
    assert ROLES == ("operator", "maintenance", "supervisor", "admin")
    assert tuple(r.value for r in Role) == ROLES
    assert str(Role.ADMIN) == "admin"


def test_ensure_schema_is_idempotent(conn: sqlite3.Connection) -> None:
    ensure_schema(conn)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(users)")]
    assert cols == ["name", "role", "pin_hash", "failed", "locked_until", "created_at"]


# --- PIN rules -------------------------------------------------------------


@pytest.mark.parametrize("pin", ["0000", "1234", "12345678", "000000"])
def test_valid_pins_accepted(store: UserStore, pin: str) -> None:
    store.add("ann", "operator", pin, T0)
    assert store.verify("ann", pin, T0).name == "ann"


@pytest.mark.parametrize(
    "pin",
    [
        "",
        "123",
        "123456789",
        "12a4",
        "12.4",
        " 1234",
        "1234 ",
        "1234\n",
        "-1234",
        "١٢٣٤",  # Arabic-Indic digits: str.isdigit() is True, a keypad cannot type them
        "１２３４",  # fullwidth digits
        "¹²³⁴",
    ],
)
def test_invalid_pins_rejected(store: UserStore, pin: str) -> None:
    with pytest.raises(AuthError, match=r"^PIN must be 4 to 8 digits$"):
        store.add("ann", "operator", pin, T0)
    assert store.get("ann") is None
    store.add("bob", "operator", PIN, T0)
    with pytest.raises(AuthError, match=r"^PIN must be 4 to 8 digits$"):
        store.reset_pin("bob", pin)
    assert store.verify("bob", PIN, T0).name == "bob"


def test_hash_is_salted_scrypt_without_the_pin(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    store.add("bob", "operator", PIN, T0)
    h_ann, h_bob = _hash_of(conn, "ann"), _hash_of(conn, "bob")
    assert h_ann != h_bob
    for h in (h_ann, h_bob):
        assert PIN not in h
        scheme, n, r, p, salt, digest = h.split("$")
        assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
        assert re.fullmatch(r"[0-9a-f]{32}", salt)
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert h_ann.split("$")[4] != h_bob.split("$")[4]
    assert store.verify("ann", PIN, T0).name == "ann"
    assert store.verify("bob", PIN, T0).name == "bob"


def test_reset_pin_changes_pin(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    before = _hash_of(conn, "ann")
    store.reset_pin("ann", "99999")
    assert _hash_of(conn, "ann") != before
    with pytest.raises(AuthError, match="wrong PIN"):
        store.verify("ann", PIN, T0)
    assert store.verify("ann", "99999", T0).name == "ann"


def test_corrupt_stored_hash_is_not_a_wrong_pin(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    conn.execute("UPDATE users SET pin_hash = 'garbage' WHERE name = 'ann'")
    conn.commit()
    with pytest.raises(AuthError, match=r"unreadable"):
        store.verify("ann", PIN, T0)
    assert conn.execute("SELECT failed FROM users WHERE name = 'ann'").fetchone() == (0,)


# --- verify and lockout -----------------------------------------------------


def test_verify_returns_user(store: UserStore) -> None:
    store.add("ann", Role.SUPERVISOR, PIN, T0)
    assert store.verify("ann", PIN, T0) == User("ann", Role.SUPERVISOR, None)


def test_wrong_pin_counts_down(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    msgs = [_fail(store, "ann", T0 + i) for i in range(LOCK_AFTER - 1)]
    assert msgs == [
        "wrong PIN for 'ann' (4 tries left)",
        "wrong PIN for 'ann' (3 tries left)",
        "wrong PIN for 'ann' (2 tries left)",
        "wrong PIN for 'ann' (1 tries left)",
    ]


def test_malformed_pin_at_verify_counts_as_wrong(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    with pytest.raises(AuthError, match=r"^wrong PIN for 'ann' \(4 tries left\)$"):
        store.verify("ann", "12", T0)


def test_lockout_after_five_and_expiry_at_exactly_300s(store: UserStore) -> None:
    assert (LOCK_AFTER, LOCK_SECONDS) == (5, 300)
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "ann", T0)
    t_lock = T0 + 10
    until = t_lock + 300
    expected = f"'ann' is locked until {_clock(until)} after 5 wrong PINs"
    assert _fail(store, "ann", t_lock) == expected
    assert re.fullmatch(r"'ann' is locked until \d\d:\d\d:\d\d after 5 wrong PINs", expected)
    user = store.get("ann")
    assert user is not None and user.locked_until == until

    # The right PIN is refused while locked, up to the last instant.
    for now in (t_lock, t_lock + 1, until - 0.001):
        with pytest.raises(AuthError) as exc:
            store.verify("ann", PIN, now)
        assert str(exc.value) == expected

    assert store.verify("ann", PIN, until) == User("ann", Role.OPERATOR, None)
    user = store.get("ann")
    assert user is not None and user.locked_until is None


def test_wrong_pin_while_locked_does_not_extend_lock(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    assert "locked until" in _fail(store, "ann", T0 + 299)
    user = store.get("ann")
    assert user is not None and user.locked_until == T0 + 300


def test_counter_starts_fresh_after_lock_expires(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    until = T0 + LOCK_SECONDS
    assert _fail(store, "ann", until) == "wrong PIN for 'ann' (4 tries left)"
    for i in range(3):
        _fail(store, "ann", until + 1 + i)
    assert "locked until" in _fail(store, "ann", until + 10)


def test_right_pin_resets_counter(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "ann", T0)
    store.verify("ann", PIN, T0)
    msgs = [_fail(store, "ann", T0) for _ in range(LOCK_AFTER - 1)]
    assert msgs[-1] == "wrong PIN for 'ann' (1 tries left)"
    assert "locked until" in _fail(store, "ann", T0)


def test_failures_are_committed_immediately(store: UserStore, db_path: Path) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "ann", T0)
    # A second connection sees the count: killing the panel does not reset it.
    other = UserStore(sqlite3.connect(db_path))
    assert _fail(other, "ann", T0).startswith("'ann' is locked until")
    with pytest.raises(AuthError, match="locked until"):
        store.verify("ann", PIN, T0 + 1)


def test_reset_pin_clears_lock(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    store.reset_pin("ann", "2468")
    assert store.verify("ann", "2468", T0 + 1).name == "ann"


def test_lock_is_per_user(store: UserStore) -> None:
    store.add("ann", "operator", PIN, T0)
    store.add("bob", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    assert store.verify("bob", PIN, T0).name == "bob"


# --- users, names, roles ----------------------------------------------------


def test_unknown_user(store: UserStore) -> None:
    with pytest.raises(AuthError, match=r"^unknown user 'ghost'$"):
        store.verify("ghost", PIN, T0)
    with pytest.raises(AuthError, match=r"^unknown user 'ghost'$"):
        store.remove("ghost")
    with pytest.raises(AuthError, match=r"^unknown user 'ghost'$"):
        store.reset_pin("ghost", PIN)
    assert store.get("ghost") is None


def test_messages_are_one_line(store: UserStore) -> None:
    with pytest.raises(AuthError) as exc:
        store.verify("evil\nname", PIN, T0)
    assert "\n" not in str(exc.value)
    with pytest.raises(AuthError) as exc:
        store.add("evil\nname", "operator", PIN, T0)
    assert "\n" not in str(exc.value)


def test_duplicate_names_rejected(store: UserStore) -> None:
    store.add("Bob", "operator", PIN, T0)
    with pytest.raises(AuthError, match=r"already exists"):
        store.add("Bob", "admin", OTHER, T0)
    with pytest.raises(AuthError, match=r"already exists"):
        store.add("bob", "admin", OTHER, T0)
    assert [u.name for u in store.list()] == ["Bob"]
    assert store.verify("Bob", PIN, T0).role is Role.OPERATOR


@pytest.mark.parametrize("name", ["a", "Jürgen M.", "op_1-night shift", "x" * 32, "3"])
def test_valid_names(store: UserStore, name: str) -> None:
    assert store.add(name, "operator", PIN, T0).name == name
    assert store.get(name) == User(name, Role.OPERATOR, None)


@pytest.mark.parametrize(
    "name", ["", "x" * 33, "a/b", "o'neil", "a\tb", "tab\n", " ann", "ann ", "a;drop", "ann@x"]
)
def test_invalid_names(store: UserStore, name: str) -> None:
    with pytest.raises(AuthError, match=r"^invalid user name"):
        store.add(name, "operator", PIN, T0)
    assert store.list() == []


def test_nfc_and_nfd_spellings_are_one_user(store: UserStore) -> None:
    store.add("J\u00fcrgen", "operator", PIN, T0)
    assert store.verify("Ju\u0308rgen", PIN, T0).name == "J\u00fcrgen"


@pytest.mark.parametrize("role", ["root", "Admin", "", "operators"])
def test_invalid_role(store: UserStore, role: str) -> None:
    with pytest.raises(AuthError, match=r"^invalid role"):
        store.add("ann", role, PIN, T0)
    assert store.get("ann") is None


@pytest.mark.parametrize("role", [*ROLES, *Role])
def test_each_role_accepted(store: UserStore, role: str) -> None:
    user = store.add("ann", role, PIN, T0)
    assert user.role == role
    assert isinstance(user.role, Role)


def test_list_get_remove(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("zed", "admin", PIN, T0)
    store.add("amy", "maintenance", PIN, T0 + 5)
    assert store.list() == [User("amy", Role.MAINTENANCE, None), User("zed", Role.ADMIN, None)]
    assert conn.execute("SELECT created_at FROM users WHERE name = 'amy'").fetchone() == (T0 + 5,)
    store.remove("zed")
    assert store.get("zed") is None
    assert [u.name for u in store.list()] == ["amy"]


def test_refuses_to_join_open_transaction(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    conn.execute("CREATE TABLE other(x)")
    conn.execute("INSERT INTO other VALUES (1)")
    assert conn.in_transaction
    with pytest.raises(RuntimeError, match="open transaction"):
        store.verify("ann", PIN, T0)
    assert conn.in_transaction  # the caller's work is left alone
    conn.rollback()
