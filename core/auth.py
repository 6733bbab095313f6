"""Users, roles and PINs for the line-side station, stored in SQLite.

PINs are short by nature (4-8 digits), so they are only ever stored as a salted
scrypt hash, and guessing is throttled by a per-user lockout. Every method that
depends on time takes ``now`` (epoch seconds) from the caller, so the rules are
testable and the station clock is read in exactly one place (the UI/CLI layer).

Every state change is committed before the method returns: a wrong PIN must be
counted even if the process dies right after, or the lockout could be bypassed
by killing the panel. Methods that write therefore raise ``RuntimeError`` if the
connection already has a transaction open.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
import unicodedata
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum

from core.sqlite_tx import write_transaction

__all__ = [
    "LOCK_AFTER",
    "LOCK_SECONDS",
    "ROLES",
    "SCHEMA",
    "AuthError",
    "Role",
    "User",
    "UserStore",
    "ensure_schema",
    "hash_pin",
    "pin_matches",
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

# n=2**14, r=8 costs ~16 MiB and tens of ms per hash: slow enough to make
# offline guessing of a 4-digit space non-trivial, fast enough for a keypad.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# Parameters are read back from the database; capping memory stops a tampered
# row from making verification allocate gigabytes.
_SCRYPT_MAXMEM = 64 * 1024 * 1024

SCHEMA = """\
CREATE TABLE IF NOT EXISTS users(
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    created_at REAL NOT NULL
)"""

# fullmatch rather than str.isdigit(): isdigit() accepts Arabic-Indic and
# superscript digits, which a keypad cannot type back.
_PIN_RE = re.compile(r"[0-9]{4,8}")
_NAME_MAX = 32
_NAME_EXTRA = frozenset(" .-_")


class AuthError(Exception):
    """A refused authentication or user-management request; ``str()`` is one line."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    # As stored: may lie in the past until the next verify() clears it.
    locked_until: float | None


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)
    conn.commit()


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """Return ``scrypt$n$r$p$salt_hex$hash_hex`` for a valid PIN."""
    _check_pin(pin)
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        pin.encode("ascii"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_SCRYPT_MAXMEM,
        dklen=HASH_BYTES,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, encoded: str) -> bool:
    """Check ``pin`` against a string made by :func:`hash_pin`.

    Raises ``ValueError`` if ``encoded`` is not such a string, so that a
    corrupt row is not silently reported as a wrong PIN.
    """
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("not an scrypt PIN hash")
    n, r, p = (int(x) for x in parts[1:4])
    salt = bytes.fromhex(parts[4])
    expected = bytes.fromhex(parts[5])
    if not expected:
        raise ValueError("empty hash")
    if not _PIN_RE.fullmatch(pin):
        return False
    digest = hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


def _check_pin(pin: str) -> None:
    if not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
        raise AuthError("PIN must be 4 to 8 digits")


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


class UserStore:
    """User accounts on an open SQLite connection; call :func:`ensure_schema` first."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, name: str, role: Role | str, pin: str, now: float) -> User:
        name = _norm_name(name)
        _check_name(name)
        checked_role = _check_role(role)
        pin_hash = hash_pin(pin)
        with _write(self._conn):
            # Case-insensitive so the audit log never shows "Bob" and "bob" as
            # two people; lookups stay exact to match the PRIMARY KEY.
            folded = name.casefold()
            for (existing,) in self._conn.execute("SELECT name FROM users"):
                if existing.casefold() == folded:
                    raise AuthError(f"user {existing!r} already exists")
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

    def reset_pin(self, name: str, pin: str) -> None:
        """Set a new PIN and clear any lockout: a supervisor reset is the way out of one."""
        name = _norm_name(name)
        pin_hash = hash_pin(pin)
        with _write(self._conn):
            cur = self._conn.execute(
                "UPDATE users SET pin_hash = ?, failed = 0, locked_until = NULL WHERE name = ?",
                (pin_hash, name),
            )
            if cur.rowcount == 0:
                raise AuthError(f"unknown user {name!r}")

    def list(self) -> builtins.list[User]:
        rows = self._conn.execute("SELECT name, role, locked_until FROM users ORDER BY name").fetchall()
        return [User(n, Role(r), lu) for n, r, lu in rows]

    def get(self, name: str) -> User | None:
        row = self._conn.execute(
            "SELECT name, role, locked_until FROM users WHERE name = ?", (_norm_name(name),)
        ).fetchone()
        return None if row is None else User(row[0], Role(row[1]), row[2])

    def verify(self, name: str, pin: str, now: float) -> User:
        """Return the user if ``pin`` is right, else raise :class:`AuthError`.

        The wrong PIN that triggers the lock reports the lock rather than
        "0 tries left". While locked, even the right PIN is refused and does
        not extend the lock. A lock ends at exactly ``locked_until``.
        """
        name = _norm_name(name)
        error: AuthError | None = None
        with _write(self._conn):
            row = self._conn.execute(
                "SELECT role, pin_hash, failed, locked_until FROM users WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise AuthError(f"unknown user {name!r}")
            role, pin_hash, failed, locked_until = row
            if locked_until is not None:
                if now < locked_until:
                    raise AuthError(_locked_message(name, locked_until))
                failed = 0
            try:
                ok = pin_matches(pin, pin_hash) if isinstance(pin, str) else False
            except ValueError:
                raise AuthError(f"stored PIN hash for {name!r} is unreadable; reset the PIN") from None
            if ok:
                failed, new_lock = 0, None
            else:
                failed += 1
                if failed >= LOCK_AFTER:
                    new_lock = float(now) + LOCK_SECONDS
                    error = AuthError(_locked_message(name, new_lock))
                else:
                    new_lock = None
                    error = AuthError(f"wrong PIN for {name!r} ({LOCK_AFTER - failed} tries left)")
            if (failed, new_lock) != (row[2], row[3]):
                self._conn.execute(
                    "UPDATE users SET failed = ?, locked_until = ? WHERE name = ?",
                    (failed, new_lock, name),
                )
        if error is not None:
            raise error
        return User(name, Role(role), None)
