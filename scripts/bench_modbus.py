"""Modbus coalescing benchmark: coalesced block reads against one read per tag.

    python -m scripts.bench_modbus [--tags 200] [--registers 1000] [--polls 50]

One simulated PLC (pymodbus's server, connectors.sim.modbus_server) on 127.0.0.1 serves `--tags`
tags spread evenly over `--registers` holding registers (int16 and float32 alternating). The same
tags are polled `--polls` times by two drivers: one with the default options (coalesced) and one with
`max_block = 1` (one read per tag). Printed per mode: the requests per poll (counted by the server)
and the mean poll-cycle time (`time.perf_counter` around `driver.read()`), then the two ratios.

The simulated PLC runs in the same process and event loop as the drivers, so a poll cycle includes
the server's own work (a real PLC would answer in parallel); both modes pay it alike.

Figures are printed, never asserted (docs/BENCHMARKS.md); the request counts are
deterministic, the times are not. Every value read is checked against what the server was given.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import Tag
from connectors.modbus import ModbusDriver
from connectors.sim.modbus_server import ModbusSimServer
from core.config import Connection, DataType, SignalBinding

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ModeResult:
    name: str
    requests_per_poll: float
    mean_poll_s: float
    values_ok: bool


@dataclass(frozen=True)
class BenchResult:
    coalesced: ModeResult
    per_tag: ModeResult

    @property
    def request_ratio(self) -> float:
        return self.per_tag.requests_per_poll / self.coalesced.requests_per_poll

    @property
    def cycle_ratio(self) -> float:
        return self.per_tag.mean_poll_s / self.coalesced.mean_poll_s


def bench_tags(tags: int, registers: int) -> list[Tag]:
    """`tags` tags spread evenly over registers 0..registers-1; float32 (2 registers) on odd ones."""
    step = registers // tags
    if step < 2:
        raise ValueError(
            f"{tags} tags do not spread over {registers} registers (2 registers per tag at least)"
        )
    out = []
    for i in range(tags):
        kind: DataType = "float32" if i % 2 else "int16"
        binding = SignalBinding(signal="total_count", connection="bench", address=f"hr:{i * step}", type=kind)
        out.append(Tag(f"m{i}", binding))
    return out


def _value(i: int) -> float:
    return i * 1.5 if i % 2 else float(i)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _connection(port: int, options: dict[str, Any]) -> Connection:
    return Connection(id="bench", protocol="modbus", host=HOST, port=port, timeout_s=5.0, options=options)


async def _measure(
    name: str, server: ModbusSimServer, port: int, tags: Sequence[Tag], polls: int, options: dict[str, Any]
) -> ModeResult:
    driver = ModbusDriver(_connection(port, options), tags)
    await driver.connect()
    try:
        await driver.read()  # warm-up: connection, first allocations
        expected = [_value(i) for i in range(len(tags))]
        values_ok = True
        before = server.requests()
        times = []
        for _ in range(polls):
            started = time.perf_counter()
            readings = await driver.read()
            times.append(time.perf_counter() - started)
            values_ok = values_ok and [r.value for r in readings] == expected
        requests = server.requests() - before
    finally:
        await driver.close()
    return ModeResult(name, requests / polls, statistics.fmean(times), values_ok)


async def run(tags: int = 200, registers: int = 1000, polls: int = 50) -> BenchResult:
    bench = bench_tags(tags, registers)
    port = _free_port()
    server = ModbusSimServer(_connection(port, {}), bench)
    await server.start()
    try:
        for i in range(len(bench)):
            server.set(i, _value(i))
        coalesced = await _measure("coalesced", server, port, bench, polls, {})
        per_tag = await _measure("one read per tag", server, port, bench, polls, {"max_block": 1})
    finally:
        await server.stop()
    return BenchResult(coalesced, per_tag)


def report(result: BenchResult, tags: int, registers: int, polls: int) -> None:
    print(f"tags: {tags} over {registers} holding registers of one simulated PLC, {polls} polls per mode")
    for mode in (result.coalesced, result.per_tag):
        print(
            f"{mode.name + ':':<18} {mode.requests_per_poll:7.1f} requests/poll, "
            f"mean poll cycle {mode.mean_poll_s * 1000:8.3f} ms"
        )
    print(f"requests ratio: {result.request_ratio:.1f}x fewer (aim: >= 20x)")
    print(f"cycle ratio: {result.cycle_ratio:.1f}x shorter (aim: >= 10x)")
    ok = result.coalesced.values_ok and result.per_tag.values_ok
    print(f"values check: {'ok' if ok else 'MISMATCH'}")


def main(argv: Sequence[str] | None = None) -> BenchResult:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_modbus", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--registers", type=int, default=1000)
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args(argv)
    if args.tags < 1 or args.polls < 1:
        parser.error("--tags and --polls must be at least 1")
    try:
        bench_tags(args.tags, args.registers)
    except ValueError as exc:
        parser.error(str(exc))
    result = asyncio.run(run(args.tags, args.registers, args.polls))
    report(result, args.tags, args.registers, args.polls)
    return result


if __name__ == "__main__":
    result = main()
    sys.exit(0 if result.coalesced.values_ok and result.per_tag.values_ok else 1)
