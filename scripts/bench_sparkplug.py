"""Sparkplug B benchmarks: PLC change -> DDATA at the broker, and the station's CPU with it on/off.

    python -m scripts.bench_sparkplug latency [--changes 40] [--poll 0.1 0.5] [--seed 1]
    python -m scripts.bench_sparkplug cpu [--seconds 30]
    python -m scripts.bench_sparkplug outage [--seconds 60] [--speed 60]

`latency`: one simulated Modbus PLC (connectors.sim.modbus_server) on 127.0.0.1 serves one
equipment's `running` coil; the real station (connection runner -> engine -> SQLite -> edge node)
polls it every `--poll` seconds and publishes on a Mosquitto of its own (Debian's package) on a free
port; a subscriber (aiomqtt and sparkplug.payload) in the same process takes the time the DDATA
with the new `State/Running` arrives. The benchmark toggles the coil `--changes` times, waiting a
random 0..poll between, so changes fall at every phase of the poll cycle. Latency = arrival −
just before `set`. The baseline is the poll interval: a change waits up to one poll; the station's
ingest wakes the edge node's scan, so nothing but the work itself comes on top (before, up to one
`scan_interval_s`, 0.1 s, did); the aim is poll + 50 ms. `--seed` sets the random waits.

`cpu`: `ms5 demo --face text` (the simulated demo line and its station in one process) for
`--seconds`, once without and once with `--broker`; the process's user+system CPU seconds (wait4's
rusage) for each, and their ratio (aim ≤ 1.2). The simulator's work is in both runs alike.
`outage`: the demo line and its station in this process, the simulator `--speed` times faster; the
broker killed for `--seconds` and started again on its port: the messages buffered meanwhile, and
the time from the broker's start until the edge node is live again (births sent, buffer empty),
its reconnect backoff (up to 5 s) included and printed apart.
Figures are printed, never asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import aiomqtt

from connectors.registry import tags_by_connection
from connectors.sim.modbus_server import ModbusSimServer
from core.config import parse_config
from core.config_sparkplug import SparkplugConfig
from hmi.paths import DEMO_CONFIG
from hmi.station.demo_shift import start_demo_line
from hmi.station.runtime import Station
from scripts.bench_panel import demo_config_on_free_ports
from sparkplug.payload import decode

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
[site]
name = "Sparkplug bench"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.equipment]]
id = "m1"
ideal_cycle_time_s = 1
signals = [{{ signal = "running", connection = "plc", address = "coil:0", type = "bool" }}]

[[connections]]
id = "plc"
protocol = "modbus"
host = "127.0.0.1"
port = {port}
poll_interval_s = {poll}

[sparkplug]
broker = "mqtt://127.0.0.1:{broker}"
group_id = "Bench"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def mosquitto(folder: Path) -> Iterator[int]:
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n", encoding="utf-8")
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect((HOST, port))
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def latency_run(poll: float, changes: int, folder: Path, broker: int) -> list[float]:
    config = parse_config(CONFIG.format(port=free_port(), poll=poll, broker=broker), folder / "line.toml")
    plc = ModbusSimServer(config.connections[0], tags_by_connection(config)["plc"])
    plc.set(0, 0.0)
    await plc.start()
    station = Station(config, folder / f"bench-{poll}.db")
    arrived: asyncio.Queue[tuple[float, bool]] = asyncio.Queue()
    out: list[float] = []
    async with aiomqtt.Client(HOST, broker) as client:
        await client.subscribe("spBv1.0/Bench/+/L1/m1", qos=1)
        running_alias: list[int] = []

        async def read() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                payload = decode(message.payload)
                for m in payload.metrics:
                    if m.name == "State/Running" and m.alias is not None:
                        running_alias[:] = [m.alias]
                    elif running_alias and m.alias == running_alias[0] and not m.is_historical:
                        arrived.put_nowait((time.perf_counter(), bool(m.value)))

        reader = asyncio.create_task(read())
        await station.start()
        try:
            while not running_alias:
                await asyncio.sleep(0.05)
            state = False
            for _ in range(changes):
                await asyncio.sleep(random.uniform(0, poll))
                state = not state
                t0 = time.perf_counter()
                plc.set(0, 1.0 if state else 0.0)
                while True:
                    at, value = await asyncio.wait_for(arrived.get(), 10)
                    if value == state:
                        out.append((at - t0) * 1000)
                        break
        finally:
            reader.cancel()
            await station.stop()
            await plc.stop()
    return out


async def outage_run(seconds: float, speed: float, folder: Path) -> str:
    """The demo line's station in this process; its broker killed for `seconds`, then started again:
    how much was buffered, how long after the broker's return the buffer is flushed, and whether
    every buffered value reached a subscriber on the restarted broker, in order."""
    port = free_port()
    conf = folder / "broker.conf"
    conf.write_text(f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n", encoding="utf-8")
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def until(predicate: Callable[[], bool], limit_s: float = 3600.0) -> bool:
        end = time.monotonic() + limit_s
        while not predicate():
            if time.monotonic() > end:
                return False
            await asyncio.sleep(0.01)
        return True

    # The demo line's PLCs on free ports: a demo or a test run beside the benchmark keeps its own.
    cfg = parse_config(demo_config_on_free_ports(), DEMO_CONFIG)
    cfg = cfg.model_copy(
        update={"sparkplug": SparkplugConfig(broker=f"mqtt://{HOST}:{port}", group_id="Bench")}
    )
    db = folder / "outage.db"
    broker = start()
    sim, _shift = await start_demo_line(cfg, db, speed=speed)
    station = Station(cfg, db)
    station.open()
    await station.start()
    uplink = station.uplink
    assert uplink is not None
    # What the subscriber on the restarted broker receives: historical values per device, with
    # their timestamps, to compare with what the station's buffer held when the broker came back.
    received: dict[str, list[int]] = {}
    reader: asyncio.Task[None] | None = None
    try:
        await until(lambda: uplink.online)
        broker.kill()
        broker.wait()
        await until(lambda: not uplink.online)
        await asyncio.sleep(seconds)  # the outage itself: a benchmark, not a test
        assert uplink.buffer is not None
        count, size = uplink.buffer.count, uplink.buffer.size_bytes
        kept: dict[str, list[int]] = {}
        for row in uplink.buffer.oldest(10**9):
            for m in decode(row.body).metrics:
                kept.setdefault(row.device, []).append(m.timestamp_ms or 0)
        broker = start()
        back = time.monotonic()
        subscribed = asyncio.Event()

        async def read() -> None:
            while True:  # the broker takes a moment to listen again
                try:
                    async with aiomqtt.Client(HOST, port) as client:
                        await client.subscribe("spBv1.0/Bench/DDATA/#", qos=1)
                        subscribed.set()
                        async for message in client.messages:
                            assert isinstance(message.payload, bytes)
                            device = str(message.topic).rsplit("/", 1)[-1]
                            for m in decode(message.payload).metrics:
                                if m.is_historical:
                                    received.setdefault(device, []).append(m.timestamp_ms or 0)
                except aiomqtt.MqttError:
                    await asyncio.sleep(0.01)

        reader = asyncio.create_task(read())
        await subscribed.wait()
        await until(lambda: uplink.state == "sending buffered values" or uplink.online)
        connected = time.monotonic() - back
        await until(lambda: uplink.online)
        took = time.monotonic() - back
        left = uplink.buffer.count
        expected = sum(len(v) for v in kept.values())
        # The last PUBACK may come before the subscriber has read the last message.
        await until(
            lambda: all(not (Counter(v) - Counter(received.get(d, []))) for d, v in kept.items()), 10.0
        )
    finally:
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await station.stop()
        await sim.stop()
        broker.kill()
        broker.wait()
    got = sum(len(v) for v in received.values())
    # A value is lost when its (device, timestamp) held at the broker's return never arrived; the
    # station goes on buffering during its reconnect, so more may arrive than were counted.
    lost = sum((Counter(v) - Counter(received.get(d, []))).total() for d, v in kept.items())
    in_order = all(v == sorted(v) for v in received.values())
    return (
        f"outage {seconds:.0f} s at speed {speed:g}: {count} messages buffered ({size / 1e3:.0f} kB, "
        f"{expected} values), live again {took:.2f} s after the broker's return ({connected:.2f} s of "
        f"it until the births were sent: reconnect backoff), {left} left; a subscriber on the "
        f"restarted broker got {got} historical values, {lost} lost, "
        f"{'oldest first per device' if in_order else 'OUT OF ORDER'}"
    )


def cpu_run(seconds: float, broker: str | None, folder: Path) -> float:
    env = {**os.environ, "MS5_DATA_DIR": str(folder / ("on" if broker else "off"))}
    argv = [
        sys.executable,
        "-m",
        "hmi.cli",
        "demo",
        "--face",
        "text",
        "--seconds",
        str(seconds),
        "--every",
        "5",  # the demo looks at --seconds when it prints
    ]
    if broker:
        argv += ["--broker", broker]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_sparkplug")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("latency")
    p.add_argument("--changes", type=int, default=40)
    p.add_argument("--poll", type=float, nargs="+", default=[0.1, 0.5])
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("outage")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--speed", type=float, default=60.0)
    p = sub.add_parser("cpu")
    p.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    random.seed(getattr(args, "seed", 1))
    with tempfile.TemporaryDirectory() as tmp, mosquitto(Path(tmp)) as broker:
        folder = Path(tmp)
        if args.what == "outage":
            print(asyncio.run(outage_run(args.seconds, args.speed, folder)))
        elif args.what == "latency":
            for poll in args.poll:
                ms = asyncio.run(latency_run(poll, args.changes, folder, broker))
                print(
                    f"poll {poll * 1000:.0f} ms: PLC change -> DDATA p50 {statistics.median(ms):.1f} ms, "
                    f"p99 {pct(ms, 0.99):.1f} ms, max {max(ms):.1f} ms over {len(ms)} changes; "
                    f"p99 - poll = {pct(ms, 0.99) - poll * 1000:.1f} ms (aim ≤ 50)"
                )
        else:
            off = cpu_run(args.seconds, None, folder)
            on = cpu_run(args.seconds, f"mqtt://{HOST}:{broker}", folder)
            print(
                f"ms5 demo {args.seconds:.0f} s: CPU {off:.2f} s without Sparkplug, {on:.2f} s with; "
                f"ratio {on / off:.2f} (aim ≤ 1.2)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
