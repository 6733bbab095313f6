"""Snapshots of every console screen at 80×24 (fixed clock and data, no blinking cursor)."""

from __future__ import annotations

import pytest
import textual.constants

from hmi.console.app import ConsoleApp
from hmi.station.link import LocalLink
from tests.console.screen import SIZE, settle
from tests.console.snapshots import assert_snapshot

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # the console under Textual's pilot


@pytest.fixture(autouse=True)
def truecolor(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same snapshot whatever terminal runs the tests.
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "truecolor")


@pytest.mark.parametrize(
    ("key", "name"),
    [("1", "connections"), ("2", "tags"), ("3", "andon"), ("4", "downtime"), ("5", "oee"), ("6", "events")],
)
async def test_screen(link: LocalLink, key: str, name: str) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await settle(pilot)
        await assert_snapshot(pilot, name)


async def test_tags_filtered(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "slash", *"c:labeller", "enter")
        await settle(pilot)
        await assert_snapshot(pilot, "tags_filtered")


async def test_oee_previous_shift(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "p")
        await settle(pilot)
        await assert_snapshot(pilot, "oee_previous")


async def test_pin_prompt(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("n", *"seal replaced")
        await settle(pilot)
        await assert_snapshot(pilot, "andon_note_prompt")


async def test_reason_picker(link: LocalLink) -> None:
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await assert_snapshot(pilot, "downtime_reason_picker")


async def test_connections_in_16_colours(link: LocalLink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    app = ConsoleApp(link)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await assert_snapshot(pilot, "connections_16_colours")
