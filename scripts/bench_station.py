"""Station benchmark: many Modbus PLCs polled by one station: poll jitter, CPU, memory, store growth.

    python -m scripts.bench_station [--connections 20] [--tags 100] [--poll 0.2] [--seconds 60]

The line: `--connections` Modbus connections, each with `--tags` tags. The config model allows the
8 engine signals per equipment, so each connection is one line of ceil(tags / 8) equipment, every
one with all 8 signals bound (the last one with what is left over: running, total_count,
reject_count, fault_code, good_count, state, changeover, andon, in that order). Per equipment k the
PLC map is a block of 10 holding registers at hr:10k (state uint16, total, good and reject uint32,
fault_code uint16) and 4 coils at coil:4k (running, changeover, andon), so 100 tags are 130
registers and 52 coils, which the driver reads in a few coalesced requests (printed as
requests/poll). The config is TOML text checked by core.config.parse_config and `ms5 check`'s
address rules.

The simulated PLCs run in a separate process, `python -m hmi.cli sim CONFIG` (the product's own
simulator: one pymodbus server per connection on its own free port, equipment running near its
`--cycle` ideal cycle time with small stops, faults, changeovers and Andon calls, counters always
increasing), so that the CPU figures are the station's alone. Its own CPU share is printed too: a
saturated simulator would show up as jitter that is not the station's.

In this process the real station (hmi.station.runtime.Station: runners -> engine -> SQLite store in a
temporary directory) runs twice against the same simulator, each time with a fresh store:
- measured: the connections polled every `--poll` seconds, for `--seconds` (after `--warmup`);
- baseline: the same station with a 10x longer poll interval, for `--baseline-seconds`.
The counters change at a rate set by the simulated equipment, not by the polls. With the default
`--cycle` (2.5 s, longer than the baseline's 2 s poll) both phases see every count, so the engine
and the store do the same work (samples/s are printed for both) and the difference in CPU share is
what polling costs, printed as a ratio. With a cycle shorter than the baseline's poll, the baseline
sees several parts as one counter change and the ratio includes that engine work too.

How each figure is taken (inside the window, after every connection is connected and the warm-up):
- poll jitter: each runner appends `time.monotonic()` to `Diagnostics.poll_times` (a deque of the
  last 50) when a poll's read completes. The benchmark harvests the new entries of every
  connection each second (the deque holds 10 s at 200 ms, so nothing is lost; `Diagnostics.polls`
  is compared with what was harvested and a gap, if ever, is counted and never bridged). Jitter is
  |interval between two consecutive completed polls − the configured interval|, pooled over all
  connections; p50, p99 and max. This is what the engine sees (completion to completion), so it
  includes the variation of the read's round trip as well as the lateness of the runner's sleep.
  Printed next to it, to tell the two apart: the start jitter, the same measure on the instants
  the runner calls `driver.read()` (the benchmark wraps each driver's `read` to note them).
- polls/s: the sum of `Diagnostics.polls` increments over the window / wall time, against
  connections / poll interval.
- CPU share: `time.process_time()` delta / wall delta, this process only (all its threads).
- memory: VmRSS from /proc/self/status at the start and the end of the phase, and the process's
  peak at the end of the run: `resource.getrusage(RUSAGE_SELF).ru_maxrss` and VmHWM.
- store growth: the size of the SQLite file (with its -wal and -shm) after the station stopped and
  closed it, minus the size of an empty store (opened and closed: the schema only), over the time
  from the station's start to its stop, extrapolated per hour.
- engine: samples ingested (counted in Station.ingest) and the ProductionUpdate and StateChanged
  events the engine published (a subscriber on engine.bus counts them).
The machine's load average is printed: the figures are only as quiet as the machine was.

Every runner starts its poll schedule when it connects, so connections started together poll in
step: every interval, all their requests leave at once and queue (in the simulator, whose one event
loop serves every PLC, unlike real PLCs, and in the station's loop, which takes the answers one by
one), which shows in the read latency and the poll jitter, not in the start jitter. `--stagger` delays
each connection's first connect by i/n of the poll interval (the benchmark wraps the drivers'
`connect`; the station is unchanged) to show what spreading the phases would do.
Figures are printed, never asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import queue
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import Diagnostics
from connectors.registry import check as check_addresses
from core.config import Config, parse_config
from core.events import ProductionUpdate, StateChanged
from core.samples import Sample
from core.store import Store
from hmi.station.runtime import Station

HOST = "127.0.0.1"
SIGNAL_ORDER = (
    "running",
    "total_count",
    "reject_count",
    "fault_code",
    "good_count",
    "state",
    "changeover",
    "andon",
)
# signal -> (area, offset in the equipment's block, type)
LAYOUT: dict[str, tuple[str, int, str]] = {
    "state": ("hr", 0, "uint16"),
    "total_count": ("hr", 1, "uint32"),
    "good_count": ("hr", 3, "uint32"),
    "reject_count": ("hr", 5, "uint32"),
    "fault_code": ("hr", 7, "uint16"),
    "running": ("coil", 0, "bool"),
    "changeover": ("coil", 1, "bool"),
    "andon": ("coil", 2, "bool"),
}
STRIDE = {"hr": 10, "coil": 4}
BASELINE_FACTOR = 10.0
JITTER_AIM_MS = 50.0
CPU_AIM = 0.25
HARVEST_S = 1.0
SIM_READY = "Ctrl-C to stop"


# --------------------------------------------------------------------------- the line


def equipment_signals(tags: int) -> list[tuple[str, ...]]:
    """The signals of each equipment of one connection: full equipment, then the rest."""
    full, rest = divmod(tags, len(SIGNAL_ORDER))
    out: list[tuple[str, ...]] = [SIGNAL_ORDER] * full
    if rest:
        out.append(SIGNAL_ORDER[:rest])
    return out


def bench_config_text(ports: Sequence[int], tags: int, poll_s: float, cycle_s: float) -> str:
    """A valid station config: one Modbus connection per port, one line of equipment per connection."""
    out = [
        '[site]\nname = "Station bench"\n',
        '[reasons]\n"Mechanical/Jam" = "unplanned"\n"Electrical/Drive fault" = "unplanned"\n',
    ]
    for c, port in enumerate(ports, 1):
        out.append(
            f'[[connections]]\nid = "c{c:02d}"\nprotocol = "modbus"\nhost = "{HOST}"\nport = {port}\n'
            f"poll_interval_s = {poll_s!r}\ntimeout_s = 2.0\n"
        )
    for c in range(1, len(ports) + 1):
        out.append(f'[[lines]]\nid = "L{c:02d}"\ntimezone = "UTC"\n')
        for k, signals in enumerate(equipment_signals(tags)):
            bindings = []
            for signal in signals:
                area, offset, kind = LAYOUT[signal]
                address = f"{area}:{STRIDE[area] * k + offset}"
                bindings.append(
                    f'  {{ signal = "{signal}", connection = "c{c:02d}", '
                    f'address = "{address}", type = "{kind}" }},'
                )
            out.append(
                f'[[lines.equipment]]\nid = "c{c:02d}e{k + 1:02d}"\nideal_cycle_time_s = {cycle_s!r}\n'
                'faults = { 1 = "Mechanical/Jam", 2 = "Electrical/Drive fault" }\n'
                "signals = [\n" + "\n".join(bindings) + "\n]\n"
            )
    return "\n".join(out)


def load_bench_config(text: str, name: str) -> Config:
    config = parse_config(text, Path(name))
    problems = check_addresses(config)
    if problems:
        raise ValueError(f"bench config: {problems[0]}")
    return config


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------------- the simulator process


class SimProcess:
    """`python -m hmi.cli sim CONFIG` in a process of its own, ready once it says it serves."""

    def __init__(self, config_path: Path, log_path: Path, seed: int) -> None:
        self.log_path = log_path
        self._log = log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hmi.cli", "sim", str(config_path), "--seed", str(seed)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # drained for the process's life: it must never block on print
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"the simulator did not start within {timeout_s:g} s")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait()
                self._log.flush()
                tail = self.log_path.read_text(encoding="utf-8").strip().splitlines()[-3:]
                raise RuntimeError(f"the simulator exited ({self.proc.returncode}): {' / '.join(tail)}")
            if SIM_READY in line:
                return

    def cpu_s(self) -> float | None:
        """User + system CPU seconds of the simulator so far (Linux /proc); None elsewhere."""
        try:
            text = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = text.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5.0)
        self._log.close()


# --------------------------------------------------------------------------- measuring


def proc_status_kib(key: str) -> int | None:
    """A memory line of /proc/self/status (VmRSS, VmHWM) in KiB; None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def max_rss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def store_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class CountingStation(Station):
    """The real station; only counts the samples its runners hand to the engine."""

    samples = 0

    def ingest(self, samples: list[Sample]) -> None:
        self.samples += len(samples)
        super().ingest(samples)


