"""Downtime by taps: the stop needing a reason is listed first, and gets its reason in three taps;
a refused correction shows why; a stop is split in two and noted."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, Clock
from tests.panel.helpers import enter_pin, named, tap

pytestmark = pytest.mark.slow  # the panel under Qt

START = NOW + 1  # the filler stops with no fault code for five minutes: nobody knows why yet


def make_unexplained_stop(station: Station, clock: Clock) -> None:
    clock.now = START
    station.ingest([Sample(START, "FILLER", "fault_code", 0), Sample(START, "FILLER", "running", 0)])
    clock.now = START + 300
    station.ingest([Sample(clock.now, "FILLER", "running", 1)])
    clock.now = START + 400
    station.tick()


def filler_stop(station: Station) -> tuple[float, float, str, str | None]:
    assert station.engine is not None
    (ev,) = station.engine.downtime_events("FILLER", START - 1, START + 400)
    return ev.start, ev.end, ev.reason, ev.note


def screen(window: PanelWindow) -> DowntimeScreen:
    s = window.screens["downtime"]
    assert isinstance(s, DowntimeScreen)
    return s


def test_a_stop_gets_its_reason_in_three_taps_and_a_correction_is_refused_with_the_reason(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    make_unexplained_stop(station, clock)
    tap(qtbot, named(window, "login"))
    enter_pin(qtbot, window, "olga", "1357")
    assert window.session.user == "olga"
    tap(qtbot, named(window, "screen downtime"))
    downtime = screen(window)
    first = next(iter(downtime.stop_buttons))
    assert first == ("FILLER", START)  # the stop needing a reason is at the top
    assert "⚠ Needs a reason" in downtime.stop_buttons[first].text()

    tap(qtbot, downtime.stop_buttons[first])
    taps = 0
    for name in ("Mechanical", "Mechanical/Jam", "Mechanical/Jam/Infeed"):
        tap(qtbot, named(downtime, name))
        taps += 1
    assert taps == 3
    assert filler_stop(station)[2] == "Mechanical/Jam/Infeed"
    assert window.message.text() == "reason of the stop at FILLER set to 'Mechanical/Jam/Infeed'"
    window.refresh_now()
    assert "Mechanical/Jam/Infeed" in downtime.stop_buttons[first].text()

    # An operator may not change a reason someone gave: the engine refuses, the panel says why.
    tap(qtbot, downtime.stop_buttons[first])
    tap(qtbot, named(downtime, "Meeting"))
    assert window.last_result is not None and window.last_result.refused
    assert window.message.text() == "olga (operator) may set_reason only on stops without a reason"
    assert filler_stop(station)[2] == "Mechanical/Jam/Infeed"


def test_without_a_login_the_pin_pad_comes_first(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    make_unexplained_stop(station, clock)
    tap(qtbot, named(window, "screen downtime"))
    downtime = screen(window)
    tap(qtbot, downtime.stop_buttons["FILLER", START])
    tap(qtbot, named(downtime, "Electrical"))
    tap(qtbot, named(downtime, "Electrical/Drive fault"))
    assert filler_stop(station)[2] == "Unassigned"
    enter_pin(qtbot, window, "olga", "9999")
    assert window.message.text() == "wrong PIN for 'olga' (4 tries left)"
    assert window.session.user is None and filler_stop(station)[2] == "Unassigned"
    tap(qtbot, named(downtime, "Electrical/Drive fault"))
    enter_pin(qtbot, window, "olga", "1357")
    assert filler_stop(station)[2] == "Electrical/Drive fault"
    assert window.session.user == "olga"


def test_a_stop_is_split_in_two_and_noted(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    make_unexplained_stop(station, clock)
    tap(qtbot, named(window, "login"))
    enter_pin(qtbot, window, "sam", "2580")
    tap(qtbot, named(window, "screen downtime"))
    downtime = screen(window)
    tap(qtbot, downtime.stop_buttons["FILLER", START])
    tap(qtbot, named(downtime, "split"))
    dialog = downtime.split_dialog
    assert dialog.offset == 150  # the middle of the five minutes
    tap(qtbot, named(dialog, "−1 min"))
    tap(qtbot, dialog.ok_button)
    assert station.engine is not None
    parts = station.engine.downtime_events("FILLER", START - 1, START + 400)
    assert [(ev.start - START, ev.end - START) for ev in parts] == [(0, 90), (90, 300)]
    window.refresh_now()
    assert ("FILLER", START + 90) in downtime.stop_buttons

    tap(qtbot, downtime.stop_buttons["FILLER", START + 90])
    tap(qtbot, named(downtime, "note"))
    note = downtime.note_dialog
    tap(qtbot, named(note, "Waiting for material"))
    tap(qtbot, note.ok_button)
    parts = station.engine.downtime_events("FILLER", START - 1, START + 400)
    assert [ev.note for ev in parts] == [None, "Waiting for material"]
    window.refresh_now()
    assert "Waiting for material" in downtime.stop_buttons["FILLER", START + 90].text()
