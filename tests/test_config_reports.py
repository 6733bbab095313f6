"""`[reports]` in the config (docs/REPORTS.md): `ms5 check` accepts a good section and names the
file, line and key of each mistake in a bad one; a password is never taken from the file itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from core.config_reports import SmtpServer, smtp_server
from tests.cli_runs import run_in_process
from tests.test_config_check import REFERENCE_TEXT, line_of, write

GOOD = """
[reports]
at_shift_end = true
folder = "shift-reports"
mail_to = ["Production Manager <pm@plant.example>", "maintenance@plant.example"]
smtp = "smtp://mail.plant.example:587"
starttls = true
smtp_user = "ms5"
smtp_password_file = "/etc/ms5/smtp-password"
"""


def with_reports(section: str) -> str:
    return REFERENCE_TEXT + section


def test_a_good_reports_section_loads_and_checks(tmp_path: Path) -> None:
    path = write(tmp_path, with_reports(GOOD))
    reports = load_config(path).reports
    assert reports.at_shift_end and reports.starttls
    assert reports.mail_to[1] == "maintenance@plant.example"
    out = run_in_process("check", str(path))
    assert out.returncode == 0, out.stderr


def test_without_a_reports_section_nothing_is_written_or_mailed() -> None:
    from core.config import parse_config

    reports = parse_config(REFERENCE_TEXT, Path("line.toml")).reports
    assert not reports.at_shift_end and reports.mail_to == [] and reports.smtp is None


@pytest.mark.parametrize(
    ("edit", "snippet", "key", "message"),
    [
        (
            ('smtp = "smtp://mail.plant.example:587"', 'smtp = "smtp://ms5:s3cret@mail.plant.example:587"'),
            "smtp = ",
            "reports.smtp",
            "a password does not belong in the config",
        ),
        (
            ('smtp_password_file = "/etc/ms5/smtp-password"', 'smtp_password = "s3cret"'),
            "smtp_password = ",
            "reports.smtp_password",
            "unknown key",
        ),
        (
            ('smtp = "smtp://mail.plant.example:587"', 'smtp = "http://mail.plant.example"'),
            "smtp = ",
            "reports.smtp",
            "the address starts smtp:// or smtps://",
        ),
        (
            ('smtp = "smtp://mail.plant.example:587"', 'smtp = "smtps://mail.plant.example"'),
            "starttls = ",
            "reports.starttls",
            "starttls is for smtp://",
        ),
        (
            ('"maintenance@plant.example"', '"maintenance"'),
            "mail_to = ",
            "reports.mail_to[1]",
            "'maintenance' is not a mail address",
        ),
        (
            ("at_shift_end = true", "at_shift_end = false"),
            "mail_to = ",
            "reports.mail_to",
            "set at_shift_end = true",
        ),
        (
            ('smtp_user = "ms5"\n', ""),
            "smtp_password_file",
            "reports.smtp_password_file",
            "a password needs a user",
        ),
        (
            ("starttls = true", 'starttls = false\nsmtp_ca_file = "/etc/ms5/plant-ca.pem"'),
            "smtp_ca_file = ",
            "reports.smtp_ca_file",
            "a CA file is for TLS",
        ),
        (
            ('smtp = "smtp://mail.plant.example:587"', 'smtp = "smtp://mail.plant.example:99999"'),
            "smtp = ",
            "reports.smtp",
            "is not an SMTP address",
        ),
    ],
)
def test_a_mistake_is_one_located_line_and_exit_2(
    tmp_path: Path, edit: tuple[str, str], snippet: str, key: str, message: str
) -> None:
    old, new = edit
    text = with_reports(GOOD.replace(old, new))
    path = write(tmp_path, text)
    out = run_in_process("check", str(path))
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"line.toml:{line_of(text, snippet)}: {key}: "), line
    assert message in line


def test_smtp_addresses_and_their_default_ports() -> None:
    assert smtp_server("smtp://127.0.0.1") == SmtpServer(False, "127.0.0.1", 25)
    assert smtp_server("smtps://mail.example:2465") == SmtpServer(True, "mail.example", 2465)
    assert smtp_server("smtps://mail.example") == SmtpServer(True, "mail.example", 465)
