"""The `ms5` command line as a user runs it (the README's command table)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hmi.cli.main import build_parser

pytestmark = pytest.mark.slow  # runs ms5 as a process

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"

# docs/OEE.md, "Data quality"
DATA_QUALITY_KEYS = {
    "comms_loss_s",
    "inferred_run_time_s",
    "counter_resets",
    "counter_jitter_events",
    "counts_while_down",
    "signals_missing",
    "clock_steps",
}
METRIC_KEYS = {
    "all_time_s",
    "scheduled_time_s",
    "planned_stop_time_s",
    "planned_production_time_s",
    "changeover_time_s",
    "down_time_s",
    "comms_loss_time_s",
    "run_time_s",
    "small_stop_time_s",
    "small_stop_count",
    "total_count",
    "good_count",
    "reject_count",
    "availability",
    "performance",
    "quality",
    "oee",
    "teep",
    "losses",
}
LOSS_KEYS = {
    "unplanned_stops_s",
    "planned_stops_s",
    "small_stops_s",
    "slow_cycles_s",
    "startup_rejects_s",
    "production_rejects_s",
}
EVENT_KEYS = {"start", "end", "duration_s", "reason", "fault_code"}

# Monday 2 March 2026, Early shift (06:00-14:00 Europe/Berlin, +01:00): the filler jams for ten
# minutes at 07:00 (fault 101), and has counted 7000 parts at 08:00.
JOURNAL = """ts,equipment,signal,value
2026-03-02T06:00:00+01:00,FILLER,running,1
2026-03-02T06:00:00+01:00,FILLER,total_count,0
2026-03-02T06:00:00+01:00,CAPPER,state,6
2026-03-02T07:00:00+01:00,FILLER,running,0
2026-03-02T07:00:00+01:00,FILLER,fault_code,101
2026-03-02T07:10:00+01:00,FILLER,running,1
2026-03-02T07:10:00+01:00,FILLER,fault_code,0
2026-03-02T08:00:00+01:00,FILLER,total_count,7000
2026-03-02T08:00:00+01:00,FILLER,running,1
"""


def ms5(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmi.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.csv"
    path.write_text(JOURNAL, encoding="utf-8")
    return path


def replay_json(config: Path, journal: Path, *extra: str) -> dict[str, Any]:
    result = ms5("replay", str(config), str(journal), "--json", *extra)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)  # one object, nothing else on stdout
    assert isinstance(out, dict)
    return out


def subcommands() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


# --- help ---------------------------------------------------------------------------------------


def test_help() -> None:
    result = ms5("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ms5")
    for name in ("check", "replay", "demo"):
        assert name in result.stdout


def test_the_foundation_commands_exist() -> None:
    assert {"check", "replay", "demo"} <= set(subcommands())


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help(command: str) -> None:
    result = ms5(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: ms5 {command}")
    assert result.stderr == ""


def test_no_command_is_bad_input() -> None:
    result = ms5()
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# --- replay -------------------------------------------------------------------------------------


def iso_times(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, value) under a time key (start, end, from, to) anywhere in the replay object."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from iso_times(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from iso_times(item, key)
    elif key in {"start", "end", "from", "to"}:
        yield key, node


def test_replay_json_has_the_keys_of_the_issue(journal: Path) -> None:
    out = replay_json(REFERENCE, journal)

    assert set(out["equipment"]) == {"FILLER", "CAPPER"}
    for eq_id, figures in out["equipment"].items():
        assert METRIC_KEYS | {"downtime_events"} <= set(figures), eq_id
        assert set(figures["losses"]) == LOSS_KEYS
        assert set(figures["data_quality"]) >= DATA_QUALITY_KEYS, eq_id
        for event in figures["downtime_events"]:
            assert set(event) == EVENT_KEYS

    assert set(out["lines"]) == {"L1"}
    line = out["lines"]["L1"]
    assert line["constraint"] == "FILLER"
    assert set(line) >= METRIC_KEYS
    assert set(line["losses"]) == LOSS_KEYS
    assert "downtime_events" not in line  # events are per equipment

    assert out["shifts"], "the window lies in Monday's Early shift"
    for shift in out["shifts"]:
        assert {"line", "shift", "start", "end"} | METRIC_KEYS <= set(shift)
        assert set(shift["losses"]) == LOSS_KEYS
    assert [(s["line"], s["shift"]) for s in out["shifts"]] == [("L1", "Early")]


def test_replay_json_figures(journal: Path) -> None:
    out = replay_json(REFERENCE, journal)
    assert out["window"] == {"from": "2026-03-02T06:00:00+01:00", "to": "2026-03-02T08:00:00+01:00"}
    filler = out["equipment"]["FILLER"]
    assert filler["all_time_s"] == 7200
    assert filler["planned_production_time_s"] == 7200
    assert filler["down_time_s"] == 600
    assert filler["run_time_s"] == 6600
    assert filler["total_count"] == 7000
    assert filler["downtime_events"] == [
        {
            "start": "2026-03-02T07:00:00+01:00",
            "end": "2026-03-02T07:10:00+01:00",
            "duration_s": 600,
            "reason": "Mechanical/Jam/Infeed",
            "fault_code": 101,
        }
    ]
    # The line is its constraint, the filler.
    line = dict(out["lines"]["L1"])
    assert line.pop("constraint") == "FILLER"
    assert line == {k: v for k, v in filler.items() if not k.endswith("_events")}
    # availability = run / planned production time = 6600 / 7200
    assert filler["availability"] == pytest.approx(6600 / 7200, abs=1e-6)
    [shift] = out["shifts"]
    assert (shift["start"], shift["end"]) == ("2026-03-02T06:00:00+01:00", "2026-03-02T08:00:00+01:00")


def test_replay_json_times_are_iso_8601_with_offset(journal: Path) -> None:
    out = replay_json(REFERENCE, journal)
    times = list(iso_times(out))
    assert len(times) >= 2 + 2 + 2  # window, the shift, the downtime event
    for key, value in times:
        assert isinstance(value, str), (key, value)
        parsed = datetime.fromisoformat(value)
        assert parsed.utcoffset() is not None, (key, value)
        assert value.endswith("+01:00"), (key, value)  # the line's local time in winter


def test_constraint_defaults_to_last_equipment_in_replay(tmp_path: Path, journal: Path) -> None:
    config = tmp_path / "line.toml"
    config.write_text(REFERENCE.read_text(encoding="utf-8").replace('constraint = "FILLER"\n', ""))
    out = replay_json(config, journal)
    assert out["lines"]["L1"]["constraint"] == "CAPPER"
    assert out["lines"]["L1"]["down_time_s"] == out["equipment"]["CAPPER"]["down_time_s"] == 0


def test_from_and_to_narrow_the_window(journal: Path) -> None:
    out = replay_json(
        REFERENCE, journal, "--from", "2026-03-02T06:30:00+01:00", "--to", "2026-03-02T07:05:00+01:00"
    )
    assert out["window"] == {"from": "2026-03-02T06:30:00+01:00", "to": "2026-03-02T07:05:00+01:00"}
    filler = out["equipment"]["FILLER"]
    assert filler["all_time_s"] == 35 * 60
    assert filler["down_time_s"] == 5 * 60
    [event] = filler["downtime_events"]
    assert (event["start"], event["end"], event["duration_s"]) == (
        "2026-03-02T07:00:00+01:00",
        "2026-03-02T07:05:00+01:00",
        300,
    )
    [shift] = out["shifts"]
    assert (shift["start"], shift["end"]) == ("2026-03-02T06:30:00+01:00", "2026-03-02T07:05:00+01:00")


def test_from_without_offset_is_the_lines_local_time(journal: Path) -> None:
    out = replay_json(REFERENCE, journal, "--from", "2026-03-02T07:30", "--to", "2026-03-02T07:45")
    assert out["window"] == {"from": "2026-03-02T07:30:00+01:00", "to": "2026-03-02T07:45:00+01:00"}


def test_only_from_keeps_the_last_row_as_end(journal: Path) -> None:
    out = replay_json(REFERENCE, journal, "--from", "2026-03-02T07:00:00+01:00")
    assert out["window"] == {"from": "2026-03-02T07:00:00+01:00", "to": "2026-03-02T08:00:00+01:00"}
    assert out["equipment"]["FILLER"]["all_time_s"] == 3600


def test_to_before_from_is_bad_input(journal: Path) -> None:
    result = ms5(
        "replay",
        str(REFERENCE),
        str(journal),
        "--json",
        "--from",
        "2026-03-02T07:30:00+01:00",
        "--to",
        "2026-03-02T06:30:00+01:00",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "--to" in line and "--from" in line


def test_unreadable_from_is_bad_input(journal: Path) -> None:
    result = ms5("replay", str(REFERENCE), str(journal), "--from", "yesterday")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "--from" in line and "yesterday" in line


@pytest.mark.parametrize("value", ["nan", "inf", "1e13"])
def test_non_time_window_bound_is_bad_input(journal: Path, value: str) -> None:
    result = ms5("replay", str(REFERENCE), str(journal), "--to", value)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "--to" in line and value in line


def test_replay_without_json_prints_a_table(journal: Path) -> None:
    result = ms5("replay", str(REFERENCE), str(journal))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for text in ("OEE", "line L1 (FILLER)", "FILLER", "CAPPER", "Early", "Mechanical/Jam/Infeed", "91.7%"):
        assert text in result.stdout, text


# --- demo ---------------------------------------------------------------------------------------


def test_demo_replay_prints_the_bundled_shift() -> None:
    result = ms5("demo", "--replay")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for text in ("OEE", "line L1 (FILLER)", "LABELLER", "PACKER", "Downtime events"):
        assert text in result.stdout, text


def test_demo_runs_the_simulated_line_with_a_station(tmp_path: Path) -> None:
    env = {**os.environ, "MS5_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "hmi.cli", "demo", "--seconds", "8", "--every", "4", "--speed", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for conn in ("filler-plc", "capper-plc", "labeller-plc", "packer-plc"):
        assert f"station: {conn} connected" in result.stdout, conn
    figures = [line for line in result.stdout.splitlines() if " OEE " in line]
    assert {line.split()[2] for line in figures} >= {"FILLER", "CAPPER", "LABELLER", "PACKER"}
    assert (tmp_path / "demo.db").exists()
