"""Every screen opens against a station fed by the recorded demo shift, at both panel sizes, and
shows the station's own figures (the panel computes none)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.theme import STATE_LABELS, TOUCH_PX
from hmi.panel.widgets.common import count, pct
from hmi.panel.window import PanelWindow
from tests.panel.helpers import named, tap

pytestmark = pytest.mark.slow  # the panel under Qt


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_every_screen_opens_and_fits_the_panel(window: PanelWindow, size: tuple[int, int]) -> None:
    window.resize(*size)
    assert window.screen_names() == ["overview", "machine", "downtime", "andon", "jobs", "report"]
    for name in window.screen_names():
        window.show_screen(name)
        assert window.current_screen() == name
        hint = window.minimumSizeHint()
        # Nothing on any screen makes the window wider or taller than the panel.
        assert hint.width() <= size[0] and hint.height() <= size[1], (name, hint)
        assert window.width() == size[0] and window.height() == size[1]
        image = window.grab()
        assert (image.width(), image.height()) == size
        QApplication.processEvents()
        small = [
            (b.accessibleName() or b.text(), b.width(), b.height())
            for b in window.findChildren(QPushButton)
            if b.isVisible() and (b.width() < TOUCH_PX or b.height() < TOUCH_PX)
        ]
        assert small == [], f"touch targets under {TOUCH_PX} px on {name}"


def test_the_overview_shows_the_constraints_figures_from_the_engine(window: PanelWindow) -> None:
    view = window.model.view("overview")
    line = view["lines"][0]
    m = line["metrics"]
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    assert screen.oee.value.text() == pct(m["oee"])
    assert screen.availability.value.text() == pct(m["availability"])
    assert screen.performance.value.text() == pct(m["performance"])
    assert screen.quality.value.text() == pct(m["quality"])
    assert screen.good.value.text() == count(m["good_count"])
    assert f"target so far {count(line['target_so_far'])}" in screen.good.note.text()
    assert "Early 06:00–14:00" in screen.title.text()
    # One tile per machine with its state; the demo shift has them all running at 11:15.
    assert sorted(screen.tiles) == ["CAPPER", "FILLER", "LABELLER", "PACKER"]
    states = {eq["equipment"]: eq["state"] for eq in line["equipment"]}
    for eq_id, tile in screen.tiles.items():
        assert tile.state.text() == STATE_LABELS[states[eq_id]]


def test_a_machine_tile_opens_its_detail_with_rate_trend_timeline_and_stops(
    qtbot: QtBot, window: PanelWindow
) -> None:
    tap(qtbot, named(window, "open LABELLER"))
    assert window.current_screen() == "machine"
    screen = window.screens["machine"]
    assert isinstance(screen, MachineScreen)
    data = window.model.view("machine", equipment="LABELLER")
    assert screen.equipment == "LABELLER"
    # One bar per counted minute of the shift, and the shift's state strip as the engine cut it.
    bars = screen.rate_bars.opts["height"]
    assert list(bars) == [float(r["good"]) for r in data["rate"]]
    assert len(bars) > 200
    assert screen.timeline.pieces == data["timeline"]
    assert {p["category"] for p in data["timeline"]} >= {"running", "down", "planned_stop"}
    assert screen.events.rowCount() == len(data["downtime"]) > 0
    newest = data["downtime"][-1]
    cell = screen.events.item(0, 3)
    assert cell is not None and cell.text().startswith(newest["reason"])
    assert screen.small_stops.value.text() == str(data["metrics"]["small_stop_count"])
    # LABELLER's counter shows it ran through part of a communication loss: the OEE is marked and
    # the view's reason is shown under the figures.
    assert data["metrics"]["doubts"] == ["4 min of run time inferred across a communication loss"]
    assert screen.oee.value.text().endswith(" !")
    assert screen.doubts.text() == "! 4 min of run time inferred across a communication loss"
    window.open_machine("CAPPER")
    assert window.model.view("machine", equipment="CAPPER")["metrics"]["doubts"] == []
    assert not screen.oee.value.text().endswith("!")
    assert screen.doubts.text() == "" and not screen.doubts.isVisible()


def test_connection_health_is_quiet_until_a_plc_is_lost(window: PanelWindow) -> None:
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    assert "lost" not in screen.health.text()
    screen._health({"connections_lost": ["filler-plc"], "store_error": None}, [])
    assert screen.health.text() == "PLC lost: filler-plc"
    assert "background" in screen.health.styleSheet()
    labels = [w for w in window.findChildren(QLabel) if w.text() == "PLC lost: filler-plc"]
    assert labels


def test_a_driver_error_is_shown_apart_from_a_lost_plc(window: PanelWindow) -> None:
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    health = {
        "connections_lost": ["filler-plc"],
        "connections_driver_error": ["capper-plc"],
        "store_error": None,
    }
    screen._health(health, [])
    assert screen.health.text() == "PLC lost: filler-plc · Driver error: capper-plc"


def test_a_shift_report_mail_waiting_in_the_outbox_is_said_on_the_overview(window: PanelWindow) -> None:
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    waiting = "1 shift report mail(s) not sent, kept in /data/reports/outbox (refused); trying again"
    screen._health({"connections_lost": [], "store_error": None, "reports_error": waiting}, [])
    assert screen.health.text() == f"Reports: {waiting}"
    assert "background" in screen.health.styleSheet()