class PollWatch:
    """Harvests every connection's completed-poll times from Diagnostics.poll_times."""

    def __init__(self, diagnostics: Sequence[Diagnostics]) -> None:
        self.diagnostics = list(diagnostics)
        self.runs: list[list[list[float]]] = [[[]] for _ in self.diagnostics]  # per connection, gap-free runs
        self._last = [d.poll_times[-1] if d.poll_times else -math.inf for d in self.diagnostics]
        self._polls = [d.polls for d in self.diagnostics]
        self.lost = 0

    def harvest(self) -> None:
        for i, d in enumerate(self.diagnostics):
            polls, times = d.polls, list(d.poll_times)
            new = [t for t in times if t > self._last[i]]
            missing = (polls - self._polls[i]) - len(new)
            if missing > 0:  # the deque turned over between two harvests: never bridge the gap
                self.lost += missing
                self.runs[i].append([])
            self.runs[i][-1].extend(new)
            if new:
                self._last[i] = new[-1]
            self._polls[i] = polls

    def intervals(self) -> list[float]:
        return [b - a for runs in self.runs for run in runs for a, b in itertools.pairwise(run)]


class ReadStarts:
    """Wraps each driver's `read` and `connect` (before the runners first run) to note when every
    poll starts and, with `stagger`, to delay each connection's first connect by i/n of the period."""

    def __init__(self, station: Station, stagger: bool) -> None:
        if any(d.polls or d.state != "connecting" for d in station.diagnostics()):
            raise RuntimeError("the runners ran before the benchmark could observe them")
        self.starts: list[list[float]] = [[] for _ in station.runners]
        n = len(station.runners)
        for i, runner in enumerate(station.runners):
            driver = runner.driver
            period = runner.connection.poll_interval_s
            driver.read = self._noting(driver.read, self.starts[i])  # type: ignore[method-assign]
            if stagger:
                driver.connect = self._delayed(driver.connect, period * i / n)  # type: ignore[method-assign]

    @staticmethod
    def _noting(read: Callable[[], Any], starts: list[float]) -> Callable[[], Awaitable[Any]]:
        async def noted() -> Any:
            starts.append(time.monotonic())
            return await read()

        return noted

    @staticmethod
    def _delayed(connect: Callable[[], Any], delay: float) -> Callable[[], Awaitable[Any]]:
        first = [True]

        async def delayed() -> Any:
            if first[0]:
                first[0] = False
                await asyncio.sleep(delay)
            return await connect()

        return delayed

    def intervals(self, a: float, b: float) -> list[float]:
        out: list[float] = []
        for starts in self.starts:
            inside = [t for t in starts if a <= t <= b]
            out.extend(y - x for x, y in itertools.pairwise(inside))
        return out


