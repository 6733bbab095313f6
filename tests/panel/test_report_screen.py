"""The report screen of the panel, offscreen, on a station fed with the demo shift's journal and a
few people's commands: what it shows, and the PDF and CSV a supervisor exports from it carry the
engine's own figures."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from core.metrics import Metrics
from hmi.panel.screens.report import ReportScreen
from hmi.panel.widgets import common
from hmi.panel.window import PanelWindow
from hmi.report.charts import hms
from hmi.report.export import pct
from hmi.station.runtime import Station
from scripts.demo_station import CORRECTED_REASON, DEFAULT_NOW, ManualClock, at, replayed_station
from tests.panel.conftest import attach
from tests.panel.helpers import named, tap

pytestmark = pytest.mark.slow  # the panel under Qt

SHIFT_START = at("06:00")


@pytest.fixture
def fed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Station, ManualClock]]:
    monkeypatch.setenv("MS5_DATA_DIR", str(tmp_path / "data"))  # where the exports go
    station, clock = replayed_station(tmp_path / "station.db")
    yield station, clock
    asyncio.run(station.stop())


@pytest.fixture
def report_window(qtbot: QtBot, fed: tuple[Station, ManualClock]) -> PanelWindow:
    station, clock = fed
    w = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(w)
    w.pump.heartbeat.stop()  # repaints come from refresh_now(), not the wall clock
    w.resize(1280, 800)
    w.show()
    tap(qtbot, w.nav_buttons["report"])
    return w


def _screen(window: PanelWindow) -> ReportScreen:
    screen = window.screens["report"]
    assert isinstance(screen, ReportScreen)
    return screen


def _metrics(station: Station, a: float = SHIFT_START, b: float = DEFAULT_NOW) -> Metrics:
    assert station.engine is not None
    return station.engine.metrics("FILLER", a, b)


def _text(item: QTableWidgetItem | None) -> str:
    assert item is not None
    return item.text()


def _pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    # Qt writes each word as its own run: compare words, not layout.
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_report_screen_shows_the_shifts_figures(
    report_window: PanelWindow, fed: tuple[Station, ManualClock]
) -> None:
    station, _ = fed
    screen = _screen(report_window)
    assert report_window.current_screen() == "report"
    m = _metrics(station)
    assert screen.title_label.text() == "Early 02/03/2026 06:00\u201314:00"
    # Part of FILLER's communication loss is inferred run time: the OEE is marked, the reason said.
    assert screen.kpi["oee"].text() == common.pct(m.oee) + " !"
    assert screen.doubts_label.text() == "! 4 min of run time inferred across a communication loss"
    assert screen.doubts_label.isVisible()
    assert screen.kpi["availability"].text() == common.pct(m.availability)
    assert screen.kpi["performance"].text() == common.pct(m.performance)
    assert screen.kpi["quality"].text() == common.pct(m.quality)
    assert screen.kpi["good"].text() == common.count(m.good_count)
    assert screen.good_target.text() == f"target so far {common.count(round(46000 * 6 / 7.5))}"
    table = screen.andon_table
    rows = [[_text(table.item(r, c)) for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert rows == [
        ["FILLER", "Maintenance", "07:05", "0:03:30 mia", "0:26:00 mia"],
        ["LABELLER", "Material", "09:40", "0:02:10 sam", "0:15:00 sam"],
        ["PACKER", "Quality", "11:50", "0:06:00 sam", "open"],
        ["CAPPER", "Material", "12:20", "open", "open"],
    ]
    for chart in (screen.waterfall, screen.pareto, screen.hourly):
        assert chart.line is not None and chart.isVisible()


def test_the_previous_shift_button_shows_the_night_before(
    qtbot: QtBot, report_window: PanelWindow, fed: tuple[Station, ManualClock]
) -> None:
    station, _ = fed
    screen = _screen(report_window)
    tap(qtbot, named(screen, "report previous shift"))
    night = _metrics(station, SHIFT_START - 8 * 3600, SHIFT_START)
    assert screen.previous_button.isChecked()
    assert screen.title_label.text() == "Night 01/03/2026 22:00\u201306:00"
    assert screen.kpi["good"].text() == common.count(night.good_count)
    assert screen.andon_table.rowCount() == 0
    tap(qtbot, named(screen, "report this shift"))
    assert screen.title_label.text().startswith("Early")


def test_the_exported_pdf_carries_the_engines_figures(
    qtbot: QtBot, report_window: PanelWindow, fed: tuple[Station, ManualClock], tmp_path: Path
) -> None:
    station, _ = fed
    screen = _screen(report_window)
    tap(qtbot, named(screen, "report export pdf"))
    (pdf,) = (tmp_path / "data" / "reports").glob("*.pdf")
    assert pdf.name == "shift-report-L1-Early-2026-03-02-0600.pdf"
    assert str(pdf) in screen.status_label.text()
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)

    m = _metrics(station)
    assert "Shift report, Plant 1" in text
    assert "Bottling 1 (L1), shift Early 2026-03-02 06:00 to 14:00" in text
    for figure in (pct(m.oee), pct(m.availability), pct(m.performance), pct(m.quality)):
        assert figure in text
    assert f"{m.good_count} {m.reject_count} {m.total_count}" in text
    assert "! Doubtful data: 4 min of run time inferred across a communication loss." in text
    losses = m.losses()
    assert f"Planned production time {hms(m.planned_production_time_s)}" in text
    assert f"Unplanned stops availability {hms(m.down_time_s)}" in text
    assert f"Small stops performance {hms(losses['small_stops_s'])}" in text
    assert f"Slow cycles performance {hms(losses['slow_cycles_s'])}" in text
    assert f"Fully productive time quality {hms(m.ideal_good_s)}" in text

    assert station.engine is not None
    events = [
        ev
        for eq in ("FILLER", "CAPPER", "LABELLER", "PACKER")
        for ev in station.engine.downtime_events(eq, SHIFT_START, DEFAULT_NOW)
    ]
    corrected = [ev for ev in events if ev.reason == CORRECTED_REASON]
    assert len(corrected) == 1
    assert f"{CORRECTED_REASON} unplanned {corrected[0].equipment} {hms(corrected[0].duration_s)} 1" in text

    hour = _metrics(station, at("07:00"), at("08:00"))
    assert f"07:00-08:00 {hour.good_count} {hour.total_count} {hour.reject_count} 6133" in text
    assert "#1 FILLER maintenance 07:05 0:03:30 (mia) 0:26:00 (mia)" in text
    assert "#3 PACKER quality 11:50 0:06:00 (sam) -" in text


def test_the_exported_csv_has_a_section_per_part_with_the_engines_figures(
    qtbot: QtBot, report_window: PanelWindow, fed: tuple[Station, ManualClock], tmp_path: Path
) -> None:
    station, _ = fed
    screen = _screen(report_window)
    tap(qtbot, named(screen, "report export csv"))
    (path,) = (tmp_path / "data" / "reports").glob("*.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    sections: dict[str, list[dict[str, str]]] = {}
    i = 0
    while i < len(rows):
        name = rows[i][0].removeprefix("# ")
        header = rows[i + 1]
        j = i + 2
        body = []
        while j < len(rows) and rows[j]:
            body.append(dict(zip(header, rows[j], strict=True)))
            j += 1
        sections[name] = body
        i = j + 1
    assert list(sections) == [
        "L1 shift",
        "L1 metrics",
        "L1 data quality",
        "L1 losses waterfall",
        "L1 downtime pareto",
        "L1 production per hour",
        "L1 andon response",
    ]
    m = _metrics(station)
    (metrics,) = sections["L1 metrics"]
    assert int(metrics["good_count"]) == m.good_count
    assert float(metrics["down_time_s"]) == pytest.approx(m.down_time_s)
    assert float(metrics["oee"]) == pytest.approx(m.oee, abs=1e-6)
    (quality,) = sections["L1 data quality"]
    assert float(quality["inferred_run_time_s"]) == pytest.approx(m.inferred_run_time_s)
    assert quality["signals_missing"] == "andon good_count"  # the demo journal records neither
    assert quality["doubts"] == "4 min of run time inferred across a communication loss"
    steps = {r["step"]: float(r["seconds"]) for r in sections["L1 losses waterfall"]}
    assert steps["Run time"] == pytest.approx(m.run_time_s)
    assert steps["Fully productive time"] == pytest.approx(m.ideal_good_s)
    hours = sections["L1 production per hour"]
    assert sum(int(h["good_count"]) for h in hours if h["good_count"]) == m.good_count
    assert hours[-1]["good_count"] == ""  # 13:00 has not begun
    calls = sections["L1 andon response"]
    assert [(c["equipment"], c["time_to_acknowledge_s"]) for c in calls] == [
        ("FILLER", "210"),
        ("LABELLER", "130"),
        ("PACKER", "360"),
        ("CAPPER", ""),
    ]
