"""`ms5 trend` over 90 days of figure slices, by shift, day and week.

    python -m scripts.bench_trend [--hours 25] [--poll 10] [--seed 1] [--days 90]

The demo line (assets/demo-line.toml, four machines, three shifts a day) is simulated for
`--hours` into a store as scripts/bench_report does, and its first whole day of figure slices is
copied day after day for `--days` days (bench_report.copy_days). Then `ms5 trend --json` runs in
this process over every day, by shift (with `--compare same-last-week`), by day and by week (with
`--compare previous`), and for every equipment by shift; printed: the seconds each took and its
rows and insights. Last, the station view `shift_trend` (the console's 14 days by shift,
hmi/station/trend_view.py) of a station opened on that store: its first ask, which reads the
store (in a worker thread, awaited), and a second in the same shift, which is kept. The copied
days keep the first day's UTC offset, so the trend reads them with the demo's config at a fixed
offset (Etc/GMT-1, which is +01:00 like Berlin in March): a daylight saving change inside the 90
days would otherwise move the shifts off the copied slices. The copies keep the first day's
small-stop times too, so a week counts one day's small stops (the figures are for timing, not to
read).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import load_config
from core.store_figures import closed_slices
from hmi.cli.main import main as ms5
from hmi.station.link import answer_view
from hmi.station.runtime import Station
from scripts.bench_report import copy_days
from scripts.bench_store_growth import DEMO, polls, run_every_change


def timed_trend(*argv: str) -> tuple[float, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ms5(["trend", *argv, "--json"])
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"ms5 trend {' '.join(argv)} exited {code}: {err.getvalue().strip()}")
    result: dict[str, Any] = json.loads(out.getvalue())
    return seconds, result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_trend", description=__doc__.split("\n")[0])
    p.add_argument("--hours", type=float, default=25.0, help="simulated hours (default 25: a whole day)")
    p.add_argument("--poll", type=float, default=10.0, help="poll interval in seconds (default 10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int, default=90, help="days of copied slices (default 90)")
    args = p.parse_args(argv)
    if args.hours < 25 or args.poll <= 0 or args.days < 1:
        p.error("--hours must be at least 25 (a whole first day to copy), --poll positive, --days >= 1")
    config = load_config(DEMO)
    print(
        f"Trend: demo line ({len(config.lines[0].equipment)} machines), {args.days} days of figure "
        f"slices (the first of {args.hours:g} simulated h, poll {args.poll:g} s, copied)"
    )
    with tempfile.TemporaryDirectory(prefix="ms5-trend-") as tmp:
        db = Path(tmp) / "station.db"
        run_every_change(config, db, polls(config, args.seed, args.poll, args.hours))
        copy_days(db, args.days)
        fixed = Path(tmp) / "demo-fixed-offset.toml"
        fixed.write_text(DEMO.read_text().replace('"Europe/Berlin"', '"Etc/GMT-1"'))
        base = (str(fixed), "--db", str(db))
        runs = [
            ("by shift", ("--by", "shift")),
            ("by shift, same shift last week", ("--by", "shift", "--compare", "same-last-week")),
            ("by day, previous", ("--by", "day", "--compare", "previous")),
            ("by week, previous", ("--by", "week", "--compare", "previous")),
            ("all equipment by shift", ("--by", "shift", "--all-equipment")),
        ]
        for name, extra in runs:
            seconds, result = timed_trend(*base, *extra)
            print(
                f"  {name:<31}: {seconds:6.3f} s, {len(result['rows']):5d} rows, "
                f"{len(result['insights'])} insight(s)"
            )
        first, second, shifts = timed_view(fixed, db)
        print(f"  {'view shift_trend (14 days)':<31}: {first:6.3f} s, {shifts:5d} rows, kept: {second:.6f} s")
    return 0


def timed_view(config: Path, db: Path) -> tuple[float, float, int]:
    """Seconds of the first and of a second ask of `shift_trend` at the last closed slice, and
    the shifts of the first line it holds."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        held = closed_slices(conn)
    assert held is not None
    now = held[1]
    station = Station(load_config(config), db, clock=lambda: now)
    station.open()
    assert station.store is not None

    async def ask() -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        view = await answer_view(station, "shift_trend", {})
        return time.perf_counter() - start, view

    try:
        first, view = asyncio.run(ask())
        second, _same = asyncio.run(ask())
        return first, second, len(view["lines"][0]["shifts"])
    finally:
        station.store.close()


if __name__ == "__main__":
    sys.exit(main())
