"""The console driven by keys at 80×24 through Textual's pilot, against a real station."""

from __future__ import annotations

import pytest
import textual.constants
from textual.widgets import Input

from core.samples import Quality, Sample
from hmi.console.app import ConsoleApp
from hmi.console.events import TAIL
from hmi.console.live_table import LiveTable
from hmi.console.prompts import PinPrompt, ReasonPicker
from hmi.console.tags import TagsScreen
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.console.conftest import NOW
from tests.console.screen import SIZE, settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


def rows(app: ConsoleApp, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_each_screen_shows_its_view(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        text = await settle(pilot)
        assert "Plant 1  Bottling 1  Early 06:00-14:00" in text
        assert "13:30:00" in text  # the station's clock, not this machine's
        assert "labeller-plc  failed" in text
        assert "Andon 1 (1 unack)" in text

        await pilot.press("2")
        text = await settle(pilot)
        assert "CAPPER      total_count   capper-plc" in text

        await pilot.press("3")
        text = await settle(pilot)
        assert "FILLER     maintenance  UNACK" in text
        assert "leak at the infeed" in text

        await pilot.press("4")
        text = await settle(pilot)
        assert "FILLER     13:22  13:27  4m43s   101    Mechanical/Jam/Infeed" in text
        assert "15 stops" in text

        await pilot.press("5")
        text = await settle(pilot)
        assert "Current shift: Early 06:00-14:00" in text
        assert "L1 line" in text
        # 4 min of FILLER's communication loss were run time, inferred from its counter.
        assert "Losses: Unplanned stops 16m25s" in text
        assert "81.6%!" in text
        assert "! 4 min of run time inferred across a communication loss" in text

        await pilot.press("6")
        text = await settle(pilot)
        assert "#1 raised: leak at the infeed" in text
        assert "raise_andon" in text

        await pilot.press("1")
        assert "Rd/s" in await settle(pilot)


async def test_enter_on_a_connection_lists_its_tags(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TagsScreen)
        assert app.screen.filter_text == "connection:capper-plc"
        shown = rows(app, "tags")
        assert shown and {r[0] for r in shown} == {"CAPPER"}


async def test_the_tag_filter_narrows_by_machine_connection_or_name(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("2")
        await settle(pilot)
        everything = len(rows(app, "tags"))

        await pilot.press("slash", *"m:packer")
        await settle(pilot)
        assert {r[0] for r in rows(app, "tags")} == {"PACKER"}

        filt = app.screen.query_one("#filter", Input)
        filt.value = ""
        await pilot.press(*"count")
        await settle(pilot)
        assert {r[1] for r in rows(app, "tags")} == {"total_count", "good_count", "reject_count"}

        await pilot.press("enter", "escape")  # back to the table, then clear the filter
        await settle(pilot)
        assert len(rows(app, "tags")) == everything


async def test_live_values_are_updated_in_place(station: Station, link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("2")
        await settle(pilot)
        before = rows(app, "tags")
        station.ingest([Sample(NOW, "FILLER", "total_count", 55999.0, Quality.GOOD)])
        await settle(pilot)
        after = rows(app, "tags")
        assert [r[:2] for r in after] == [r[:2] for r in before]  # same rows, same order
        changed = [(b, a) for b, a in zip(before, after, strict=True) if a != b]
        assert [(b[1], a[3]) for b, a in changed] == [("total_count", "55999")]


async def test_acknowledge_with_a_pin(link: LocalLink, station: Station) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, PinPrompt)
        await pilot.press(*"sam", "enter", *"1470", "enter")
        text = await settle(pilot)
        assert app.last_result is not None and app.last_result.ok
        assert "call #1 acknowledged" in text
        assert rows(app, "active")[0][3] == "ACK"
        assert rows(app, "active")[0][7] == "sam"
        assert "Andon 1 (0 unack)" in text
        # The PIN is never kept; the user name is offered for the next command.
        await pilot.press("k")
        await pilot.pause()
        assert app.screen.query_one("#user", Input).value == "sam"
        assert app.screen.query_one("#pin", Input).value == ""


async def test_a_refused_command_shows_the_engines_reason(link: LocalLink, station: Station) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("3")
        await settle(pilot)
        # An operator may not shelve a call: the engine says why, the console shows it as it is.
        await pilot.press("s", *"10", "enter", *"otto", "enter", *"2468", "enter")
        text = await settle(pilot)
        result = app.last_result
        assert result is not None and result.refused and not result.ok
        assert "Refused" in text
        assert rows(app, "active")[0][3] == "UNACK"
        assert result.message == "otto (operator) may not shelve_andon: only supervisor, admin"
        assert "otto (operator) may not" in text and "only supervisor, admin" in text  # the toast
        # A wrong PIN is refused too, and nothing changes. The prompt offers the last user
        # (otto) and waits for the PIN: go back to the user field to act as someone else.
        await pilot.press("a", "shift+tab", "ctrl+u", *"sam", "enter", *"9999", "enter")
        await settle(pilot)
        assert app.last_result is not None and app.last_result.refused
        assert rows(app, "active")[0][3] == "UNACK"
        await pilot.press("6")
        await settle(pilot)
        results = [(r[1], r[2], r[4]) for r in rows(app, "audit")]
        assert ("otto", "shelve_andon", "refused") in results
        assert ("sam", "ack_andon", "refused") in results


async def test_cancelling_the_pin_prompt_sends_nothing(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("r", "escape")
        await settle(pilot)
        assert app.last_result is None
        assert rows(app, "active")[0][3] == "UNACK"


async def test_correct_a_stop_reason_from_the_tree(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert rows(app, "downtime")[0][5] == "Mechanical/Jam/Infeed"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReasonPicker)
        # The tree opens on the stop's current reason; the one below it is Outfeed.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PinPrompt)
        await pilot.press(*"sam", "enter", *"1470", "enter")
        text = await settle(pilot)
        assert app.last_result is not None and app.last_result.ok, app.last_result
        assert rows(app, "downtime")[0][5] == "Mechanical/Jam/Outfeed"
        assert "reason of the stop at FILLER" in text  # the station's answer, in a toast


async def test_oee_shows_the_previous_shift_on_p(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("p")
        text = await settle(pilot)
        assert "Previous shift: Night 22:00-06:00" in text


async def test_new_events_are_appended(station: Station, link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("6")
        await settle(pilot)
        before = rows(app, "events")
        station.ingest([Sample(NOW + 1, "FILLER", "running", 0.0, Quality.GOOD)])
        await settle(pilot)
        after = rows(app, "events")
        # The newest row at the bottom; the oldest left the window of TAIL rows.
        assert len(before) == len(after) == TAIL
        assert after[:-1] == before[1:]
        assert after[-1] == ["13:30:01", "state", "FILLER", "running -> stopped"]
        assert app.screen.query_one("#events", LiveTable).cursor_row == TAIL - 1  # it follows


async def test_the_command_palette_opens_a_screen(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"show downtime")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "downtime"


@pytest.mark.parametrize(("colours", "theme"), [("standard", "ansi-dark"), ("256", "textual-dark")])
async def test_16_and_256_colours(
    link: LocalLink, monkeypatch: pytest.MonkeyPatch, colours: str, theme: str
) -> None:
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", colours)
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.console.color_system == {"standard": "standard", "256": "256"}[colours]
        assert app.theme == theme
        for key in "23456":
            await pilot.press(key)
            assert "Quit" in await settle(pilot)


async def test_quit_key(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0
        assert not app.is_running
