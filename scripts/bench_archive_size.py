"""Archive size: the gzip day files of retention against the journal rows they replace.

    python -m scripts.bench_archive_size [--days 2] [--poll 1] [--seed 1]

The demo line (assets/demo-line.toml, four machines) simulated by the product's line model for
`--days` days from Monday 2026-03-02 05:00 UTC, polled every `--poll` seconds, fed on a manual
clock to the real Station (as scripts/bench_store_growth does). A snapshots row reflecting the
whole journal stands in for the engine's own, and every day that is over moves into the archive
(core.store_archive, journal_days = 1 on a clock a day after the end). The baseline, measured in
the same run: the database VACUUMed before archiving and again after it; what it lost is what the
archived journal rows took. Printed: both, the archive files' bytes, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from core.config import load_config
from core.store_archive import Archiver, archive_folder
from hmi.station.runtime import Station
from scripts.bench_store_growth import DEMO, T0, polls

DAY_S = 86400.0


class _Clock:
    t = T0

    def __call__(self) -> float:
        return self.t


def _vacuumed_size(db: Path) -> int:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return db.stat().st_size


def run(days: float, poll_s: float, seed: int, folder: Path) -> None:
    db = folder / "station.db"
    config = load_config(DEMO)
    clock = _Clock()
    station = Station(config, db, clock=clock)
    station.open()
    started = time.perf_counter()
    for t, samples in polls(config, seed, poll_s, days * 24):
        clock.t = t
        station.ingest(samples)
        station.tick()
    asyncio.run(station.stop())
    print(f"simulated {days:g} days at a {poll_s:g} s poll in {time.perf_counter() - started:.0f} s")
    with sqlite3.connect(db) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM journal").fetchone()
        conn.execute(
            "INSERT INTO snapshots(journal_id, ts, version, checksum, body) "
            "SELECT max(id), 0, 0, '', x'' FROM journal"
        )
    conn.close()
    before = _vacuumed_size(db)
    started = time.perf_counter()
    archived = Archiver(db, journal_days=1, clock=lambda: clock.t + DAY_S).run()
    took = time.perf_counter() - started
    after = _vacuumed_size(db)
    moved = sum(d.rows for d in archived)
    if not moved:
        raise SystemExit("no day is over in the simulated time: give --days 1.5 or more")
    files = sum(p.stat().st_size for p in archive_folder(db).iterdir())
    print(f"journal rows: {rows}, archived {moved} ({', '.join(d.name for d in archived)}) in {took:.1f} s")
    print(f"database (vacuumed): {before / 1e6:.2f} MB before archiving, {after / 1e6:.2f} MB after")
    took_db = before - after
    print(f"the archived rows took {took_db / 1e6:.2f} MB in the database ({took_db / moved:.1f} B/row)")
    print(f"archive files: {files / 1e6:.2f} MB ({files / moved:.1f} B/row)")
    print(f"RATIO database bytes / archive bytes: {(before - after) / files:.1f}x")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench_archive_size", description=__doc__.split("\n")[0]
    )
    p.add_argument("--days", type=float, default=2.0, help="simulated days (default 2)")
    p.add_argument("--poll", type=float, default=1.0, help="poll period, s (default 1)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run(args.days, args.poll, args.seed, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
