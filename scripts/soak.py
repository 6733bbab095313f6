"""Soak: the real station on the simulated line for a long time, sampled as it goes.

    python -m scripts.soak [--minutes 60] [--connections 20] [--tags 100] [--poll 0.2]

The line and the simulator are those of scripts.bench_station (one Modbus connection per line,
`--tags` tags each, `ms5 sim` in a separate process so that the CPU figures are the station's own).
The station (hmi.station.runtime.Station: runners -> engine -> SQLite store in a temporary directory)
runs for `--minutes`; every `--sample-seconds` it notes:

- resident memory: VmRSS of this process (/proc/self/status);
- CPU: `time.process_time()` (this process, all threads) and the simulator's, from /proc;
- the store's size as SQLite sees it: page_count x page_size of the committed database, read
  through a read-only connection. This counts what sits in the WAL too, without the WAL file's
  own saw-tooth (it grows to the checkpoint size and is then reused), which would otherwise be
  noise of a few MB on a figure of tens of MB;
- polls and samples so far, and the connections' states.

Figures (after `--warmup-minutes`, default a sixth of the run, during which caches, the engine's
tables and the SQLite page cache fill up):
- memory growth, MB/h: the slope of a least-squares line through the RSS samples after the
  warm-up. A slope, not end minus start: one sample taken as the allocator happens to hold a
  few free arenas would otherwise decide the figure. Aim (issue 7): <= 5 MB/h.
- CPU share: CPU seconds / wall seconds after the warm-up, of one core.
- database growth: the slope of the store's size after the warm-up, MB/h, and per line-day
  (the slope / number of lines x 24 h). Aim (issue 7): <= 50 MB per line-day.
- the file on disk after the station closed it (database + -wal + -shm).
Figures are printed, never asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import FAILING, Diagnostics
from scripts.bench_station import (
    CountingStation,
    SimProcess,
    _free_ports,
    bench_config_text,
    equipment_signals,
    load_bench_config,
    proc_status_kib,
    store_bytes,
)

MB = 1_000_000.0  # the aims are in MB; decimal, as disk sizes are quoted
MEMORY_AIM_MB_H = 5.0
DB_AIM_MB_LINE_DAY = 50.0


@dataclass(frozen=True)
class Point:
    t_s: float  # since the station started
    rss_kib: int
    cpu_s: float
    sim_cpu_s: float | None
    db_bytes: int
    polls: int
    samples: int
    connected: int


@dataclass
class SoakResult:
    connections: int
    tags: int
    poll_s: float
    lines: int
    warmup_s: float
    points: list[Point] = field(default_factory=list)
    failures: int = 0
    final_file_bytes: int = 0
    git: str = ""
    started: str = ""

    def after_warmup(self) -> list[Point]:
        return [p for p in self.points if p.t_s >= self.warmup_s]

    @property
    def memory_mb_per_h(self) -> float | None:
        pts = self.after_warmup()
        return slope([p.t_s / 3600 for p in pts], [p.rss_kib * 1024 / MB for p in pts])

    @property
    def db_mb_per_h(self) -> float | None:
        pts = self.after_warmup()
        return slope([p.t_s / 3600 for p in pts], [p.db_bytes / MB for p in pts])

    @property
    def db_mb_per_line_day(self) -> float | None:
        per_h = self.db_mb_per_h
        return None if per_h is None else per_h / self.lines * 24.0

    def share(self, attr: str) -> float | None:
        pts = [p for p in self.after_warmup() if getattr(p, attr) is not None]
        if len(pts) < 2 or pts[-1].t_s <= pts[0].t_s:
            return None
        return float(getattr(pts[-1], attr) - getattr(pts[0], attr)) / (pts[-1].t_s - pts[0].t_s)


def slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of ys over xs; None with fewer than two distinct xs."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def db_logical_bytes(db: Path) -> int:
    """The committed database's size as SQLite sees it (WAL content included)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0)
    try:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(size)
    finally:
        con.close()


