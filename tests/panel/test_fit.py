"""Nothing on any screen is cut off or drawn over something else, at the three panel sizes, with the
demo shift and with long names: a 40-character machine name, a 60-character reason, a 7-digit count.

The walk measures what is drawn: a label or button of hmi/panel/widgets/fit.py says which lines it
draws in which font (shrunk or elided), any other is measured with its own font and text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionHeader,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core.config import parse_config
from core.journal import read_journal
from core.samples import Sample
from hmi.panel.model import run_now
from hmi.panel.screens.downtime import DowntimeScreen
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.screens.report import ReportScreen
from hmi.panel.widgets.fit import FitButton, FitLabel, Fitted, fit, pixel_size, sized, wrap
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from tests.panel.conftest import DEMO_JOURNAL, NOW, USERS, Clock, attach, panel_config_text
from tests.panel.helpers import named, tap

pytestmark = pytest.mark.slow  # the panel under Qt

SIZES = [(1024, 768), (1280, 800), (1920, 1080)]
LONG_NAME = "Rotary filler and capper monoblock 24-16B"[:40]
LONG_REASON = "Mechanical/Jam/Infeed star wheel blocked by a fallen bottle!"
NOTE = "guide rail re-set, star wheel checked"
BIG = 1_500_000  # parts added at the end of the shift: a 7-digit count


def long_config_text() -> str:
    text = panel_config_text()
    text = text.replace('name = "Filler"', f'name = "{LONG_NAME}"', 1)
    text = text.replace("Mechanical/Jam/Infeed", LONG_REASON)
    # The capper's drive faults of the demo shift then stop it with the long reason.
    capper = 'faults = { 205 = "Electrical/Drive fault" }'
    assert capper in text
    text = text.replace(capper, f'faults = {{ 205 = "{LONG_REASON}" }}', 1)
    # The filler's 16-bit counter would wrap before seven digits.
    return text.replace("counter_max = 65535", "counter_max = 2147483647", 1)


def long_samples(samples: list[Sample]) -> list[Sample]:
    last: dict[str, Sample] = {}
    for s in samples:
        if s.equipment == "FILLER" and s.signal in ("total_count", "good_count") and s.value is not None:
            last[s.signal] = s
    extra = [
        Sample(ts=NOW, equipment="FILLER", signal=sig, value=(s.value or 0.0) + BIG, quality=s.quality)
        for sig, s in last.items()
    ]
    return samples + extra


@pytest.fixture(params=["demo", "long"])
def fit_station(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Station]:
    long = request.param == "long"
    config = parse_config(long_config_text() if long else panel_config_text(), Path("panel-line.toml"))
    samples = [s for s in read_journal(DEMO_JOURNAL, config) if s.ts <= NOW]
    if long:
        samples = long_samples(samples)
    clock.now = samples[0].ts
    st = Station(config, tmp_path / "station.db", clock=clock)
    st.open()
    assert st.gate is not None
    for name, (role, pin) in USERS.items():
        st.gate.users.add(name, role, pin, clock.now)
    st.ingest(samples)
    clock.now = NOW
    st.tick()
    yield st
    if st.store is not None:
        st.store.close()


def drawn(w: QWidget) -> tuple[list[str], QFontMetrics]:
    """The lines `w` draws and the metrics of the font it draws them in."""
    if isinstance(w, Fitted):
        lines, font = w.drawn()
        return lines, QFontMetrics(font)
    text = w.text() if isinstance(w, QLabel | QPushButton) else ""
    return text.split("\n") if text else [], QFontMetrics(w.font())


def text_box(w: QWidget) -> QRect:
    if isinstance(w, QPushButton):
        opt = QStyleOptionButton()
        w.initStyleOption(opt)
        return w.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, w)
    assert isinstance(w, QLabel)
    m = w.margin()
    return w.contentsRect().adjusted(m, m, -m, -m)


def cut_off(w: QWidget) -> str | None:
    """Why `w`'s text does not fit inside it, or None."""
    if isinstance(w, QLabel) and (w.textFormat() == Qt.TextFormat.RichText or not w.text()):
        return None
    lines, fm = drawn(w)
    if not lines:
        return None
    box = text_box(w)
    if isinstance(w, QLabel) and w.wordWrap() and not isinstance(w, Fitted):
        need = fm.boundingRect(QRect(0, 0, box.width(), 100_000), Qt.TextFlag.TextWordWrap, "\n".join(lines))
        wide, high = need.width(), need.height()
    else:
        wide = max(fm.horizontalAdvance(line) for line in lines)
        high = fm.height() * len(lines)
    if wide > box.width() or high > box.height():
        return f"{' / '.join(lines)!r} needs {wide}×{high}, has {box.width()}×{box.height()}"
    return None


