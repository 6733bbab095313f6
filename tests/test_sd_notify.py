"""`ms5 engine` under systemd (packaging/ms5-engine.service): the notify protocol's datagrams as
systemd receives them, on a real AF_UNIX datagram socket named by NOTIFY_SOCKET."""

from __future__ import annotations

import configparser
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmi.station.sd_notify import Notifier

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "packaging" / "ms5-engine.service"

LINE = """
[site]
name = "Notify"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 1
"""


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    """The socket systemd listens on for a Type=notify service."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(60)  # a guard against a hang, not a limit on speed
    yield sock
    sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


@pytest.mark.slow  # `ms5 engine` as a process
def test_ms5_engine_says_ready_pings_the_watchdog_and_says_stopping(
    tmp_path: Path, systemd: socket.socket
) -> None:
    (tmp_path / "line.toml").write_text(LINE, encoding="utf-8")
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": "1000000",  # WatchdogSec=1: a ping every half second
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hmi.cli",
            "engine",
            str(tmp_path / "line.toml"),
            "--db",
            str(tmp_path / "s.db"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert received(systemd) == "READY=1"
        assert [received(systemd) for _ in range(3)] == ["WATCHDOG=1"] * 3
        proc.send_signal(signal.SIGTERM)
        while (message := received(systemd)) == "WATCHDOG=1":
            pass
        assert message == "STOPPING=1"
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "station: stopped, store closed" in out


def test_no_watchdog_for_a_child_that_inherited_the_variables() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"}
    assert Notifier.from_env({}) is None
    mine = Notifier.from_env({**env, "WATCHDOG_PID": str(os.getpid())})
    assert mine is not None and mine.watchdog_s == 30.0
    # `ms5 report`, started by the station, inherits the variables but is not the one watched.
    child = Notifier.from_env({**env, "WATCHDOG_PID": str(os.getpid() + 1)})
    assert child is not None and child.watchdog_s is None


def test_an_abstract_socket_address_and_pings_at_half_the_interval() -> None:
    name = f"ms5-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.setblocking(False)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "3600000000"})
        assert notifier is not None
        notifier.ping()
        notifier.ping()  # an hour's watchdog: the second ping is not due for half an hour
        notifier.send("STOPPING=1")
        assert sock.recv(100) == b"WATCHDOG=1"
        assert sock.recv(100) == b"STOPPING=1"
        notifier.close()


def test_systemd_gone_is_said_once_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(str(tmp_path / "nobody.sock"), watchdog_s=None)
    with caplog.at_level(logging.WARNING, logger="ms5.systemd"):
        notifier.send("READY=1")
        notifier.send("STOPPING=1")
    assert [r.getMessage() for r in caplog.records] == [
        f"systemd: cannot notify {tmp_path / 'nobody.sock'}: No such file or directory"
    ]
    notifier.close()


def test_the_unit_runs_ms5_engine_with_a_watchdog_and_always_restarts(tmp_path: Path) -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT, encoding="utf-8")
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert service["ExecStart"].split()[1:] == ["engine", "/etc/ms5/line.toml"]
    assert service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 0
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    analyze = shutil.which("systemd-analyze")
    if analyze is not None:  # systemd's own check of every key, where systemd is installed
        copy = tmp_path / UNIT.name
        copy.write_text(UNIT.read_text().replace("/opt/ms5/ms5", "/bin/true"))
        check = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
        assert check.returncode == 0 and check.stderr == "", check.stderr
