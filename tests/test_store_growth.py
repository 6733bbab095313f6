"""Counters journaled at most once a second: a smaller file, the same figures.

The bench runs the demo line through the real station and through the every-change loop it
replaced, and compares every metric and per-minute count; here it runs short, at the poll rate
where pacing matters (100 ms) and at 1 s, where it changes nothing."""

from __future__ import annotations

import re

import pytest

from core.counter_thinning import CounterPace
from core.samples import Quality, Sample
from scripts import bench_store_growth

T = 1772427600.0


def test_the_bench_finds_identical_figures_and_a_smaller_file_at_a_100_ms_poll(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench_store_growth.main(["--hours", "0.25", "--polls", "1,0.1", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    ratios = {
        poll: float(ratio) for poll, ratio in re.findall(r"poll (\d+) ms: .* paced/every (\d\.\d+)", out)
    }
    assert ratios["1000"] == 1.0  # one change a second at most: nothing to leave out
    assert ratios["100"] < 0.7
    assert out.count("identical (paced vs every change, and rebuild vs live)") == 2


def test_a_counter_passes_once_a_second_with_the_last_value_of_that_second() -> None:
    pace = CounterPace()
    passed: list[Sample] = []
    for k in range(1, 31):  # 3 s at 100 ms, the counter rising every poll
        passed += pace.feed(Sample(T + k / 10, "FILLER", "total_count", float(k)))
    passed += pace.drain()
    # The first value passes at once (the engine's baseline), then the last of each second.
    assert [(round(s.ts - T, 1), s.value) for s in passed] == [
        (0.1, 1.0),
        (1.0, 10.0),
        (2.0, 20.0),
        (3.0, 30.0),
    ]


def test_counts_held_for_an_equipment_go_before_its_stop_and_bad_data_passes_at_once() -> None:
    pace = CounterPace()
    pace.feed(Sample(T + 0.1, "FILLER", "total_count", 1.0))
    assert pace.feed(Sample(T + 0.2, "FILLER", "total_count", 2.0)) == []
    assert pace.feed(Sample(T + 0.2, "CAPPER", "running", 0.0)) == [Sample(T + 0.2, "CAPPER", "running", 0.0)]
    out = pace.feed(Sample(T + 0.3, "FILLER", "running", 0.0))
    assert [(s.signal, s.value) for s in out] == [("total_count", 2.0), ("running", 0.0)]
    bad = Sample(T + 0.4, "FILLER", "total_count", None, Quality.BAD)
    assert pace.feed(bad) == [bad]
    assert pace.held == 0


def test_a_tick_after_the_second_ends_lets_the_held_value_through() -> None:
    pace = CounterPace()
    pace.feed(Sample(T + 0.1, "FILLER", "total_count", 1.0))
    pace.feed(Sample(T + 0.6, "FILLER", "total_count", 2.0))
    assert pace.due(T + 0.9) == []  # (T, T + 1] is not over yet
    assert [s.value for s in pace.due(T + 1.0)] == [2.0]
