"""What a steady frame repaints: a new time in state or figure repaints its own label only, never
the tile, the screen or the window under it (Qt's cost is per widget painted: docs/BENCHMARKS.md,
"Panel"), and what the screen then shows is what the window painted whole would show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.config import parse_config
from hmi.panel.screens.overview import FRAME_PX, OverviewScreen
from hmi.panel.widgets.fit import FitLabel, fit, pixel_size, sized
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import Clock, attach, panel_config_text
from tests.panel.test_fit_many import many_config_text

pytestmark = pytest.mark.slow  # the panel under Qt


class Painted(QObject):
    """The widgets painted while installed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.widgets: list[QWidget] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
            self.widgets.append(watched)
        return False


def settle() -> None:
    """Lay out and paint what is pending, as Qt does between events."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest)


@pytest.fixture
def painted(qapp: QApplication) -> Iterator[Painted]:
    counter = Painted()
    qapp.installEventFilter(counter)
    yield counter
    qapp.removeEventFilter(counter)


def on_screen(window: PanelWindow) -> QImage:
    """What the platform shows of the window now (its backing store), not a fresh paint."""
    screen = window.screen()
    return screen.grabWindow(window.winId()).toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_a_second_later_only_the_changed_labels_are_repainted_and_the_screen_shows_the_whole_window(
    window: PanelWindow, clock: Clock, painted: Painted
) -> None:
    overview = window.screens["overview"]
    assert isinstance(overview, OverviewScreen)
    settle()
    before = {eq: tile.since.text() for eq, tile in overview.tiles.items()}
    painted.widgets.clear()
    clock.now += 1  # every machine's time in state moves on
    window.refresh_now()
    settle()
    assert {eq: tile.since.text() for eq, tile in overview.tiles.items()} != before
    since = {tile.since for tile in overview.tiles.values()}
    assert since <= set(painted.widgets), "every new time in state is on the screen"
    # Only fitted labels, each on its tile's colour: no tile, screen or window painted under them.
    assert all(isinstance(w, FitLabel) for w in painted.widgets), [
        type(w).__name__ for w in painted.widgets if not isinstance(w, FitLabel)
    ]
    # What the screen shows after that partial repaint is the window painted whole: no label's
    # box stands out from its tile, no old figure is left behind.
    shown = on_screen(window)
    whole = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert shown.size() == whole.size()
    assert shown == whole
    for eq, tile in overview.tiles.items():
        inside = tile.rect().adjusted(FRAME_PX, FRAME_PX, -FRAME_PX, -FRAME_PX)
        for label in (tile.state, tile.since, tile.fault, tile.rate, tile.oee):
            # Its background paints over no part of the frame of an abnormal tile.
            assert inside.contains(label.geometry()), f"{eq}: {label.text()!r} over the frame"
            corner = label.mapTo(window, label.rect().topLeft())
            beside = tile.mapTo(window, label.geometry().topLeft()) - QPoint(2, 0)  # the tile, by the label
            same = shown.pixelColor(corner) == shown.pixelColor(beside)
            assert same, f"{eq}: {label.text()!r} drawn on a colour of its own"


@pytest.mark.parametrize("text", ["0:42", "12:34", "1:02:03", "35,970", "100.0%", "123/min · 98.5% of ideal"])
def test_a_shrunk_figure_is_drawn_in_the_largest_font_it_fits(qapp: QApplication, text: str) -> None:
    # The size is estimated from the full font's width, then stepped to: it must still be the
    # largest size that fits, not one a pixel too small (a figure read from across the line).
    font = QFont()
    font.setPixelSize(40)
    font.setBold(True)
    for width in range(30, 300, 3):  # every tile width from 1024 px to 1920 px panels, and more
        box = QSize(width, 46)
        found = fit(text, font, box, min_px=14, words=False)
        px = pixel_size(found.font)
        if found.elided:
            assert px == 14
            continue
        fm = QFontMetrics(found.font)
        assert fm.horizontalAdvance(found.lines[0]) <= width and fm.height() <= box.height()
        if px < 40:
            bigger = QFontMetrics(sized(font, px + 1))
            whole = bigger.elidedText(text, Qt.TextElideMode.ElideRight, width) == text
            assert not whole or bigger.height() > box.height(), f"{text!r} in {width} px fits at {px + 1} px"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_compact_tiles_labels_paint_over_no_part_of_the_state_frame(
    qtbot: QtBot, tmp_path: Path, clock: Clock, size: tuple[int, int]
) -> None:
    config = parse_config(
        many_config_text(panel_config_text(), "Mechanical/Jam/Infeed"), Path("many-line.toml")
    )
    station = Station(config, tmp_path / "station.db", clock=clock)
    station.open()
    try:
        window = PanelWindow(attach(station), clock=clock)
        qtbot.addWidget(window)
        window.pump.heartbeat.stop()
        window.resize(*size)
        window.show()
        window.refresh_now()
        settle()
        overview = window.screens["overview"]
        assert isinstance(overview, OverviewScreen)
        for eq, tile in overview.tiles.items():
            assert tile.compact
            inside = tile.rect().adjusted(FRAME_PX, FRAME_PX, -FRAME_PX, -FRAME_PX)
            for label in (tile.state, tile.since, tile.fault, tile.oee):
                assert inside.contains(label.geometry()), f"{eq}: {label.geometry()} over the frame"
    finally:
        if station.store is not None:
            station.store.close()
