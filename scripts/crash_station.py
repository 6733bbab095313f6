"""The crash harness's station: `ms5 engine` as a child process to start, kill with SIGKILL, stop,
and acknowledge Andon calls through (scripts/crash_harness.py says what is checked)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from hmi.paths import socket_path
from hmi.socket.client import RemoteLink

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0


class HarnessError(Exception):
    """The harness itself could not go on (a station that does not start); one line."""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Station:
    """`ms5 engine` as a child process; `runs`: each process's life, (spawned, gone) in epoch
    seconds, so a sample's time places it in the run that read it."""

    def __init__(self, cfg: Path, db: Path) -> None:
        self.cfg = cfg
        self.db = db
        self.proc: asyncio.subprocess.Process | None = None
        self.runs: list[tuple[float, float]] = []
        self._spawned = 0.0

    def read_by(self, ts: float) -> float:
        """The latest moment a sample stamped `ts` can have been read: the end of its run. Not `ts`
        itself: a first poll's values are stamped with the station's start, before the read
        (connectors.base, "Before its first poll"), so the simulator may have served them after it."""
        for spawned, gone in self.runs:
            if spawned <= ts <= gone:
                return gone
        raise HarnessError(f"a sample stamped {ts:.3f} falls in no run of the station")

    async def start(self, *, crash_in_snapshot: bool = False) -> None:
        """Start it and wait until it has connected; with `crash_in_snapshot` it kills itself in
        its next snapshot's transaction, which may be before it said it connected."""
        self._spawned = time.time()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if crash_in_snapshot:
            env["MS5_CRASH_POINT"] = "snapshot"
        else:
            env.pop("MS5_CRASH_POINT", None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hmi.cli", "engine", str(self.cfg), "--db", str(self.db),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                while True:
                    line = (await self.proc.stdout.readline()).decode()
                    if not line and crash_in_snapshot:
                        return
                    if not line:
                        err = (await self.proc.stderr.read()).decode() if self.proc.stderr else ""
                        raise HarnessError(f"ms5 engine exited: {err.strip().splitlines()[-1:] or '?'}")
                    if line.startswith("line-plc") and "connected" in line:
                        break
        except TimeoutError:
            raise HarnessError("ms5 engine did not connect within a minute") from None
        # Drain its output from now on, so a full pipe never blocks it.
        asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with contextlib.suppress(Exception):
            while await self.proc.stdout.readline():
                pass

    async def died(self) -> int:
        """Its exit status once it has killed itself (a signal gives a negative one)."""
        assert self.proc is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                code = await self.proc.wait()
        except TimeoutError:
            raise HarnessError("ms5 engine wrote no snapshot within a minute") from None
        self.runs.append((self._spawned, time.time()))
        return code

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.runs.append((self._spawned, time.time()))

    async def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await self.proc.wait()
        self.runs.append((self._spawned, time.time()))
        return code


async def acknowledge(db: Path, equipment: str) -> int | None:
    """Raise a call and acknowledge it through the socket; the call's number if "ok" came back."""
    link = await RemoteLink.connect(socket_path(db), subscribe=False)
    try:
        raised = await link.command("raise_andon", {"equipment": equipment, "kind": "maintenance"})
        if not raised.ok:
            return None
        call = int(raised.message.split("#")[1].split()[0])
        answer = await link.command("ack_andon", {"call": call}, user="sam", pin="2580")
        return call if answer.ok else None
    finally:
        with contextlib.suppress(Exception):
            await link.close()
