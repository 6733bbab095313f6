"""Reconnect benchmark: a real PLC server killed for a while, per protocol, and the comms loss the
station records for it.

    python -m scripts.bench_reconnect [--outages 20,120] [--protocols modbus,opcua,s7,logix] [--baseline]

One station (hmi.station.runtime.Station, a fresh SQLite file) polls one simulated machine per
protocol, each served by `ms5 sim` in a child process of its own (scripts.killable_plc: pymodbus,
asyncua, snap7, cpppo). Once every connection is up, all the servers are killed with SIGKILL at
once and started again on the same ports `--outages` seconds later. Printed per protocol:

- real outage: from the SIGKILL to the restarted server's port first accepting a TCP connection
  (the benchmark tries every 20 ms);
- recorded: the comms loss the engine counted (`comms_loss_time_s` over the whole run);
- late: recorded − real, the part of the loss the station added by reconnecting late (a poll
  period or so of it is the station noticing the loss, which also counts);
- back after: from the port accepting to the connection's `connected` state.

`--baseline` runs the same outages again as the station did before the probe: no TCP probe and
the old 30 s reconnect cap (`reconnect_max_s = 30`). Nothing is asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import platform
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.base import ConnectionState, Diagnostics
from core.config import parse_config
from hmi.station.runtime import Station
from scripts.killable_plc import PROTOCOLS, KillablePlc, equipment_of, line_toml

SETTLE_S = 3.0  # after the last reconnect, so that the loss is closed and counted


@dataclass(frozen=True)
class Row:
    mode: str
    outage_s: float
    protocol: str
    real_s: float
    recorded_s: float
    back_after_s: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _until(condition: object, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("the station did not reach the expected state")
        await asyncio.sleep(0.05)


async def run_outage(protocols: Sequence[str], outage_s: float, baseline: bool, workdir: Path) -> list[Row]:
    ports = {p: _free_port() for p in protocols}
    extra = "reconnect_max_s = 30" if baseline else ""
    config = parse_config(line_toml(ports, extra), workdir / "station.toml")
    plcs = {p: KillablePlc(p, ports[p], workdir) for p in protocols}
    connected_at: dict[str, float] = {}
    states: dict[str, ConnectionState] = {}

    def on_connection(d: Diagnostics) -> None:
        states[d.connection] = d.state
        if d.state is ConnectionState.CONNECTED:
            connected_at[d.connection] = time.time()

    db = workdir / f"station-{outage_s:g}-{'base' if baseline else 'probe'}.db"
    station = Station(config, db, on_connection=on_connection)
    try:
        await asyncio.gather(*(plc.start() for plc in plcs.values()))
        station.open()
        await station.start()
        if baseline:
            for runner in station.runners:
                runner.probe_interval_s = 0.0  # no probe: the runner sleeps its whole backoff
        started = time.time()
        ids = [f"{p}-plc" for p in protocols]
        await _until(lambda: all(states.get(c) is ConnectionState.CONNECTED for c in ids), 60)
        await asyncio.sleep(2.0)
        killed = dict(zip(protocols, await asyncio.gather(*(plcs[p].kill() for p in protocols)), strict=True))
        await _until(lambda: all(states.get(c) is ConnectionState.FAILED for c in ids), 30)
        await asyncio.sleep(max(0.0, outage_s - (time.time() - min(killed.values()))))
        connected_at.clear()
        watching = {p: asyncio.create_task(plcs[p].accepting()) for p in protocols}
        await asyncio.gather(*(plcs[p].start() for p in protocols))
        listening = {p: await watching[p] for p in protocols}
        await _until(lambda: all(c in connected_at for c in ids), 120)
        await asyncio.sleep(SETTLE_S)
        station.tick()
        engine = station.engine
        assert engine is not None
        end = time.time()
        rows = []
        for p in protocols:
            # From after the start: the start-up is not the outage.
            m = engine.metrics(equipment_of(p), started + 1.0, end)
            rows.append(
                Row(
                    "before (no probe, cap 30 s)" if baseline else "probe, cap 5 s",
                    outage_s,
                    p,
                    listening[p] - killed[p],
                    m.comms_loss_time_s,
                    connected_at[f"{p}-plc"] - listening[p],
                )
            )
        return rows
    finally:
        await station.stop()
        for plc in plcs.values():
            with contextlib.suppress(Exception):
                await plc.stop()


def _print(rows: list[Row]) -> None:
    print(f"{'mode':<28} {'protocol':<8} {'real outage':>12} {'recorded':>10} {'late':>8} {'back after':>11}")
    for r in rows:
        print(
            f"{r.mode:<28} {r.protocol:<8} {r.real_s:>11.1f}s {r.recorded_s:>9.1f}s "
            f"{r.recorded_s - r.real_s:>+7.1f}s {r.back_after_s:>10.2f}s"
        )


async def _main(outages: list[float], protocols: list[str], baseline: bool) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ms5-reconnect-") as tmp:
        for outage in outages:
            for base in (False, True) if baseline else (False,):
                got = await run_outage(protocols, outage, base, Path(tmp))
                _print(got)
                rows.extend(got)
    return rows


def _numbers(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of seconds (20,120)") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: outages must be > 0 s")
    return values


def _protocols(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    wrong = [p for p in names if p not in PROTOCOLS]
    if wrong or not names:
        which = wrong[0] if wrong else text
        raise argparse.ArgumentTypeError(f"unknown protocol {which!r}: {', '.join(PROTOCOLS)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_reconnect", description=__doc__.splitlines()[0])
    parser.add_argument("--outages", type=_numbers, default=[20.0, 120.0], help="seconds, comma-separated")
    parser.add_argument("--protocols", type=_protocols, default=list(PROTOCOLS))
    parser.add_argument("--baseline", action="store_true", help="also run without the probe, 30 s cap")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    machine = f"{platform.node()} {platform.machine()} Python {platform.python_version()}"
    print(f"{machine}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    asyncio.run(_main(args.outages, args.protocols, args.baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
