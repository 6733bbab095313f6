"""A line nobody answers (issue 12): more open calls than the station sends. The banner and the
Andon board say how many are open in all and how many more there are than they list, in English
and in German; a call not listed is still counted and the newest one is on top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel import language
from hmi.panel.screens.andon import AndonScreen
from hmi.panel.widgets.banner import SHOWN
from hmi.panel.window import PanelWindow
from hmi.station.andon_list import LIMIT
from hmi.station.runtime import Station
from tests.panel.conftest import Clock, attach
from tests.panel.test_language import german_config, make_station

pytestmark = pytest.mark.slow  # the panel under Qt

MORE = 30  # calls raised beyond what the station sends


def raise_many(station: Station, clock: Clock, n: int) -> int:
    """`n` help calls at the capper, one a second, journaled and carried out as the gate does
    (without a PIN: raising needs none); the number of calls open then."""
    assert station.engine is not None and station.store is not None
    for _ in range(n):
        clock.now += 1
        args = {"equipment": "CAPPER", "kind": "help"}
        station.store.append_command(clock.now, None, "raise_andon", args, durable=False)
        station.engine.command("raise_andon", args, clock.now, None)
    station.tick()
    return len(station.engine.andon.active())


def board(window: PanelWindow) -> AndonScreen:
    s = window.screens["andon"]
    assert isinstance(s, AndonScreen)
    return s


def test_the_banner_and_the_board_count_every_open_call(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    window.session.idle_lock_s = 3600
    total = raise_many(station, clock, LIMIT + MORE)
    assert station.engine is not None
    unack = sum(1 for c in station.engine.andon.active() if not c.acknowledged)
    window.show_screen("andon")
    assert window.banner.isVisible() and len(window.banner.chips) == SHOWN
    assert window.banner.more is not None and window.banner.more.text() == f"+{total - SHOWN} more"
    b = board(window)
    assert b.count.text() == f"{total} open, {unack} not acknowledged"
    assert len(b.call_buttons) == LIMIT
    assert b.more is not None
    assert b.more.text() == f"+{total - LIMIT} more, older or answered: the counts above are all of them"
    newest = station.engine.andon.calls[-1]
    assert window.banner.texts[0].startswith(f"#{newest.id} HELP")
    assert newest.id in b.call_buttons

    # One resolved: one fewer counted, and the list fills up from the calls not sent before.
    station.engine.andon.resolve(clock.now, newest, "sam")
    window.refresh_now()
    assert b.count.text() == f"{total - 1} open, {unack - 1} not acknowledged"
    assert len(b.call_buttons) == LIMIT and newest.id not in b.call_buttons
    assert window.banner.more is not None and window.banner.more.text() == f"+{total - 1 - SHOWN} more"


@pytest.fixture
def restore_english() -> Iterator[None]:
    yield
    language.install("")  # the translator and locale are the application's: back for the next test


def test_the_counts_are_german_under_german(
    qtbot: QtBot, tmp_path: Path, demo_samples: list[Sample], restore_english: None
) -> None:
    clock = Clock(0.0)
    station = make_station(tmp_path / "de.db", german_config(), clock, demo_samples)
    total = raise_many(station, clock, LIMIT + MORE)
    window = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1280, 800)
    window.show()
    window.show_screen("andon")
    b = board(window)
    assert b.count.text().startswith(f"{total} offen, ") and b.count.text().endswith(" nicht quittiert")
    assert b.more is not None and b.more.text().startswith(f"+{total - LIMIT} weitere")
    assert window.banner.more is not None and window.banner.more.text() == f"+{total - SHOWN} weitere"
    if station.store is not None:
        station.store.close()
