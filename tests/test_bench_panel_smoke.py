"""The panel benchmark at a tiny size: it runs the real window on a fed station, prints its
figure lines, and the start-up child reaches a frame with live data from the simulated PLCs.
No timing is asserted (shared/DESIGN.md section 8): the figures are for people to read."""

from __future__ import annotations

import os

import pytest

from scripts import bench_panel

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _lines_starting(out: str, label: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith(label)]


@pytest.mark.bench
def test_panel_bench_prints_its_figures_and_the_panel_starts_live(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--machines", "4", "--seconds", "2", "--baseline-seconds", "1", "--startup-seconds", "6"]
    result = bench_panel.main(argv)
    out = capsys.readouterr().out
    assert result is not None

    assert out.startswith("Panel bench: 4 machines x 10 Hz into the station")
    for label in ("[baseline] station + feeder, no window", "[measured] station + feeder + panel"):
        assert len(_lines_starting(out, label)) == 1, f"no {label!r} line in:\n{out}"
    assert len(_lines_starting(out, "CPU:")) == 2
    assert "(aim: <= 15%)" in out
    assert "(aim: <= 16 ms)" in out
    assert "(aim: <= 250 MB)" in out
    assert len(_lines_starting(out, "panel cost: CPU ratio measured / baseline =")) == 1
    assert len(_lines_starting(out, "start-up, process start -> first frame / first live frame")) == 1

    for phase in (result.baseline, result.measured):
        assert phase.samples > 0, phase.name
        assert phase.cpu_s > 0, phase.name
    assert result.measured.frames_ms, "the window painted no frame"
    assert set(result.per_screen_ms) == {"overview", "machine", "downtime", "andon", "jobs", "report"}
    assert all(len(times) == bench_panel.PER_SCREEN for times in result.per_screen_ms.values())
    assert result.peak_mb > 0

    assert len(_lines_starting(out, "run_panel, the demo line's 4 PLCs already up:")) == 1
    assert len(_lines_starting(out, "run_panel demo=True, starting the 4 simulated PLCs:")) == 1
    for startup in (result.startup_running, result.startup_demo):
        assert startup is not None
        assert startup.exit_code == 0, startup.output
        assert startup.first_frame_s is not None, startup.output
        assert startup.first_live_frame_s is not None, startup.output
        assert startup.first_live_frame_s >= startup.first_frame_s
    assert result.startup_demo is not None and "simulators_up" in result.startup_demo.marks


def test_bench_config_has_the_machines_and_a_shift_at_every_hour() -> None:
    config = bench_panel.load_config(bench_panel.bench_config_text(20))
    (line,) = config.lines
    assert [eq.id for eq in line.equipment] == [f"M{i:02d}" for i in range(1, 21)]
    assert config.connections == []
    assert config.panel.idle_lock_s == 86400  # the benchmark's panel must not lock itself
    assert {s.name for s in line.shifts} == {"Early", "Late", "Night"}