def header_cut_off(h: QHeaderView) -> list[str]:
    out = []
    model = h.model()
    for i in range(h.count()):
        if h.isSectionHidden(i):
            continue
        opt = QStyleOptionHeader()
        opt.initFrom(h)
        opt.section = i
        opt.text = str(model.headerData(i, h.orientation()))
        need = h.style().sizeFromContents(QStyle.ContentsType.CT_HeaderSection, opt, QSize(), h).width()
        if need > h.sectionSize(i):
            out.append(f"header {opt.text!r} needs {need}, has {h.sectionSize(i)}")
    return out


def ink_box(b: QPushButton) -> QRect:
    """Where the button's text is painted: the pixels that differ from the same button without it."""
    with_text = b.grab().toImage()
    text = b.text()
    b.setText("")
    bare = b.grab().toImage()
    b.setText(text)
    xs, ys = [], []
    for y in range(with_text.height()):
        for x in range(with_text.width()):
            if with_text.pixel(x, y) != bare.pixel(x, y):
                xs.append(x)
                ys.append(y)
    if not xs:
        return QRect()
    ratio = with_text.devicePixelRatio()
    return QRect(
        int(min(xs) / ratio),
        int(min(ys) / ratio),
        int((max(xs) - min(xs)) / ratio) + 1,
        int((max(ys) - min(ys)) / ratio) + 1,
    )


def overlaps(parent: QWidget) -> list[str]:
    kids = [
        c
        for c in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if c.isVisible() and not c.isWindow() and not c.geometry().isEmpty()
    ]
    out = []
    for i, a in enumerate(kids):
        for b in kids[i + 1 :]:
            if a.geometry().intersects(b.geometry()):
                out.append(f"{describe(a)} overlaps {describe(b)}")
    return out


def describe(w: QWidget) -> str:
    text = w.text() if isinstance(w, QLabel | QPushButton) else ""
    return f"{type(w).__name__}({(w.accessibleName() or text)[:30]!r})"


def problems(window: PanelWindow) -> list[str]:
    QApplication.processEvents()
    found: list[str] = []
    for w in window.findChildren(QWidget):
        if not w.isVisible():
            continue
        if isinstance(w, QLabel | QPushButton):
            if (why := cut_off(w)) is not None:
                found.append(f"{describe(w)}: {why}")
        elif isinstance(w, QHeaderView) and w.orientation() == Qt.Orientation.Horizontal:
            found.extend(header_cut_off(w))
        # Inside a scroll area Qt places its own parts (viewport, bars, corner).
        parent = w.parentWidget()
        if not isinstance(parent, QAbstractScrollArea) and not isinstance(w, QAbstractScrollArea):
            found.extend(overlaps(w))
    return found


