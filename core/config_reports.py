"""`[reports]` of the config: the shift report written at every shift's end, and mailed.

The model (`Reports`) and the checks the model alone cannot make (`reports_errors`): an SMTP
address that is one, a password that is never in the file itself, mail that has somewhere to go.
Parsing the `smtp` address is here too (`smtp_server`), so `ms5 check` and the mailer read it alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

Loc = tuple[int | str, ...]

SMTP_PORTS = {"smtp": 25, "smtps": 465}


class Reports(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_shift_end: bool = False  # write each finished shift's PDF and CSV into `folder`
    folder: str | None = None  # default: "reports" beside the database; relative: to the database's folder
    catch_up_days: float = Field(default=7, ge=0, le=366)  # after downtime, shifts this far back
    mail_to: list[str] = []
    mail_from: str | None = None  # default: ms5-floor@<this host>
    smtp: str | None = None  # smtp://host:25 or smtps://host:465
    starttls: bool = False  # smtp:// only: upgrade to TLS before logging in
    smtp_user: str | None = None
    smtp_password_file: str | None = None  # the password is never in the config itself
    smtp_password_env: str | None = None
    smtp_timeout_s: float = Field(default=30, gt=0)
    smtp_ca_file: str | None = None  # a plant's own CA; default: the system's certificates


@dataclass(frozen=True)
class SmtpServer:
    tls: bool  # smtps: TLS from the first byte
    host: str
    port: int


def smtp_server(url: str) -> SmtpServer:
    """`smtp://host[:port]` or `smtps://host[:port]`; ValueError with the reason otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not an SMTP address ({exc})") from None
    if parts.scheme not in SMTP_PORTS:
        raise ValueError(f"{url!r}: the address starts smtp:// or smtps://")
    if parts.password is not None:
        raise ValueError(
            "a password does not belong in the config: use smtp_password_file or smtp_password_env"
        )
    if parts.username is not None:
        raise ValueError("put the user in smtp_user, not in the address")
    if not parts.hostname:
        raise ValueError(f"{url!r}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: an SMTP address is smtp://host:port and nothing after it")
    return SmtpServer(parts.scheme == "smtps", parts.hostname, port or SMTP_PORTS[parts.scheme])


def reports_errors(reports: Reports) -> Iterator[tuple[Loc, str]]:
    at: Loc = ("reports",)
    server = None
    if reports.smtp is not None:
        try:
            server = smtp_server(reports.smtp)
        except ValueError as exc:
            yield (*at, "smtp"), str(exc)
    for i, address in enumerate(reports.mail_to):
        _name, mail = parseaddr(address)
        if "@" not in mail or " " in mail:
            yield (*at, "mail_to", i), f"{address!r} is not a mail address"
    if reports.mail_from is not None and "@" not in parseaddr(reports.mail_from)[1]:
        yield (*at, "mail_from"), f"{reports.mail_from!r} is not a mail address"
    if reports.mail_to and reports.smtp is None:
        yield (*at, "mail_to"), "mail needs a server: set smtp (smtp://host:25 or smtps://host:465)"
    if reports.mail_to and not reports.at_shift_end:
        yield (*at, "mail_to"), "the report is mailed at shift end: set at_shift_end = true"
    if reports.smtp is not None and not reports.mail_to:
        yield (*at, "smtp"), "a mail server and nobody to mail: set mail_to"
    if server is not None and server.tls and reports.starttls:
        yield (*at, "starttls"), "starttls is for smtp://; smtps:// is TLS from the start"
    if reports.smtp_ca_file is not None and server is not None and not (server.tls or reports.starttls):
        yield (*at, "smtp_ca_file"), "a CA file is for TLS: use smtps:// or starttls = true"
    if reports.smtp_password_file is not None and reports.smtp_password_env is not None:
        yield (*at, "smtp_password_env"), "one of smtp_password_file and smtp_password_env, not both"
    has_password = reports.smtp_password_file is not None or reports.smtp_password_env is not None
    if has_password and reports.smtp_user is None:
        key = "smtp_password_file" if reports.smtp_password_file is not None else "smtp_password_env"
        yield (*at, key), "a password needs a user: set smtp_user"
    if reports.smtp_user is not None and not has_password:
        yield (*at, "smtp_user"), "the user's password: set smtp_password_file or smtp_password_env"
