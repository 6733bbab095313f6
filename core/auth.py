"""Users, roles and PINs for the line-side station, stored in SQLite.

PINs are short by nature (4-8 digits), so they are only ever stored as a salted, peppered
scrypt hash (`core.pin`), and guessing is throttled by a lockout per user and per place: the
panel is one place, each socket peer (by its uid) another, so a script on the socket can lock
out its own tries but never the supervisor at the panel. Lockouts run on the monotonic clock
(injectable), so setting the wall clock neither lifts nor lengthens one; `now` (epoch seconds,
from the caller) only stamps rows and the "locked until" the user reads.

A PIN check is three steps so that the scrypt work can leave the event loop (`core.gate` runs
`PinAttempt.matches` in a worker thread): `begin` reads the user and its lock, `matches` is pure,
`finish` records the outcome. `verify` does all three, for callers without an event loop.

Every state change is committed before the method returns: a wrong PIN must be counted even if
the process dies right after, or the lockout could be bypassed by killing the panel. Methods
that write therefore raise ``RuntimeError`` if the connection already has a transaction open.
"""

from __future__ import annotations

import builtins
import sqlite3
import time
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.names import skeleton
from core.pin import (
    SCRYPT_N,
    AuthError,
    PinPolicy,
    hash_pin,
    key_path,
    load_pepper,
    needs_rehash,
    pin_matches,
)
from core.sqlite_tx import write_transaction

__all__ = [
    "DEFAULT_POLICY",
    "LOCK_AFTER",
    "LOCK_SECONDS",
    "PANEL",
    "ROLES",
    "SCHEMA",
    "AuthError",
    "PinAttempt",
    "PinPolicy",
    "Role",
    "User",
    "UserStore",
    "boot_id",
    "ensure_schema",
    "socket_place",
]

ROLES: tuple[str, ...] = ("operator", "maintenance", "supervisor", "admin")


class Role(StrEnum):
    """Ordered from least to most privileged, in the same order as ``ROLES``."""

    OPERATOR = "operator"
    MAINTENANCE = "maintenance"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


LOCK_AFTER = 5
LOCK_SECONDS = 300.0
PANEL = "panel"  # the place of the faces in the station's own process

SCHEMA = """\
CREATE TABLE IF NOT EXISTS users(
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    created_at REAL NOT NULL
)"""
# failed/locked_until of `users` are no longer used: stations before the lockout per place wrote
# them. A lock's end is kept on the monotonic clock of the boot that set it, and on the wall clock
# for the next boot, whose monotonic clock starts again.
LOCKOUTS_SCHEMA = """\
CREATE TABLE IF NOT EXISTS lockouts(
    name TEXT NOT NULL,
    place TEXT NOT NULL,
    failed INTEGER NOT NULL,
    locked_mono REAL,
    locked_wall REAL,
    boot TEXT NOT NULL,
    PRIMARY KEY(name, place)
)"""

