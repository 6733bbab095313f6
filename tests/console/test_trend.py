"""The console's OEE trend bars stand on zero: their height is the figure, whatever the series."""

from __future__ import annotations

from hmi.console.trend import bar_rows


def test_a_constant_low_series_is_the_lowest_bar_and_a_full_one_the_full_block() -> None:
    assert bar_rows([0.007] * 8, 8, 3) == ["        ", "        ", "▁▁▁▁▁▁▁▁"]
    assert bar_rows([1.0] * 8, 8, 3) == ["████████"] * 3


def test_bars_rise_with_the_figure_on_a_fixed_scale() -> None:
    # 0 %, 50 %, 100 %: the lowest bar, half the height (12 of 24 eighths), all of it.
    assert bar_rows([0.0, 0.5, 1.0], 3, 3) == ["  █", " ▄█", "▁██"]
    # An hour without a figure stays empty; a figure over 100 % is drawn as 100 %.
    assert bar_rows([None, 1.2], 2, 1) == [" █"]


def test_each_value_gets_its_share_of_the_width_and_a_cell_shows_the_highest_of_its_values() -> None:
    assert bar_rows([0.0, 1.0], 4, 1) == ["▁▁██"]
    assert bar_rows([0.0, 1.0, 0.0, 0.0], 2, 1) == ["█▁"]
    assert bar_rows([], 3, 2) == ["   ", "   "]
