"""A station with fixed data and a fixed clock for the console's tests.

The demo line's recorded shift (assets/demo-journal.csv) is fed into a real Station with a real
SQLite file up to 13:30 of the Early shift; nothing polls, so the connections are real runners
whose health figures are set by hand. Every test sees the same screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from connectors.base import ConnectionRunner, ConnectionState
from connectors.registry import build_drivers
from core.auth import UserStore
from core.config import load_config
from core.journal import read_journal
from hmi.station.link import LocalLink
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "assets" / "demo-line.toml"
DEMO_JOURNAL = ROOT / "assets" / "demo-journal.csv"
NOW = datetime.fromisoformat("2026-03-02T13:30:00+01:00").timestamp()

USERS = {"sam": ("supervisor", "1470"), "mia": ("maintenance", "1357"), "otto": ("operator", "2468")}


class ManualClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def demo_station(folder: Path) -> tuple[Station, ManualClock]:
    cfg = load_config(DEMO_CONFIG)
    samples = [s for s in read_journal(DEMO_JOURNAL, cfg) if s.ts <= NOW]
    # The station opens when the recording starts, so the engine's clock never runs backwards.
    clock = ManualClock(samples[0].ts)
    station = Station(cfg, folder / "station.db", clock=clock)
    station.open()
    for sample in samples:
        clock.t = sample.ts
        station.ingest([sample])
    clock.t = NOW
    station.tick()
    assert station.store is not None and station.gate is not None
    users = UserStore(station.store.conn)
    for name, (role, pin) in USERS.items():
        users.add(name, role, pin, NOW)
    asyncio.run(
        station.gate.run(
            "raise_andon", {"equipment": "FILLER", "kind": "maintenance", "note": "leak at the infeed"}
        )
    )
    _fixed_connections(station)
    return station, clock


def _fixed_connections(station: Station) -> None:
    """Real runners that never run, with health figures as a polling station would have them."""
    station.runners = [
        ConnectionRunner(d, station.ingest, clock=station.clock) for d in build_drivers(station.config)
    ]
    for i, runner in enumerate(station.runners):
        d = runner.diagnostics
        d.polls = 7200 + i
        d.poll_times.extend(NOW - 10 + 0.5 * k for k in range(21))
        d.latencies.extend(0.002 + 0.001 * i + 0.0001 * k for k in range(100))
        d.last_good = NOW - 0.4
        d.state = ConnectionState.CONNECTED
    failed = station.runners[2].diagnostics
    failed.state = ConnectionState.FAILED
    failed.reconnects = 3
    failed.last_error = "connection refused by 127.0.0.1:11102"
    failed.last_good = NOW - 95


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    st, _clock = demo_station(tmp_path)
    yield st
    for runner in st.runners:
        if runner._executor is not None:
            runner._executor.shutdown(wait=False)
    assert st.store is not None
    st.store.close()


@pytest_asyncio.fixture
async def link(station: Station) -> AsyncIterator[LocalLink]:
    yield LocalLink(station)