@dataclass
class Phase:
    name: str
    poll_s: float
    connections: int
    tags: int
    window_s: float = 0.0
    cpu_s: float = 0.0
    polls: int = 0
    requests: int = 0
    jitter_ms: list[float] = field(default_factory=list)
    start_jitter_ms: list[float] = field(default_factory=list)
    stagger: bool = False
    read_ms: list[float] = field(default_factory=list)
    lost_poll_times: int = 0
    connected: int = 0  # connections in state "connected" at the end of the window
    ever_connected: int = 0  # connections that reached "connected" at all
    failures: int = 0  # transitions to "failed"
    samples: int = 0
    production_updates: int = 0
    state_changes: int = 0
    rss_start_kib: int | None = None
    rss_end_kib: int | None = None
    store_growth_bytes: int = 0
    store_final_bytes: int = 0
    store_seconds: float = 0.0
    sim_cpu_s: float | None = None

    @property
    def cpu_share(self) -> float:
        return self.cpu_s / self.window_s if self.window_s > 0 else 0.0

    @property
    def polls_per_s(self) -> float:
        return self.polls / self.window_s if self.window_s > 0 else 0.0

    @property
    def configured_polls_per_s(self) -> float:
        return self.connections / self.poll_s

    @property
    def store_bytes_per_hour(self) -> float:
        return self.store_growth_bytes / self.store_seconds * 3600.0 if self.store_seconds > 0 else 0.0


