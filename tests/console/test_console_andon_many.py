"""A line nobody answers (issue 12): more open calls than the station sends. The console's header
and its Andon screen count all of them and say how many more there are than it lists; the newest
call is listed, and a call is acknowledged by its number whether or not it is listed."""

from __future__ import annotations

import pytest

from hmi.console.app import ConsoleApp
from hmi.console.live_table import LiveTable
from hmi.station.andon_list import LIMIT
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.console.screen import SIZE, settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot

MORE = 30  # calls beyond what the station sends
WIDE = (120, SIZE[1])


def raise_many(station: Station, n: int) -> int:
    """`n` help calls at the capper, a second apart, journaled and carried out as the gate does
    (raising needs no PIN); the number of calls open then."""
    assert station.engine is not None and station.store is not None and station.engine.now is not None
    t = station.engine.now
    for _ in range(n):
        t += 1
        args = {"equipment": "CAPPER", "kind": "help"}
        station.store.append_command(t, None, "raise_andon", args, durable=False)
        station.engine.command("raise_andon", args, t, None)
    return len(station.engine.andon.active())


async def test_the_header_and_the_andon_screen_count_every_open_call(
    link: LocalLink, station: Station
) -> None:
    total = raise_many(station, LIMIT + MORE)
    assert station.engine is not None and total > LIMIT
    unack = sum(1 for c in station.engine.andon.active() if not c.acknowledged)
    app = ConsoleApp(link)
    # Wider than 80 columns: the header's Andon count comes after the shift and the OEE.
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        text = await settle(pilot)
        assert f"Andon {total} ({unack} unack)" in text
        await pilot.press("3")
        text = await settle(pilot)
        assert f"Open calls: {total} ({unack} unack), {LIMIT} listed, +{total - LIMIT} more" in text
        table = app.screen.query_one("#active", LiveTable)
        assert table.row_count == LIMIT
        newest = station.engine.andon.calls[-1]
        assert str(table.get_row_at(0)[0]) == str(newest.id)
