"""The console benchmark at a tiny size: it runs the station alone and with the console in a real
pty, and prints its figure lines. No timing is asserted (docs/BENCHMARKS.md)."""

from __future__ import annotations

import re

import pytest

from scripts import bench_console

pytestmark = pytest.mark.slow  # runs a benchmark end to end


@pytest.mark.bench
def test_console_bench_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--machines", "4", "--hz", "5", "--seconds", "2", "--warmup", "3", "--screens", "tags"]
    assert bench_console.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Console bench: 4 machines x 5 Hz (16 signals, 80 samples/s, a stop every 120 s")
    assert re.search(r"^  station alone +CPU +[\d.]+ % of one core$", out, re.M), out
    line = re.search(r"^  console, tags +CPU.*$", out, re.M)
    assert line, out
    assert "console share" in line[0] and "(aim <= 10 %)" in line[0]
    terminal = re.search(r"terminal +(\d+) B/s \(aim <= 2048\)  warm-up (\d+) B", line[0])
    assert terminal, line[0]
    # The console painted its screen into the pty before the window opened.
    assert int(terminal[2]) > 1000


def test_unknown_screen_is_refused() -> None:
    with pytest.raises(SystemExit) as exc:
        bench_console.main(["--screens", "nope"])
    assert exc.value.code == 2