def git_state() -> str:
    """HEAD and the number of changed files: the code the soak ran, as far as git can say."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--short"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"{head}, {len(dirty)} uncommitted file(s)"


async def soak(
    result: SoakResult, config_text: str, db: Path, seconds: float, sample_s: float, sim: SimProcess
) -> None:
    config = load_bench_config(config_text, "soak.toml")

    def on_connection(d: Diagnostics) -> None:
        if d.state in FAILING:
            result.failures += 1

    station = CountingStation(config, db, on_connection=on_connection)
    station.open()
    started = time.monotonic()
    await station.start()

    def point() -> Point:
        diags = station.diagnostics()
        p = Point(
            t_s=time.monotonic() - started,
            rss_kib=proc_status_kib("VmRSS") or 0,
            cpu_s=time.process_time(),
            sim_cpu_s=sim.cpu_s(),
            db_bytes=db_logical_bytes(db),
            polls=sum(d.polls for d in diags),
            samples=station.samples,
            connected=sum(d.state == "connected" for d in diags),
        )
        result.points.append(p)
        print(
            f"  {p.t_s / 60:6.1f} min  RSS {p.rss_kib / 1024:6.1f} MiB  store {p.db_bytes / MB:7.2f} MB  "
            f"{p.connected}/{len(diags)} connected  {p.polls} polls  {p.samples} samples",
            flush=True,
        )
        return p

    try:
        end = started + seconds
        next_sample = started + sample_s
        point()
        while time.monotonic() < end:
            await asyncio.sleep(max(0.0, min(next_sample, end) - time.monotonic()))
            point()
            next_sample += sample_s
    finally:
        await station.stop()
    result.final_file_bytes = store_bytes(db)


def run(
    minutes: float,
    connections: int,
    tags: int,
    poll_s: float,
    sample_s: float,
    warmup_minutes: float | None,
    cycle_s: float,
    seed: int,
) -> SoakResult:
    seconds = minutes * 60.0
    warmup_s = seconds / 6 if warmup_minutes is None else warmup_minutes * 60.0
    result = SoakResult(connections, tags, poll_s, connections, warmup_s)
    result.git = git_state()
    result.started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    ports = _free_ports(connections)
    text = bench_config_text(ports, tags, poll_s, cycle_s)
    print(
        f"Soak: {connections} Modbus connections x {tags} tags "
        f"({len(equipment_signals(tags))} equipment each), poll {poll_s * 1000:g} ms, "
        f"{minutes:g} min, sampled every {sample_s:g} s, warm-up {warmup_s / 60:g} min",
        flush=True,
    )
    print(f"started {result.started}; code: git {result.git}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ms5-soak-") as tmp:
        tmp_path = Path(tmp)
        config_path = tmp_path / "soak.toml"
        config_path.write_text(text, encoding="utf-8")
        sim = SimProcess(config_path, tmp_path / "sim.log", seed)
        try:
            sim.wait_ready()
            asyncio.run(soak(result, text, tmp_path / "soak.db", seconds, sample_s, sim))
        finally:
            sim.stop()
    return result


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _verdict(value: float | None, aim: float) -> str:
    if value is None:
        return "n/a"
    return "within" if value <= aim else "OVER"


def report(r: SoakResult) -> None:
    pts = r.after_warmup()
    if not pts:
        print("no sample after the warm-up: run longer or shorten --warmup-minutes")
        return
    first, last = pts[0], pts[-1]
    window = last.t_s - first.t_s
    configured = r.connections / r.poll_s
    polls_per_s = r.share("polls")
    load = os.getloadavg()
    print(f"Soak figures over {window / 60:.1f} min after the warm-up ({len(pts)} samples):")
    print(
        f"  polls/s:          {_fmt(polls_per_s, '.1f')} achieved vs {configured:.1f} configured; "
        f"{last.connected}/{r.connections} connected at the end, {r.failures} failure(s) in the run"
    )
    print(f"  samples/s:        {_fmt(r.share('samples'), '.0f')} into the engine and the journal")
    mem = r.memory_mb_per_h
    print(
        f"  memory:           VmRSS {first.rss_kib / 1024:.1f} -> {last.rss_kib / 1024:.1f} MiB; "
        f"growth {_fmt(mem, '+.2f')} MB/h (least-squares slope)   "
        f"aim: <= {MEMORY_AIM_MB_H:g} MB/h: {_verdict(mem, MEMORY_AIM_MB_H)}"
    )
    cpu = r.share("cpu_s")
    sim_cpu = r.share("sim_cpu_s")
    print(
        f"  CPU:              {_fmt(None if cpu is None else cpu * 100, '.1f')} % of one core (station); "
        f"simulator {_fmt(None if sim_cpu is None else sim_cpu * 100, '.1f')} % (separate process)"
    )
    per_h, per_line_day = r.db_mb_per_h, r.db_mb_per_line_day
    print(
        f"  database:         {first.db_bytes / MB:.2f} -> {last.db_bytes / MB:.2f} MB; "
        f"growth {_fmt(per_h, '.1f')} MB/h for {r.lines} lines = "
        f"{_fmt(per_line_day, '.1f')} MB per line-day   "
        f"aim: <= {DB_AIM_MB_LINE_DAY:g} MB per line-day: {_verdict(per_line_day, DB_AIM_MB_LINE_DAY)}"
    )
    print(f"  file on disk:     {r.final_file_bytes / MB:.2f} MB after the station closed it")
    print(
        f"load average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"{os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> SoakResult:
    parser = argparse.ArgumentParser(prog="python -m scripts.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--tags", type=int, default=100, help="tags per connection")
    parser.add_argument("--poll", type=float, default=0.2, help="poll interval, seconds")
    parser.add_argument("--sample-seconds", type=float, default=60.0, help="how often to sample")
    parser.add_argument(
        "--warmup-minutes",
        type=float,
        default=None,
        help="left out of the figures (default: a sixth of the run)",
    )
    parser.add_argument("--cycle", type=float, default=2.5, help="the equipment's ideal cycle time, seconds")
    parser.add_argument("--seed", type=int, default=1, help="the simulated line's seed")
    args = parser.parse_args(argv)
    if args.connections < 1 or args.tags < 1:
        parser.error("--connections and --tags must be at least 1")
    if args.minutes <= 0 or args.poll <= 0 or args.sample_seconds <= 0 or args.cycle <= 0:
        parser.error("--minutes, --poll, --sample-seconds and --cycle must be positive")
    if args.warmup_minutes is not None and not 0 <= args.warmup_minutes < args.minutes:
        parser.error("--warmup-minutes must be at least 0 and shorter than --minutes")
    result = run(
        args.minutes,
        args.connections,
        args.tags,
        args.poll,
        args.sample_seconds,
        args.warmup_minutes,
        args.cycle,
        args.seed,
    )
    report(result)
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.points and outcome.points[-1].connected == outcome.connections else 1)
