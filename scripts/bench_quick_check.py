"""What the station's start-up costs: a restart from the newest snapshot next to a full replay of
the journal (what every start did before snapshots), PRAGMA quick_check on a big store, and the
full integrity_check of `ms5 verify`.

    python -m scripts.bench_quick_check [--hours 24] [--db FILE]

Without `--db`, a store of `--hours` of the demo line polled every second is written first, by
the real station (scripts.bench_store_growth's paced run). Each figure is the best of `--runs`
on a warm page cache (the file was just written or read; a cold cache after a reboot adds the
time to read the file once).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from core.config import Config, load_config
from core.rebuild import from_journal
from core.store import Store
from scripts.bench_store_growth import DEMO, polls, run_paced


def best(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(db: Path, runs: int) -> None:
    config = load_config(DEMO)
    with Store.open_read_only(db) as store:
        (rows,) = store.conn.execute("SELECT count(*) FROM journal").fetchone()
        quick = best(runs, lambda: store.conn.execute("PRAGMA quick_check").fetchall())
        full = best(runs, lambda: store.conn.execute("PRAGMA integrity_check").fetchall())
        rebuild = best(1, lambda: from_journal(config, store, snapshots=False))
        snapshot = best(runs, lambda: from_journal(config, store))
        read = store.restart_note
    older, older_read = _older_snapshot(config, db, runs)
    size = db.stat().st_size / 1e6
    print(f"store {db.name}: {size:.1f} MB, {rows} journal rows")
    print(f"  rebuild (a full replay, the baseline): {rebuild:6.2f} s")
    print(
        f"  restart from the newest snapshot:      {snapshot:6.2f} s  "
        f"({rebuild / snapshot:.1f}x faster than the full replay; {read})"
    )
    if older is not None:
        print(
            f"  ... from the snapshot before it:       {older:6.2f} s  "
            f"({rebuild / older:.1f}x faster; as after a crash before the stop: {older_read})"
        )
    print(
        f"  quick_check (added at start):          {quick:6.2f} s  ({quick / rebuild:.0%} of the full replay)"
    )
    print(f"  integrity_check (ms5 verify):          {full:6.2f} s")


def _older_snapshot(config: Config, db: Path, runs: int) -> tuple[float | None, str | None]:
    """The restart from the snapshot before the newest journal position (those deleted from a
    copy): what a crash costs, with up to `snapshot_every_min` of journal after the snapshot."""
    with tempfile.TemporaryDirectory(prefix="ms5-older-") as tmp:
        copy = Path(tmp) / "station.db"
        src, dst = sqlite3.connect(db), sqlite3.connect(copy)
        try:
            src.backup(dst)
            with dst:
                newest = "SELECT max(journal_id) FROM snapshots"
                dst.execute(f"DELETE FROM snapshots WHERE journal_id = ({newest})")
            left = dst.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        finally:
            src.close()
            dst.close()
        if not left:
            return None, None
        with Store.open_read_only(copy) as store:
            seconds = best(runs, lambda: from_journal(config, store))
            return seconds, store.restart_note


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench_quick_check", description=__doc__.split("\n")[0]
    )
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours in the store (default 24)")
    p.add_argument("--db", metavar="FILE", help="measure this store instead of writing one")
    p.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    args = p.parse_args(argv)
    if args.hours <= 0 or args.runs < 1:
        p.error("--hours must be positive and --runs at least 1")
    if args.db:
        measure(Path(args.db), args.runs)
        return 0
    config = load_config(DEMO)
    with tempfile.TemporaryDirectory(prefix="ms5-quick-") as tmp:
        db = Path(tmp) / "station.db"
        run_paced(config, db, polls(config, 1, 1.0, args.hours))
        measure(db, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