def walk(qtbot: QtBot, window: PanelWindow) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in window.screen_names():
        window.show_screen(name)
        window.refresh_now()
        found[name] = problems(window)
    window.open_machine("FILLER")
    window.refresh_now()
    found["machine FILLER"] = problems(window)
    # The downtime screen with a stop chosen and the reason tree open at its last level.
    window.show_screen("downtime")
    window.refresh_now()
    screen = window.screens["downtime"]
    assert isinstance(screen, DowntimeScreen)
    tap(qtbot, next(iter(screen.stop_buttons.values())))
    tap(qtbot, named(window, "Mechanical"))
    tap(qtbot, named(window, "Mechanical/Jam"))
    found["reason tree"] = problems(window)
    # The report's Week, Month and Compare views.
    window.show_screen("report")
    report = window.screens["report"]
    assert isinstance(report, ReportScreen)
    for mode in ("week", "month", "compare"):
        report.show_mode(mode)
        window.refresh_now()
        found[f"report {mode}"] = problems(window)
    report.show_mode("shift")
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_shows_all_its_text_at_every_size(
    qtbot: QtBot, fit_station: Station, clock: Clock, size: tuple[int, int]
) -> None:
    window = PanelWindow(attach(fit_station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(*size)
    window.show()
    window.refresh_now()
    assert (window.width(), window.height()) == size
    found = walk(qtbot, window)
    assert found == {}, "\n".join(f"{screen}: {line}" for screen, lines in found.items() for line in lines)


@pytest.mark.parametrize("fit_station", ["long"], indirect=True)
def test_a_long_reason_is_elided_in_the_table_and_whole_a_tap_away(
    qtbot: QtBot, fit_station: Station, clock: Clock
) -> None:
    # A note on the capper's first stop, through the station's gate as the panel sends it.
    link = LocalLink(fit_station)
    stop = next(ev for ev in run_now(link.view("downtime")) if ev["equipment"] == "CAPPER")
    args = {"equipment": "CAPPER", "at": stop["start"], "text": NOTE}
    noted = run_now(link.command("note_stop", args, user="olga", pin=USERS["olga"][1]))
    assert noted.ok, noted
    window = PanelWindow(attach(fit_station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1024, 768)
    window.show()
    window.open_machine("CAPPER")
    window.refresh_now()
    screen = window.screens["machine"]
    assert isinstance(screen, MachineScreen)
    table = screen.events
    whole = f"{LONG_REASON} — {NOTE}"
    cells = [table.item(r, 3) for r in range(table.rowCount())]
    item = next(c for c in cells if c is not None and c.text() == whole)
    rect = table.visualItemRect(item)
    # The cell is too narrow for the reason and its note: Qt draws it elided.
    assert QFontMetrics(table.font()).horizontalAdvance(whole) > rect.width()
    assert not screen.event_detail.isVisible()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert screen.event_detail.isVisible()
    assert whole in screen.event_detail.text()
    assert cut_off(screen.event_detail) is None


@pytest.mark.parametrize("fit_station", ["long"], indirect=True)
def test_a_figure_shrinks_to_its_tile_and_an_elided_caption_opens_whole_on_a_tap(
    qtbot: QtBot, fit_station: Station, clock: Clock
) -> None:
    window = PanelWindow(attach(fit_station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1024, 768)
    window.show()
    window.refresh_now()
    screen = window.screens["overview"]
    assert isinstance(screen, OverviewScreen)
    good = screen.good.value
    assert isinstance(good, FitLabel)
    lines, font = good.drawn()
    assert lines == [good.text()] and sum(c.isdigit() for c in good.text()) == 7  # whole, not elided
    assert font.pixelSize() < pixel_size(good.font())  # but smaller than the figure's type
    assert cut_off(good) is None
    # The same text again: the fit is kept, not worked out anew.
    before = good.fitted()
    good.setText(good.text())
    assert good.fitted() is before
    # A new figure, longer still, shrinks further within the same tile: the screen does not move.
    tile = screen.good.geometry()
    good.setText("12 345 678")
    QApplication.processEvents()
    assert screen.good.geometry() == tile
    assert good.drawn()[1].pixelSize() < font.pixelSize() and cut_off(good) is None
    # A long machine name on its tile: wrapped and shrunk, and painted inside the button.
    name = screen.tiles["FILLER"].open_button
    assert isinstance(name, FitButton)
    lines, font = name.drawn()
    assert " ".join(lines) == LONG_NAME and font.pixelSize() < pixel_size(name.font())
    ink = ink_box(name)
    assert not ink.isEmpty() and text_box(name).contains(ink), (ink, text_box(name))
    # A caption too long for any font it may shrink to is elided, and a tap opens all of it.
    note = screen.good.note
    assert isinstance(note, FitLabel)
    note.setText(LONG_REASON * 3)
    QApplication.processEvents()
    assert note.elided()
    QTest.mouseClick(note, Qt.MouseButton.LeftButton)
    dialog = note.full_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.text.text() == LONG_REASON * 3
    tap(qtbot, named(dialog, "close full text"))
    assert not dialog.isVisible()


@pytest.mark.parametrize("words", [False, True])
def test_a_fit_is_the_largest_font_that_fits_and_twenty_tiles_share_it(qtbot: QtBot, words: bool) -> None:
    # The fit halves its way to the font (a figure that changes every second refits cheaply):
    # it must still land on the largest size that fits, never one that clips or one too small.
    label = FitLabel("", "figure", words=words)
    qtbot.addWidget(label)
    base = sized(label.font(), 40)
    for text in ("0:07", "12:34:56", "1 234 567", "Fault 101: Mechanical/Jam/Infeed", "Packer"):
        for box in (QSize(60, 20), QSize(120, 30), QSize(240, 90), QSize(400, 48), QSize(30, 6)):
            got = fit(text, base, box, min_px=14, words=words)
            px = pixel_size(got.font)
            fm = QFontMetrics(got.font)
            if px > 14:  # above the floor what is drawn fits, whole
                assert not got.elided and fm.height() * len(got.lines) <= box.height(), (text, box, px)
                assert all(fm.horizontalAdvance(line) <= box.width() for line in got.lines), (text, box, px)
            if px < 40:  # and one pixel larger would not have
                bigger = sized(base, px + 1)
                bm = QFontMetrics(bigger)
                lines, elided = wrap(text, bm, box.width(), max(1, box.height() // bm.height()), words=words)
                assert elided or bm.height() * len(lines) > box.height(), (text, box, px)
            # The same text, font and box on another tile: the fit already made.
            assert fit(text, base, box, min_px=14, words=words) is got
