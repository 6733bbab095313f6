"""A server the station logs in to (the report's SMTP server, the plant's MQTT broker): its address
in the config, and its password, which is never in the config itself but in a file or an
environment variable. One reading for every section, so `ms5 check` and the clients agree, and
every section says the same thing about the same mistake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class ServerAddress:
    tls: bool  # the scheme's TLS form (smtps://, mqtts://): TLS from the first byte
    host: str
    port: int


@dataclass(frozen=True)
class Login:
    """The names one section gives its address, user and password keys, for its messages."""

    what: str  # "an SMTP address", "a broker address"
    ports: Mapping[str, int]  # scheme -> default port; the first is the plain one, the second TLS
    user_key: str
    password_file_key: str
    password_env_key: str


def server_address(url: str, login: Login) -> ServerAddress:
    """`scheme://host[:port]` for one of `login.ports`' schemes; ValueError with the reason otherwise."""
    plain, secure = login.ports
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not {login.what} ({exc})") from None
    if parts.scheme not in login.ports:
        raise ValueError(f"{url!r}: the address starts {plain}:// or {secure}://")
    if parts.password is not None:
        raise ValueError(
            f"a password does not belong in the config: use {login.password_file_key} "
            f"or {login.password_env_key}"
        )
    if parts.username is not None:
        raise ValueError(f"put the user in {login.user_key}, not in the address")
    if not parts.hostname:
        raise ValueError(f"{url!r}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: {login.what} is {plain}://host:port and nothing after it")
    return ServerAddress(parts.scheme == secure, parts.hostname, port or login.ports[parts.scheme])


def password_errors(
    at: Loc,
    login: Login,
    *,
    user: str | None,
    password_file: str | None,
    password_env: str | None,
    user_needs_password: bool,
) -> Iterator[tuple[Loc, str]]:
    """One source of the password at most, a user for it, and (where the server cannot take a
    user alone) a password for the user."""
    file_key, env_key = login.password_file_key, login.password_env_key
    if password_file is not None and password_env is not None:
        yield (*at, env_key), f"one of {file_key} and {env_key}, not both"
    has_password = password_file is not None or password_env is not None
    if has_password and user is None:
        yield (
            (*at, file_key if password_file is not None else env_key),
            (f"a password needs a user: set {login.user_key}"),
        )
    if user_needs_password and user is not None and not has_password:
        yield (*at, login.user_key), f"the user's password: set {file_key} or {env_key}"


def read_password(password_file: str | None, password_env: str | None, what: str) -> str | None:
    """The password from its variable or file, read when it is needed, so a changed password needs
    no restart; ValueError naming what is missing ("the SMTP password: ...")."""
    if password_env is not None:
        value = os.environ.get(password_env)
        if value is None:
            raise ValueError(f"{what}: environment variable {password_env} is not set")
        return value
    if password_file is not None:
        try:
            return Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ValueError(f"{what}: cannot read {password_file}: {exc.strerror}") from None
    return None
