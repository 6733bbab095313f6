"""What an operator reads off the panel at a glance: a machine tile's state, time in state, fault,
rate against ideal and shift OEE (coloured only when abnormal), the state strip's legend, and the
downtime list with the stops still needing a reason first and marked."""

from __future__ import annotations

import pytest
import qasync
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel.model import PanelModel
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import MachineTile, OverviewScreen
from hmi.panel.theme import CATEGORY_COLOURS, WARNING
from hmi.panel.widgets.common import pct
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, Clock
from tests.panel.helpers import named, tap

pytestmark = pytest.mark.slow  # the panel under Qt


def overview_screen(window: PanelWindow) -> OverviewScreen:
    s = window.screens["overview"]
    assert isinstance(s, OverviewScreen)
    return s


def shown_colour(widget: QWidget, x: int, y: int) -> str:
    """The colour the widget is drawn with at (x, y), as #rrggbb."""
    QApplication.processEvents()
    return QColor(widget.grab().toImage().pixel(x, y)).name()


def frame_colour(widget: QWidget) -> str:
    return shown_colour(widget, 1, widget.height() // 2)


def test_a_stopped_machine_tile_shows_its_fault_rate_and_oee_framed_in_colour(
    window: PanelWindow, station: Station, clock: Clock
) -> None:
    # FILLER jams at 11:15 and is still down six and a half minutes later.
    clock.now = NOW + 1
    station.ingest(
        [Sample(clock.now, "FILLER", "fault_code", 101), Sample(clock.now, "FILLER", "running", 0)]
    )
    clock.now = NOW + 400
    station.tick()
    window.session.touched()  # someone at the panel: it has not locked itself
    window.refresh_now()
    tiles = overview_screen(window).tiles
    filler = tiles["FILLER"]
    assert filler.state.text() == "Stopped"
    assert filler.since.text() == "6:39"
    assert (
        filler.fault.text() == "Fault 101: Mechanical/Jam/Infeed"
        and " ".join(filler.fault.drawn()[0]) == filler.fault.text()
    )
    # Nothing made in the last five whole minutes (11:16-11:21): the rate says so.
    assert filler.rate.text() == "0.0/min · 0.0% of ideal"
    view = window.model.view("overview")["lines"][0]["equipment"]
    oee = {eq["equipment"]: eq["metrics"]["oee"] for eq in view}
    assert filler.oee.text() == f"Shift OEE {pct(oee['FILLER'])}"
    assert 0.3 < oee["FILLER"] < 0.9  # the demo morning's figure, not a blank
    # ISA-101: the abnormal tile is framed in the warning colour, a running one stays grey.
    assert frame_colour(filler) == WARNING
    capper = tiles["CAPPER"]
    assert capper.state.text() == "Running" and capper.fault.text() == ""
    grey = QColor(frame_colour(capper))
    assert max(grey.red(), grey.green(), grey.blue()) - min(grey.red(), grey.green(), grey.blue()) < 16


def test_a_running_machine_tile_shows_its_rate_against_the_ideal(window: PanelWindow) -> None:
    view = window.model.view("overview")["lines"][0]["equipment"]
    capper = next(eq for eq in view if eq["equipment"] == "CAPPER")
    # CAPPER's ideal is 0.4 s: 150 a minute; the demo line runs it below that, as the filler feeds it.
    assert capper["ideal_rate_per_min"] == 150.0
    assert 0 < capper["rate_per_min"] < 150
    assert capper["rate_vs_ideal"] == pytest.approx(capper["rate_per_min"] / 150)
    text = overview_screen(window).tiles["CAPPER"].rate.text()
    assert text == f"{capper['rate_per_min']:.0f}/min · {pct(capper['rate_vs_ideal'])} of ideal"


def test_the_state_strip_has_a_legend_of_swatches_in_the_strips_colours(
    qtbot: QtBot, window: PanelWindow
) -> None:
    tap(qtbot, named(window, "open LABELLER"))
    screen = window.screens["machine"]
    assert isinstance(screen, MachineScreen)
    legend = screen.legend
    assert legend.isVisible()
    names = {cat: legend.names[cat].text() for cat in legend.swatches}
    assert names == {
        "running": "Running",
        "small_stop": "Small stop",
        "down": "Down",
        "no_data": "No data",
        "changeover": "Changeover",
        "planned_stop": "Planned stop",
        "unscheduled": "Not scheduled",
    }
    # Every category the strip paints has its swatch, drawn in the very colour of the strip.
    assert {p["category"] for p in screen.timeline.pieces} <= set(legend.swatches)
    for category, swatch in legend.swatches.items():
        assert swatch.isVisible()
        centre = swatch.rect().center()
        assert shown_colour(swatch, centre.x(), centre.y()) == CATEGORY_COLOURS[category], category


def test_the_downtime_list_puts_the_stops_needing_a_reason_first_and_marks_them(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    # Two new stops nobody has explained yet, after a morning of stops with reasons.
    for start in (NOW + 1, NOW + 600):
        clock.now = start
        station.ingest([Sample(start, "PACKER", "fault_code", 0), Sample(start, "PACKER", "running", 0)])
        clock.now = start + 240
        station.ingest([Sample(clock.now, "PACKER", "running", 1)])
    clock.now = NOW + 900
    station.tick()
    tap(qtbot, named(window, "screen downtime"))
    downtime = window.screens["downtime"]
    assert isinstance(downtime, DowntimeScreen)
    # In the order the list shows them, top to bottom.
    items = [downtime.stop_list.itemAt(i) for i in range(downtime.stop_list.count())]
    shown = [w.text() for item in items if item is not None and isinstance(w := item.widget(), QPushButton)]
    marked = [("⚠ Needs a reason" in text) for text in shown]
    assert marked.count(True) >= 2 and marked.count(False) >= 1
    # Every stop needing a reason comes before every stop with one; the newest of them on top.
    assert marked == sorted(marked, reverse=True)
    assert shown[0].startswith("Case packer · 11:25–11:29")
    assert all("Unassigned" not in text for text in shown)


def test_every_configured_machine_has_its_tile_before_the_first_frame(
    qtbot: QtBot, station: Station, clock: Clock, qloop: qasync.QEventLoop
) -> None:
    # Live, a frame is a task of the loop that runs after the window is made and shown. Made by
    # the first frame, the tiles would be laid out and painted whole in the live frames after it.
    async def make() -> tuple[PanelWindow, dict[str, MachineTile]]:
        w = PanelWindow(await PanelModel.attach(LocalLink(station)), clock=clock)
        return w, dict(overview_screen(w).tiles)  # no frame has run yet

    w, tiles = qloop.run_until_complete(make())
    qtbot.addWidget(w)
    w.pump.heartbeat.stop()
    configured = {eq.id: eq.name or eq.id for eq in station.config.lines[0].equipment}
    assert {eq_id: tile.open_button.text() for eq_id, tile in tiles.items()} == configured
    w.resize(1280, 800)
    w.show()
    w.refresh_now()
    assert overview_screen(w).tiles == tiles  # the frame filled them in and made none
    assert tiles["FILLER"].state.text() != "–"
