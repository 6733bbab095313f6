"""A simulated PLC in a child process that can be killed and started again on the same port: the
reconnect benchmark and the reconnect test run one per protocol.

Each is `python -m hmi.cli.sim CONFIG` on a config with one connection and one machine bound to
it (the demo line's machine of that protocol: the same addresses a station reads), so what dies
is a real protocol server (pymodbus, asyncua, snap7, cpppo) and what comes back is a fresh one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

PROTOCOLS = ("modbus", "opcua", "s7", "logix")
START_LIMIT_S = 60.0  # a cold start of the cpppo child on a busy machine

# One machine per protocol, with the demo line's addresses (assets/demo-line.toml).
_MACHINES = {
    "modbus": ("FILLER", "running", "coil:0", "bool", "hr:0", "uint16", ""),
    "opcua": (
        "CAPPER",
        "running",
        "ns=2;s=Capper.Running",
        "bool",
        "ns=2;s=Capper.Admin.ProdProcessedCount",
        "uint32",
        "",
    ),
    "s7": (
        "LABELLER",
        "running",
        "DB10.DBX0.0",
        "bool",
        "DB10.DBD4",
        "int32",
        "options = { rack = 0, slot = 1 }",
    ),
    "logix": (
        "PACKER",
        "running",
        "Packer_Running",
        "bool",
        "Packer.Admin.ProdProcessedCount",
        "int32",
        "options = { init_tags = false }",
    ),
}


def equipment_toml(protocol: str) -> str:
    eq, run_signal, run_addr, run_type, count_addr, count_type, _ = _MACHINES[protocol]
    cid = f"{protocol}-plc"
    counter_max = 65535 if count_type == "uint16" else 2147483647
    return f"""
[[lines.equipment]]
id = "{eq}"
ideal_cycle_time_s = 0.5
counter_max = {counter_max}
signals = [
  {{ signal = "{run_signal}", connection = "{cid}", address = "{run_addr}", type = "{run_type}" }},
  {{ signal = "total_count", connection = "{cid}", address = "{count_addr}", type = "{count_type}" }},
]
"""


def connection_toml(protocol: str, port: int, extra: str = "") -> str:
    options = _MACHINES[protocol][6]
    return f"""
[[connections]]
id = "{protocol}-plc"
protocol = "{protocol}"
host = "127.0.0.1"
port = {port}
{options}
{extra}
"""


def line_toml(ports: dict[str, int], connection_extra: str = "") -> str:
    """A station config: one machine per protocol in `ports`, scheduled around the clock (two
    twelve-hour shifts, no breaks: every second of an outage is scheduled time)."""
    head = """
[site]
name = "Reconnect bench"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.shifts]]
name = "Day"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "12:00"

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "12:00"
end = "00:00"
"""
    body = "".join(equipment_toml(p) for p in ports)
    conns = "".join(connection_toml(p, port, connection_extra) for p, port in ports.items())
    return head + body + conns


def equipment_of(protocol: str) -> str:
    return _MACHINES[protocol][0]


class KillablePlc:
    """`ms5 sim` serving one protocol's machine on `port`; `start` returns when it listens."""

    def __init__(self, protocol: str, port: int, workdir: Path) -> None:
        self.protocol = protocol
        self.port = port
        self.config = workdir / f"plc-{protocol}.toml"
        self.config.write_text(line_toml({protocol: port}))
        self._proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> float:
        """Start the server; returns the time (time.time) it said it was listening."""
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=str(root))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hmi.cli.sim",
            str(self.config),
            cwd=root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._proc = proc
        assert proc.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + START_LIMIT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"{self.protocol} simulator did not start: {' | '.join(seen[-5:])}")
            line = (await asyncio.wait_for(proc.stdout.readline(), remaining)).decode(errors="replace")
            if not line:
                raise RuntimeError(f"{self.protocol} simulator exited: {' | '.join(seen[-5:])}")
            seen.append(line.strip())
            if line.startswith("serving "):
                listening = time.time()
                break
        self._drain = asyncio.create_task(self._discard(proc))
        return listening

    @staticmethod
    async def _discard(proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while await proc.stdout.readline():
            pass

    async def kill(self) -> float:
        """SIGKILL: the PLC vanishes without a goodbye. Returns the time the signal was sent, once
        the port refuses connections."""
        proc = self._proc
        assert proc is not None
        killed = time.time()
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        if self._drain is not None:
            await self._drain
        self._proc = None
        # A server's own child (cpppo's) dies with it, a moment later: gone is when it refuses.
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                return killed
            writer.close()
            await asyncio.sleep(0.02)

    async def accepting(self, every_s: float = 0.02) -> float:
        """Wait until the port accepts a TCP connection; returns when it first did (time.time).
        The measure of "the PLC is back", finer than the probe the station runs."""
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(every_s)
                continue
            at = time.time()
            writer.close()
            return at

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            await self.kill()
