"""The Andon board: a call raised without a login, escalating on the station's clock, refused to
an operator once escalated, acknowledged with a supervisor's PIN; the banner and the sound follow."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot

from hmi.panel.screens.andon import AndonScreen
from hmi.panel.widgets.sound import SETTINGS, AndonSound
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import Clock
from tests.panel.helpers import enter_pin, named, tap

pytestmark = pytest.mark.slow  # the panel under Qt


def board(window: PanelWindow) -> AndonScreen:
    s = window.screens["andon"]
    assert isinstance(s, AndonScreen)
    return s


def test_a_call_escalates_is_refused_to_an_operator_and_acknowledged_by_a_supervisor(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    window.session.idle_lock_s = 3600  # people stay at the panel here; the lock has its own tests
    assert station.engine is not None
    before = len(station.engine.andon.calls)
    assert not window.banner.isVisible()
    tap(qtbot, named(window, "screen andon"))
    tap(qtbot, named(board(window), "machine CAPPER"))
    tap(qtbot, named(board(window), "raise maintenance"))
    call = station.engine.andon.calls[-1]
    assert len(station.engine.andon.calls) == before + 1 and call.equipment == "CAPPER"
    assert window.session.pinpad is None  # raising never waits for a PIN
    assert window.message.text() == f"maintenance call #{call.id} raised at CAPPER"

    # The banner shows it on every screen; the sound starts.
    for name in window.screen_names():
        window.show_screen(name)
        assert window.banner.isVisible()
        assert window.banner.texts[0] == f"#{call.id} MAINTENANCE · Capper · L1 · 0:00 · NEW"
    assert window.sound.sounding and window.sound.plays == 1

    # Five minutes unacknowledged: level 2 (supervisor), on the station's clock.
    clock.now += 300
    station.tick()
    window.show_screen("andon")
    assert window.banner.texts[0] == f"#{call.id} MAINTENANCE · Capper · L2 · 5:00 · NEW"
    tap(qtbot, named(board(window), f"call {call.id}"))
    assert "level 2" in board(window).detail.text()
    assert "level 2: supervisor" in board(window).history.text()

    # The operator may acknowledge level-1 calls only: refused, and the panel says why.
    tap(qtbot, named(board(window), "ack_andon"))
    enter_pin(qtbot, window, "olga", "1357")
    assert window.last_result is not None and window.last_result.refused
    assert window.message.text() == "olga (operator) may ack_andon only on level-1 calls"
    assert not call.acknowledged and window.sound.sounding
    assert window.banner.texts[0].endswith("NEW")

    tap(qtbot, named(board(window), "ack_andon"))
    enter_pin(qtbot, window, "sam", "2580")
    assert window.message.text() == f"call #{call.id} acknowledged"
    assert call.acknowledged_by == "sam"
    assert window.banner.texts[0] == f"#{call.id} MAINTENANCE · Capper · L2 · 5:00 · ACK"
    assert not window.sound.sounding
    assert window.session.user is None  # the supervisor's PIN acknowledged; it did not log anyone in

    # Maintenance takes and resolves it; a shelve by the operator is refused.
    tap(qtbot, named(board(window), "take_andon"))
    enter_pin(qtbot, window, "max", "3690")
    assert "taken by max" in board(window).detail.text()
    tap(qtbot, named(board(window), "shelve_andon"))
    tap(qtbot, named(board(window).shelve_dialog, "15 min"))
    enter_pin(qtbot, window, "olga", "1357")
    assert window.message.text().startswith("olga (operator) may not shelve_andon")
    tap(qtbot, named(board(window), "note_andon"))
    tap(qtbot, named(board(window).note_dialog, "Part replaced"))
    tap(qtbot, board(window).note_dialog.ok_button)
    enter_pin(qtbot, window, "max", "3690")
    assert "max: Part replaced" in board(window).history.text()
    tap(qtbot, named(board(window), "resolve_andon"))
    enter_pin(qtbot, window, "max", "3690")
    assert window.message.text() == f"call #{call.id} resolved"
    assert not window.banner.isVisible()
    assert call.id not in board(window).call_buttons


def test_the_sound_is_muted_per_station_and_stays_muted(
    qtbot: QtBot, window: PanelWindow, station: Station
) -> None:
    folder = station.db_path.parent
    assert not window.sound.muted  # [panel] sound defaults to on
    tap(qtbot, named(window, "sound"))
    assert window.sound.muted and named(window, "sound").text() == "Sound off"
    assert json.loads((folder / SETTINGS).read_text()) == {"sound_muted": True}
    window.show_screen("andon")
    tap(qtbot, named(board(window), "raise safety"))
    assert window.banner.isVisible() and window.sound.plays == 0 and not window.sound.sounding
    # The next start of this station remembers the switch.
    again = AndonSound(folder, default_on=True)
    assert again.muted
    tap(qtbot, named(window, "sound"))
    window.refresh_now()
    assert window.sound.sounding and window.sound.plays == 1