@dataclass
class BenchResult:
    measured: Phase
    baseline: Phase
    max_rss_kib: int
    hwm_kib: int | None
    sim_pid: int

    @property
    def cpu_ratio(self) -> float:
        b = self.baseline.cpu_share
        return self.measured.cpu_share / b if b > 0 else math.inf


async def run_phase(
    name: str,
    config: Config,
    db: Path,
    tags: int,
    seconds: float,
    warmup: float,
    sim: SimProcess,
    stagger: bool = False,
) -> Phase:
    poll_s = config.connections[0].poll_interval_s
    phase = Phase(name, poll_s, len(config.connections), tags)
    phase.rss_start_kib = proc_status_kib("VmRSS")
    states: dict[str, set[str]] = {c.id: set() for c in config.connections}

    def on_connection(d: Diagnostics) -> None:
        states[d.connection].add(d.state)
        if d.state == "failed":
            phase.failures += 1

    # What an empty store weighs once closed (schema only): the run's growth is measured from it.
    empty = db.with_name(f"{db.stem}-empty.db")
    Store.open(empty).close()
    size_empty = store_bytes(empty)
    station = CountingStation(config, db, on_connection=on_connection)
    station.open()
    assert station.engine is not None

    def on_production(ev: ProductionUpdate) -> None:
        phase.production_updates += 1

    def on_state(ev: StateChanged) -> None:
        phase.state_changes += 1

    station.engine.bus.subscribe(ProductionUpdate, on_production)
    station.engine.bus.subscribe(StateChanged, on_state)
    started = time.monotonic()
    await station.start()  # creates the runners' tasks; none has run yet
    reads = ReadStarts(station, stagger)
    phase.stagger = stagger
    try:
        deadline = started + 30.0
        while not all(d.state == "connected" for d in station.diagnostics()):
            if time.monotonic() > deadline:
                bad = [f"{d.connection}: {d.state} ({d.last_error})" for d in station.diagnostics()]
                raise RuntimeError("not every connection connected: " + "; ".join(bad))
            await asyncio.sleep(0.05)
        await asyncio.sleep(warmup)

        diags = station.diagnostics()
        watch = PollWatch(diags)
        polls0 = sum(d.polls for d in diags)
        requests0 = sum(r.driver.requests() for r in station.runners)
        samples0, updates0, changes0 = station.samples, phase.production_updates, phase.state_changes
        sim0 = sim.cpu_s()
        wall0, cpu0 = time.monotonic(), time.process_time()
        end = wall0 + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(HARVEST_S, left))
            watch.harvest()
        wall1, cpu1 = time.monotonic(), time.process_time()
        sim1 = sim.cpu_s()

        phase.window_s = wall1 - wall0
        phase.cpu_s = cpu1 - cpu0
        phase.polls = sum(d.polls for d in diags) - polls0
        phase.requests = sum(r.driver.requests() for r in station.runners) - requests0
        phase.jitter_ms = [abs(i - poll_s) * 1000.0 for i in watch.intervals()]
        phase.start_jitter_ms = [abs(i - poll_s) * 1000.0 for i in reads.intervals(wall0, wall1)]
        phase.lost_poll_times = watch.lost
        per_connection = max(1, phase.polls // max(1, len(diags)))
        phase.read_ms = [x * 1000.0 for d in diags for x in list(d.latencies)[-per_connection:]]
        phase.connected = sum(d.state == "connected" for d in diags)
        phase.samples = station.samples - samples0
        phase.production_updates -= updates0
        phase.state_changes -= changes0
        phase.sim_cpu_s = None if sim0 is None or sim1 is None else sim1 - sim0
        phase.rss_end_kib = proc_status_kib("VmRSS")
    finally:
        await station.stop()
    phase.store_seconds = time.monotonic() - started
    phase.store_final_bytes = store_bytes(db)
    phase.store_growth_bytes = phase.store_final_bytes - size_empty
    phase.ever_connected = sum("connected" in s for s in states.values())
    return phase


def run(
    connections: int,
    tags: int,
    poll_s: float,
    seconds: float,
    baseline_seconds: float,
    warmup: float,
    cycle_s: float,
    seed: int,
    stagger: bool = False,
) -> BenchResult:
    ports = _free_ports(connections)
    text = bench_config_text(ports, tags, poll_s, cycle_s)
    measured_cfg = load_bench_config(text, "bench-station.toml")
    baseline_cfg = load_bench_config(
        bench_config_text(ports, tags, poll_s * BASELINE_FACTOR, cycle_s), "bench-station-baseline.toml"
    )
    with tempfile.TemporaryDirectory(prefix="ms5-bench-station-") as tmp:
        tmp_path = Path(tmp)
        config_path = tmp_path / "bench-station.toml"
        config_path.write_text(text, encoding="utf-8")
        sim = SimProcess(config_path, tmp_path / "sim.log", seed)
        try:
            sim.wait_ready()

            async def both() -> tuple[Phase, Phase]:
                measured = await run_phase(
                    "measured", measured_cfg, tmp_path / "measured.db", tags, seconds, warmup, sim, stagger
                )
                baseline = await run_phase(
                    "baseline",
                    baseline_cfg,
                    tmp_path / "baseline.db",
                    tags,
                    baseline_seconds,
                    warmup,
                    sim,
                    stagger,
                )
                return measured, baseline

            measured, baseline = asyncio.run(both())
        finally:
            sim.stop()
    return BenchResult(measured, baseline, max_rss_kib(), proc_status_kib("VmHWM"), sim.proc.pid)


# --------------------------------------------------------------------------- report


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def _verdict(ok: bool) -> str:
    return "within" if ok else "OVER"


def report_phase(p: Phase) -> None:
    phases = "staggered phases (--stagger)" if p.stagger else "phases as the station sets them"
    print(
        f"[{p.name}] poll {p.poll_s * 1000:g} ms, {p.window_s:.1f} s window "
        f"(warm-up excluded), fresh store, {phases}"
    )
    print(
        f"  connections:     {p.connected}/{p.connections} connected at the end, "
        f"{p.ever_connected}/{p.connections} ever connected, {p.failures} failure(s); "
        f"{p.requests / p.polls if p.polls else 0:.1f} Modbus requests/poll"
    )
    share = p.polls_per_s / p.configured_polls_per_s if p.configured_polls_per_s else 0.0
    print(
        f"  polls/s:         {p.polls_per_s:.1f} achieved vs {p.configured_polls_per_s:.1f} configured "
        f"({share:.1%}); {p.polls} polls"
    )
    if p.jitter_ms:
        j50, j99 = quantile(p.jitter_ms, 0.5), quantile(p.jitter_ms, 0.99)
        print(
            f"  poll jitter:     p50 {j50:.1f} ms, p99 {j99:.1f} ms, max {max(p.jitter_ms):.1f} ms "
            f"over {len(p.jitter_ms)} intervals ({p.lost_poll_times} poll times lost)   "
            f"aim: p99 <= {JITTER_AIM_MS:g} ms: {_verdict(j99 <= JITTER_AIM_MS)}"
        )
    else:
        print("  poll jitter:     n/a (no two consecutive polls in the window)")
    if p.start_jitter_ms:
        s50, s99 = quantile(p.start_jitter_ms, 0.5), quantile(p.start_jitter_ms, 0.99)
        print(
            f"  start jitter:    p50 {s50:.1f} ms, p99 {s99:.1f} ms, max {max(p.start_jitter_ms):.1f} ms "
            "(read() calls: the runner's own schedule)"
        )
    if p.read_ms:
        print(
            f"  read latency:    p50 {quantile(p.read_ms, 0.5):.1f} ms, "
            f"p99 {quantile(p.read_ms, 0.99):.1f} ms (one poll's reads, Diagnostics.latencies)"
        )
    print(
        f"  CPU:             {p.cpu_share:.1%} of one core ({p.cpu_s:.2f} s CPU in {p.window_s:.1f} s)   "
        f"aim: <= {CPU_AIM:.0%}: {_verdict(p.cpu_share <= CPU_AIM)}"
    )
    per_s = p.samples / p.window_s if p.window_s else 0.0
    print(
        f"  engine:          {p.samples} samples ({per_s:.0f}/s), {p.production_updates} production updates, "
        f"{p.state_changes} state changes"
    )
    print(f"  memory:          VmRSS {_mib(p.rss_start_kib)} at start -> {_mib(p.rss_end_kib)} at end")
    print(
        f"  store:           +{p.store_growth_bytes / 1024:.0f} KiB in {p.store_seconds:.1f} s "
        f"({p.store_final_bytes / 1024:.0f} KiB file) -> {p.store_bytes_per_hour / 2**20:.1f} MiB/hour; "
        f"{per_s * 3600:,.0f} journal rows/hour at this sample rate"
    )
    sim = "n/a" if p.sim_cpu_s is None else f"{p.sim_cpu_s / p.window_s:.1%} of one core"
    print(f"  simulator:       {sim} (separate process, not counted above)")


def report(result: BenchResult, cycle_s: float) -> None:
    m = result.measured
    equipment = len(equipment_signals(m.tags))
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"Station bench: {m.connections} Modbus connections x {m.tags} tags ({equipment} equipment each, "
        f"ideal cycle {cycle_s:g} s), simulated PLCs in a separate process (ms5 sim, pid {result.sim_pid})"
    )
    if load is not None:
        print(
            f"load average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
            f"{os.cpu_count()} CPUs"
        )
    report_phase(m)
    report_phase(result.baseline)
    b = result.baseline
    print(
        f"polling cost: CPU ratio measured / baseline = {result.cpu_ratio:.2f}x "
        f"({m.cpu_share:.1%} at {m.poll_s * 1000:g} ms vs {b.cpu_share:.1%} at {b.poll_s * 1000:g} ms); "
        f"difference {m.cpu_share - b.cpu_share:.1%} of one core for "
        f"{m.polls_per_s - b.polls_per_s:.1f} more polls/s"
    )
    print(f"memory peak (whole run): ru_maxrss {_mib(result.max_rss_kib)}, VmHWM {_mib(result.hwm_kib)}")


