"""`ms5 export` of the last 30 days of the demo line: CSV, XLSX and Parquet, against `ms5 report
--json` of the same window (and, with `--replay`, against the export's earlier source: the
whole journal replayed through one engine), measured in the same run.

    python -m scripts.bench_export [--days 31] [--keep DIR] [--replay]

The demo line (assets/demo-line.toml) is simulated a day at a time, polled once a second, and
written into one store by `ms5 import-journal`'s code, as scripts/bench_year does (its
`days` and `core.journal_import`: projections, figure slices, snapshots, pruning). With `--keep
DIR` the store is built in DIR and kept, and a store already there is used as it is. Each
command runs as a process (`python -m hmi.cli`), Python's start included, as a user meets it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.config import load_config
from core.journal_import import import_journal
from core.store import Store
from core.store_figures import closed_slices
from core.timefmt import iso
from scripts.bench_year import DEMO, ROOT, days

WINDOW_DAYS = 30


def build(db: Path, n_days: int) -> None:
    config = load_config(DEMO)
    started = time.monotonic()
    for day, (_end, samples) in zip(range(1, n_days + 1), days(config, 1, 24.0), strict=False):
        with Store.open(db) as store:
            import_journal(config, store, samples)
        print(f"  day {day:2d}: {len(samples)} journal rows, {time.monotonic() - started:6.1f} s", flush=True)


def journal_span(db: Path) -> tuple[float, int]:
    """(the end of the last figure slice every machine closed, the journal's rows): a window
    on slice edges, as a month is, needs no engine for pieces at its edges."""
    conn = sqlite3.connect(db)
    try:
        held = closed_slices(conn)
        assert held is not None, "the store has no closed figure slice"
        (rows,) = conn.execute("SELECT count(*) FROM journal").fetchone()
        return held[1], int(rows)
    finally:
        conn.close()


def timed(*argv: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hmi.cli", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"ms5 {argv[0]} failed: {done.stderr.strip()}")
    return seconds


def timed_replay(db: Path, a: float, b: float) -> float:
    """The tables as `ms5 export` built them before it read the projections (in this process)."""
    from hmi.cli.export import replayed_tables
    from hmi.cli.people import read_store

    started = time.monotonic()
    with read_store(str(db)) as store:
        replayed_tables(load_config(DEMO), store, a, b)
    return time.monotonic() - started


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else list(path.iterdir())
    return sum(f.stat().st_size for f in files) / 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_export", description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=WINDOW_DAYS + 1, help="simulated days (default 31)")
    p.add_argument("--keep", metavar="DIR", help="build the store here and keep it (or use the one there)")
    p.add_argument("--replay", action="store_true", help="also time the whole journal replayed (minutes)")
    args = p.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ms5-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "month.db"
    load = os.getloadavg()
    print(f"Export: demo line, store {db}, {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")
    if not db.exists():
        build(db, args.days)
    end, rows = journal_span(db)
    start = end - WINDOW_DAYS * 86400.0
    window = ("--from", iso(start), "--to", iso(end))
    print(f"  {rows} journal rows, {size_mb(db):.0f} MB; window {window[1]} .. {window[3]}")
    base = (str(DEMO), "--db", str(db), *window)
    report = timed("report", *base, "--json")
    print(f"  {'ms5 report --json (baseline)':<34}: {report:7.2f} s")
    formats = [("csv", "csv"), ("xlsx", "month.xlsx")]
    if importlib.util.find_spec("pyarrow") is not None:
        formats.append(("parquet", "parquet"))
    for fmt, name in formats:
        out = folder / "out" / name
        seconds = timed("export", *base, "--format", fmt, "-o", str(out))
        print(
            f"  {'ms5 export --format ' + fmt:<34}: {seconds:7.2f} s ({seconds / report:4.2f}x report), "
            f"{size_mb(out):6.1f} MB"
        )
    if args.replay:
        seconds = timed_replay(db, start, end)
        print(f"  {'the journal replayed (old export)':<34}: {seconds:7.2f} s")
    load = os.getloadavg()
    print(f"  load average at the end {load[0]:.2f} {load[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
