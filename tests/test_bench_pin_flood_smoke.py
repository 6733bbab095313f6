"""The PIN flood benchmark at a tiny size: it runs, every phase polls, the flood logs in. No timing
is asserted (docs/BENCHMARKS.md): the ratio is for people to read."""

from __future__ import annotations

import pytest

from scripts import bench_pin_flood

pytestmark = pytest.mark.slow  # runs the simulator and a station end to end


@pytest.mark.bench
def test_the_pin_flood_bench_prints_both_rates_and_their_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    ratio = bench_pin_flood.main(["--connections", "2", "--tags", "8", "--seconds", "1.5", "--warmup", "0.5"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("PIN flood: 2 Modbus connections x 8 tags"), out
    phases = [line for line in lines if "polls/s per connection" in line]
    assert [p.split()[0] for p in phases] == ["baseline", "flood", "baseline"], out
    assert " 0.0 logins/s" not in phases[1], "the flood logged nobody in"
    assert ratio > 0 and "flood / baseline:" in lines[-1], out
