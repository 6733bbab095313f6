"""A station that runs through shifts prunes its engine at each shift end to the previous shift,
its faces' views still answer, and older windows come from the store's figure slices."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.config import load_config
from core.engine import PrunedWindow
from core.replay import Window, replay_result
from core.store import Store
from core.store_figures import StoreFigures
from hmi.station import views
from hmi.station.runtime import Station
from scripts.bench_store_growth import DEMO, T0, polls

pytestmark = pytest.mark.slow  # 18 simulated hours through a real station

HOURS = 18.0  # Early, Late and two hours of Night


def test_a_station_keeps_two_shifts_and_reports_older_ones_from_its_slices(tmp_path: Path) -> None:
    config = load_config(DEMO)
    clock = [T0]
    station = Station(config, tmp_path / "station.db", clock=lambda: clock[0])
    station.open()
    for t, samples in polls(config, 3, 5.0, HOURS):
        clock[0] = t
        station.ingest(samples)
        station.tick()
    engine = station.engine
    assert engine is not None
    now = clock[0]
    # Pruned at 14:00 to the Early shift's start (nothing older yet), at 22:00 to Late's start.
    assert engine.pruned_before == T0 + 8 * 3600
    # The faces' views of this shift and the previous one answer from the pruned engine.
    assert views.oee_view(station, now, previous=True)[0]["shift"]["start"] == T0 + 8 * 3600
    views.oee_view(station, now)
    views.machine_view(station, "FILLER", now)
    views.shift_downtime(station, now, previous=True)
    views.report_view(station, now, previous=True)
    early = Window(T0, T0 + 8 * 3600)
    with pytest.raises(PrunedWindow):
        engine.metrics("FILLER", early.start, early.end)
    asyncio.run(station.stop())
    # The Early shift, which the engine forgot, from the store's slices.
    with Store.open_read_only(tmp_path / "station.db") as store:
        report = replay_result(StoreFigures(config, store.conn, early.start, early.end), early, [])
    assert report["lines"]["L1"]["total_count"] > 10000
