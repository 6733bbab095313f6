"""`[reports]` of the config: the shift report written at every shift's end, and mailed.

The model (`Reports`) and the checks the model alone cannot make (`reports_errors`): an SMTP
address that is one, a password that is never in the file itself, mail that has somewhere to go.
Parsing the `smtp` address is here too (`smtp_server`), so `ms5 check` and the mailer read it alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parseaddr

from pydantic import BaseModel, ConfigDict, Field

from core.config_address import Login, ServerAddress, password_errors, server_address

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


SmtpServer = ServerAddress
SMTP_LOGIN = Login("an SMTP address", SMTP_PORTS, "smtp_user", "smtp_password_file", "smtp_password_env")


def smtp_server(url: str) -> SmtpServer:
    """`smtp://host[:port]` or `smtps://host[:port]`; ValueError with the reason otherwise."""
    return server_address(url, SMTP_LOGIN)


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
    yield from password_errors(
        at,
        SMTP_LOGIN,
        user=reports.smtp_user,
        password_file=reports.smtp_password_file,
        password_env=reports.smtp_password_env,
        user_needs_password=True,
    )
