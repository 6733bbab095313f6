"""`Station.reload`, the restart inside the process that `ms5 engine` runs on SIGHUP: every sample
already read reaches the journal (counters held by the thinning included), every acknowledged
command comes back, the new config is the station's; a store that cannot write refuses it and the
old config runs on. In-process, on a manual clock; the real process is tests/test_config_reload.py."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from core.config import Config, parse_config
from core.samples import Sample
from core.store import StoreError
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = (ROOT / "tests" / "data" / "reference.toml").read_text()
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00


def config(threshold: int = 120) -> Config:
    text = REFERENCE.replace("small_stop_threshold_s = 120", f"small_stop_threshold_s = {threshold}")
    return parse_config(text, Path("line.toml"))


def journal(station: Station) -> list[Sample]:
    assert station.store is not None
    conn = sqlite3.connect(station.db_path)
    try:
        rows = conn.execute(
            "SELECT ts, equipment, signal, value FROM journal WHERE command IS NULL"
        ).fetchall()
    finally:
        conn.close()
    return [Sample(ts, eq, signal, value) for ts, eq, signal, value in rows]


def test_reload_keeps_what_was_read_and_acknowledged_and_runs_on_the_new_config(tmp_path: Path) -> None:
    clock = [T0]

    async def run() -> None:
        station = Station(config(), tmp_path / "station.db", clock=lambda: clock[0])
        station.open()
        await station.start()
        try:
            assert station.gate is not None
            station.ingest([Sample(T0, "FILLER", "running", 1.0), Sample(T0, "FILLER", "total_count", 0.0)])
            await station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "safety"})
            clock[0] = T0 + 10.2
            station.ingest([Sample(T0 + 10.0, "FILLER", "total_count", 20.0)])
            # Counters of the current second are still held by the thinning when the reload comes.
            clock[0] = T0 + 10.4
            station.ingest([Sample(T0 + 10.3, "FILLER", "total_count", 21.0)])

            # A store that cannot write refuses the reload before anything stops.
            assert station.store is not None
            station.store.conn.execute("PRAGMA query_only = 1")
            with pytest.raises(StoreError):
                await station.reload(config(threshold=60))
            assert station.config.lines[0].small_stop_threshold_s == 120
            station.store.conn.execute("PRAGMA query_only = 0")

            await station.reload(config(threshold=60))
            assert station.config.lines[0].small_stop_threshold_s == 60
            assert station.engine is not None and station.engine.config is station.config
            assert [(c.equipment, c.kind) for c in station.engine.andon.active()] == [("FILLER", "safety")]
            assert station.engine.metrics("FILLER", T0, T0 + 11).total_count == 21
            counted = [s.value for s in journal(station) if s.signal == "total_count"]
            assert counted[-1] == 21.0
            # Counting goes on from where it was: nothing twice.
            clock[0] = T0 + 12.5
            station.ingest([Sample(T0 + 12.0, "FILLER", "total_count", 25.0)])
            station.tick()
            assert station.engine.metrics("FILLER", T0, T0 + 13).total_count == 25
        finally:
            await station.stop()

    asyncio.run(run())
