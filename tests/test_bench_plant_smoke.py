"""The plant console benchmark at a tiny size: a broker, two stations, `ms5 plant` in a real pty;
it prints its figure lines. No timing is asserted (docs/BENCHMARKS.md)."""

from __future__ import annotations

import re

import pytest

from scripts import bench_plant

pytestmark = pytest.mark.slow  # runs a benchmark end to end


@pytest.mark.bench
def test_plant_bench_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--stations", "2", "--machines", "2", "--hz", "2", "--seconds", "2", "--warmup", "4"]
    assert bench_plant.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Plant bench: 2 stations x 2 machines, 8 DDATA/s"), out
    assert re.search(r"^  ms5 plant, no station +CPU +[\d.]+ % of one core", out, re.M), out
    loaded = re.search(
        r"^  ms5 plant, 2 stations +CPU +[\d.]+ % of one core \(aim <= 10 %\).*ratio", out, re.M
    )
    assert loaded, out
