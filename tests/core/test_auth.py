from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.auth import (
    LOCK_AFTER,
    LOCK_SECONDS,
    PANEL,
    ROLES,
    AuthError,
    PinPolicy,
    Role,
    User,
    UserStore,
    ensure_schema,
    socket_place,
)
from core.pin import load_pepper, pin_matches

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


class Mono:
    """The lockouts' monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def mono() -> Mono:
    return Mono()


@pytest.fixture
def store(conn: sqlite3.Connection, mono: Mono) -> UserStore:
    return UserStore(conn, monotonic=mono)


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
    cols = [r[1] for r in conn.execute("PRAGMA table_info(lockouts)")]
    assert cols == ["name", "place", "failed", "locked_mono", "locked_wall", "boot"]


# --- PIN rules -------------------------------------------------------------


@pytest.mark.parametrize("pin", ["4711", "1470", "73915268", "112358"])
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
        assert (scheme, n, r, p) == ("scrypt-pepper", str(2**14), "8", "1")
        assert re.fullmatch(r"[0-9a-f]{32}", salt)
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert h_ann.split("$")[4] != h_bob.split("$")[4]
    assert store.verify("ann", PIN, T0).name == "ann"
    assert store.verify("bob", PIN, T0).name == "bob"


def test_reset_pin_changes_pin(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    before = _hash_of(conn, "ann")
    store.reset_pin("ann", "97531")
    assert _hash_of(conn, "ann") != before
    with pytest.raises(AuthError, match="wrong PIN"):
        store.verify("ann", PIN, T0)
    assert store.verify("ann", "97531", T0).name == "ann"


def test_corrupt_stored_hash_is_not_a_wrong_pin(store: UserStore, conn: sqlite3.Connection) -> None:
    store.add("ann", "operator", PIN, T0)
    conn.execute("UPDATE users SET pin_hash = 'garbage' WHERE name = 'ann'")
    conn.commit()
    with pytest.raises(AuthError, match=r"unreadable"):
        store.verify("ann", PIN, T0)
    assert conn.execute("SELECT count(*) FROM lockouts").fetchone() == (0,)


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


def test_lockout_after_five_and_expiry_at_exactly_300s(store: UserStore, mono: Mono) -> None:
    assert (LOCK_AFTER, LOCK_SECONDS) == (5, 300)
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "ann", T0)
    t_lock = T0 + 10
    mono.t += 10
    until = t_lock + 300
    expected = f"'ann' is locked until {_clock(until)} after 5 wrong PINs"
    assert _fail(store, "ann", t_lock) == expected
    assert re.fullmatch(r"'ann' is locked until \d\d:\d\d:\d\d after 5 wrong PINs", expected)
    user = store.get("ann")
    assert user is not None and user.locked_until == until

    # The right PIN is refused while locked, up to the last instant of the monotonic clock.
    start = mono.t
    for elapsed in (0, 1, 299.999):
        mono.t = start + elapsed
        with pytest.raises(AuthError) as exc:
            store.verify("ann", PIN, t_lock + elapsed)
        assert str(exc.value) == expected

    mono.t = start + 300
    assert store.verify("ann", PIN, until) == User("ann", Role.OPERATOR, None)
    user = store.get("ann")
    assert user is not None and user.locked_until is None


def test_the_wall_clock_neither_lifts_nor_lengthens_a_lock(store: UserStore, mono: Mono) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    # Someone sets the clock a day on: the lock holds; a day back: it still ends 300 s later.
    with pytest.raises(AuthError, match="locked until"):
        store.verify("ann", PIN, T0 + 86400)
    mono.t += 200
    with pytest.raises(AuthError, match=f"locked until {_clock(T0 - 86400 + 100)}"):
        store.verify("ann", PIN, T0 - 86400)
    mono.t += 100
    assert store.verify("ann", PIN, T0 - 86400).name == "ann"


def test_after_a_reboot_a_lock_ends_by_the_wall_clock(conn: sqlite3.Connection, mono: Mono) -> None:
    """A new boot's monotonic clock starts again: there the lock's wall-clock end is all there is."""
    before = UserStore(conn, monotonic=mono, boot="boot-1")
    before.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(before, "ann", T0)
    after = UserStore(conn, monotonic=Mono(), boot="boot-2")
    assert _fail(after, "ann", T0 + 299) == f"'ann' is locked until {_clock(T0 + 300)} after 5 wrong PINs"
    assert after.verify("ann", PIN, T0 + 300).name == "ann"


def test_wrong_pin_while_locked_does_not_extend_lock(store: UserStore, mono: Mono) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    mono.t += 299
    assert "locked until" in _fail(store, "ann", T0 + 299)
    user = store.get("ann")
    assert user is not None and user.locked_until == T0 + 300
    mono.t += 1
    assert store.verify("ann", PIN, T0 + 300).name == "ann"


def test_counter_starts_fresh_after_lock_expires(store: UserStore, mono: Mono) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER):
        _fail(store, "ann", T0)
    until = T0 + LOCK_SECONDS
    mono.t += LOCK_SECONDS
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


def test_failures_are_committed_immediately(store: UserStore, db_path: Path, mono: Mono) -> None:
    store.add("ann", "operator", PIN, T0)
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "ann", T0)
    # A second connection sees the count: killing the panel does not reset it.
    other = UserStore(sqlite3.connect(db_path), monotonic=mono)
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


# --- places ----------------------------------------------------------------


def test_failures_at_one_place_never_lock_another(store: UserStore, mono: Mono) -> None:
    """A socket client guessing sam's PIN locks its own tries, not sam at the panel."""
    store.add("sam", "supervisor", PIN, T0)
    script = socket_place(1001)
    for _ in range(LOCK_AFTER):
        with pytest.raises(AuthError):
            store.verify("sam", OTHER, T0, script)
    with pytest.raises(AuthError, match="locked until"):
        store.verify("sam", PIN, T0, script)
    assert store.verify("sam", PIN, T0, PANEL).name == "sam"
    assert store.verify("sam", PIN, T0, socket_place(1002)).name == "sam"
    # The right PIN at the panel does not lift the script's lock either.
    with pytest.raises(AuthError, match="locked until"):
        store.verify("sam", PIN, T0 + 1, script)