def main(argv: Sequence[str] | None = None) -> BenchResult:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_station", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--tags", type=int, default=100, help="tags per connection")
    parser.add_argument("--poll", type=float, default=0.2, help="poll interval, seconds")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window")
    parser.add_argument(
        "--baseline-seconds", type=float, default=None, help="baseline window (default: half of --seconds)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds after connecting, not measured")
    parser.add_argument("--cycle", type=float, default=2.5, help="the equipment's ideal cycle time, seconds")
    parser.add_argument("--seed", type=int, default=1, help="the simulated line's seed")
    parser.add_argument(
        "--stagger", action="store_true", help="spread the connections' poll phases over the interval"
    )
    args = parser.parse_args(argv)
    if args.connections < 1 or args.tags < 1:
        parser.error("--connections and --tags must be at least 1")
    if args.poll <= 0 or args.seconds <= 0 or args.warmup < 0 or args.cycle <= 0:
        parser.error("--poll, --seconds and --cycle must be positive, --warmup not negative")
    baseline_seconds = args.seconds / 2 if args.baseline_seconds is None else args.baseline_seconds
    if baseline_seconds <= 0:
        parser.error("--baseline-seconds must be positive")
    result = run(
        args.connections,
        args.tags,
        args.poll,
        args.seconds,
        baseline_seconds,
        args.warmup,
        args.cycle,
        args.seed,
        args.stagger,
    )
    report(result, args.cycle)
    return result


if __name__ == "__main__":
    outcome = main()
    ok = all(p.connected == p.connections for p in (outcome.measured, outcome.baseline))
    sys.exit(0 if ok else 1)
