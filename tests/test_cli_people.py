"""`ms5 user` and `ms5 audit` as an administrator uses them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs ms5 as a process

ROOT = Path(__file__).resolve().parent.parent


def ms5(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmi.cli", *args], cwd=ROOT, capture_output=True, text=True, input=stdin
    )


def test_users_are_added_listed_reset_and_removed(tmp_path: Path) -> None:
    db = str(tmp_path / "station.db")
    assert (
        ms5(
            "user", "add", "sam", "--role", "supervisor", "--pin-stdin", "--db", db, stdin="2468\n"
        ).returncode
        == 0
    )
    assert (
        ms5("user", "add", "olga", "--role", "operator", "--pin-stdin", "--db", db, stdin="1357\n").returncode
        == 0
    )
    listed = ms5("user", "list", "--db", db)
    assert listed.stdout.split() == ["olga", "operator", "sam", "supervisor"]
    assert ms5("user", "reset-pin", "olga", "--pin-stdin", "--db", db, stdin="9753\n").returncode == 0
    assert ms5("user", "remove", "olga", "--db", db).returncode == 0
    assert ms5("user", "list", "--db", db).stdout.split() == ["sam", "supervisor"]
    conn = sqlite3.connect(db)
    hashes = [h for (h,) in conn.execute("SELECT pin_hash FROM users")]
    conn.close()
    assert hashes and all(h.startswith("scrypt-pepper$") and "2468" not in h for h in hashes)


def test_bad_user_input_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "station.db")
    ms5("user", "add", "sam", "--role", "supervisor", "--pin-stdin", "--db", db, stdin="2468\n")
    for args, stdin, message in [
        (("user", "add", "bob", "--role", "operator", "--pin-stdin"), "12\n", "PIN must be 4 to 8 digits"),
        (("user", "add", "sam", "--role", "operator", "--pin-stdin"), "1470\n", "sam"),
        (("user", "add", "eve", "--role", "king", "--pin-stdin"), "1234\n", "invalid choice"),
        (("user", "remove", "nobody"), "", "nobody"),
        (("user", "add", "bob", "--role", "operator"), "", "use --pin-stdin"),
    ]:
        result = ms5(*args, "--db", db, stdin=stdin)
        assert result.returncode == 2, args
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert ms5("user", "list", "--db", db).stdout.split() == ["sam", "supervisor"]


def test_the_pin_policy_comes_from_the_config_and_ms5_check_validates_it(tmp_path: Path) -> None:
    db = str(tmp_path / "station.db")
    reference = (ROOT / "tests" / "data" / "reference.toml").read_text()
    lax, bad = tmp_path / "lax.toml", tmp_path / "bad.toml"
    lax.write_text(reference + "\n[people]\nsimple_pins = true\npin_min_digits = 4\n")
    bad.write_text(reference + "\n[people]\npin_min_digits = 3\n")
    strict = ms5("user", "add", "ann", "--role", "operator", "--pin-stdin", "--db", db, stdin="1234\n")
    assert strict.returncode == 2 and "too easy to guess" in strict.stderr, strict.stderr
    assert len(strict.stderr.strip().splitlines()) == 1
    ok = ms5(
        "user",
        "add",
        "ann",
        "--role",
        "operator",
        "--pin-stdin",
        "--config",
        str(lax),
        "--db",
        db,
        stdin="1234\n",
    )
    assert ok.returncode == 0, ok.stderr
    # A Cyrillic "аnn" (its first letter U+0430) would list like ann: refused.
    twin = ms5("user", "add", "\u0430nn", "--role", "admin", "--pin-stdin", "--db", db, stdin="4711\n")
    assert twin.returncode == 2 and "looks the same" in twin.stderr, twin.stderr
    checked = ms5("check", str(bad))
    assert checked.returncode == 2 and "pin_min_digits" in checked.stderr, checked.stderr
    refused = ms5(
        "user",
        "add",
        "bob",
        "--role",
        "operator",
        "--pin-stdin",
        "--config",
        str(bad),
        "--db",
        db,
        stdin="4711\n",
    )
    assert refused.returncode == 2 and "pin_min_digits" in refused.stderr, refused.stderr
    assert ms5("user", "list", "--db", db).stdout.split() == ["ann", "operator"]


def test_audit_verify_catches_an_edited_row(tmp_path: Path) -> None:
    db = str(tmp_path / "station.db")
    ms5("user", "add", "sam", "--role", "supervisor", "--pin-stdin", "--db", db, stdin="2468\n")
    ms5("user", "add", "olga", "--role", "operator", "--pin-stdin", "--db", db, stdin="1357\n")
    ok = ms5("audit", "verify", "--db", db)
    assert (ok.returncode, ok.stdout.splitlines()) == (
        0,
        ["audit chain holds (2 rows)", "the anchor agrees (audit row 2, journal row 0)"],
    )
    shown = ms5("audit", "show", "--db", db)
    assert "user_add sam: ok" in shown.stdout and "user_add olga: ok" in shown.stdout
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit SET target = 'mallory' WHERE id = 2")
    conn.commit()
    conn.close()
    broken = ms5("audit", "verify", "--db", db)
    assert (broken.returncode, broken.stdout.splitlines()[0]) == (1, "audit chain broken at row 2")


def test_audit_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = ms5("audit", "verify", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2
    assert "no such database" in result.stderr
