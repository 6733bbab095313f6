"""OPC UA latency benchmark: from a value change in the server to the Sample reaching the sink.

    python -m scripts.bench_latency_opcua [--changes 200] [--interval-ms 50] [--poll-s 0.05]

One simulated PLC (asyncua's server, connectors.sim.opcua_server) on 127.0.0.1 serves one uint32
tag. A ConnectionRunner drives the OPC UA driver (subscription with a `--interval-ms` publishing
interval, the runner polling the driver every `--poll-s`) into a sink that notes when each value
arrives. `--changes` times, the benchmark sets a new value (`SimServer.set`), waits for it to reach
the sink, then waits a random 0..interval so that changes fall at every phase of the publishing
and polling cycles. The same is then done in polling mode (`subscription = false`) as a baseline.

Latency = the Sample's `received` time − the time just before `set` (both `time.time`: the runner
stamps `received` with it). Printed: p50, p99 and max per mode, and the aim from issue 4 (p99 within
the poll interval + 20 ms). Nothing is asserted (docs/BENCHMARKS.md). In both modes the
runner polls the driver on its own schedule, so a change waits for the next publish and then for
the next runner poll: expect p99 near publishing interval + poll interval.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.base import ConnectionRunner, Tag
from connectors.opcua import OpcUaDriver
from connectors.sim.opcua_server import OpcUaSimServer
from core.config import Connection, SignalBinding
from core.samples import Sample

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Latencies:
    mode: str
    values_ms: list[float]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.values_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


async def measure(
    sim: OpcUaSimServer, connection: Connection, tag: Tag, changes: int, interval_s: float, seed: int
) -> list[float]:
    arrived: dict[float, float] = {}
    event = asyncio.Event()

    def sink(samples: list[Sample]) -> None:
        for s in samples:
            if s.value is not None and s.received is not None:
                arrived.setdefault(s.value, s.received)
                event.set()

    runner = ConnectionRunner(OpcUaDriver(connection, [tag]), sink)
    task = asyncio.create_task(runner.run())
    rng = random.Random(seed)
    out: list[float] = []
    try:
        while runner.diagnostics.state != "connected":
            await asyncio.sleep(0.01)
        base = float(rng.randrange(1_000_000, 2_000_000))
        for k in range(changes):
            value = base + k
            before = time.time()
            sim.set(0, value)
            while value not in arrived:
                event.clear()
                await asyncio.wait_for(event.wait(), 10.0)
            out.append((arrived[value] - before) * 1000.0)
            await asyncio.sleep(rng.uniform(0.0, interval_s))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return out


async def run(changes: int, interval_ms: float, poll_s: float, seed: int) -> list[Latencies]:
    port = _free_port()
    tag = Tag(
        "bench",
        SignalBinding(signal="total_count", connection="bench", address="ns=2;s=Bench.Count", type="uint32"),
    )
    served = Connection(id="bench", protocol="opcua", host=HOST, port=port, poll_interval_s=poll_s)
    sim = OpcUaSimServer(served, [tag])
    await sim.start()
    results = []
    try:
        for mode, subscription in (("subscription", True), ("polling", False)):
            connection = Connection(
                id="bench",
                protocol="opcua",
                host=HOST,
                port=port,
                poll_interval_s=poll_s,
                options={"subscription": subscription, "publishing_interval_ms": interval_ms},
            )
            values = await measure(sim, connection, tag, changes, interval_ms / 1000.0, seed)
            results.append(Latencies(mode, values))
    finally:
        await sim.stop()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_latency_opcua", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--interval-ms", type=float, default=50.0, help="publishing interval")
    parser.add_argument("--poll-s", type=float, default=0.05, help="runner poll interval")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.changes < 1 or args.interval_ms <= 0 or args.poll_s <= 0:
        parser.error("--changes, --interval-ms and --poll-s must be positive")
    results = asyncio.run(run(args.changes, args.interval_ms, args.poll_s, args.seed))
    aim = args.poll_s * 1000.0 + 20.0
    print(
        f"OPC UA latency, set -> sink: {args.changes} changes, publishing interval {args.interval_ms:g} ms, "
        f"runner poll {args.poll_s * 1000:g} ms"
    )
    for r in results:
        p50, p99, worst = r.quantile(0.5), r.quantile(0.99), max(r.values_ms)
        print(f"  {r.mode:<12}  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {worst:6.1f} ms")
    print(f"  aim (issue 4): p99 within poll interval + 20 ms = {aim:g} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
