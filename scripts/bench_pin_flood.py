"""PLC polling while socket clients flood the station with logins (issue 14, problem 4).

    python -m scripts.bench_pin_flood [--connections 4] [--tags 16] [--poll 0.1] [--seconds 10]
                                      [--clients 3] [--on-loop]

A real station in this process (hmi.station.runtime.Station and its socket, hmi.socket.server)
polls `--connections` Modbus PLCs, served by `python -m hmi.cli sim` in a process of its own (the
line of scripts/bench_station.py). In the same run, on the same station, three phases of
`--seconds` each:

- baseline: nobody logs in;
- flood: `--clients` socket clients each send `login` requests back to back, every one with the
  right PIN (a wrong one would lock its place after five tries, and a locked place is refused
  without any scrypt work: the flood would stop costing anything);
- baseline again: the machine's own drift shows up as a difference between the two baselines.

Per phase: PLC polls per connection per second (the increments of `Diagnostics.polls`), logins
answered per second. Printed: both rates, the ratio flood / mean baseline, and the aim (within
5 %). `--on-loop` runs the PIN checks on the event loop again, as before the worker thread, to
show what the thread buys. Figures are printed, never asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import gate
from core.auth import Role
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.runtime import Station
from scripts.bench_station import SimProcess, _free_ports, bench_config_text, load_bench_config

PIN = "73915268"
AIM = 0.05  # polling within 5 % of its rate without logins


class _OnTheLoop(concurrent.futures.Executor):
    """Runs each call at once in the caller's thread: the PIN check as it was before the worker."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    polls_per_connection_s: float = 0.0
    logins_s: float = 0.0


async def _flood(path: Path, stop: asyncio.Event, answered: list[int]) -> None:
    link = await RemoteLink.connect(path, subscribe=False)
    try:
        while not stop.is_set():
            await link.login("sam", PIN)
            answered[0] += 1
    finally:
        await link.close()


async def _phase(name: str, station: Station, server: StationServer, seconds: float, clients: int) -> Phase:
    diags = station.diagnostics()
    stop = asyncio.Event()
    answered = [0]
    tasks = [asyncio.create_task(_flood(server.path, stop, answered)) for _ in range(clients)]
    polls0, wall0 = sum(d.polls for d in diags), time.monotonic()
    await asyncio.sleep(seconds)
    polls1, wall1, logins = sum(d.polls for d in diags), time.monotonic(), answered[0]
    stop.set()
    await asyncio.gather(*tasks)
    wall = wall1 - wall0
    return Phase(name, wall, (polls1 - polls0) / len(diags) / wall, logins / wall)


async def measure(args: argparse.Namespace, folder: Path) -> list[Phase]:
    ports = _free_ports(args.connections)
    text = bench_config_text(ports, args.tags, args.poll, 2.5)
    config_path = folder / "line.toml"
    config_path.write_text(text, encoding="utf-8")
    config = load_bench_config(text, str(config_path))
    sim = SimProcess(config_path, folder / "sim.log", seed=1)
    try:
        sim.wait_ready()
        station = Station(config, folder / "station.db")
        station.open()
        assert station.gate is not None
        station.gate.users.add("sam", Role.SUPERVISOR, PIN, time.time())
        server = StationServer(station, socket_path(station.db_path))
        await station.start()
        await server.start()
        try:
            deadline = time.monotonic() + 30.0
            while not all(d.state == "connected" for d in station.diagnostics()):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every PLC connected within 30 s")
                await asyncio.sleep(0.05)
            await asyncio.sleep(args.warmup)
            return [
                await _phase("baseline", station, server, args.seconds, 0),
                await _phase(f"flood ({args.clients} clients)", station, server, args.seconds, args.clients),
                await _phase("baseline again", station, server, args.seconds, 0),
            ]
        finally:
            await server.stop()
            await station.stop()
    finally:
        sim.stop()


def report(phases: Sequence[Phase], args: argparse.Namespace) -> float:
    where = "on the event loop (as before)" if args.on_loop else "in the worker thread"
    print(
        f"PIN flood: {args.connections} Modbus connections x {args.tags} tags at {args.poll:g} s, "
        f"{args.clients} login clients, PIN checks {where}"
    )
    load = os.getloadavg()[0]
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, load {load:.2f}")
    expected = 1.0 / args.poll
    for p in phases:
        print(
            f"  {p.name:<22} {p.polls_per_connection_s:6.2f} polls/s per connection "
            f"(configured {expected:.2f}), {p.logins_s:6.1f} logins/s, over {p.seconds:.1f} s"
        )
    base = (phases[0].polls_per_connection_s + phases[2].polls_per_connection_s) / 2
    ratio = phases[1].polls_per_connection_s / base if base else float("nan")
    verdict = "within" if abs(1 - ratio) <= AIM else "NOT within"
    print(f"  flood / baseline: {ratio:.3f} ({verdict} {AIM:.0%} of the rate without logins)")
    return ratio


def main(argv: Sequence[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--tags", type=int, default=16)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--on-loop", action="store_true", help="PIN checks on the event loop (before)")
    args = parser.parse_args(argv)
    if args.on_loop:
        gate._PIN_CHECKS = _OnTheLoop()  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="ms5-pin-") as tmp:
        phases = asyncio.run(measure(args, Path(tmp)))
    return report(phases, args)


if __name__ == "__main__":
    main()
