"""A private Mosquitto on a free port of 127.0.0.1: what `ms5 demo --plant` publishes on when no
plant broker is given, and what the Sparkplug tests and scripts/plant_stations.py run against.

Only the Debian package's binary is needed (`apt-get install mosquitto`); nothing is installed
or configured system-wide: the config, the log and the process belong to the caller, who stops it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ENV = "MS5_MOSQUITTO"
DEBIAN_PATH = "/usr/sbin/mosquitto"  # not on a user's PATH on Debian: sbin
START_WAIT_S = 30.0  # a guard against a broker that never listens, not a limit on speed
INSTALL_HINT = "apt-get install mosquitto"


class MosquittoMissing(Exception):
    """No mosquitto binary: the message says how to get one."""


def find_mosquitto() -> str:
    """$MS5_MOSQUITTO when set (and then only it), else `mosquitto` on the PATH, else Debian's."""
    chosen = os.environ.get(ENV)
    if chosen:
        if os.access(chosen, os.X_OK) and Path(chosen).is_file():
            return chosen
        raise MosquittoMissing(f"{ENV}={chosen}: no such program (install the broker: {INSTALL_HINT})")
    found = shutil.which("mosquitto")
    if found is not None:
        return found
    if os.access(DEBIAN_PATH, os.X_OK):
        return DEBIAN_PATH
    raise MosquittoMissing(f"mosquitto is not installed: {INSTALL_HINT} (or set {ENV} to its path)")


def _die_with_parent() -> None:
    """In the child before exec: the kernel kills it when its parent dies, even by SIGKILL, so a
    killed `ms5 demo --plant` leaves no broker behind (Linux; elsewhere the parent's stop only)."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mosquitto:
    """`start()` it, `stop()` it (and `start()` it again on the same port: a broker outage)."""

    def __init__(self, folder: Path, *, binary: str | None = None, die_with_parent: bool = False) -> None:
        self.binary = binary if binary is not None else find_mosquitto()
        self.die_with_parent = die_with_parent
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            # Run as root it would switch to the `mosquitto` user, and a change of user clears the
            # parent-death signal: it keeps the caller's user instead.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n",
            encoding="utf-8",
        )
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def start(self) -> None:
        """Returns when the broker listens; RuntimeError (with its log's end) when it never does."""
        with self.log.open("ab") as out:
            # Its own session: a Ctrl-C in the terminal reaches the station, which stops in order
            # (its NDEATH still goes out) and then stops the broker.
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )
        deadline = time.monotonic() + START_WAIT_S
        while True:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", self.port))
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mosquitto did not start: {self.log.read_text(errors='replace')[-500:]}")
            time.sleep(0.05)  # until the port listens: mosquitto says nothing when it does

    def stop(self) -> None:
        """The broker gone and reaped: no orphan, no zombie."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
        self.proc = None
