"""The gaps steps of the clock leave (core/clock_steps.py), figures worked out by hand."""

from __future__ import annotations

from core.clock_steps import cut, gap_seconds, joined, later

# Two steps forward: 10 s at t=100, an hour at t=200.
GAPS = [(100.0, 110.0), (200.0, 3800.0)]


def test_the_time_in_gaps_is_left_out_of_a_window() -> None:
    assert gap_seconds(GAPS, 0, 4000) == 3610
    assert gap_seconds(GAPS, 105, 300) == 5 + 100
    assert gap_seconds(GAPS, 110, 200) == 0


def test_a_piece_is_cut_around_the_gaps() -> None:
    assert list(cut(GAPS, 50, 4000)) == [(50, 100), (110, 200), (3800, 4000)]
    assert list(cut(GAPS, 105, 250)) == [(110, 200)]
    assert list(cut(GAPS, 120, 150)) == [(120, 150)]
    assert list(cut(GAPS, 210, 300)) == []


def test_a_delay_runs_on_time_that_passed() -> None:
    # 300 s from t=50: 50 s to the first gap, 90 s to the second, 160 s after it.
    assert later(GAPS, 50, 300) == 3960
    # A delay that ends before a gap is not moved by it; one starting inside a gap runs from its end.
    assert later(GAPS, 0, 100) == 100
    assert later(GAPS, 250, 60) == 3860


def test_pieces_on_either_side_of_a_gap_touch() -> None:
    assert joined(GAPS, 200, 3800)
    assert joined(GAPS, 150, 150)
    assert not joined(GAPS, 190, 3800)
