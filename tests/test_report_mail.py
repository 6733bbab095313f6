"""The shift report by mail, against a real SMTP server on 127.0.0.1 (aiosmtpd): the PDF attached,
the headline figures in the body, the password from the environment; a refused server keeps the
mail in the outbox on disk, says so on the health view, and the outbox drains once it is back,
across a restart of the station."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from core.config import load_config
from hmi.report.export import pct
from hmi.station.runtime import Station
from hmi.station.views import health_view
from tests.cli_runs import run_process
from tests.ports import free_port
from tests.test_shift_end_reports import MON_0600, NIGHT, Clock, feed, folder, step

pytestmark = [
    pytest.mark.slow,  # an SMTP server, ms5 child processes with Qt
    # The test server logs in without TLS (it has no certificate), which aiosmtpd warns about.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "MS5_TEST_SMTP_PASSWORD"
PASSWORD = "correct horse"


class Inbox:
    """What the server received, once it authenticated the station with the right password."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"ms5" and data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def smtp_server(port: int, inbox: Inbox) -> Controller:
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,  # the test server has no certificate; production would use starttls
    )
    controller.start()
    return controller


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def config_with_mail(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "line.toml"
    path.write_text(
        (ROOT / "tests" / "data" / "reference.toml").read_text()
        + f"""
[reports]
at_shift_end = true
folder = "shift-reports"
mail_to = ["Production Manager <pm@plant.example>", "maintenance@plant.example"]
mail_from = "line1@plant.example"
smtp = "smtp://127.0.0.1:{port}"
smtp_user = "ms5"
smtp_password_env = "{PASSWORD_ENV}"
"""
    )
    return path


def open_station(config_path: Path, clock: Clock) -> Station:
    station = Station(
        load_config(config_path), config_path.parent / "station.db", clock=clock, config_path=config_path
    )
    station.open()
    return station


def outbox(config_path: Path) -> list[str]:
    box = config_path.parent / "shift-reports" / "outbox"
    return sorted(p.name for p in box.iterdir()) if box.is_dir() else []


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    yield Inbox()


def test_the_report_is_mailed_with_the_pdf_and_the_headline_figures(
    tmp_path: Path, inbox: Inbox, password: None
) -> None:
    port = free_port()
    controller = smtp_server(port, inbox)
    try:
        config_path = config_with_mail(tmp_path, port)
        clock = Clock(MON_0600 - 600)
        station = open_station(config_path, clock)
        feed(station, clock, MON_0600 - 600, MON_0600 + 10, [0])
        step(station)
    finally:
        controller.stop()
    (msg,) = inbox.messages
    assert inbox.recipients == [["pm@plant.example", "maintenance@plant.example"]]
    assert msg["Subject"] == "Shift report Bottling 1 (L1), Night 2026-03-01 22:00"
    assert msg["From"] == "line1@plant.example"
    # One id per shift (its line and start): a mail delivered twice is one mail to the reader.
    assert msg["Message-ID"] == "<shift-report.L1.Night.1772398800@plant.example>"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == f"{NIGHT}.pdf"
    assert attachment.get_content() == (folder(config_path) / f"{NIGHT}.pdf").read_bytes()

    figures = run_process(
        "report", str(config_path), "--db", str(station.db_path), "--from", "2026-03-01T22:00",
        "--to", "2026-03-02T06:00", "--json",
    )  # fmt: skip
    line = json.loads(figures.stdout)["lines"]["L1"]
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert f"OEE           {pct(line['oee'])}" in text
    assert f"Availability  {pct(line['availability'])}" in text
    assert f"Good parts    {line['good_count']}" in text
    assert outbox(config_path) == []
    assert health_view(station)["reports_error"] is None
    asyncio.run(station.stop())


def test_a_refused_server_keeps_the_mail_on_disk_says_so_and_the_outbox_drains_once_it_is_up(
    tmp_path: Path, inbox: Inbox, password: None
) -> None:
    port = free_port()  # nobody listens here yet: connection refused
    config_path = config_with_mail(tmp_path, port)
    clock = Clock(MON_0600 - 600)
    station = open_station(config_path, clock)
    feed(station, clock, MON_0600 - 600, MON_0600 + 10, [0])
    step(station)
    assert (folder(config_path) / f"{NIGHT}.pdf").exists()  # the report is written all the same
    assert outbox(config_path) == [f"{NIGHT}.eml", f"{NIGHT}.json"]
    problem = health_view(station)["reports_error"]
    assert problem is not None
    assert "1 shift report mail(s) not sent" in problem and "refused" in problem.lower()

    # Counting goes on meanwhile, and the next try waits for its backoff.
    feed(station, clock, clock.now, clock.now + 20, [10_000])
    step(station)
    state = json.loads((config_path.parent / "shift-reports" / "outbox" / f"{NIGHT}.json").read_text())
    assert state["attempts"] == 1
    asyncio.run(station.stop())

    # The server comes up; the station, restarted, sends what its outbox kept, once.
    controller = smtp_server(port, inbox)
    try:
        clock.now += 60
        restarted = open_station(config_path, clock)
        step(restarted)
        step(restarted)
    finally:
        controller.stop()
    (msg,) = inbox.messages
    assert msg["Subject"] == "Shift report Bottling 1 (L1), Night 2026-03-01 22:00"
    assert outbox(config_path) == []
    assert health_view(restarted)["reports_error"] is None
    asyncio.run(restarted.stop())


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A plant's own CA, as a self-signed certificate for 127.0.0.1: (certificate, key) files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "ca.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_with_the_plants_own_ca_and_the_password_from_a_file(
    tmp_path: Path, inbox: Inbox, certificate: tuple[Path, Path], mode: str
) -> None:
    import ssl

    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    port = free_port()
    # Logging in only over TLS: a station that sent the password in clear would be refused. (aiosmtpd
    # knows TLS only from STARTTLS: on smtps:// the whole session is TLS, so it need not ask.)
    tls: dict[str, Any] = (
        {"tls_context": server_tls, "require_starttls": True}
        if mode == "starttls"
        else {"ssl_context": server_tls, "auth_require_tls": False}
    )
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True, **tls
    )
    controller.start()
    try:
        (tmp_path / "password").write_text(PASSWORD + "\n")
        scheme, starttls = ("smtp", "true") if mode == "starttls" else ("smtps", "false")
        config_path = config_with_mail(tmp_path, port)
        config_path.write_text(
            config_path.read_text()
            .replace(f'smtp = "smtp://127.0.0.1:{port}"', f'smtp = "{scheme}://127.0.0.1:{port}"')
            .replace(
                f'smtp_password_env = "{PASSWORD_ENV}"',
                f'smtp_password_file = "{tmp_path / "password"}"\nstarttls = {starttls}\n'
                f'smtp_ca_file = "{cert}"',
            )
        )
        clock = Clock(MON_0600 - 600)
        station = open_station(config_path, clock)
        feed(station, clock, MON_0600 - 600, MON_0600 + 10, [0])
        step(station)
    finally:
        controller.stop()
    (msg,) = inbox.messages
    assert msg["Subject"] == "Shift report Bottling 1 (L1), Night 2026-03-01 22:00"
    assert outbox(config_path) == []
    asyncio.run(station.stop())
