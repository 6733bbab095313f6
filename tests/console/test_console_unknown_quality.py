"""The OEE screen when a bound reject counter never had a good value: quality and OEE are a dash,
the OEE is marked and the reason is said (docs/OEE.md, "Data quality")."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from core.journal import read_journal
from core.samples import Quality, Sample
from hmi.console.app import ConsoleApp
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.console.conftest import DEMO_CONFIG, DEMO_JOURNAL, NOW, ManualClock
from tests.console.screen import SIZE, settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


def station_without_fillers_rejects(folder: Path) -> Station:
    cfg = load_config(DEMO_CONFIG)
    samples = [
        s
        for s in read_journal(DEMO_JOURNAL, cfg)
        if s.ts <= NOW and not (s.equipment == "FILLER" and s.signal == "reject_count")
    ]
    clock = ManualClock(samples[0].ts)
    station = Station(cfg, folder / "station.db", clock=clock)
    station.open()
    station.ingest([Sample(samples[0].ts, "FILLER", "reject_count", None, Quality.BAD), *samples])
    clock.t = NOW
    station.tick()
    return station


async def test_unknown_quality_is_a_dash_with_a_mark_and_its_reason(tmp_path: Path) -> None:
    app = ConsoleApp(LocalLink(station_without_fillers_rejects(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        text = await settle(pilot)
    filler = next(row for row in text.splitlines() if row.lstrip().startswith("FILLER "))  # its table row
    # Machine, OEE, Avail, Perf, Qual, ...: OEE and quality unknown, availability and performance not.
    cells = filler.split()
    assert cells[1] == "-!"
    assert cells[2].endswith("%") and cells[3].endswith("%")
    assert cells[4] == "-"
    assert "! quality unknown: no good value of good_count or reject_count" in text