def test_a_lock_set_while_a_check_was_under_way_stands(store: UserStore) -> None:
    """Checks in parallel from one place gain nothing: the lock is read again when one finishes."""
    store.add("sam", "supervisor", PIN, T0)
    right = store.begin("sam", T0, PANEL)
    for _ in range(LOCK_AFTER):
        with pytest.raises(AuthError):
            store.verify("sam", OTHER, T0)
    with pytest.raises(AuthError, match="locked until"):
        store.finish(right, right.matches(PIN), PIN, T0)


# --- PIN policy ------------------------------------------------------------


@pytest.mark.parametrize(
    "pin", ["0000", "1111", "99999999", "1234", "4321", "7890", "0987", "12345678", "3456"]
)
def test_simple_pins_are_refused_by_default(store: UserStore, pin: str) -> None:
    with pytest.raises(AuthError, match=r"^PIN too easy to guess"):
        store.add("ann", "operator", pin, T0)
    assert store.get("ann") is None
    store.add("bob", "operator", PIN, T0)
    with pytest.raises(AuthError, match=r"^PIN too easy to guess"):
        store.reset_pin("bob", pin)
    assert store.verify("bob", PIN, T0).name == "bob"


def test_the_policy_may_allow_simple_pins_and_ask_for_more_digits(store: UserStore) -> None:
    lax = PinPolicy(simple_pins=True)
    assert store.add("ann", "operator", "1234", T0, policy=lax).name == "ann"
    assert store.verify("ann", "1234", T0).name == "ann"
    six = PinPolicy(min_digits=6)
    with pytest.raises(AuthError, match=r"^PIN must be 6 to 8 digits$"):
        store.add("bob", "operator", "47115", T0, policy=six)
    assert store.add("bob", "operator", "471158", T0, policy=six).name == "bob"


