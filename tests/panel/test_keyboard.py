"""A note without a physical keyboard: typed on the on-screen keyboard's gloved-size keys, with the
plant's own phrases (`[panel] phrases`) one tap away, and arriving in the station's command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from core.config import parse_config
from core.samples import Sample
from hmi.panel.screens.andon import AndonScreen
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.widgets.keyboard import OnScreenKeyboard
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, USERS, Clock, attach, panel_config_text
from tests.panel.helpers import enter_pin, named, tap

pytestmark = pytest.mark.slow  # the panel under Qt

START = NOW + 1


def make_stop(station: Station, clock: Clock) -> None:
    clock.now = START
    station.ingest([Sample(START, "FILLER", "fault_code", 0), Sample(START, "FILLER", "running", 0)])
    clock.now = START + 300  # five minutes: a stop to explain, not a small stop
    station.ingest([Sample(clock.now, "FILLER", "running", 1)])
    station.tick()


def open_note(qtbot: QtBot, window: PanelWindow) -> DowntimeScreen:
    tap(qtbot, named(window, "login"))
    enter_pin(qtbot, window, "sam", "2580")
    tap(qtbot, named(window, "screen downtime"))
    downtime = window.screens["downtime"]
    assert isinstance(downtime, DowntimeScreen)
    tap(qtbot, downtime.stop_buttons["FILLER", START])
    tap(qtbot, named(downtime, "note"))
    return downtime


def note_of_the_stop(station: Station) -> str | None:
    assert station.engine is not None
    (ev,) = station.engine.downtime_events("FILLER", START - 1, START + 300)
    return ev.note


def test_a_note_typed_on_the_keyboard_arrives_in_the_command(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    make_stop(station, clock)
    downtime = open_note(qtbot, window)
    dialog = downtime.note_dialog
    keyboard = dialog.keyboard
    # An empty note starts with a capital; the next letters are small; the shift key makes one capital.
    for key in ("j", "a", "m", "space", "a", "t", "space", "shift", "i", "n", "space", "7", "x", "backspace"):
        tap(qtbot, named(keyboard, f"key {key}"))
    assert dialog.text.text() == "Jam at In 7"
    tap(qtbot, named(keyboard, "Part replaced"))
    assert dialog.text.text() == "Jam at In 7, part replaced"
    tap(qtbot, dialog.ok_button)
    assert note_of_the_stop(station) == "Jam at In 7, part replaced"
    window.refresh_now()
    assert "“Jam at In 7, part replaced”" in downtime.stop_buttons["FILLER", START].text()


def test_every_key_of_the_note_keyboard_takes_a_gloved_finger(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    make_stop(station, clock)
    dialog = open_note(qtbot, window).note_dialog
    QApplication.processEvents()
    keys = [b for b in dialog.findChildren(QPushButton) if b.isVisible()]
    assert {b.accessibleName() for b in keys} >= {f"key {c}" for c in "qwertyuiopasdfghjklzxcvbnm0123456789"}
    assert {"key space", "key backspace", "Waiting for material"} <= {b.accessibleName() for b in keys}
    small = [(b.accessibleName(), b.width(), b.height()) for b in keys if min(b.width(), b.height()) < 48]
    assert small == []
    # The space bar is the widest key: hit in passing, between words.
    assert named(dialog, "key space").width() >= 4 * named(dialog, "key a").width()
    # The dialog, keyboard and all, fits the smallest panel (1024x768).
    hint = dialog.sizeHint()
    assert hint.width() <= 1024 and hint.height() <= 768, hint


def test_the_andon_note_has_the_keyboard_too(qtbot: QtBot, window: PanelWindow, station: Station) -> None:
    assert station.engine is not None
    station.engine.command("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, NOW, None)
    tap(qtbot, named(window, "screen andon"))
    board = window.screens["andon"]
    assert isinstance(board, AndonScreen)
    window.refresh_now()
    tap(qtbot, next(iter(board.call_buttons.values())))
    tap(qtbot, named(board, "note_andon"))
    keyboard = board.note_dialog.keyboard
    for key in ("o", "k"):
        tap(qtbot, named(keyboard, f"key {key}"))
    tap(qtbot, board.note_dialog.ok_button)
    enter_pin(qtbot, window, "max", "3690")
    (call,) = station.engine.andon.active()
    assert [n.text for n in call.notes] == ["Ok"]


@pytest.fixture
def plant_window(qtbot: QtBot, tmp_path: Path, clock: Clock) -> Iterator[tuple[PanelWindow, Station]]:
    """A station whose config names its own phrases, in German."""
    text = panel_config_text().replace(
        "idle_lock_s = 120", 'idle_lock_s = 120\nphrases = ["Warte auf Material", "Sensor gereinigt"]', 1
    )
    config = parse_config(text, Path("plant-line.toml"))
    clock.now = NOW - 60
    station = Station(config, tmp_path / "plant.db", clock=clock)
    station.open()
    assert station.gate is not None
    for name, (role, pin) in USERS.items():
        station.gate.users.add(name, role, pin, clock.now)
    station.ingest([Sample(NOW - 60, "FILLER", "running", 1)])
    window = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1280, 800)
    window.show()
    yield window, station
    if station.store is not None:
        station.store.close()


def test_the_phrases_are_the_plants_own_from_the_config(
    qtbot: QtBot, plant_window: tuple[PanelWindow, Station], clock: Clock
) -> None:
    window, station = plant_window
    make_stop(station, clock)
    keyboard = open_note(qtbot, window).note_dialog.keyboard
    assert isinstance(keyboard, OnScreenKeyboard)
    assert [b.text() for b in keyboard.phrase_buttons.values()] == ["Warte auf Material", "Sensor gereinigt"]
    tap(qtbot, named(keyboard, "Sensor gereinigt"))
    tap(qtbot, open_note_ok(window))
    assert note_of_the_stop(station) == "Sensor gereinigt"


def open_note_ok(window: PanelWindow) -> QPushButton:
    downtime = window.screens["downtime"]
    assert isinstance(downtime, DowntimeScreen)
    return downtime.note_dialog.ok_button
