"""`ms5 console --demo` in a real terminal (tmux, 80×24): read the screen, press keys, quit.

A second console attaches to the demo's station through its socket, as maintenance would over
SSH while the panel runs, and shows the same connections without polling the PLCs itself.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the console in a terminal or under Textual's pilot

MS5 = Path(sys.executable).parent / "ms5"
WAIT_S = 90.0  # how long to wait for a screen before giving up (the simulator's four servers start first)


class Tmux:
    def __init__(self, name: str) -> None:
        self.server = name  # a private tmux server: the user's sessions are never touched

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.server, *args], capture_output=True, text=True, check=check)

    def start(self, session: str, command: str) -> None:
        self.run("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)

    def screen(self, session: str) -> str:
        return self.run("capture-pane", "-p", "-t", session, check=False).stdout

    def alive(self, session: str) -> bool:
        return self.run("has-session", "-t", session, check=False).returncode == 0

    def keys(self, session: str, *keys: str) -> None:
        self.run("send-keys", "-t", session, *keys)

    def wait_for(self, session: str, *texts: str) -> str:
        deadline = time.monotonic() + WAIT_S
        screen = ""
        while time.monotonic() < deadline:
            if not self.alive(session):
                raise AssertionError(f"{session} ended while waiting for {texts}; last screen:\n{screen}")
            screen = self.screen(session)
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{texts} never appeared; last screen:\n{screen}")

    def wait_exit(self, session: str, rc_file: Path) -> str:
        """Wait for the console in `session` to end; returns its exit code."""
        deadline = time.monotonic() + WAIT_S
        while not rc_file.exists() or ((code := rc_file.read_text().strip()) == "0" and self.alive(session)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{session} still runs; screen:\n{self.screen(session)}")
            time.sleep(0.2)
        return code


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is a test dependency: scripts/bootstrap.sh installs it"
    t = Tmux(f"ms5-console-test-{os.getpid()}")
    try:
        yield t
    finally:
        t.run("kill-server", check=False)


def console_command(folder: Path, name: str, *args: str) -> str:
    """The console in a shell that records its exit code. Textual draws on stderr, so nothing is
    redirected; after a failure the pane stays a while, so the error line can be read from it."""
    cli = " ".join(shlex.quote(a) for a in (str(MS5), "console", *args))
    rc = shlex.quote(str(folder / f"{name}.rc"))
    script = f"env MS5_DATA_DIR={shlex.quote(str(folder))} TERM=xterm-256color {cli}; "
    script += f"code=$?; echo $code >{rc}; [ $code = 0 ] || sleep 60"
    return "sh -c " + shlex.quote(script)


def test_console_demo_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    tmux.start("demo", console_command(tmp_path, "demo", "--demo"))
    screen = tmux.wait_for("demo", "1 Connections", "filler-plc", "connected", "Plant 1")
    assert "Rd/s" in screen

    tmux.keys("demo", "2")
    screen = tmux.wait_for("demo", "Signal", "total_count")
    assert "filler-plc" in screen and "Rd/s" not in screen

    tmux.keys("demo", "5")
    tmux.wait_for("demo", "shift:", "L1 line")

    # A second console on the same station: it attaches to the demo's socket, hosts nothing.
    tmux.start(
        "attached", console_command(tmp_path, "attached", "--attach", "--db", str(tmp_path / "demo.db"))
    )
    screen = tmux.wait_for("attached", "1 Connections", "packer-plc", "connected")
    tmux.keys("attached", "3")
    tmux.wait_for("attached", "Open calls")
    tmux.keys("attached", "q")
    assert tmux.wait_exit("attached", tmp_path / "attached.rc") == "0", tmux.screen("attached")

    tmux.keys("demo", "q")
    assert tmux.wait_exit("demo", tmp_path / "demo.rc") == "0", tmux.screen("demo")
    assert not (tmp_path / "demo.sock").exists()  # the hosting console took its socket down
