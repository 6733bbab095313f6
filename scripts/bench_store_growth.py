"""Store growth: database bytes per line-day, with counters journaled at most once a second
(the station today) against every counter change (the station before core.counter_thinning).

    python -m scripts.bench_store_growth [--hours 2] [--polls 1,0.1] [--seed 1]

The demo line (assets/demo-line.toml, four machines) is simulated by the product's own line model
(connectors.sim.line.LineModel, seeded) for `--hours` of simulated time, polled every P seconds for
each P of `--polls`: at every poll the values of the signals the config binds that changed since
the last poll are the samples, as a connection runner gives them. They are fed, on a manual clock,
to two stations with a fresh SQLite file each:
- paced: hmi.station.runtime.Station itself (ingest, a tick every 0.5 s, stop);
- every change: the same engine and store fed every sample (the station's loop before pacing).
Each file's size after a clean close (the WAL checkpointed into it) is scaled to 24 hours and
printed as MB (10^6 bytes) per line-day, with the journal rows per second and the ratio of the two
files. Then the figures: per hour and over the whole run (hour windows end on whole minutes),
every metric and every per-minute count of every machine of the paced station against the
every-change one, and a rebuild of the paced file against its live engine; any difference is
printed and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from connectors.sim.line import LineModel
from core.config import Config, load_config
from core.engine import Engine
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo-line.toml"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
TICK_S = 0.5


def polls(config: Config, seed: int, poll_s: float, hours: float) -> Iterator[tuple[float, list[Sample]]]:
    """(time, changed samples) at every poll, as a connection runner reports them."""
    model = LineModel(config, seed, T0, history_max=16)
    bound = {(eq.id, b.signal) for line in config.lines for eq in line.equipment for b in eq.signals}
    served: dict[tuple[str, str], float] = {}
    n = round(hours * 3600 / poll_s)
    for k in range(1, n + 1):
        t = T0 + round(k * poll_s, 6)
        changed = []
        for key, value in model.step(t).items():
            if key in bound and served.get(key) != value:
                served[key] = value
                changed.append(Sample(t, key[0], key[1], value))
        yield t, changed


class _Clock:
    t = T0

    def __call__(self) -> float:
        return self.t


def run_paced(config: Config, db: Path, feed: Iterator[tuple[float, list[Sample]]]) -> Engine:
    clock = _Clock()
    station = Station(config, db, clock=clock)
    station.open()
    next_tick = T0
    for t, samples in feed:
        clock.t = t
        station.ingest(samples)
        if t >= next_tick:
            station.tick()
            next_tick = t + TICK_S
    asyncio.run(station.stop())
    assert station.engine is not None
    return station.engine


def run_every_change(config: Config, db: Path, feed: Iterator[tuple[float, list[Sample]]]) -> Engine:
    store = Store.open(db)
    engine = Engine(config)
    store.attach(engine)
    next_tick = t = T0
    for t, samples in feed:
        for s in samples:
            store.append_sample(engine.ingest_one(s))
        if t >= next_tick:
            engine.tick(t)
            store.maybe_flush(t)
            next_tick = t + TICK_S
    engine.tick(t)  # as Station.stop does
    store.close()
    return engine


def rows(db: Path) -> int:
    with Store.open(db) as store:
        return int(store.conn.execute("SELECT count(*) FROM journal").fetchone()[0])


def snapshot_bytes(db: Path) -> int:
    """The pages of the station's snapshots and engine clock (docs/STORE.md, "Snapshots"), and the
    free pages the snapshots deleted leave."""
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('snapshots', 'engine_clock')"
        ).fetchone()
        free = (
            conn.execute("PRAGMA freelist_count").fetchone()[0]
            * conn.execute("PRAGMA page_size").fetchone()[0]
        )
        return int(row[0]) + int(free)
    finally:
        conn.close()


def differences(a: Engine, b: Engine, end: float, label: str) -> list[str]:
    out = []
    windows = [(T0 + h * 3600, min(T0 + (h + 1) * 3600, end)) for h in range(int((end - T0) // 3600) + 1)]
    windows.append((T0, end))
    for eq in a.equipment_ids:
        minutes_a, minutes_b = a.counts_per_bucket(eq, T0 - 60, end), b.counts_per_bucket(eq, T0 - 60, end)
        if minutes_a != minutes_b:
            changed = sum(x != y for x, y in zip(minutes_a, minutes_b, strict=False))
            out.append(f"{label}: {eq} per-minute counts: {changed} minutes differ")
        for w0, w1 in windows:
            if w1 <= w0:
                continue
            ma, mb = a.metrics(eq, w0, w1).to_dict(), b.metrics(eq, w0, w1).to_dict()
            for key in ma:
                if ma[key] != mb[key]:
                    out.append(
                        f"{label}: {eq} [{w0 - T0:.0f} s, {w1 - T0:.0f} s) {key}: {ma[key]} != {mb[key]}"
                    )
    return out


def measure(config: Config, seed: int, poll_s: float, hours: float, folder: Path) -> bool:
    paced_db, old_db = folder / f"paced-{poll_s}.db", folder / f"every-{poll_s}.db"
    paced = run_paced(config, paced_db, polls(config, seed, poll_s, hours))
    old = run_every_change(config, old_db, polls(config, seed, poll_s, hours))
    end = T0 + hours * 3600
    scale = 24 / hours / 1e6
    # The station also keeps its last few snapshots (a fixed size, not growth): left out here.
    snapshots = snapshot_bytes(paced_db)
    size_new = os.path.getsize(paced_db) - snapshots
    size_old = os.path.getsize(old_db) - snapshot_bytes(old_db)
    rows_new, rows_old = rows(paced_db), rows(old_db)
    print(
        f"poll {poll_s * 1000:g} ms: every change {size_old * scale:7.2f} MB/line-day "
        f"({rows_old / (hours * 3600):5.1f} journal rows/s, {size_old / rows_old:4.1f} B/row) | "
        f"paced {size_new * scale:7.2f} MB/line-day ({rows_new / (hours * 3600):5.1f} rows/s) | "
        f"paced/every {size_new / size_old:.2f} (snapshots besides: {snapshots / 1e3:.0f} kB)"
    )
    diffs = differences(paced, old, end, "paced vs every change")
    with Store.open(paced_db) as store:
        rebuilt = rebuild(config, store)
        rebuilt.tick(end)  # ticks are not journaled: the rebuilt clock stops at the last sample
        diffs += differences(rebuilt, paced, end, "rebuild vs live")
    total = sum(paced.metrics(eq, T0, end).total_count for eq in paced.equipment_ids)
    print(
        f"  figures: {len(paced.equipment_ids)} machines x {int(hours) + 1} hour windows + the whole run, "
        f"{total} parts: {'identical' if not diffs else f'{len(diffs)} differences'} "
        "(paced vs every change, and rebuild vs live)"
    )
    for line in diffs[:20]:
        print("   ", line)
    return not diffs


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench_store_growth", description=__doc__.split("\n")[0]
    )
    p.add_argument("--hours", type=float, default=2.0, help="simulated hours per run (default 2)")
    p.add_argument("--polls", default="1,0.1", help="poll intervals in seconds, comma-separated")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    try:
        poll_list = [float(x) for x in args.polls.split(",")]
    except ValueError:
        p.error(f"--polls: {args.polls!r} is not a list of numbers")
    if args.hours <= 0 or any(x <= 0 for x in poll_list):
        p.error("--hours and --polls must be positive")
    config = load_config(DEMO)
    machines = len(config.lines[0].equipment)
    print(f"Store growth: demo line ({machines} machines), {args.hours:g} simulated h, seed {args.seed}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="ms5-growth-") as tmp:
        for poll_s in poll_list:
            ok = measure(config, args.seed, poll_s, args.hours, Path(tmp)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
