"""`ms5 report` from the figure slices against `ms5 report --replay` of the same window.

    python -m scripts.bench_report [--hours 48] [--poll 1] [--seed 1] [--synthetic-days 90]

The demo line (assets/demo-line.toml, four machines) is simulated by the product's own line model
for `--hours` (as scripts/bench_store_growth does) and fed, polled every `--poll` seconds, to an
engine and its store on a manual clock, so the store holds its journal and its projections. Then
`ms5 report --json` runs in this process for three windows, the last whole shift, that shift with
its edges moved inside an hour (7 min 17.5 s later, 23 min 0.25 s earlier: pieces of slices at
both edges) and the whole history (every closed slice), once from the figure slices and once with
--replay (the journal through an engine, as `ms5 report` did before the slices); printed: the
seconds each took, their ratio, and whether the two JSON objects are the same figures. The exit
status is 1 if they differ. With `--synthetic-days N` the first whole day's slices are then
copied day after day and a report over the N days is timed (figures not compared: the journal is
not copied).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.calendar import ShiftCalendar
from core.config import load_config
from core.figure_slices import edge_at_or_before
from core.store import Store
from core.store_figures import closed_slices
from core.timefmt import iso
from hmi.cli.main import main as ms5
from scripts.bench_store_growth import DEMO, T0, polls, run_every_change


def timed_report(*argv: str) -> tuple[float, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ms5(["report", *argv, "--json"])
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"ms5 report {' '.join(argv)} exited {code}: {err.getvalue().strip()}")
    result: dict[str, Any] = json.loads(out.getvalue())
    return seconds, result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_report", description=__doc__.split("\n")[0])
    p.add_argument("--hours", type=float, default=48.0, help="simulated hours of history (default 48)")
    p.add_argument("--poll", type=float, default=1.0, help="poll interval in seconds (default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--synthetic-days",
        type=int,
        default=0,
        help="then time a report over this many days of slices made by copying the first day",
    )
    args = p.parse_args(argv)
    if args.hours < 10 or args.poll <= 0 or args.synthetic_days < 0:
        p.error("--hours must be at least 10 (a whole shift closed), --poll positive")
    if args.synthetic_days and args.hours < 25:
        p.error("--synthetic-days needs --hours 25 or more (a whole first day to copy)")
    config = load_config(DEMO)
    line = config.lines[0]
    print(
        f"Report: demo line ({len(line.equipment)} machines), {args.hours:g} simulated h, "
        f"poll {args.poll:g} s"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="ms5-report-") as tmp:
        db = Path(tmp) / "station.db"
        t = time.perf_counter()
        run_every_change(config, db, polls(config, args.seed, args.poll, args.hours))
        with Store.open_read_only(db) as store:
            held = closed_slices(store.conn)
            journal_rows = store.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
            slice_rows = store.conn.execute("SELECT count(*) FROM figure_slices").fetchone()[0]
        assert held is not None
        first, closed = held
        print(
            f"  store: {journal_rows} journal rows, {slice_rows} figure slices, built in "
            f"{time.perf_counter() - t:.1f} s"
        )
        shifts = [o for o in ShiftCalendar(line).occurrences(T0, closed) if o.end <= closed]
        # From the slice edge the history begins in: the seconds before the first poll are no data
        # in both reports.
        start = edge_at_or_before(ShiftCalendar(line), first)
        last = shifts[-1]
        windows = [
            ("last shift", last.start, last.end),
            # Edges inside an hour: the pieces there from an engine (no snapshot here holds them:
            # the whole journal), the slices between.
            ("shift, odd", last.start + 437.5, last.end - 1380.25),
            ("whole history", start, closed),
        ]
        for name, a, b in windows:
            window = ("--from", iso(a, line.tz), "--to", iso(b, line.tz))
            base = (str(DEMO), "--db", str(db), *window)
            sliced_s, sliced = timed_report(*base)
            replay_s, replayed = timed_report(*base, "--replay")
            same = sliced == replayed
            ok = ok and same
            print(
                f"  {name:<13} ({(b - a) / 3600:5.1f} h): slices {sliced_s:6.3f} s | "
                f"replay {replay_s:6.3f} s | "
                f"replay/slices {replay_s / sliced_s:6.1f}x | same figures: {'yes' if same else 'NO'}"
            )
        if args.synthetic_days:
            synthetic_s = synthetic(db, args.synthetic_days)
            print(
                f"  {args.synthetic_days} synthetic days of slices (each day the measured store's first "
                f"whole day again; figures not compared): slices {synthetic_s:6.3f} s"
            )
    return 0 if ok else 1


def synthetic(db: Path, days: int) -> float:
    """`ms5 report` over `days` days of figure slices: the first whole day's slices and calls
    copied day after day, to time a long report (the journal is not copied; no replay)."""
    copy_days(db, days)
    line = load_config(DEMO).lines[0]
    window = ("--from", iso(T0, line.tz), "--to", iso(T0 + days * 86400.0, line.tz))
    seconds, _result = timed_report(str(DEMO), "--db", str(db), *window)
    return seconds


def copy_days(db: Path, days: int) -> None:
    """The store's figure slices made `days` days long: its first whole day's copied day after day."""
    day = 86400.0
    with Store.open(db) as store:
        conn = store.conn
        rows = conn.execute(
            'SELECT equipment, start, "end", body FROM figure_slices WHERE start >= ? AND "end" <= ?',
            (T0, T0 + day),
        ).fetchall()
        firsts = {eq: min(s for e, s, _end, _b in rows if e == eq) for eq, _s, _e, _b in rows}
        with conn:
            conn.execute("DELETE FROM figure_slices")
            for k in range(days):
                conn.executemany(
                    'INSERT INTO figure_slices(equipment, start, "end", body) VALUES (?, ?, ?, ?)',
                    # The first slice starts at the first poll: stretched back to the day's start.
                    [
                        (eq, (T0 if s == firsts[eq] else s) + k * day, e + k * day, body)
                        for eq, s, e, body in rows
                    ],
                )


if __name__ == "__main__":
    sys.exit(main())
