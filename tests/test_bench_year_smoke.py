"""The year benchmark at a tiny size: two short months imported one after the other, each with
its restart, memory, database and report figures next to month 1's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.store import Store
from scripts import bench_year

pytestmark = pytest.mark.slow  # runs a benchmark end to end, real processes


def test_it_prints_a_row_per_month_with_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_year.main(["--months", "2", "--hours-per-month", "0.1", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "SHORT RUN: 0.1 h a month" in out
    cell = r"\s+[\d.]+ \(([\d.]+)\)"
    rows = re.findall(rf"^\s+(\d)\s+(\d+)\s+[\d.]+{cell * 5}$", out, re.MULTILINE)
    assert [r[0] for r in rows] == ["1", "2"], out
    assert all(ratio == "1.00" for ratio in rows[0][2:])  # month 1 is the baseline
    # The second month extended the store: its journal is both months', in time order.
    with Store.open(tmp_path / "year.db") as store:
        times = [record.ts for _id, record in store.journal()]
    assert len(times) == int(rows[0][1]) + int(rows[1][1])
    assert times == sorted(times)
    assert times[-1] == pytest.approx(bench_year.T0 + 2 * 0.1 * 3600, abs=1)
    assert not (tmp_path / "restart.db").exists()  # the restarts ran on copies
