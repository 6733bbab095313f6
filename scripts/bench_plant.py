"""Plant console benchmark: what `ms5 plant` costs with 20 stations publishing on one broker.

    python -m scripts.bench_plant [--stations 20] [--machines 4] [--hz 2] [--seconds 30] [--warmup 5]

A Mosquitto of its own (Debian's `mosquitto`) on a free port of 127.0.0.1, in a temporary folder.
The stations are one child process (this module with --publish): each is an aiomqtt client
publishing as a Sparkplug B edge node with the project's codec, NBIRTH and a DBIRTH per machine,
then a DDATA per machine --hz times a second (its counts and state, by alias) and every 5 s an
NDATA with the line's figures and a DDATA with each machine's (as `figures_interval_s` = 5 sends
them); a station answers an NCMD rebirth with a new birth, as the edge node does (`ms5 plant`
starts after the stations' births, so it asks each for one). `ms5 plant --broker URL` is a real
process drawing into a pseudo-terminal of 80x24 (os.openpty, TERM=xterm-256color), whose other end
this process reads.

Runs, in this order in one invocation:
- baseline: `ms5 plant` on the broker with no station publishing (the app idle, its 1 s refresh);
- load: the same with the stations publishing.

CPU: utime + stime of the `ms5 plant` process (/proc/PID/stat) over the window that opens
--warmup seconds after it started and lasts --seconds, in % of one core; the publishers' and the
broker's CPU are not in it. Figures are printed, never asserted (docs/BENCHMARKS.md). Aim
(issue 15): <= 10 % of one core with 20 stations.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CPU_AIM_PCT = 10.0
SIZE = (80, 24)
FIGURES_S = 5.0
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the publishers' child


async def publish(args: argparse.Namespace) -> None:
    from scripts.plant_stations import StationPublisher

    stations = []
    for s in range(args.stations):
        line: dict[str, Any] = {
            "Line/Id": f"Line {s + 1:02d}",
            "Line/Condition": "running",
            "Line/OEE": 0.8,
            "Line/Availability": 0.9,
            "Line/Performance": 0.93,
            "Line/Quality": 0.98,
            "Line/Good": 0,
            "Shift/TargetSoFar": 0,
            "Shift/Name": "Early",
            "Andon/OpenCalls": s % 3,
            "Andon/HighestLevel": s % 3,
        }
        machines: dict[str, dict[str, Any]] = {
            f"M{m + 1}": {
                "State/Condition": "running",
                "State/Running": True,
                "State/FaultCode": 0,
                "Counts/Total": 0,
                "Counts/Good": 0,
                "Shift/OEE": 0.8,
                "Shift/Good": 0,
                "Andon/OpenCalls": 0,
                "Andon/OldestAge": 0.0,
            }
            for m in range(args.machines)
        }
        station = StationPublisher(
            args.port, "Bench", f"L{s + 1:02d}", line, machines, bd_seq=s, answer_rebirths=True
        )
        await station.connect()
        await station.birth()
        stations.append(station)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    period = 1.0 / args.hz
    next_at = time.monotonic()
    figures_at = next_at + FIGURES_S
    n = 0
    while not stop.is_set():
        n += 1
        for station in stations:
            for m in station.devices:
                await station.data(m, {"Counts/Total": n, "Counts/Good": n - n // 50})
        if time.monotonic() >= figures_at:
            figures_at += FIGURES_S
            for station in stations:
                await station.node_data({"Line/Good": n, "Shift/TargetSoFar": n + 5, "Line/OEE": 0.8})
                for m in station.devices:
                    await station.data(m, {"Shift/OEE": 0.8, "Shift/Good": n, "Andon/OldestAge": float(n)})
        next_at += period
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(next_at - time.monotonic(), 0.0))
    for station in stations:
        await station.close()


# ---------------------------------------------------------------- the parent: measure


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stop(proc: subprocess.Popen[bytes], master: int | None = None) -> None:
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        if master is not None and select.select([master], [], [], 0.05)[0]:
            with contextlib.suppress(OSError):
                os.read(master, 65536)  # a console blocked on a full pty would not see the signal
        elif master is None:
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def measure(args: argparse.Namespace, url: str, data: Path) -> tuple[float, float]:
    """`ms5 plant`'s CPU in % of one core over the window, and the bytes/s it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "MS5_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi.cli", "plant", "--broker", url, "--group", "Bench"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    window_start = time.monotonic() + args.warmup
    window_end = window_start + args.seconds
    cpu0 = wall0 = 0.0
    written = 0
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
                raise SystemExit(f"bench_plant: ms5 plant ended early (exit {proc.returncode})")
            if select.select([master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if in_window:
                    written += len(chunk)
    finally:
        _stop(proc, master)
        os.close(master)
    wall = wall1 - wall0
    return 100 * (cpu1 - cpu0) / wall, written / wall


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_plant", description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--machines", type=int, default=4, help="devices per station")
    parser.add_argument("--hz", type=float, default=2.0, help="DDATA per machine and second")
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window of each run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window opens")
    parser.add_argument("--publish", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.publish:
        asyncio.run(publish(args))
        return 0
    from hmi.mosquitto import Mosquitto

    with tempfile.TemporaryDirectory(prefix="ms5-bench-plant-") as tmp:
        folder = Path(tmp)
        broker = Mosquitto(folder)
        broker.start()
        try:
            rate = args.stations * args.machines * args.hz
            print(
                f"Plant bench: {args.stations} stations x {args.machines} machines, {rate:g} DDATA/s "
                f"(+ figures every {FIGURES_S:g} s), terminal {SIZE[0]}x{SIZE[1]}, window {args.seconds:g} s "
                f"after {args.warmup:g} s warm-up; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            idle, idle_bytes = measure(args, broker.url, folder)
            print(
                f"  ms5 plant, no station   CPU {idle:5.1f} % of one core  terminal {idle_bytes:6.0f} B/s",
                flush=True,
            )
            publishers = subprocess.Popen(
                [
                    *(sys.executable, "-m", "scripts.bench_plant", "--publish", "--port", str(broker.port)),
                    *(
                        "--stations",
                        str(args.stations),
                        "--machines",
                        str(args.machines),
                        "--hz",
                        str(args.hz),
                    ),
                ],
                cwd=ROOT,
            )
            try:
                loaded, loaded_bytes = measure(args, broker.url, folder)
            finally:
                _stop(publishers)
            ratio = loaded / idle if idle else float("nan")
            print(
                f"  ms5 plant, {args.stations} stations  CPU {loaded:5.1f} % of one core"
                f" (aim <= {CPU_AIM_PCT:g} %)"
                f"  terminal {loaded_bytes:6.0f} B/s  ratio to no station {ratio:.2f}",
                flush=True,
            )
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
