"""How the console paces its requests to the station (docs/CONSOLE.md, "Staying light over SSH").

A `HeldLink` answers a view with the figures of the moment it was asked, but only once the test
lets it go: a refresh stays in flight as long as the test wants, and figures that change meanwhile
can only reach the screen through a later refresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from core.samples import Quality, Sample
from hmi.console.app import ConsoleApp
from hmi.console.live_table import LiveTable
from hmi.station.link import CommandResult, LocalLink
from hmi.station.runtime import Station
from tests.console.conftest import NOW
from tests.console.screen import SIZE, settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot

NEVER = 3600.0  # a tick period no test waits for: every refresh is one the test asked for


class HeldLink:
    """A LocalLink on which the view `held_view` waits while the test holds it. It answers with
    the figures of the moment it was asked: figures that change meanwhile reach the screen only
    through a later refresh. Every refresh asks for the overview once, so those are counted."""

    def __init__(self, inner: LocalLink, held_view: str) -> None:
        self.inner = inner
        self.held_view = held_view
        self.released = asyncio.Event()
        self.released.set()
        self.refreshes = 0
        self.parked = 0  # requests waiting for the release: refreshes in flight
        self.most_parked = 0

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    async def view(self, name: str, **args: Any) -> Any:
        if name == "overview":
            self.refreshes += 1
        answer = await self.inner.view(name, **args)
        if name == self.held_view and not self.released.is_set():
            self.parked += 1
            self.most_parked = max(self.most_parked, self.parked)
            try:
                await self.released.wait()
            finally:
                self.parked -= 1
        return answer

    async def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        return await self.inner.command(command, args, user=user, pin=pin)

    async def login(self, user: str, pin: str) -> str:
        return await self.inner.login(user, pin)

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.inner.listen(callback)

    async def close(self) -> None:
        await self.inner.close()


async def until(what: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "the console never got there"
        await asyncio.sleep(0.01)


async def quiet(link: HeldLink) -> None:
    """Wait until no refresh is in flight and none follows for a while."""
    seen = -1
    while seen != link.refreshes:
        await until(lambda: link.parked == 0)
        seen = link.refreshes
        await asyncio.sleep(0.3)


def last_row(app: ConsoleApp, table_id: str) -> list[str]:
    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return [str(c) for c in table.get_row_at(table.row_count - 1)]


def tag_value(app: ConsoleApp, equipment: str, signal: str) -> str:
    table = app.screen.query_one("#tags", LiveTable)
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    return next(r[3] for r in rows if r[:2] == [equipment, signal])


async def test_a_request_during_a_refresh_is_answered_after_it(station: Station, link: LocalLink) -> None:
    held = HeldLink(link, "tags")
    app = ConsoleApp(held, refresh_s=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await quiet(held)
        before = held.refreshes

        held.hold()
        app.refresh_soon()  # as a command just sent would ask
        await until(lambda: held.parked == 1)
        # The refresh in flight has read its figures; this one can only come with the next.
        station.ingest([Sample(NOW, "FILLER", "total_count", 55999.0, Quality.GOOD)])
        app.refresh_soon()
        await asyncio.sleep(0.2)
        held.release()
        await quiet(held)

        assert held.refreshes - before == 2
        assert tag_value(app, "FILLER", "total_count") == "55999"


async def test_a_burst_of_requests_and_events_costs_one_more_refresh(
    station: Station, link: LocalLink
) -> None:
    held = HeldLink(link, "audit")
    app = ConsoleApp(held, refresh_s=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await quiet(held)
        before = held.refreshes

        held.hold()
        app.refresh_soon()
        await until(lambda: held.parked == 1)
        for i in range(50):  # the filler stops and runs 25 times: 50 state changes
            running = float(i % 2)
            station.ingest([Sample(NOW + 1 + i, "FILLER", "running", running, Quality.GOOD)])
            app.refresh_soon()
            await asyncio.sleep(0.005)
        held.release()
        await quiet(held)

        assert held.refreshes - before == 2  # the one in flight, and one for all 50 requests
        assert held.most_parked == 1
        assert last_row(app, "events") == ["13:30:50", "state", "FILLER", "stopped -> running"]


async def test_ticks_never_overlap_a_slow_refresh(link: LocalLink) -> None:
    held = HeldLink(link, "overview")
    app = ConsoleApp(held, refresh_s=0.02)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        held.hold()
        await until(lambda: held.parked == 1)
        asked = held.refreshes
        await asyncio.sleep(0.5)  # some 25 ticks while the station does not answer
        assert held.refreshes == asked  # they were skipped, not sent
        for _ in range(5):
            app.refresh_soon()
        await asyncio.sleep(0.2)
        held.release()
        await asyncio.sleep(0.3)  # the ticks go on
        assert held.refreshes > asked + 1
        assert held.most_parked == 1
        # Leave with a refresh held in flight: no tick may touch the screens while they close.
        held.hold()
        await until(lambda: held.parked == 1)


async def test_keys_work_while_the_station_is_slow_to_answer(link: LocalLink) -> None:
    held = HeldLink(link, "overview")
    app = ConsoleApp(held, refresh_s=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        held.hold()
        app.refresh_soon()
        await until(lambda: held.parked == 1)
        try:
            # Before the refresh worker, a requested refresh waited in the app's message loop: no
            # key was handled until the station answered.
            await asyncio.wait_for(pilot.press("3"), 5)
            await until(lambda: app.current_mode == "andon")
            assert held.parked == 1  # still waiting; the Andon screen is refreshed once it answers
        finally:
            held.release()
        await quiet(held)
        assert "Open calls" in await settle(pilot)
