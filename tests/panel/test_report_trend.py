"""The report screen's Week, Month and Compare views and its insights, offscreen, on a station whose
store holds the hand-worked two days of tests/test_trend_cli.py with a second machine beside the
filler (imported with `ms5 import-journal`, so the figures come from the store's figure slices).

Shifts Early 06-14 and Late 14-22, 8 h (28800 s) planned each, ideal cycle 0.5 s, no rejects. The
line's figures are FILLER's (its constraint), its Pareto over both machines:

- FILLER: Monday Early 50000 parts, a 15 min jam; Monday Late 50000, a 20 min jam and two small
  stops of 60 s; Tuesday Early 40000, a 40 min drive fault; Tuesday Late 40000, six small stops.
- CAPPER: the same counts; one drive fault, Monday 09:00-09:10, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QTableWidget
from pytestqt.qtbot import QtBot

from core.config import load_config
from hmi.panel.screens.report import ReportScreen
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.cli_runs import run_in_process
from tests.panel.conftest import Clock, attach
from tests.panel.helpers import named, tap
from tests.test_trend_cli import CONFIG, _journal

pytestmark = pytest.mark.slow  # the panel under Qt

WEDNESDAY_6 = datetime.fromisoformat("2026-03-04T06:00:00+01:00").timestamp()
PLANNED = 28800.0
CAPPER = """
[[lines.equipment]]
id = "CAPPER"
name = "{name}"
ideal_cycle_time_s = 0.5
faults = {{ 205 = "Electrical/Drive fault" }}
"""


def capper_rows() -> list[str]:
    rows = []
    for t, signal, value in (
        ("02T06:00:00", "running", 1),
        ("02T06:00:00", "total_count", 0),
        ("02T09:00:00", "running", 0),
        ("02T09:00:00", "fault_code", 205),
        ("02T09:10:00", "running", 1),
        ("02T09:10:00", "fault_code", 0),
        ("02T13:59:00", "total_count", 50000),
        ("02T21:59:00", "total_count", 100000),
        ("03T13:59:00", "total_count", 140000),
        ("03T21:59:00", "total_count", 180000),
        ("04T06:00:00", "running", 1),
    ):
        rows.append(f"2026-03-{t}+01:00,CAPPER,{signal},{value}")
    return rows


def two_machine_store(folder: Path, capper_name: str = "Capper") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cfg, journal, db = folder / "line.toml", folder / "journal.csv", folder / "station.db"
    text = CONFIG.format(cycle=0.5).replace('id = "L1"\n', 'id = "L1"\nconstraint = "FILLER"\n', 1)
    cfg.write_text(text + CAPPER.format(name=capper_name) + '\n[panel]\nlanguage = "en"\n')
    head, *rows = _journal().splitlines()
    # The journal in time order (its lines' times all have the same offset: they sort as text).
    journal.write_text("\n".join([head, *sorted(rows + capper_rows(), key=lambda r: r[:25])]) + "\n")
    done = run_in_process("import-journal", str(cfg), str(journal), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return cfg, db


def history_station(folder: Path, clock: Clock, capper_name: str = "Capper") -> Station:
    cfg, db = two_machine_store(folder, capper_name)
    station = Station(load_config(cfg), db, clock=clock)
    station.open()
    return station


@pytest.fixture
def history(tmp_path: Path) -> Iterator[tuple[Station, Clock]]:
    clock = Clock(WEDNESDAY_6)
    station = history_station(tmp_path / "h", clock)
    yield station, clock
    assert station.store is not None
    station.store.close()


@pytest.fixture
def report(qtbot: QtBot, history: tuple[Station, Clock]) -> tuple[PanelWindow, ReportScreen]:
    station, clock = history
    window = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1280, 800)
    window.show()
    tap(qtbot, window.nav_buttons["report"])
    screen = window.screens["report"]
    assert isinstance(screen, ReportScreen)
    return window, screen


def cells(table: QTableWidget) -> list[list[str]]:
    QApplication.processEvents()
    out = []
    for r in range(table.rowCount()):
        row = []
        for c in range(table.columnCount()):
            item = table.item(r, c)
            row.append(item.text() if item is not None else "")
        out.append(row)
    return out


def headers(table: QTableWidget) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def test_the_week_shows_each_shifts_oee_the_weeks_losses_and_the_insight(
    qtbot: QtBot, report: tuple[PanelWindow, ReportScreen]
) -> None:
    window, screen = report
    tap(qtbot, named(window, "report view week"))
    rows = cells(screen.week.table)
    # Newest first; OEE = ideal time of the good parts / planned time (no rejects).
    assert [r[0] for r in rows] == [
        "03/03/2026 Late",
        "03/03/2026 Early",
        "02/03/2026 Late",
        "02/03/2026 Early",
    ]
    assert [r[1] for r in rows] == [pct(20000 / PLANNED)] * 2 + [pct(25000 / PLANNED)] * 2
    # Monday Early: available 28800 - 900 s, performing 25000 s of ideal time in the run time.
    assert rows[3][2:7] == [pct(27900 / PLANNED), pct(25000 / 27900), "100.0%", "15:00", "50,000"]
    assert rows[1][5] == "40:00"
    # The week: FILLER's summed times, ratios recomputed (not the mean of the shifts').
    summary = screen.week.summary.text()
    assert f"OEE {pct(90000 / (4 * PLANNED))}" in summary
    assert f"availability {pct(110700 / (4 * PLANNED))}" in summary
    assert f"performance {pct(90000 / 110700)}" in summary and "down 1:15:00" in summary
    line = screen.week.line()
    assert line is not None
    losses = {s["label"]: s["seconds"] for s in line["waterfall"]}
    assert losses["Planned production time"] == 4 * PLANNED and losses["Unplanned stops"] == 4500
    assert losses["Run time"] == 110700 and losses["Fully productive time"] == 90000
    # The Pareto over both machines: the capper's 10 min drive fault beside the filler's 40.
    assert [(r["reason"], r["duration_s"], r["count"]) for r in line["pareto"]] == [
        ("Electrical/Drive fault", 3000, 2),
        ("Mechanical/Jam", 2100, 2),
    ]
    (insight,) = [label.text() for label in screen.week.insights.lines if label.isVisible()]
    assert insight == (
        "• Small stops on FILLER in 2026-03-03 Late: 6 against none in 2026-03-03 Early (6:00 against 0:00)"
    )


def test_the_month_shows_a_row_a_day(qtbot: QtBot, report: tuple[PanelWindow, ReportScreen]) -> None:
    window, screen = report
    tap(qtbot, named(window, "report view month"))
    rows = cells(screen.month.table)
    assert [r[0] for r in rows] == ["03/03/2026", "02/03/2026"]
    assert [r[1] for r in rows] == [pct(40000 / (2 * PLANNED)), pct(50000 / (2 * PLANNED))]
    assert [r[5] for r in rows] == ["40:00", "35:00"]
    # Monday against nothing before it; Tuesday's six small stops against Monday's two: 3 times.
    # Tuesday against Monday: the filler's drive fault is new (the capper's was Monday's), and
    # its six small stops are three times Monday's two.
    shown = [label.text() for label in screen.month.insights.lines if label.isVisible()]
    assert shown == [
        "• Top loss in 2026-03-03: Electrical/Drive fault on FILLER, 40:00 in 1 stop, "
        "new against 2026-03-02 (0:00)",
        "• Small stops on FILLER in 2026-03-03: 6 against 2 in 2026-03-02 (6:00 against 2:00)",
    ]


def test_compare_shows_two_shifts_and_their_difference_and_steps_to_another(
    qtbot: QtBot, report: tuple[PanelWindow, ReportScreen]
) -> None:
    window, screen = report
    tap(qtbot, named(window, "report view compare"))
    table = screen.compare.table
    # The last two shifts: Tuesday Early (40 min down) against Tuesday Late (six small stops).
    assert headers(table)[1:3] == ["03/03/2026 Early", "03/03/2026 Late"]
    rows = {r[0]: r[1:] for r in cells(table)}
    assert rows["Availability"] == [pct(26400 / PLANNED), "100.0%", "+8.3 pts"]
    assert rows["OEE"] == [pct(20000 / PLANNED), pct(20000 / PLANNED), "±0.0 pts"]
    assert rows["Down time"] == ["40:00", "0:00", "\u22122,400 s"]
    assert rows["Small stop time"] == ["0:00", "6:00", "+360 s"]
    assert rows["Small stops"] == ["0", "6", "+6"]
    # Back one on the left: Monday Late (20 min jam, two small stops) against Tuesday Late.
    tap(qtbot, named(window, "compare left back"))
    assert screen.compare.left_chooser.label.text() == "02/03/2026 Late"
    rows = {r[0]: r[1:] for r in cells(table)}
    assert rows["Down time"] == ["20:00", "0:00", "\u22121,200 s"]
    assert rows["OEE"][2] == f"\u2212{(25000 - 20000) / PLANNED * 100:.1f} pts"
    assert rows["Small stops"] == ["2", "6", "+4"]


def test_compare_shows_two_machines_over_the_week(
    qtbot: QtBot, report: tuple[PanelWindow, ReportScreen]
) -> None:
    window, screen = report
    tap(qtbot, named(window, "report view compare"))
    tap(qtbot, named(window, "compare machines"))
    table = screen.compare.table
    assert headers(table)[1:3] == ["FILLER", "Capper"]
    rows = {r[0]: r[1:] for r in cells(table)}
    # Four shifts each: the filler 4500 s down, the capper 600 s.
    assert rows["Down time"] == ["1:15:00", "10:00", "\u22123,900 s"]
    assert rows["Availability"] == [
        pct(110700 / (4 * PLANNED)),
        pct(114600 / (4 * PLANNED)),
        f"+{(114600 - 110700) / (4 * PLANNED) * 100:.1f} pts",
    ]
    assert rows["Good parts"] == ["180,000", "180,000", "±0"]
    # Forward on the left onto the machine on the right: the two swap.
    tap(qtbot, named(window, "compare left forward"))
    assert headers(table)[1:3] == ["Capper", "FILLER"]
    assert {r[0]: r[1:] for r in cells(table)}["Down time"][2] == "+3,900 s"


def test_a_store_without_a_closed_shift_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    cfg, _db = two_machine_store(tmp_path / "h")
    clock = Clock(WEDNESDAY_6)
    station = Station(load_config(cfg), tmp_path / "empty.db", clock=clock)
    station.open()
    window = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(window)
    window.pump.heartbeat.stop()
    window.resize(1280, 800)
    window.show()
    tap(qtbot, window.nav_buttons["report"])
    screen = window.screens["report"]
    assert isinstance(screen, ReportScreen)
    for mode, label in (("week", screen.week.summary), ("compare", screen.compare.caption)):
        tap(qtbot, named(window, f"report view {mode}"))
        assert label.text() == "No closed shift in the store yet: nothing to show"
    assert screen.week.table.rowCount() == 0
    assert station.store is not None
    station.store.close()
