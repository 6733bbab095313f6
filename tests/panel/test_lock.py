"""The idle lock: engages after [panel] idle_lock_s without a touch, logs the user out, keeps the
Andon banner visible and lets anyone raise a call; a PIN unlocks it."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, Clock
from tests.panel.helpers import enter_pin, named, tap

pytestmark = pytest.mark.slow  # the panel under Qt


def test_the_idle_lock_engages_and_the_banner_stays(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    assert window.session.idle_lock_s == 120  # from the config
    tap(qtbot, named(window, "login"))
    enter_pin(qtbot, window, "olga", "1357")
    tap(qtbot, named(window, "screen andon"))
    tap(qtbot, named(window.screens["andon"], "raise quality"))
    assert window.banner.isVisible()
    touched = clock.now

    clock.now = touched + 119
    window.refresh_now()
    assert not window.session.locked
    clock.now = touched + 120
    window.refresh_now()
    assert window.session.locked and window.lock_overlay.isVisible()
    assert window.session.user is None  # locked means logged out
    assert window.banner.isVisible() and len(window.banner.texts) == 1
    assert not named(window, "screen downtime").isEnabled()

    # Anyone may raise a call from the lock screen, without a PIN.
    tap(qtbot, named(window.lock_overlay, "machine LABELLER"))
    tap(qtbot, named(window.lock_overlay, "raise material"))
    assert window.session.pinpad is None
    window.refresh_now()
    assert window.session.locked and len(window.banner.texts) == 2
    assert "MATERIAL · Labeller" in window.banner.texts[0]  # unanswered, newest first

    tap(qtbot, named(window.lock_overlay, "unlock"))
    enter_pin(qtbot, window, "olga", "0000")
    assert window.session.locked and window.message.text().startswith("wrong PIN")
    tap(qtbot, named(window.lock_overlay, "unlock"))
    enter_pin(qtbot, window, "olga", "1357")
    assert not window.session.locked and not window.lock_overlay.isVisible()
    assert window.session.user == "olga" and named(window, "screen downtime").isEnabled()

    # Touching the panel keeps it open.
    clock.now += 100
    tap(qtbot, named(window, "screen overview"))
    clock.now += 100
    window.refresh_now()
    assert not window.session.locked
    clock.now += 20
    window.refresh_now()
    assert window.session.locked


def test_the_lock_button_locks_at_once(qtbot: QtBot, window: PanelWindow, clock: Clock) -> None:
    assert clock.now == NOW
    tap(qtbot, named(window, "lock"))
    assert window.session.locked and window.lock_overlay.isVisible()
