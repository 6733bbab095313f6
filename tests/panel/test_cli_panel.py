"""`ms5 panel`: runs its station and closes cleanly; bad input is one line and exit 2."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hmi.paths import socket_path
from hmi.socket.client import RemoteLink
from tests.panel.test_live import CONFIG
from tests.ports import free_port

pytestmark = pytest.mark.slow  # the panel under Qt

ROOT = Path(__file__).resolve().parent.parent.parent


def ms5(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    base["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [sys.executable, "-m", "hmi.cli", "panel", *args],
        cwd=ROOT,
        env=env if env is not None else base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_panel_runs_its_station_and_stops_cleanly(tmp_path: Path) -> None:
    config = tmp_path / "line.toml"
    config.write_text(CONFIG.format(port=free_port()))  # nobody serves that PLC: the panel still runs
    db = tmp_path / "station.db"
    done = ms5(str(config), "--db", str(db), "--seconds", "1", "--size", "1920x1080", "--kiosk")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "line.toml"
    config.write_text(CONFIG.format(port=free_port()))
    broken = tmp_path / "broken.toml"
    broken.write_text(CONFIG.format(port=free_port()).replace('name = "Live"', "name = 3"))
    cases = [
        ((str(tmp_path / "missing.toml"),), "missing.toml"),
        ((str(broken),), "broken.toml"),
        ((str(config), "--size", "big"), "--size 'big'"),
        ((str(config), "--demo", "--db", str(tmp_path / "x.db")), "--demo keeps its own"),
        ((str(config), "--seconds", "0"), "--seconds must be positive"),
        ((), "give the station's CONFIG (or --demo"),  # only --demo has a default line
    ]
    for args, words in cases:
        done = ms5(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = ms5(str(config), env=env)
    assert done.returncode == 2 and done.stderr.startswith("ms5 panel: no display"), done.stderr


def test_a_console_attaches_to_the_station_a_running_panel_hosts(tmp_path: Path) -> None:
    # Maintenance over SSH while the panel runs the line: `ms5 console --attach` uses the panel's
    # station through its socket instead of polling the PLCs a second time.
    config = tmp_path / "line.toml"
    config.write_text(CONFIG.format(port=free_port()))
    db = tmp_path / "station.db"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    panel = subprocess.Popen(
        [sys.executable, "-m", "hmi.cli", "panel", str(config), "--db", str(db), "--seconds", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sock = socket_path(db)
        deadline = time.monotonic() + 60
        while not sock.exists() and panel.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sock.exists(), "the panel serves no socket"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o660

        async def attach() -> tuple[dict[str, object], bool]:
            link = await RemoteLink.connect(sock, subscribe=False)
            try:
                hello = link.hello
                result = await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
                return hello, result.ok
            finally:
                await link.close()

        hello, raised = asyncio.run(attach())
        assert hello["pid"] == panel.pid
        assert raised
        # A second panel on the same database refuses, in one line, before it touches anything.
        second = ms5(str(config), "--db", str(db), "--seconds", "1", env=env)
        assert second.returncode == 2 and "already runs" in second.stderr, second.stderr
    finally:
        panel.send_signal(signal.SIGTERM)
        _out, err = panel.communicate(timeout=60)
    assert panel.returncode == 0, err
    assert "Traceback" not in err
    assert not socket_path(db).exists()