# --- names that look alike ---------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        "\u0405\u0430m",  # Cyrillic Dze and a: "Ѕаm"
        "S\u0430m",  # one Cyrillic a
        "\u0455am",  # Cyrillic small dze
        "\uff53\uff41\uff4d",  # fullwidth: NFKC makes it "sam"
        "SAM",
    ],
)
def test_a_name_that_looks_like_an_existing_one_is_refused(store: UserStore, look_alike: str) -> None:
    store.add("Sam", "admin", PIN, T0)
    with pytest.raises(AuthError, match=r"^user 'Sam' (looks the same|already exists)"):
        store.add(look_alike, "admin", OTHER, T0)
    assert [u.name for u in store.list()] == ["Sam"]


def test_names_with_accents_and_other_scripts_stay_allowed(store: UserStore) -> None:
    for name in ("Jurgen", "Jürgen", "Lukasz", "Łukasz", "Olga", "Ольга", "Zoë"):
        store.add(name, "operator", PIN, T0)
    assert len(store.list()) == 7


# --- the pepper --------------------------------------------------------------


def _old_hash(pin: str) -> str:
    """A PIN hash as the station made it before the pepper (core/auth.py until issue 14)."""
    salt = bytes(range(16))
    digest = hashlib.scrypt(pin.encode("ascii"), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 2**20, dklen=32)
    return f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"


def test_a_hash_needs_the_key_file_a_copied_database_does_not_have(
    store: UserStore, conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    store.add("ann", "operator", PIN, T0)
    key = db_path.with_suffix(".key")
    assert store.key_file == key and key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    stored = _hash_of(conn, "ann")
    # Whoever has the database alone cannot check a guess: the hash is no plain scrypt of the PIN.
    with pytest.raises(ValueError, match="key file"):
        pin_matches(PIN, stored, None)
    assert not pin_matches(PIN, stored.replace("scrypt-pepper$", "scrypt$"), None)
    assert not pin_matches(PIN, stored, bytes(32))
    assert pin_matches(PIN, stored, load_pepper(key))
    # The database copied elsewhere: there is no key beside it, a new one is no help.
    copy = tmp_path / "copy" / "station.db"
    copy.parent.mkdir()
    shutil.copy(db_path, copy)
    with contextlib.closing(sqlite3.connect(copy)) as copied, pytest.raises(AuthError, match="wrong PIN"):
        UserStore(copied).verify("ann", PIN, T0)


def test_a_hash_from_before_the_pepper_verifies_and_is_rehashed(
    conn: sqlite3.Connection, store: UserStore
) -> None:
    conn.execute(
        "INSERT INTO users(name, role, pin_hash, failed, locked_until, created_at)"
        " VALUES (?, ?, ?, 0, NULL, ?)",
        ("ann", "operator", _old_hash(PIN), T0),
    )
    conn.commit()
    with pytest.raises(AuthError, match="wrong PIN"):
        store.verify("ann", OTHER, T0)
    assert _hash_of(conn, "ann") == _old_hash(PIN)  # a wrong PIN changes no hash
    assert store.verify("ann", PIN, T0).name == "ann"
    rehashed = _hash_of(conn, "ann")
    assert rehashed.startswith("scrypt-pepper$") and PIN not in rehashed
    assert store.verify("ann", PIN, T0).name == "ann"


def test_the_key_file_is_kept_from_others_and_a_damaged_one_is_said(db_path: Path, tmp_path: Path) -> None:
    key = db_path.with_suffix(".key")
    old = os.umask(0)
    try:
        pepper = load_pepper(key)
    finally:
        os.umask(old)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(pepper) == 32
    assert load_pepper(key) == pepper  # made once, then read
    key.chmod(0o644)
    assert load_pepper(key) == pepper
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.write_text("not a key\n")
    with pytest.raises(AuthError, match=r"damaged; restore it from the backup$"):
        load_pepper(key)