_NAME_MAX = 32
_NAME_EXTRA = frozenset(" .-_")
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    """This boot of the machine: a monotonic time means nothing in another one."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def socket_place(uid: int | None) -> str:
    """The place of a socket peer: its uid, which the kernel tells (SO_PEERCRED)."""
    return "socket" if uid is None else f"socket uid {uid}"


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    # The wall-clock end of the latest lock at any place, for `ms5 user list`; may lie in the past.
    locked_until: float | None


@dataclass(frozen=True, slots=True)
class PinAttempt:
    """A PIN check under way (`UserStore.begin`): the stored hash and the pepper to check it with."""

    name: str
    role: Role
    place: str
    pin_hash: str
    pepper: bytes | None

    def matches(self, pin: str) -> bool:
        """The scrypt work: pure, so it may run in a worker thread. AuthError for a hash that
        cannot be read (a corrupt row is not a wrong PIN)."""
        if not isinstance(pin, str):
            return False
        try:
            return pin_matches(pin, self.pin_hash, self.pepper)
        except ValueError as exc:
            raise AuthError(
                f"stored PIN hash for {self.name!r} is unreadable ({exc}); reset the PIN"
            ) from None


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)
    conn.execute(LOCKOUTS_SCHEMA)
    conn.commit()


def _norm_name(name: str) -> str:
    # NFC so that "Jürgen" typed on two different keyboards is the same user.
    return unicodedata.normalize("NFC", name) if isinstance(name, str) else name


def _check_name(name: str) -> None:
    ok = (
        isinstance(name, str)
        and 1 <= len(name) <= _NAME_MAX
        and name == name.strip()
        and all(c.isalpha() or c in "0123456789" or c in _NAME_EXTRA for c in name)
    )
    if not ok:
        raise AuthError(
            f"invalid user name {name!r}: 1 to {_NAME_MAX} letters, digits, space, '.', '-' or '_',"
            " no leading or trailing space"
        )


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise AuthError(f"invalid role {role!r}: must be one of {', '.join(ROLES)}")
    return Role(role)


def _clock(ts: float) -> str:
    # Local time: the message is read by the operator standing at the station.
    return time.strftime("%H:%M:%S", time.localtime(ts))


def _locked_message(name: str, until: float) -> str:
    return f"{name!r} is locked until {_clock(until)} after {LOCK_AFTER} wrong PINs"


def _write(conn: sqlite3.Connection) -> AbstractContextManager[None]:
    # BEGIN IMMEDIATE takes the write lock before the read, so two panels verifying the same user
    # at once cannot both read ``failed=3`` and lose a count.
    return write_transaction(conn, owner="user store")


DEFAULT_POLICY = PinPolicy()
_DEFAULT_KEY = Path()  # "the key file beside the connection's database"


class UserStore:
    """User accounts on an open SQLite connection; call :func:`ensure_schema` first.

    `key_file`: where the PIN pepper is (made on first use); by default beside the connection's
    database (`core.pin.key_path`), none for an in-memory database. `monotonic` and `boot` are the
    lockout's clock and this boot's id, for tests.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        key_file: Path | None = _DEFAULT_KEY,
        monotonic: Callable[[], float] = time.monotonic,
        boot: str | None = None,
    ) -> None:
        self._conn = conn
        if key_file is _DEFAULT_KEY:
            row = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()
            key_file = key_path(Path(row[0])) if row and row[0] else None
        self.key_file = key_file
        self._pepper: bytes | None = None
        self._monotonic = monotonic
        self._boot = boot_id() if boot is None else boot

    def _key(self) -> bytes | None:
        if self.key_file is None:
            return None
        if self._pepper is None:
            self._pepper = load_pepper(self.key_file)
        return self._pepper

    def add(
        self,
        name: str,
        role: Role | str,
        pin: str,
        now: float,
        *,
        policy: PinPolicy = DEFAULT_POLICY,
        scrypt_n: int = SCRYPT_N,
    ) -> User:
        """A new user; `scrypt_n` lower than SCRYPT_N only for a PIN that is public anyway (the
        demo's users, core.pin.PUBLIC_PIN_SCRYPT_N)."""
        name = _norm_name(name)
        _check_name(name)
        checked_role = _check_role(role)
        policy.check(pin)
        pin_hash = hash_pin(pin, self._key(), n=scrypt_n)
        looks = skeleton(name)
        with _write(self._conn):
            # Compared as they look (NFKC, case, confusables), so the audit log never shows "Bob"
            # and "bob", or a Cyrillic "Ѕаm" beside "Sam", as two people; lookups stay exact.
            for (existing,) in self._conn.execute("SELECT name FROM users"):
                if skeleton(existing) == looks:
                    same = "already exists" if existing.casefold() == name.casefold() else "looks the same"
                    raise AuthError(f"user {existing!r} {same}: choose another name than {name!r}")
            self._conn.execute(
                "INSERT INTO users(name, role, pin_hash, failed, locked_until, created_at)"
                " VALUES (?, ?, ?, 0, NULL, ?)",
                (name, checked_role.value, pin_hash, float(now)),
            )
        return User(name, checked_role, None)

    def remove(self, name: str) -> None:
        name = _norm_name(name)
        with _write(self._conn):
            cur = self._conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise AuthError(f"unknown user {name!r}")
            self._conn.execute("DELETE FROM lockouts WHERE name = ?", (name,))

    def reset_pin(self, name: str, pin: str, *, policy: PinPolicy = DEFAULT_POLICY) -> None:
        """Set a new PIN and clear its lockouts everywhere: a supervisor reset is the way out of one."""
        name = _norm_name(name)
        policy.check(pin)
        pin_hash = hash_pin(pin, self._key())
        with _write(self._conn):
            cur = self._conn.execute("UPDATE users SET pin_hash = ? WHERE name = ?", (pin_hash, name))
            if cur.rowcount == 0:
                raise AuthError(f"unknown user {name!r}")
            self._conn.execute("DELETE FROM lockouts WHERE name = ?", (name,))

    def list(self) -> builtins.list[User]:
        rows = self._conn.execute(
            "SELECT u.name, u.role, (SELECT max(l.locked_wall) FROM lockouts l WHERE l.name = u.name)"
            " FROM users u ORDER BY u.name"
        ).fetchall()
        return [User(n, Role(r), lu) for n, r, lu in rows]

    def get(self, name: str) -> User | None:
        name = _norm_name(name)
        return next((u for u in self.list() if u.name == name), None)

    # ------------------------------------------------------------ checking a PIN

    def _lock_end(self, row: tuple[int, float | None, float | None, str] | None, now: float) -> float | None:
        """The wall-clock end of the lock `row` holds, if it still holds at `now`."""
        if row is None:
            return None
        _failed, mono, wall, boot = row
        if mono is None or wall is None:
            return None
        remaining = mono - self._monotonic() if boot == self._boot else wall - now
        # No clock can make a lock longer than it was set for.
        remaining = min(remaining, LOCK_SECONDS)
        return now + remaining if remaining > 0 else None

    def _lock_row(self, name: str, place: str) -> tuple[int, float | None, float | None, str] | None:
        row = self._conn.execute(
            "SELECT failed, locked_mono, locked_wall, boot FROM lockouts WHERE name = ? AND place = ?",
            (name, place),
        ).fetchone()
        return None if row is None else (int(row[0]), row[1], row[2], str(row[3]))

    def begin(self, name: str, now: float, place: str = PANEL) -> PinAttempt:
        """Read `name` and its lock at `place`: AuthError when unknown or locked there."""
        name = _norm_name(name)
        row = self._conn.execute("SELECT role, pin_hash FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise AuthError(f"unknown user {name!r}")
        until = self._lock_end(self._lock_row(name, place), now)
        if until is not None:
            raise AuthError(_locked_message(name, until))
        pepper = self._key() if self.key_file is not None else None
        return PinAttempt(name, Role(row[0]), place, str(row[1]), pepper)

    def finish(self, attempt: PinAttempt, ok: bool, pin: str, now: float) -> User:
        """Record the outcome of `attempt`; AuthError for a wrong PIN (and the lock it sets).

        The right PIN clears the count at its place and brings a hash from before the pepper up to
        date. A lock another check set in the meantime stands: the right PIN is then refused too.
        """
        name, place = attempt.name, attempt.place
        with _write(self._conn):
            row = self._lock_row(name, place)
            until = self._lock_end(row, now)
            if until is not None:
                raise AuthError(_locked_message(name, until))
            if ok:
                self._conn.execute("DELETE FROM lockouts WHERE name = ? AND place = ?", (name, place))
                if needs_rehash(attempt.pin_hash, attempt.pepper):
                    self._conn.execute(
                        "UPDATE users SET pin_hash = ? WHERE name = ? AND pin_hash = ?",
                        (hash_pin(pin, attempt.pepper), name, attempt.pin_hash),
                    )
                return User(name, attempt.role, None)
            # An expired lock starts the count again.
            failed = 1 if row is None or row[1] is not None else row[0] + 1
            lock_mono = lock_wall = None
            if failed >= LOCK_AFTER:
                lock_mono, lock_wall = self._monotonic() + LOCK_SECONDS, float(now) + LOCK_SECONDS
            self._conn.execute(
                "INSERT INTO lockouts(name, place, failed, locked_mono, locked_wall, boot)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name, place) DO UPDATE SET"
                " failed = excluded.failed, locked_mono = excluded.locked_mono,"
                " locked_wall = excluded.locked_wall, boot = excluded.boot",
                (name, place, failed, lock_mono, lock_wall, self._boot),
            )
        if lock_wall is not None:
            raise AuthError(_locked_message(name, lock_wall))
        raise AuthError(f"wrong PIN for {name!r} ({LOCK_AFTER - failed} tries left)")

    def verify(self, name: str, pin: str, now: float, place: str = PANEL) -> User:
        """Return the user if `pin` is right at `place`, else raise :class:`AuthError`, all in the
        caller's thread. The wrong PIN that triggers the lock reports the lock rather than "0 tries
        left". While locked, even the right PIN is refused and does not extend the lock."""
        if self._conn.in_transaction:
            raise RuntimeError("user store needs a connection with no open transaction; commit first")
        attempt = self.begin(name, now, place)
        return self.finish(attempt, attempt.matches(pin), pin, now)
