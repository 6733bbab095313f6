"""The trend benchmark at a tiny size: a few copied days trended every way it times."""

from __future__ import annotations

import re

import pytest

from scripts import bench_trend

pytestmark = pytest.mark.slow  # runs a benchmark end to end


def test_it_prints_each_trend_with_its_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_trend.main(["--hours", "25", "--poll", "60", "--days", "3"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r": +[\d.]+ s, +(\d+) rows, \d+ insight\(s\)", out)
    # Three days of three shifts, three days, one week, four machines' shifts.
    assert rows == ["9", "9", "3", "1", "36"], out
    # The console's view: the three days' shifts of the line (the last closed slice ends the third).
    assert re.search(r"view shift_trend \(14 days\) +: +[\d.]+ s, +9 rows, kept: [\d.]+ s", out), out
