"""The shift report by mail: the PDF attached, the headline figures in the body (stdlib `email`
and `smtplib`; no Qt). `send` blocks: the station calls it on a worker thread, never its loop.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

from core.config_address import read_password
from core.config_reports import Reports, SmtpServer, smtp_server
from core.sqlite_tx import one_line


class MailError(Exception):
    """The mail could not be handed to the server; the message is one line, for the faces."""


@dataclass(frozen=True)
class MailSettings:
    server: SmtpServer
    starttls: bool
    user: str | None
    password_file: str | None
    password_env: str | None
    sender: str
    recipients: tuple[str, ...]
    timeout_s: float
    ca_file: str | None = None

    @classmethod
    def of(cls, reports: Reports) -> MailSettings | None:
        """None when the config mails nobody."""
        if not reports.mail_to or reports.smtp is None:
            return None
        return cls(
            server=smtp_server(reports.smtp),
            starttls=reports.starttls,
            user=reports.smtp_user,
            password_file=reports.smtp_password_file,
            password_env=reports.smtp_password_env,
            sender=reports.mail_from or f"ms5-floor@{socket.getfqdn()}",
            recipients=tuple(reports.mail_to),
            timeout_s=reports.smtp_timeout_s,
            ca_file=reports.smtp_ca_file,
        )

    def password(self) -> str | None:
        """Read when a mail goes out, so a changed password needs no restart."""
        try:
            return read_password(self.password_file, self.password_env, "the SMTP password")
        except ValueError as exc:
            raise MailError(str(exc)) from None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"


def headline(line: dict[str, Any], window: dict[str, str]) -> str:
    """The figures a reader wants before opening the PDF: the line's (its constraint's) OEE and
    factors, the counts and the down time, from the `ms5 report --json` object."""
    down_min = line["down_time_s"] / 60
    return "\n".join(
        [
            f"From {window['from']} to {window['to']}, line figures of the constraint {line['constraint']}:",
            "",
            f"  OEE           {_pct(line['oee'])}",
            f"  Availability  {_pct(line['availability'])}",
            f"  Performance   {_pct(line['performance'])}",
            f"  Quality       {_pct(line['quality'])}",
            f"  Good parts    {line['good_count']}",
            f"  Rejects       {line['reject_count']}",
            f"  Down time     {down_min:.0f} min",
            "",
            "The shift report is attached as PDF.",
        ]
    )


def compose(
    settings: MailSettings, subject: str, body: str, pdf: Path, *, sent_at: float, key: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(sent_at, localtime=True)
    # One id per shift, the same on every attempt: a mail that reaches a reader twice (a crash
    # between the server taking it and the outbox forgetting it) is one mail to their client.
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "ms5-floor.invalid"
    msg["Message-ID"] = f"<shift-report.{key.replace('/', '.')}@{domain}>"
    msg.set_content(body)
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return msg


def send(settings: MailSettings, msg: EmailMessage) -> None:
    """Hand `msg` to the server; MailError with the reason in a few words otherwise."""
    server = settings.server
    try:
        # The server's certificate is checked (host name included), against the plant's CA if given.
        context = ssl.create_default_context(cafile=settings.ca_file)
        password = settings.password()
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=settings.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=settings.timeout_s)
        with smtp:
            if settings.starttls:
                smtp.starttls(context=context)
            if settings.user is not None and password is not None:
                smtp.login(settings.user, password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        where = f"{server.host}:{server.port}"
        raise MailError(f"{where}: {one_line(exc)}") from None
