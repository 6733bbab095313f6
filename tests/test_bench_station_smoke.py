"""The station and Modbus latency benchmarks at a tiny size: they run, print their figure lines,
every connection connects and the engine sees the changes. No timing is asserted
(docs/BENCHMARKS.md): the figures are for people to read."""

from __future__ import annotations

import pytest

from core.config import Config
from scripts import bench_latency_modbus, bench_station

pytestmark = pytest.mark.slow  # runs a benchmark end to end


def _lines_starting(out: str, label: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith(label)]


@pytest.mark.bench
def test_station_bench_prints_its_figures_and_every_connection_connects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--connections", "2", "--tags", "10", "--seconds", "3", "--baseline-seconds", "2.5"]
    result = bench_station.main([*argv, "--warmup", "0.5", "--cycle", "0.5"])
    out = capsys.readouterr().out

    assert out.startswith("Station bench: 2 Modbus connections x 10 tags (2 equipment each")
    for label in ("[measured] poll 200 ms", "[baseline] poll 2000 ms"):
        assert len(_lines_starting(out, label)) == 1, f"no {label!r} line in:\n{out}"
    for label in (
        "connections:",
        "polls/s:",
        "poll jitter:",
        "CPU:",
        "engine:",
        "memory:",
        "store:",
        "simulator:",
    ):
        assert len(_lines_starting(out, label)) == 2, f"not one {label!r} line per phase in:\n{out}"
    assert "aim: p99 <= 50 ms" in out
    assert "aim: <= 25%" in out
    assert len(_lines_starting(out, "polling cost: CPU ratio measured / baseline =")) == 1
    assert len(_lines_starting(out, "memory peak (whole run):")) == 1

    for phase in (result.measured, result.baseline):
        assert phase.connections == 2
        assert phase.ever_connected == 2, phase.name
        assert phase.connected == 2, phase.name
        assert phase.polls > 0, phase.name
        assert phase.samples > 0, phase.name
        assert phase.production_updates > 0, phase.name
    assert result.measured.jitter_ms, "no poll intervals harvested"
    assert result.measured.lost_poll_times == 0


def test_station_bench_config_gives_every_connection_its_tags() -> None:
    text = bench_station.bench_config_text([15020, 15021, 15022], 100, 0.2, 2.5)
    config: Config = bench_station.load_bench_config(text, "bench.toml")
    assert [c.id for c in config.connections] == ["c01", "c02", "c03"]
    assert all(c.poll_interval_s == 0.2 for c in config.connections)
    for line in config.lines:
        assert len(line.equipment) == 13
        assert sum(len(eq.signals) for eq in line.equipment) == 100
        assert {b.connection for eq in line.equipment for b in eq.signals} == {f"c{line.id[1:]}"}
    assert [b.signal for b in config.lines[0].equipment[-1].signals] == [
        "running",
        "total_count",
        "reject_count",
        "fault_code",
    ]


@pytest.mark.bench
def test_modbus_latency_bench_prints_its_figures_and_the_engine_sees_every_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = bench_latency_modbus.main(["--changes", "20"])
    out = capsys.readouterr().out

    assert out.startswith("Modbus latency, server set() -> engine event: 20 changes")
    for label in ("counter  n   10", "running  n   10", "all      n   20"):
        lines = _lines_starting(out, label)
        assert len(lines) == 1 and "p50" in lines[0] and "p99" in lines[0], f"no {label!r} line in:\n{out}"
    assert "aim (issue 4): p99 within poll interval + 20 ms = 120 ms" in out
    assert "baseline: poll interval 100 ms; ratio p99 / poll =" in out
    assert "missed (no event within 5 s): 0" in out

    assert "connected" in result.states
    assert len(result.by_kind["counter"]) == 10
    assert len(result.by_kind["running"]) == 10
    assert result.missed == 0
    assert result.polls > 0


def test_modbus_latency_bench_config_is_valid() -> None:
    text = bench_latency_modbus.bench_config_text(15030, 0.1)
    config = bench_station.load_bench_config(text, "latency.toml")
    assert config.connections[0].poll_interval_s == 0.1
    assert [b.signal for b in config.lines[0].equipment[0].signals] == ["running", "total_count"]
