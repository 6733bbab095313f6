"""Console benchmark: what the console costs while a station runs 20 machines at 10 Hz.

    python -m scripts.bench_console [--machines 20] [--hz 10] [--seconds 15] [--warmup 5]
                                    [--screens tags,connections,oee]

Each run is a child process (this module with --child) holding a real Station (engine + SQLite
store in a temporary folder) fed by a task that ingests every machine's samples --hz times a
second: its total count goes up by one each time, a reject now and then, and every machine stops
for 3 s every --stop-every seconds (default 120: 30 stops an hour per machine, 10 a minute on the
line): state changes, and downtime events with their reason from the fault code.
Nothing polls a PLC: the feeder stands in for the connections, so the figures are the console's
and the engine's, not a protocol's.

Runs:
- baseline: the station and its feeder alone, no console;
- one run per screen: the same, plus the console (hmi.console.app.ConsoleApp on a LocalLink, as
  `ms5 console CONFIG` hosts it) drawing that screen into a real pseudo-terminal of 80x24
  (os.openpty, TERM=xterm-256color), whose other end this process reads and counts.

How each figure is taken, inside the window that starts --warmup seconds after the child started
(after the first full paint) and lasts --seconds:
- CPU: utime + stime of the child (/proc/PID/stat, all threads) over the window's wall time, in %
  of one core; the console's share is a run's CPU minus the baseline's;
- terminal bytes/s: bytes read from the pty's master side during the window / its wall time.
Figures are printed, never asserted (docs/BENCHMARKS.md). Aims (issue 6): console CPU share
<= 10 % of one core, <= 2 KB/s to the terminal at steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import random
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CPU_AIM_PCT = 10.0
BYTES_AIM = 2048.0
SIZE = (80, 24)
SCREENS = ("connections", "tags", "andon", "downtime", "oee", "events")


def config_text(machines: int) -> str:
    """One line of `machines` machines, four per Modbus connection (never connected: the feeder
    stands in for them, but the Tags and Connections screens list them as a station would)."""
    out = [
        '[site]\nname = "Bench"\n',
        '[reasons]\n"Mechanical/Jam" = "unplanned"\n"Electrical/Drive fault" = "unplanned"\n',
        '[[products]]\nid = "P"\nideal_cycle_time_s = 0.1\n',
        '[[lines]]\nid = "L1"\nname = "Bench line"\ntimezone = "UTC"\nsmall_stop_threshold_s = 2\n',
        *(
            f'[[lines.shifts]]\nname = "{name}"\n'
            f'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\nstart = "{a}"\nend = "{b}"\n'
            for name, a, b in (
                ("Early", "06:00", "14:00"),
                ("Late", "14:00", "22:00"),
                ("Night", "22:00", "06:00"),
            )
        ),
    ]
    for m in range(machines):
        conn = f"plc-{m // 4 + 1:02d}"
        k = m % 4
        signals = (
            ("running", f"coil:{k}", "bool"),
            ("total_count", f"hr:{4 * k}", "uint32"),
            ("reject_count", f"hr:{4 * k + 2}", "uint32"),
            ("fault_code", f"hr:{16 + k}", "uint16"),
        )
        bound = "".join(
            f'  {{ signal = "{s}", connection = "{conn}", address = "{a}", type = "{ty}" }},\n'
            for s, a, ty in signals
        )
        out.append(
            f'[[lines.equipment]]\nid = "M{m + 1:02d}"\nideal_cycle_time_s = 0.1\n'
            f'faults = {{ 7 = "Mechanical/Jam" }}\nsignals = [\n{bound}]\n'
        )
    for c in range((machines + 3) // 4):
        out.append(
            f'[[connections]]\nid = "plc-{c + 1:02d}"\nprotocol = "modbus"\nhost = "127.0.0.1"\n'
            f"port = {15100 + c}\npoll_interval_s = 0.1\n"
        )
    return "\n".join(out)


# ---------------------------------------------------------------- the child: station (+ console)


async def feed(station: object, machines: int, hz: float, stop_every: float) -> None:
    """Every machine's samples, `hz` times a second, in one batch per period."""
    from core.samples import Quality, Sample
    from hmi.station.runtime import Station

    assert isinstance(station, Station)
    rng = random.Random(1)
    ids = [f"M{m + 1:02d}" for m in range(machines)]
    total = dict.fromkeys(ids, 0)
    rejects = dict.fromkeys(ids, 0)
    period = 1.0 / hz
    next_at = time.monotonic()
    tick_at = next_at
    while True:
        now = time.time()
        batch = []
        for i, eq in enumerate(ids):
            # A stop of 3 s every `stop_every` s, the machines out of step with each other.
            running = (now + i * stop_every / machines) % stop_every >= 3.0
            if running:
                total[eq] += 1
                if rng.random() < 0.02:
                    rejects[eq] += 1
            batch.append(Sample(now, eq, "running", 1.0 if running else 0.0, Quality.GOOD))
            batch.append(Sample(now, eq, "total_count", float(total[eq]), Quality.GOOD))
            batch.append(Sample(now, eq, "reject_count", float(rejects[eq]), Quality.GOOD))
            batch.append(Sample(now, eq, "fault_code", 0.0 if running else 7.0, Quality.GOOD))
        station.ingest(batch)
        if time.monotonic() >= tick_at:  # as the station's own tick loop would
            station.tick()
            tick_at += 0.5
        next_at += period
        await asyncio.sleep(max(next_at - time.monotonic(), 0.0))


