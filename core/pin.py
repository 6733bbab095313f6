"""PINs: which ones a user may choose (the policy), how they are kept (salted scrypt with a secret
pepper) and the key file the pepper lives in (docs/ANDON.md, "People").

A 4-digit PIN has 10,000 values: a copied database alone must not be enough to search them
offline. So the scrypt input is HMAC-SHA256(pepper, PIN), the pepper being 32 random bytes in a
key file beside the database (`station.db` -> `station.key`, mode 0600) that only the station's
user can read. Hashes made before the pepper (`scrypt$...`) still verify, and are rehashed with
it at the next right PIN (`core.auth.UserStore`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PIN_MAX",
    "PIN_MIN",
    "PUBLIC_PIN_SCRYPT_N",
    "SCRYPT_N",
    "AuthError",
    "PinPolicy",
    "hash_pin",
    "key_path",
    "load_pepper",
    "needs_rehash",
    "pin_matches",
]

PIN_MIN, PIN_MAX = 4, 8

# n=2**14, r=8 costs ~16 MiB and tens of ms per hash: slow enough to make
# offline guessing of a 4-digit space non-trivial, fast enough for a keypad.
SCRYPT_N = 2**14
# For PINs that are public anyway (the demo's users, printed at its start): the same scheme and
# checks, 16 times cheaper, so that the demo's shift history does not spend a second in scrypt.
# Verification reads n back from each hash, so such a hash is checked at its own cost.
PUBLIC_PIN_SCRYPT_N = 2**10
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
PEPPER_BYTES = 32
# Parameters are read back from the database; capping memory stops a tampered
# row from making verification allocate gigabytes.
_SCRYPT_MAXMEM = 64 * 1024 * 1024
PLAIN, PEPPERED = "scrypt", "scrypt-pepper"

# fullmatch rather than str.isdigit(): isdigit() accepts Arabic-Indic and
# superscript digits, which a keypad cannot type back.
_PIN_RE = re.compile(r"[0-9]{4,8}")
_KEY_RE = re.compile(rb"[0-9a-f]{64}\n?")


class AuthError(Exception):
    """A refused authentication or user-management request; ``str()`` is one line."""


def _simple(pin: str) -> bool:
    """All one digit (0000), or a straight run up or down, 0 following 9 (1234, 4321, 7890)."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {9})


@dataclass(frozen=True, slots=True)
class PinPolicy:
    """Which PINs a user may be given: the config's `[people]` (docs/CONFIG.md)."""

    min_digits: int = PIN_MIN
    simple_pins: bool = False  # allow 0000, 1234, 4321...

    def check(self, pin: str) -> None:
        check_pin(pin)
        if len(pin) < self.min_digits:
            raise AuthError(f"PIN must be {self.min_digits} to {PIN_MAX} digits")
        if not self.simple_pins and _simple(pin):
            raise AuthError(
                "PIN too easy to guess (all one digit or a straight run like 1234); choose another"
            )


def check_pin(pin: object) -> None:
    if not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
        raise AuthError(f"PIN must be {PIN_MIN} to {PIN_MAX} digits")


def _secret(pin: str, pepper: bytes | None) -> bytes:
    if pepper is None:
        return pin.encode("ascii")
    return hmac.new(pepper, pin.encode("ascii"), hashlib.sha256).digest()


def hash_pin(pin: str, pepper: bytes | None, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """``scrypt-pepper$n$r$p$salt_hex$hash_hex`` for a valid PIN (``scrypt$...`` without a pepper,
    as stations before the key file made them); `n` is scrypt's cost (PUBLIC_PIN_SCRYPT_N only for
    PINs everyone may know)."""
    check_pin(pin)
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        _secret(pin, pepper),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_SCRYPT_MAXMEM,
        dklen=HASH_BYTES,
    )
    scheme = PLAIN if pepper is None else PEPPERED
    return f"{scheme}${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def needs_rehash(encoded: str, pepper: bytes | None) -> bool:
    """A hash from before the pepper, now that there is one."""
    return pepper is not None and encoded.startswith(PLAIN + "$")


def pin_matches(pin: str, encoded: str, pepper: bytes | None) -> bool:
    """Check ``pin`` against a string made by :func:`hash_pin`. Pure: safe in a worker thread.

    Raises ``ValueError`` if ``encoded`` is not such a string (or needs a pepper there is none
    of), so that a corrupt row is not silently reported as a wrong PIN.
    """
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] not in (PLAIN, PEPPERED):
        raise ValueError("not an scrypt PIN hash")
    if parts[0] == PEPPERED and pepper is None:
        raise ValueError("the hash needs the key file")
    n, r, p = (int(x) for x in parts[1:4])
    salt = bytes.fromhex(parts[4])
    expected = bytes.fromhex(parts[5])
    if not expected:
        raise ValueError("empty hash")
    if not _PIN_RE.fullmatch(pin):
        return False
    secret = _secret(pin, pepper if parts[0] == PEPPERED else None)
    digest = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    return hmac.compare_digest(digest, expected)


def key_path(db: Path) -> Path:
    """The key file of the station whose database is `db`: beside it, named after it."""
    return db.with_suffix(".key")


def load_pepper(path: Path) -> bytes:
    """The pepper in `path`, made (0600, fsynced) when there is none yet; AuthError in one line
    when it cannot be read or made, or others may read it."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    _make_key(path)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise AuthError(f"{path}: cannot read the PIN key file: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AuthError(f"{path}: the PIN key file is not a regular file")
        if st.st_mode & 0o077:
            try:
                os.fchmod(fd, 0o600)
            except OSError:
                mode = st.st_mode & 0o777
                raise AuthError(
                    f"{path}: the PIN key file may be read by others (mode {mode:o}); chmod 600 it"
                ) from None
        data = os.read(fd, 200)
    finally:
        os.close(fd)
    if not _KEY_RE.fullmatch(data):
        raise AuthError(f"{path}: the PIN key file is damaged; restore it from the backup")
    return bytes.fromhex(data[:64].decode("ascii"))


def _make_key(path: Path) -> None:
    # Written whole under another name, then linked: a second process making the key at the same
    # moment finds either no file or the complete one, and only one of the two keys wins.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, secrets.token_hex(PEPPER_BYTES).encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError as exc:
        raise AuthError(f"{path}: cannot make the PIN key file: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):  # the new name must survive a power cut too
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
