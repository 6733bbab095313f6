"""The tables of `ms5 export` read from the store's projections are those of the journal replayed
through one engine (the export's earlier source, `Engine.timeline` and its count buckets), row
for row: on shift edges, off the minute inside a shift, and over a whole day with its night."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import COMMS_LOSS_REASON, load_config
from core.export_projected import projected_tables
from core.export_tables import Table
from core.timefmt import parse_time
from hmi.cli.export import replayed_tables
from hmi.cli.people import read_store
from scripts.demo_station import DEMO_CONFIG, PINS, at, replayed_station

pytestmark = pytest.mark.slow  # the demo journal through a station

CONFIG = load_config(DEMO_CONFIG)
NOTE = "jam at the infeed"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("export-projected") / "station.db"
    station, clock = replayed_station(path)
    engine, gate = station.engine, station.gate
    assert engine is not None and gate is not None
    # A note on a stop of the morning, given at the end of the history (the engine's time).
    events = engine.downtime_events("FILLER", at("07:00"), clock.now)
    stop = next(ev for ev in events if ev.reason != COMMS_LOSS_REASON)
    args = {"equipment": "FILLER", "at": stop.start + 1.0, "text": NOTE}
    asyncio.run(gate.run("note_stop", args, user="mia", pin=PINS["mia"]))
    asyncio.run(station.stop())
    yield path


def tables(db: Path, start: str, end: str) -> tuple[list[Table], list[Table]]:
    tz = CONFIG.lines[0].tz
    a, b = parse_time(start, tz), parse_time(end, tz)
    with read_store(str(db)) as store:
        projected = projected_tables(CONFIG, store, a, b)
        replayed = replayed_tables(CONFIG, store, a, b)
    assert projected is not None
    return projected, replayed


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02T06:00", "2026-03-02T12:30"),
        ("2026-03-02T00:00", "2026-03-03T00:00"),
        ("2026-03-02T07:10:30.5", "2026-03-02T12:20:15"),
    ],
)
def test_the_projected_tables_are_the_replayed_ones(db: Path, start: str, end: str) -> None:
    projected, replayed = tables(db, start, end)
    assert [t.name for t in projected] == [t.name for t in replayed]
    for p, r in zip(projected, replayed, strict=True):
        assert p.header == r.header, p.name
        assert p.rows == r.rows, p.name
    names = {t.name: t for t in projected}
    # The demo's morning holds every kind of stretch the categories tell apart.
    categories = Counter(row[5] for row in names["state_intervals"].rows)
    assert {"running", "down", "small_stop"} <= set(categories), categories
    assert names["downtime_events"].rows and names["andon_calls"].rows
    assert [row[7] for row in names["downtime_events"].rows if row[7]] == [NOTE]