async def child(args: argparse.Namespace) -> None:
    from connectors.base import ConnectionRunner, ConnectionState
    from connectors.registry import build_drivers
    from core.config import load_config
    from hmi.console.app import ConsoleApp
    from hmi.station.link import LocalLink
    from hmi.station.runtime import Station

    folder = Path(tempfile.mkdtemp(prefix="ms5-bench-console-"))
    cfg_path = folder / "bench.toml"
    cfg_path.write_text(config_text(args.machines), encoding="utf-8")
    cfg = load_config(cfg_path)
    station = Station(cfg, folder / "station.db")
    station.open()
    # Runners that never run: the Connections screen lists them as a polling station would.
    station.runners = [ConnectionRunner(d, station.ingest) for d in build_drivers(cfg)]
    for r in station.runners:
        r.diagnostics.state = ConnectionState.CONNECTED
    feeder = asyncio.create_task(feed(station, args.machines, args.hz, args.stop_every))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        if args.screen == "none":
            await stop.wait()
            return
        app = ConsoleApp(LocalLink(station))

        async def show_screen() -> None:
            await app.switch_mode(args.screen)

        async def run_app() -> None:
            await app.run_async(mouse=False)

        app_task = asyncio.create_task(run_app())
        while not app.is_running:  # the app switches to its first screen on mount
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        app.call_later(show_screen)
        await asyncio.wait([app_task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        app.exit()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(app_task, 5)
    finally:
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
        await station.stop()


# ---------------------------------------------------------------- the parent: measure


@dataclass
class Figures:
    label: str
    cpu_pct: float
    bytes_per_s: float | None
    first_paint_bytes: int


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def measure(args: argparse.Namespace, screen: str) -> Figures:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    cmd = [sys.executable, "-m", "scripts.bench_console", "--child", "--screen", screen]
    cmd += ["--machines", str(args.machines), "--hz", str(args.hz), "--stop-every", str(args.stop_every)]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1])}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=root, start_new_session=True
    )
    os.close(slave)
    started = time.monotonic()
    window_start = started + args.warmup
    window_end = window_start + args.seconds
    before = 0
    during = 0
    cpu0 = wall0 = 0.0
    in_window = False
    try:
        while True:
            now = time.monotonic()
            if not in_window and now >= window_start:
                cpu0, wall0, in_window = _cpu_seconds(proc.pid), now, True
            if now >= window_end:
                cpu1, wall1 = _cpu_seconds(proc.pid), now
                break
            if proc.poll() is not None:
                raise SystemExit(f"bench_console: the {screen} run ended early (exit {proc.returncode})")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if in_window:
                    during += len(data)
                else:
                    before += len(data)
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            # Keep reading: a console blocked on a full pty would never see the signal.
            if select.select([master], [], [], 0.05)[0]:
                with contextlib.suppress(OSError):
                    os.read(master, 65536)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    wall = wall1 - wall0
    label = "station alone" if screen == "none" else f"console, {screen}"
    return Figures(label, 100 * (cpu1 - cpu0) / wall, None if screen == "none" else during / wall, before)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_console", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--hz", type=float, default=10.0, help="samples per machine and second")
    parser.add_argument(
        "--stop-every", type=float, default=120.0, help="every machine stops for 3 s this often (s)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="the measured window of each run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window opens")
    parser.add_argument(
        "--screens", default="tags,connections,oee", help=f"comma list of {', '.join(SCREENS)}"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--screen", default="none", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child(args))
        return 0
    screens = [s.strip() for s in args.screens.split(",") if s.strip()]
    unknown = [s for s in screens if s not in SCREENS]
    if unknown:
        parser.error(f"unknown screen(s): {', '.join(unknown)}")
    signals = args.machines * 4
    print(
        f"Console bench: {args.machines} machines x {args.hz:g} Hz ({signals} signals, "
        f"{signals * args.hz:g} samples/s, a stop every {args.stop_every:g} s per machine), "
        f"terminal {SIZE[0]}x{SIZE[1]}, window {args.seconds:g} s "
        f"after {args.warmup:g} s warm-up; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    base = measure(args, "none")
    print(f"  {base.label:<24} CPU {base.cpu_pct:5.1f} % of one core", flush=True)
    for screen in screens:
        f = measure(args, screen)
        share = f.cpu_pct - base.cpu_pct
        assert f.bytes_per_s is not None
        print(
            f"  {f.label:<24} CPU {f.cpu_pct:5.1f} %  console share {share:5.1f} % (aim <= {CPU_AIM_PCT:g} %)"
            f"  terminal {f.bytes_per_s:7.0f} B/s (aim <= {BYTES_AIM:g})  warm-up {f.first_paint_bytes} B"
            f"  ratio to station alone {f.cpu_pct / base.cpu_pct if base.cpu_pct else float('nan'):.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
