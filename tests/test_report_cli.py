"""`ms5 report --pdf/--csv`: the panel's shift report from the command line, offscreen, for any
window or shift, with the figures of `ms5 report --json` for the same window; readable on A4."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPaintDevice, QPainter

from hmi.report.charts import hms
from hmi.report.export import pct
from scripts.demo_station import DEMO_CONFIG, replayed_station
from tests.cli_runs import Outcome, run_process

pytestmark = pytest.mark.slow  # ms5 as a process, Qt offscreen

WINDOW = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T12:30")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("report-cli") / "station.db"
    station, _clock = replayed_station(path)
    asyncio.run(station.stop())
    yield path


class RecordingPainter(QPainter):
    """Notes the size of every text a chart draws, and where the text boxed in a rectangle lands."""

    def __init__(self, device: QPaintDevice) -> None:
        super().__init__(device)
        self.sizes: list[int] = []
        self.boxes: list[tuple[str, QRectF]] = []

    def drawText(self, *args: Any) -> None:  # type: ignore[override]  # Qt's overloads, all noted
        self.sizes.append(self.font().pixelSize())
        if len(args) == 3 and isinstance(args[0], QRectF) and args[2]:
            rect, flags, text = args
            self.boxes.append((text, self.boundingRect(rect, flags, text)))
        super().drawText(*args)


def ms5_report(db: Path, *args: str, replay: bool = True) -> Outcome:
    # These windows end at 12:30, inside the hour the demo's journal ends in: the exact window
    # comes from a replay (the figure slices' own report is tested below and in tests/core).
    return run_process("report", str(DEMO_CONFIG), "--db", str(db), *args, *(("--replay",) if replay else ()))


def pdf_pages(path: Path) -> list[str]:
    # Qt writes each word as its own run: compare words, not layout.
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def figures(db: Path, *window: str) -> dict[str, Any]:
    out = ms5_report(db, *window, "--json")
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_the_pdf_of_a_window_carries_the_figures_of_report_json(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No display and no Qt platform named: the command must find its way to offscreen Qt by itself.
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    pdf, sheet = tmp_path / "out" / "shift.pdf", tmp_path / "shift.csv"
    out = ms5_report(db, *WINDOW, "--pdf", str(pdf), "--csv", str(sheet))
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"report written to {pdf} and {sheet}\n"
    line = figures(db, *WINDOW)["lines"]["L1"]
    text = " ".join(pdf_pages(pdf))
    assert "Bottling 1 (L1), shift Early 2026-03-02 06:00 to 14:00" in text
    assert "Figures up to 2026-03-02 12:30:00" in text
    for key in ("oee", "availability", "performance", "quality"):
        assert pct(line[key]) in text
    assert f"{line['good_count']} {line['reject_count']} {line['total_count']}" in text
    assert f"Planned production time {hms(line['planned_production_time_s'])}" in text
    assert f"Unplanned stops availability {hms(line['down_time_s'])}" in text
    assert f"Run time availability {hms(line['run_time_s'])}" in text
    assert f"Small stops performance {hms(line['losses']['small_stops_s'])}" in text
    # The demo's Andon calls, answered by mia and sam through the gate.
    assert "#1 FILLER maintenance 07:05 0:03:30 (mia) 0:26:00 (mia)" in text

    with sheet.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    at = rows.index(["# L1 metrics"])
    metrics = dict(zip(rows[at + 1], rows[at + 2], strict=True))
    assert int(metrics["good_count"]) == line["good_count"]
    assert float(metrics["oee"]) == pytest.approx(line["oee"], abs=1e-9)
    assert float(metrics["down_time_s"]) == pytest.approx(line["down_time_s"], abs=1e-6)


def test_a_window_that_is_no_shift_is_named_by_its_ends_and_its_hours_count_exactly(
    db: Path, tmp_path: Path
) -> None:
    window = ("--from", "2026-03-02T07:30:30", "--to", "2026-03-02T09:10")
    pdf, sheet = tmp_path / "w.pdf", tmp_path / "w.csv"
    assert ms5_report(db, *window, "--pdf", str(pdf), "--csv", str(sheet)).returncode == 0
    line = figures(db, *window)["lines"]["L1"]
    assert "Bottling 1 (L1), 2026-03-02 07:30 to 2026-03-02 09:10" in pdf_pages(pdf)[0]
    with sheet.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    at = rows.index(["# L1 production per hour"])
    header = rows[at + 1]
    hours = [dict(zip(header, r, strict=True)) for r in rows[at + 2 : at + 4]]
    assert [h["hour_start"] for h in hours] == ["2026-03-02 07:30:30", "2026-03-02 08:30:30"]
    # Hours that start at half a minute still add up to the window's count, to the part.
    assert sum(int(h["good_count"]) for h in hours) == line["good_count"]


def test_every_page_is_headed_by_the_line_and_shift_and_numbered(db: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "paged.pdf"
    out = ms5_report(db, "--shift", "previous", "--to", "2026-03-02T12:30", "--pdf", str(pdf))
    assert out.returncode == 0, out.stderr
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert page.startswith("Bottling 1 (L1), shift Night 2026-03-01 22:00 to 06:00"), page[:80]
        assert page.endswith(f"Page {n} of {len(pages)}")
    night = figures(db, "--shift", "previous", "--to", "2026-03-02T12:30")
    assert night["window"] == {"from": "2026-03-01T22:00:00+01:00", "to": "2026-03-02T06:00:00+01:00"}


def test_the_sheet_from_the_figure_slices_is_the_sheet_of_a_replay(db: Path, tmp_path: Path) -> None:
    hours = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T12:00")
    projected, replayed = tmp_path / "slices.csv", tmp_path / "replay.csv"
    out = ms5_report(db, *hours, "--csv", str(projected), replay=False)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert ms5_report(db, *hours, "--csv", str(replayed)).returncode == 0
    assert projected.read_text() == replayed.read_text()
    # Up to 12:30, inside the hour the journal ends in: its tail from the journal, as a replay.
    tail = ms5_report(db, *WINDOW, "--json", replay=False)
    assert tail.returncode == 0 and tail.stderr == "", tail.stderr
    assert json.loads(tail.stdout) == figures(db, *WINDOW)
    assert json.loads(tail.stdout) != figures(db, *hours)


def test_shift_current_reports_the_shift_under_way_up_to_to(db: Path) -> None:
    current = figures(db, "--shift", "current", "--to", "2026-03-02T12:30")
    assert current == figures(db, *WINDOW)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--shift", "current", "--from", "2026-03-02T06:00"), "--shift and --from cannot go together"),
        (("--from", "2026-03-02T06:00", "--to", "2026-03-01T12:00"), "--to is before --from"),
        (("--line", "L9", "--pdf", "x.pdf"), "--line: unknown line 'L9'"),
        (("--pdf", "/proc/no/such/dir/x.pdf"), "cannot write the report"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    db: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = ms5_report(db, *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_chart_labels_are_at_least_8_pt_on_the_a4_page(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QApplication

    from core.config import load_config
    from core.export import recorded
    from core.replay import Window, run_engine
    from core.store import Store
    from core.timefmt import parse_time
    from hmi.report.export import CHART_PX, CHART_RECT, print_charts
    from hmi.report.view import window_report

    pdf = tmp_path / "charts.pdf"
    assert ms5_report(db, *WINDOW, "--pdf", str(pdf)).returncode == 0
    widths: list[float] = []  # each chart picture's width on the page, in points

    def on_operator(op: bytes, args: Any, cm: list[float], tm: list[float]) -> None:
        if op == b"Do":
            widths.append(cm[0])

    for page in PdfReader(pdf).pages:
        page.extract_text(visitor_operand_before=on_operator)
    assert len(widths) >= 3

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    _app = QApplication.instance() or QApplication([])
    cfg = load_config(DEMO_CONFIG)
    with Store.open(db) as store:
        samples, actions = recorded(store)
    tz = cfg.lines[0].tz
    window = Window(parse_time(WINDOW[1], tz), parse_time(WINDOW[3], tz))
    engine, _ = run_engine(cfg, samples, window, actions)
    (line,) = window_report(cfg, engine, window.start, window.end)["lines"]
    for name, paint in print_charts(line).items():
        image = QImage(*CHART_PX, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = RecordingPainter(image)
        paint(painter, CHART_RECT)
        painter.end()
        assert painter.sizes, name
        smallest_pt = min(painter.sizes) * min(widths) / CHART_PX[0]
        assert smallest_pt >= 8.0, f"{name}: {smallest_pt:.1f} pt"
        # Text that big must still not run into its neighbour's: at least a space between them.
        space = min(painter.sizes) / 4
        for i, (text, box) in enumerate(painter.boxes):
            for other, other_box in painter.boxes[i + 1 :]:
                apart = not box.adjusted(-space / 2, 0, space / 2, 0).intersects(other_box)
                assert apart, f"{name}: {text!r} runs into {other!r}"
