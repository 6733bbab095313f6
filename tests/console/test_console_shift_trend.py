"""The OEE screen's last 14 days by shift and its top insight: the station's `shift_trend` view
over a store holding the hand-worked two days of tests/test_trend_cli.py (imported with
`ms5 import-journal`), in process and over the station socket, and through the console's pilot.

The days (shifts Early 06-14, Late 14-22, 8 h planned each, ideal cycle 0.5 s): Monday Early 50000
parts and a 15 min jam, Monday Late 50000 parts, a 20 min jam and two small stops; Tuesday Early
40000 parts and a 40 min drive fault, Tuesday Late 40000 parts and six small stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from core.config import load_config
from hmi.console.app import ConsoleApp
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from hmi.station.trend_view import NO_HISTORY, cache_of
from tests.console.conftest import ManualClock
from tests.console.screen import SIZE, settle
from tests.test_trend_cli import _store

pytestmark = pytest.mark.asyncio

WEDNESDAY_6 = datetime.fromisoformat("2026-03-04T06:00:00+01:00").timestamp()
PLANNED = 8 * 3600.0
# OEE of a shift = ideal time of its good parts / its planned time (no rejects: quality 1).
OEE = {
    "2026-03-02 Early": 50000 * 0.5 / PLANNED,
    "2026-03-02 Late": 50000 * 0.5 / PLANNED,
    "2026-03-03 Early": 40000 * 0.5 / PLANNED,
    "2026-03-03 Late": 40000 * 0.5 / PLANNED,
}
SMALL_STOPS = (
    "Small stops on FILLER in 2026-03-03 Late: 6, against none in 2026-03-03 Early (6 min 00 s against 0 s)"
)


def _open(cfg: Path, db: Path, clock: ManualClock) -> Iterator[Station]:
    station = Station(load_config(cfg), db, clock=clock)
    station.open()
    yield station
    assert station.store is not None
    station.store.close()


@pytest.fixture
def history(tmp_path: Path) -> Iterator[tuple[Station, ManualClock]]:
    cfg, db = _store(tmp_path / "h")
    clock = ManualClock(WEDNESDAY_6)
    yield from ((s, clock) for s in _open(cfg, db, clock))


@pytest.fixture
def no_history(tmp_path: Path) -> Iterator[Station]:
    """A station on the same line whose store has seen nothing yet."""
    cfg, _db = _store(tmp_path / "h")
    yield from _open(cfg, tmp_path / "empty.db", ManualClock(WEDNESDAY_6))


@pytest_asyncio.fixture
async def remote(history: tuple[Station, ManualClock]) -> AsyncIterator[RemoteLink]:
    station, _clock = history
    server = StationServer(station, socket_path(station.db_path))
    await server.start()
    link = await RemoteLink.connect(server.path)
    try:
        yield link
    finally:
        await link.close()
        await server.stop()


def _oee(view: dict[str, Any]) -> dict[str, float]:
    (line,) = view["lines"]
    return {s["period"]: s["oee"] for s in line["shifts"]}


async def test_the_view_holds_each_closed_shift_and_the_top_insight(
    history: tuple[Station, ManualClock],
) -> None:
    station, _clock = history
    view = await LocalLink(station).view("shift_trend")
    assert view["note"] is None
    assert _oee(view) == pytest.approx(OEE)
    (line,) = view["lines"]
    monday_early = line["shifts"][0]
    assert monday_early["availability"] == pytest.approx((PLANNED - 15 * 60) / PLANNED)
    assert monday_early["quality"] == 1.0
    (top,) = view["insights"]
    assert top["rule"] == "small_stops_up" and top["text"] == SMALL_STOPS
    assert top["figures"]["small_stop_count"] == 6


async def test_the_socket_gives_a_console_the_same_view(
    history: tuple[Station, ManualClock], remote: RemoteLink
) -> None:
    station, _clock = history
    assert await remote.view("shift_trend") == await LocalLink(station).view("shift_trend")


async def test_the_store_is_read_once_per_closed_shift(history: tuple[Station, ManualClock]) -> None:
    station, clock = history
    link = LocalLink(station)
    await link.view("shift_trend")
    clock.t = WEDNESDAY_6 + 3600  # inside Wednesday's Early shift: nothing closed since
    await link.view("shift_trend")
    assert cache_of(station).computed == 1
    clock.t = WEDNESDAY_6 + 8 * 3600 + 60  # Wednesday's Early shift has closed
    await link.view("shift_trend")
    assert cache_of(station).computed == 2


async def test_faces_asking_while_it_is_read_share_one_read(
    history: tuple[Station, ManualClock], remote: RemoteLink
) -> None:
    station, _clock = history
    here, there = await asyncio.gather(LocalLink(station).view("shift_trend"), remote.view("shift_trend"))
    assert here == there and _oee(here) == pytest.approx(OEE)
    assert cache_of(station).computed == 1


async def test_a_store_with_no_closed_shift_says_so(no_history: Station) -> None:
    view = await LocalLink(no_history).view("shift_trend")
    assert view["note"] == NO_HISTORY
    assert view["insights"] == [] and view["lines"][0]["shifts"] == []
    app = ConsoleApp(LocalLink(no_history))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        text = await settle(pilot)
    assert f"  {NO_HISTORY}" in text
    assert "Traceback" not in text and "Insight" not in text


async def test_the_oee_screen_shows_the_shifts_and_the_insight(history: tuple[Station, ManualClock]) -> None:
    station, _clock = history
    app = ConsoleApp(LocalLink(station))
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        await pilot.press("5")
        text = await settle(pilot)
    assert "Last 14 days by shift" in text
    # Four bars, Monday's two (86.8 %) above Tuesday's (69.4 %), then the last shift's figures.
    assert "L1        ▇▇▆▆  last 2026-03-03 Late: OEE 69.4% (A 100.0% P 69.4% Q 100.0%)" in text
    assert f"Insight: {SMALL_STOPS} [2026-03-03 Late against 2026-03-03 Early]" in text


async def test_the_oee_screen_does_not_ask_for_the_14_days_every_refresh(
    history: tuple[Station, ManualClock],
) -> None:
    station, _clock = history
    asked: list[str] = []
    link = LocalLink(station)
    view = link.view

    async def counting(name: str, **args: Any) -> Any:
        asked.append(name)
        return await view(name, **args)

    link.view = counting  # type: ignore[method-assign]
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        for _ in range(3):
            await settle(pilot)
    assert asked.count("oee") >= 3
    assert asked.count("shift_trend") == 1
