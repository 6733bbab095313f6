"""Twenty machines at the common panel sizes: every screen shows all its text (the walk of
tests/panel/test_fit.py), every tile of the overview is on the screen at once, and no tile text is
drawn below 14 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.config import parse_config
from core.journal import read_journal
from core.samples import Sample
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.widgets.fit import Fitted, pixel_size
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import DEMO_JOURNAL, NOW, Clock, attach, panel_config_text
from tests.panel.test_fit import LONG_REASON, cut_off, long_config_text, long_samples, walk

pytestmark = pytest.mark.slow  # the panel under Qt


MANY = 20
MANY_SIZES = [(1280, 800), (1920, 1080)]


def many_config_text(text: str, reason: str) -> str:
    """The demo line with machines added up to MANY: the filler's twins without signals."""
    extra = "".join(
        f'[[lines.equipment]]\nid = "M{i:02d}"\nname = "Machine {i}"\nideal_cycle_time_s = 0.5\n'
        f'faults = {{ 101 = "{reason}" }}\n\n'
        for i in range(5, MANY + 1)
    )
    return text.replace("[[connections]]", extra + "[[connections]]", 1)


def many_samples(samples: list[Sample]) -> list[Sample]:
    """The filler's shift again on every added machine: twenty believable tiles, faults and all."""
    filler = [s for s in samples if s.equipment == "FILLER"]
    twins = [s._replace(equipment=f"M{i:02d}") for i in range(5, MANY + 1) for s in filler]
    return sorted(samples + twins, key=lambda s: s.ts)


@pytest.fixture(params=["demo", "long"])
def many_station(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Station]:
    long = request.param == "long"
    text = many_config_text(
        long_config_text() if long else panel_config_text(), LONG_REASON if long else "Mechanical/Jam/Infeed"
    )
    config = parse_config(text, Path("many-line.toml"))
    samples = [s for s in read_journal(DEMO_JOURNAL, config) if s.ts <= NOW]
    samples = many_samples(long_samples(samples) if long else samples)
    clock.now = samples[0].ts
    st = Station(config, tmp_path / "station.db", clock=clock)
    st.open()
    st.ingest(samples)
    clock.now = NOW
    st.tick()
    yield st
    if st.store is not None:
        st.store.close()


@pytest.mark.parametrize("size", MANY_SIZES, ids=[f"{w}x{h}" for w, h in MANY_SIZES])
def test_twenty_machine_tiles_are_all_shown_whole_and_never_below_14_px(
    qtbot: QtBot, request: pytest.FixtureRequest, many_station: Station, clock: Clock, size: tuple[int, int]
) -> None:
    window = PanelWindow(attach(many_station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(*size)
    window.show()
    window.refresh_now()
    assert (window.width(), window.height()) == size
    found = walk(qtbot, window)
    assert found == {}, "\n".join(f"{screen}: {line}" for screen, lines in found.items() for line in lines)
    window.show_screen("overview")
    window.refresh_now()
    QApplication.processEvents()
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    assert len(screen.tiles) == MANY
    viewport = screen.tiles_scroll.viewport()
    seen = QRect(viewport.mapTo(window, viewport.rect().topLeft()), viewport.size())
    for eq, tile in screen.tiles.items():
        # Every tile on the screen at once: an overview that hides a stopped machine below the
        # fold is no overview.
        where = QRect(tile.mapTo(window, tile.rect().topLeft()), tile.size())
        assert seen.contains(where), f"{eq}'s tile {where} is outside {seen}"
        for w in tile.findChildren(QWidget):
            if w.isVisible() and isinstance(w, Fitted):
                lines, font = w.drawn()
                if lines and any(lines):
                    assert pixel_size(font) >= 14, f"{eq}: {lines} drawn at {pixel_size(font)} px"
                    assert cut_off(w) is None, f"{eq}: {cut_off(w)}"
        # Only the fault may be elided (its whole text a tap away): the figures of a shift are
        # read whole. (The long line's 1.5 million parts in a minute make a rate no tile holds.)
        if request.node.callspec.params["many_station"] == "demo":
            # A compact tile's one line shows the fault in place of the rate while there is one.
            for w in (tile.state, tile.since, tile.oee, *(() if tile.showing_fault else (tile.rate,))):
                assert not w.elided(), f"{eq}: {w.text()!r} drawn as {w.drawn()[0]}"
