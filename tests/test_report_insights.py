"""The insights of `ms5 report --pdf`: those of the window's closed shifts (core/report_insights.py),
on the hand-worked two days of tests/test_trend_cli.py (shifts Early 06-14 and Late 14-22).

Tuesday's Late shift has six small stops of 60 s and no other stop; the Early shift before it
had none (a 40 min drive fault). A week before there are no figures. So the Late shift alone,
compared with the shift before and with the same shift last week, gives one insight: its small
stops against none.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.config import load_config
from core.report_insights import window_insights
from core.timefmt import parse_time
from tests.cli_runs import run_process
from tests.test_trend_cli import NEXT_MONDAY, _store


def _insights(cfg: Path, db: Path, a: str, b: str) -> list[dict[str, object]] | None:
    config = load_config(cfg)
    tz = config.lines[0].tz
    with sqlite3.connect(db) as conn:
        found = window_insights(config, conn, config.lines, parse_time(a, tz), parse_time(b, tz))
    return None if found is None else [i.to_dict() for i in found]


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _store(tmp_path_factory.mktemp("report-insights"))


def test_a_shift_is_compared_with_the_shift_before(line: tuple[Path, Path]) -> None:
    [small] = _insights(*line, "2026-03-03T14:00", "2026-03-03T22:00") or []
    assert small["rule"] == "small_stops_up" and small["subject"] == "L1"
    assert small["text"] == (
        "Small stops on FILLER in 2026-03-03 Late: 6, against none in 2026-03-03 Early "
        "(6 min 00 s against 0 s)"
    )
    assert small["comparison"] == "2026-03-03 Late against 2026-03-03 Early"


def test_a_shift_a_week_on_is_compared_with_the_same_shift(tmp_path: Path) -> None:
    # Monday 9 March, Early: a 30 min jam against 15 min the Monday before (and nothing the
    # shift before, Friday's Late, which has no figures of its own: the days between are idle).
    cfg, db = _store(tmp_path, more=NEXT_MONDAY)
    found = {i["comparison"]: i for i in _insights(cfg, db, "2026-03-09T06:00", "2026-03-09T14:00") or []}
    top = found["2026-03-09 Early against 2026-03-02 Early"]
    assert top["rule"] == "top_loss"
    assert top["figures"] == {
        "equipment": "FILLER", "reason": "Mechanical/Jam", "seconds": 1800, "stops": 1,
        "compared_seconds": 900, "change_pct": 100.0,
    }  # fmt: skip


def test_no_insight_under_the_thresholds_or_before_the_figures(
    line: tuple[Path, Path], tmp_path: Path
) -> None:
    assert _insights(*line, "2026-03-02T06:00", "2026-03-02T14:00") == []  # nothing before it
    cfg, db = _store(tmp_path, trends="\n[trends]\nsmall_stops_min_count = 7\n")
    assert _insights(cfg, db, "2026-03-03T14:00", "2026-03-03T22:00") == []


def test_a_window_without_a_closed_shift_has_no_insights(line: tuple[Path, Path]) -> None:
    assert _insights(*line, "2026-03-02T06:00", "2026-03-02T13:00") is None  # no whole shift
    assert _insights(*line, "2026-03-04T06:00", "2026-03-04T14:00") is None  # not closed yet


@pytest.mark.slow  # ms5 as a process, the PDF drawn by offscreen Qt
def test_the_pdf_lists_the_insights_with_their_figures(line: tuple[Path, Path], tmp_path: Path) -> None:
    from pypdf import PdfReader

    cfg, db = line
    pdf = tmp_path / "shift.pdf"
    args = ("--line", "L1", "--shift", "previous", "--to", "2026-03-03T22:30")
    out = run_process("report", str(cfg), "--db", str(db), "--pdf", str(pdf), *args)
    assert out.returncode == 0, out.stderr
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    assert "Insights Small stops on FILLER in 2026-03-03 Late: 6, against none in 2026-03-03 Early" in text
    assert "small_stop_count: 6, compared_small_stop_count: 0" in text
    quiet = tmp_path / "quiet.pdf"
    window = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T14:00")
    out = run_process("report", str(cfg), "--db", str(db), "--pdf", str(quiet), *window)
    assert out.returncode == 0, out.stderr
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(quiet).pages)
    assert "Insights None: no rule's threshold was reached." in text
