"""The report benchmark at a tiny size: a store with a closed shift, the report from the figure
slices next to the replay of the same window, the same figures."""

from __future__ import annotations

import re

import pytest

from scripts import bench_report

pytestmark = pytest.mark.slow  # runs a benchmark end to end


def test_it_prints_both_reports_their_ratio_and_that_they_agree(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_report.main(["--hours", "10", "--poll", "10"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(
        r"slices +[\d.]+ s \| replay +[\d.]+ s \| replay/slices +[\d.]+x \| same figures: yes", out
    )
    assert len(rows) == 3, out
    assert "last shift" in out and "shift, odd" in out and "whole history" in out
