"""The panel benchmark at a tiny size: it runs the real window on a fed station, prints its
figure lines, and the start-up child reaches a frame with live data from the simulated PLCs.
No timing is asserted (docs/BENCHMARKS.md): the figures are for people to read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hmi.panel.pump import FRAME_MS
from scripts import bench_panel

pytestmark = pytest.mark.slow  # runs a benchmark end to end

ROOT = Path(__file__).resolve().parent.parent


def _lines_starting(out: str, label: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith(label)]


@pytest.mark.bench
def test_panel_bench_prints_its_figures_and_the_panel_starts_live() -> None:
    # Its own process, as a user runs it: the benchmark makes its own QApplication and event loops,
    # which must not meet the ones pytest-qt keeps for the panel tests.
    argv = ["--machines", "4", "--seconds", "2", "--baseline-seconds", "1", "--startup-seconds", "6"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_panel", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]

    assert out.startswith("Panel bench: 4 machines x 10 Hz into the station")
    for label in ("[baseline] station + feeder, no window", "[measured] station + feeder + panel"):
        (line,) = _lines_starting(out, label)
        assert _number_before(line, "samples/s") > 0, line
    assert len(_lines_starting(out, "CPU:")) == 2
    assert "(aim: <= 15%)" in out
    (frames,) = _lines_starting(out, "frames:")
    assert "(aim: <= 16 ms)" in frames and _number_before(frames, "frames)") > 0, (
        "the window painted no frame"
    )
    # Live frames come from the window's pump alone, at most one per FRAME_MS: the per-screen pass
    # that follows paints frames of its own, which must not be counted as live ones.
    fps = re.search(r"frames: ([\d.]+)/s", frames)
    assert fps and float(fps[1]) <= 1000 / FRAME_MS + 0.5, frames
    (cpu,) = _lines_starting(out, "frame CPU time")
    assert _number_before(cpu, "frames)") == _number_before(frames, "frames)"), (cpu, frames)
    for screen in ("overview", "machine", "downtime", "andon", "jobs", "report"):
        (line,) = _lines_starting(out, screen)
        assert f"({bench_panel.PER_SCREEN} frames)" in line, line
    assert "(aim: <= 250 MB)" in out
    assert len(_lines_starting(out, "panel cost: CPU ratio measured / baseline =")) == 1
    assert len(_lines_starting(out, "start-up, process start -> first frame / first live frame")) == 1
    for label in ("run_panel, the demo line's 4 PLCs already up:", "run_panel demo=True, starting the 4"):
        (line,) = _lines_starting(out, label)
        assert line.endswith("exit code 0"), line
        first, live = re.findall(r"(\d+\.\d+) s", line)[:2]
        assert float(live) >= float(first) > 0, line


@pytest.mark.bench
def test_panel_bench_counts_the_layouts_and_paints_of_each_frame() -> None:
    argv = ["--machines", "4", "--seconds", "3", "--baseline-seconds", "1", "--startup-seconds", "0"]
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_panel", *argv, "--count-events"],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (head,) = _lines_starting(done.stdout, "events per frame")
    assert _number_before(head, "frames;") > 0, head
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("    ")}
    assert set(rows) == set(bench_panel.COUNTED), rows
    # Every frame paints something: the tiles' time in state moves each second.
    assert "mean 0.0, max 0" not in rows["Paint"], rows["Paint"]


def _number_before(line: str, unit: str) -> float:
    found = re.search(r"([\d.]+) " + re.escape(unit), line)
    assert found, f"no number before {unit!r} in {line!r}"
    return float(found[1])


def test_bench_config_has_the_machines_and_a_shift_at_every_hour() -> None:
    config = bench_panel.load_config(bench_panel.bench_config_text(20))
    (line,) = config.lines
    assert [eq.id for eq in line.equipment] == [f"M{i:02d}" for i in range(1, 21)]
    assert config.connections == []
    assert config.panel.idle_lock_s == 86400  # the benchmark's panel must not lock itself
    assert {s.name for s in line.shifts} == {"Early", "Late", "Night"}
