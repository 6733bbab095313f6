"""A station's store with a few simulated days in it, and the figures `ms5 replay` gives of it:
what the retention and backup tests archive, copy and compare.

The demo line's own model (connectors.sim.line.LineModel, seeded) runs from Monday 2026-03-02
05:00 UTC for `days` days, polled every `poll_s` seconds, into a real Station on a manual clock
(as scripts/bench_store_growth does); every `call_every_h` hours an Andon call is raised at the
FILLER, journaled and applied as the command gate does, so the journal holds commands too.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from core.config import Config, load_config
from hmi.station.runtime import Station
from scripts.bench_store_growth import DEMO, T0, polls
from tests.cli_runs import run_in_process

DAY_S = 86400.0


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def demo_config() -> Config:
    return load_config(DEMO)


def build_store(db: Path, *, days: float = 3.5, poll_s: float = 20.0, call_every_h: float = 9.0) -> float:
    """Write the simulated days into the store at `db`; the simulated time at the end."""
    config = demo_config()
    clock = Clock(T0)
    station = Station(config, db, clock=clock)
    station.open()
    assert station.engine is not None and station.store is not None
    next_call = T0 + call_every_h * 3600
    for t, samples in polls(config, 1, poll_s, days * 24):
        clock.t = t
        station.ingest(samples)
        station.tick()
        if t >= next_call:
            args = {"equipment": "FILLER", "kind": "maintenance", "note": f"call at {t:.0f}"}
            station.store.append_command(t, None, "raise_andon", args)
            station.engine.command("raise_andon", args, t, None)
            next_call += call_every_h * 3600
    asyncio.run(station.stop())
    # The station wrote its snapshots; the tests say which journal positions they reflect.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM snapshots")
    conn.close()
    return clock.t


def add_snapshot(db: Path, journal_id: int) -> None:
    """A snapshot row at `journal_id`: the journal position a snapshot reflects is all retention
    reads of it (its body is a stand-in of format version 0, which a restart would skip)."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO snapshots(journal_id, ts, version, checksum, body) VALUES (?, 0, 0, '', x'')",
            (journal_id,),
        )
    conn.close()


def journal_ids(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM journal ORDER BY id")]
    conn.close()
    return ids


def replay_figures(*journals: str | Path, actions: tuple[str | Path, ...] = ()) -> dict[str, object]:
    """`ms5 replay --json` of the demo line over the journals, as a user runs it."""
    args = [str(DEMO), *map(str, journals), "--json"]
    for a in actions:
        args += ["--actions", str(a)]
    out = run_in_process("replay", *args)
    assert out.returncode == 0, out.stderr
    figures: dict[str, object] = json.loads(out.stdout)
    return figures


def export(db: Path, folder: Path, name: str = "rest") -> tuple[Path, Path]:
    """`ms5 export-journal` of what the database holds: its journal and its commands."""
    journal, actions = folder / f"{name}.csv", folder / f"{name}.jsonl"
    out = run_in_process("export-journal", "--db", str(db), "-o", str(journal), "--actions", str(actions))
    assert out.returncode == 0, out.stderr
    return journal, actions
