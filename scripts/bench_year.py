"""A year of the demo line, month by month: what a restart, the memory, the database and the
reports cost as the history grows (issue 12's figures).

    python -m scripts.bench_year [--months 12] [--hours-per-month 720] [--seed 1] [--keep DIR]

The demo line (assets/demo-line.toml) is simulated by the product's own line model
(connectors.sim.line.LineModel, seeded) and polled once a second on its own time, counters paced
as the station paces them (core.counter_thinning). Each simulated month is written into one store
by `ms5 import-journal`'s own code (core.journal_import.import_journal: the engine attached, the
projections, snapshots and pruning a station writes, the store extended day after day). After
day 1, week 1 and each month it prints:

- rss: resident memory of a restarted station (the real Station and its socket server in a
  process of its own, on a manual clock stopped at the history's end, no PLC answering), read
  from /proc once its socket answered a `snapshot`;
- db: the database's size (with its -wal file);
- restart: from the process's start to the first `snapshot` the socket answered (Python's own
  start included, as a user meets it);
- shift, 90 d: `ms5 report --json` (a process) for the last shift, and for the last 90 days (or
  what there is of them);

each with its ratio to month 1's figure, measured in the same run. `--hours-per-month` shortens
the months for a short run (the figures are then those of a shorter history: say so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from connectors.sim.line import LineModel
from core.config import Config, load_config
from core.counter_thinning import CounterPace
from core.journal_import import import_journal
from core.samples import Sample
from core.store import Store
from core.store_files import remove_store
from core.timefmt import iso

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo-line.toml"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
POLL_S = 1.0
WAIT_S = 600.0  # a hang guard for one restart, not a figure


class PolledLine:
    """The simulated line as a station polling once a second journals it, month after month."""

    def __init__(self, config: Config, seed: int) -> None:
        self.model = LineModel(config, seed, T0, history_max=16)
        self.pace = CounterPace()
        self.bound = {(eq.id, b.signal) for line in config.lines for eq in line.equipment for b in eq.signals}
        self.served: dict[tuple[str, str], float] = {}

    def samples(self, start: float, hours: float) -> list[Sample]:
        """What the station would journal from `start` for `hours` (the changed values)."""
        out: list[Sample] = []
        model, pace, bound, served = self.model, self.pace, self.bound, self.served
        for k in range(1, round(hours * 3600 / POLL_S) + 1):
            t = start + k * POLL_S
            out.extend(pace.due(t))
            for key, value in model.step(t).items():
                if key in bound and served.get(key) != value:
                    served[key] = value
                    out.extend(pace.feed(Sample(t, key[0], key[1], value)))
        return out


def _snapshot_answered(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(WAIT_S)
            s.connect(str(path))
            s.sendall(b'{"id":1,"op":"snapshot"}\n')
            answer = json.loads(s.makefile(encoding="utf-8").readline())
    except (FileNotFoundError, ConnectionRefusedError):
        return False
    return "result" in answer


def restart(year: Path) -> tuple[float, float]:
    """(seconds to the first answered snapshot, resident MB then) of `ms5 engine` on a copy of
    `year` (a station journals from now on, which would end the year's store at today)."""
    db = year.with_name("restart.db")
    remove_store(db)
    src, dst = sqlite3.connect(year), sqlite3.connect(db)
    try:
        src.backup(dst)  # SQLite's online backup: the copy a station would find
    finally:
        src.close()
        dst.close()
    sock = db.with_suffix(".sock")
    started = time.monotonic()
    at = _last_time(db)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench_year", "--serve", str(db), "--at", repr(at)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while not _snapshot_answered(sock):
            if proc.poll() is not None or time.monotonic() - started > WAIT_S:
                raise SystemExit(f"ms5 engine on {db} did not answer (exit {proc.returncode})")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=WAIT_S)
        remove_store(db)
    return elapsed, rss_kb / 1024


def _last_time(db: Path) -> float:
    conn = sqlite3.connect(db)
    try:
        return float(conn.execute("SELECT max(ts) FROM journal").fetchone()[0])
    finally:
        conn.close()


def serve(db: Path, at: float) -> int:
    """The restarted station: the real Station and socket server on a clock stopped at `at` (the
    wall clock would jump the engine from the history's end to today), until SIGTERM."""
    from hmi.paths import socket_path
    from hmi.socket.server import StationServer
    from hmi.station.runtime import Station

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        station = Station(load_config(DEMO), db, clock=lambda: at)
        server = StationServer(station, socket_path(db))
        await server.start()  # the socket first, then the polling and the restore, as `ms5 engine`
        try:
            await station.start()
            await stop.wait()
        finally:
            await server.stop()
            await station.stop()

    asyncio.run(run())
    return 0


def report_s(db: Path, *window: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hmi.cli", "report", str(DEMO), "--db", str(db), *window, "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"ms5 report failed: {done.stderr.strip()}")
    return time.monotonic() - started


def db_mb(db: Path) -> float:
    wal = db.with_name(db.name + "-wal")
    return (db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


def days(config: Config, seed: int, hours: float) -> Iterator[tuple[float, list[Sample]]]:
    """(end, samples) of each simulated day (`hours` long), one after the other."""
    line = PolledLine(config, seed)
    start = T0
    while True:
        samples = line.samples(start, hours)
        start += hours * 3600
        yield start, samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--hours-per-month", type=float, default=720.0, help="simulated hours of a month")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="build the store here and keep it")
    parser.add_argument("--serve", metavar="DB", help=argparse.SUPPRESS)  # the restarted station
    parser.add_argument("--at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(Path(args.serve), args.at)
    config = load_config(DEMO)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ms5-year-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "year.db"
    short = "" if args.hours_per_month >= 720 else f" (SHORT RUN: {args.hours_per_month:g} h a month)"
    print(f"demo line, {args.months} months{short}, store {db}, {os.cpu_count()} cores")
    print("month  rows      import s  db MB (x1)     restart s (x1)   rss MB (x1)", end="")
    print("     shift s (x1)   90 d s (x1)")
    base: tuple[float, ...] | None = None
    day_h = min(24.0, args.hours_per_month)
    per_month = max(round(args.hours_per_month / day_h), 1)
    marks = {per_month * m: str(m) for m in range(1, args.months + 1)}
    if per_month > 7:
        marks |= {1: "d1", 7: "w1"}
    rows = 0
    imported = 0.0
    for day, (end, samples) in zip(
        range(1, per_month * args.months + 1), days(config, args.seed, day_h), strict=False
    ):
        t = time.monotonic()
        with Store.open(db) as store:
            import_journal(config, store, samples)
        imported += time.monotonic() - t
        rows += len(samples)
        if day not in marks:
            continue
        up_s, rss = restart(db)
        shift = report_s(db, "--shift", "previous", "--to", iso(end))
        quarter = report_s(db, "--from", iso(max(T0, end - 90 * 86400)), "--to", iso(end))
        figures = (db_mb(db), up_s, rss, shift, quarter)
        base = base or figures
        cells = "  ".join(f"{f:8.2f} ({f / b:4.2f})" for f, b in zip(figures, base, strict=True))
        print(f"{marks[day]:>5}  {rows:8d}  {imported:8.1f}  {cells}", flush=True)
        rows, imported = 0, 0.0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
