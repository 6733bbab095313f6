"""The soak at a tiny size: it runs, samples as it goes and prints every figure of issue 7's soak.
No figure is asserted (docs/BENCHMARKS.md); the hour-long run's figures are in
docs/BENCHMARKS.md."""

from __future__ import annotations

import pytest

from scripts import soak

pytestmark = pytest.mark.slow  # runs a benchmark end to end


def _lines_starting(out: str, label: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith(label)]


@pytest.mark.bench
def test_the_soak_samples_the_station_and_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--minutes", "0.3", "--connections", "2", "--tags", "10", "--sample-seconds", "2"]
    result = soak.main([*argv, "--warmup-minutes", "0.05", "--cycle", "0.5"])
    out = capsys.readouterr().out

    assert out.startswith("Soak: 2 Modbus connections x 10 tags (2 equipment each), poll 200 ms, 0.3 min")
    assert len(_lines_starting(out, "started ")) == 1 and "code: git " in out
    for label in ("polls/s:", "samples/s:", "memory:", "CPU:", "database:", "file on disk:"):
        assert len(_lines_starting(out, label)) == 1, f"no {label!r} line in:\n{out}"
    assert "aim: <= 5 MB/h" in out
    assert "aim: <= 50 MB per line-day" in out

    assert len(result.points) >= 8  # one every 2 s over 18 s, and the first
    assert result.points[-1].connected == 2
    assert result.points[-1].polls > result.points[1].polls > 0
    assert result.points[-1].samples > 0
    assert result.points[-1].db_bytes > result.points[0].db_bytes  # the journal grows
    assert result.final_file_bytes > 0
    assert result.memory_mb_per_h is not None and result.db_mb_per_line_day is not None


def test_the_growth_figures_are_least_squares_slopes() -> None:
    assert soak.slope([0.0, 1.0, 2.0, 3.0], [10.0, 12.0, 14.0, 16.0]) == pytest.approx(2.0)
    # One outlier moves a fit less than it moves end minus start.
    assert soak.slope([0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 19.0]) == pytest.approx(2.8)
    assert soak.slope([1.0], [5.0]) is None
    assert soak.slope([1.0, 1.0], [5.0, 6.0]) is None
