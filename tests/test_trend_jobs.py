"""`ms5 trend --by job`: a hand-worked Monday of one line whose constraint is the Labeller
(0.5 s a label, shift Early 06:00-14:00, small stops under 120 s), with three job runs.

- J-1041 (format A), planned 06:00-09:00 for 18000, runs 06:00-09:00: three small stops of 60 s,
  18000 labels. Run time 10800 s, performance 0.5 x 18000 / 10800 = 0.8333, OEE the same.
- J-1042 (format B), planned 09:00-11:30 for 16000, runs 09:00-12:00: six small stops of 60 s,
  16200 labels. Performance 0.5 x 16200 / 10800 = 0.75.
- format A started on the panel without a plan at 12:30, 6000 labels to 13:30.

Small stops doubled from J-1041 to J-1042, so with the window up to 12:00 J-1042 is the last job
and the small-stops rule fires; over the whole day the last job is the panel's, which has none.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runs import Outcome, run_in_process

CONFIG = """[site]
name = "Plant 1"

[[products]]
id = "format A"
ideal_cycle_time_s = 0.5

[[products]]
id = "format B"
ideal_cycle_time_s = 0.5

[[lines]]
id = "L1"
timezone = "Europe/Berlin"
constraint = "LABELLER"
small_stop_threshold_s = 120

[[lines.shifts]]
name = "Early"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "06:00"
end = "14:00"

[[lines.equipment]]
id = "LABELLER"
name = "Labeller"
ideal_cycle_time_s = 0.5

[[replay.users]]
name = "olga"
role = "operator"
"""
SCHEDULE = """job,product,quantity,line,planned start,planned end
J-1041,format A,18000,L1,2026-03-02T06:00,2026-03-02T09:00
J-1042,format B,16000,L1,2026-03-02T09:00,2026-03-02T11:30
"""
ACTIONS: list[dict[str, Any]] = [
    {"ts": "2026-03-02T06:00:00+01:00", "user": "olga", "command": "start_job", "line": "L1",
     "product": "format A", "job": "J-1041"},
    {"ts": "2026-03-02T09:00:00+01:00", "user": "olga", "command": "start_job", "line": "L1",
     "product": "format B", "job": "J-1042"},
    {"ts": "2026-03-02T12:00:00+01:00", "user": "olga", "command": "end_job", "line": "L1"},
    {"ts": "2026-03-02T12:30:00+01:00", "user": "olga", "command": "start_job", "line": "L1",
     "product": "format A", "quantity": 6000},
    {"ts": "2026-03-02T13:30:00+01:00", "user": "olga", "command": "end_job", "line": "L1"},
]  # fmt: skip


def _journal() -> str:
    rows = ["ts,equipment,signal,value"]

    def at(t: str, signal: str, value: int) -> None:
        rows.append(f"2026-03-02T{t}+01:00,LABELLER,{signal},{value}")

    at("06:00:00", "running", 1)
    at("06:00:00", "total_count", 0)
    # Three small stops in J-1041, then six in J-1042.
    for hh, mm in ((7, 0), (7, 30), (8, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 15), (11, 30)):
        at(f"{hh:02d}:{mm:02d}:00", "running", 0)
        at(f"{hh:02d}:{mm + 1:02d}:00", "running", 1)
    at("09:00:00", "total_count", 18000)
    at("12:00:00", "total_count", 34200)
    at("13:30:00", "total_count", 40200)
    at("14:00:00", "running", 1)
    return "\n".join(rows) + "\n"


def _store(folder: Path, *, trends: str = "", actions: list[dict[str, Any]] = ACTIONS) -> tuple[Path, Path]:
    cfg, db = folder / "line.toml", folder / "station.db"
    cfg.write_text(CONFIG + trends)
    (folder / "journal.csv").write_text(_journal())
    (folder / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in actions))
    (folder / "plan.csv").write_text(SCHEDULE)
    for argv in (
        ("jobs", "import", str(cfg), str(folder / "plan.csv")),
        ("import-journal", str(cfg), str(folder / "journal.csv"), "--actions", str(folder / "actions.jsonl")),
    ):
        out = run_in_process(*argv, "--db", str(db))
        assert out.returncode == 0, out.stderr
    return cfg, db


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _store(tmp_path_factory.mktemp("jobs"))


def trend(line: tuple[Path, Path], *args: str) -> Outcome:
    cfg, db = line
    return run_in_process("trend", str(cfg), "--db", str(db), "--by", "job", *args)


def trend_json(line: tuple[Path, Path], *args: str) -> dict[str, Any]:
    out = trend(line, *args, "--json")
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


MORNING = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T12:00")


def test_a_row_per_job_run_against_its_plan_worked_by_hand(line: tuple[Path, Path]) -> None:
    rows = trend_json(line)["rows"]
    assert [r["period"] for r in rows] == [
        "J-1041 (format A)",
        "J-1042 (format B)",
        "format A from 2026-03-02T12:30:00+01:00",
    ]
    a, b, panel = rows
    assert (a["target_quantity"], a["actual_quantity"]) == (18000, 18000)
    assert (b["target_quantity"], b["actual_quantity"]) == (16000, 16200)
    assert (panel["job"], panel["target_quantity"], panel["actual_quantity"]) == (None, 6000, 6000)
    assert (b["planned_start"], b["planned_end"]) == (
        "2026-03-02T09:00:00+01:00",
        "2026-03-02T11:30:00+01:00",
    )
    assert (b["actual_start"], b["actual_end"]) == ("2026-03-02T09:00:00+01:00", "2026-03-02T12:00:00+01:00")
    assert (panel["planned_start"], panel["running"]) == (None, False)
    assert (a["small_stop_count"], b["small_stop_count"], panel["small_stop_count"]) == (3, 6, 0)
    assert (a["losses"]["small_stops_s"], b["losses"]["small_stops_s"]) == (180, 360)
    assert (a["run_time_s"], b["run_time_s"], b["down_time_s"]) == (10800, 10800, 0)
    assert a["performance"] == pytest.approx(9000 / 10800, abs=1e-6)
    assert b["performance"] == pytest.approx(8100 / 10800, abs=1e-6)
    assert b["oee"] == pytest.approx(8100 / 10800, abs=1e-6)
    assert panel["oee"] == pytest.approx(3000 / 3600, abs=1e-6)


def test_a_job_s_figures_are_those_of_ms5_report(line: tuple[Path, Path]) -> None:
    cfg, db = line
    out = run_in_process("report", str(cfg), "--db", str(db), "--json", *MORNING)
    assert out.returncode == 0, out.stderr
    report = {j["job"]: j for j in json.loads(out.stdout)["jobs"]}
    for row in trend_json(line, *MORNING)["rows"]:
        job = report[row["job"]]
        for key in ("target_quantity", "actual_quantity", "planned_start", "actual_end", "oee", "run_time_s"):
            assert row[key] == job[key], key


def test_small_stops_doubled_since_the_job(line: tuple[Path, Path]) -> None:
    result = trend_json(line, *MORNING, "--compare", "previous")
    assert [r["compare"]["period"] for r in result["rows"][1:]] == ["J-1041 (format A)"]
    assert result["rows"][1]["compare"]["small_stop_count"] == 3
    [insight] = result["insights"]
    assert insight["rule"] == "small_stops_up"
    assert insight["text"] == (
        "Small stops on LABELLER doubled since job J-1042 (format B): 6 in it against 3 in "
        "J-1041 (format A) (6 min 00 s against 3 min 00 s)"
    )
    assert insight["figures"]["small_stop_count"] == 6
    assert insight["figures"]["compared_small_stop_count"] == 3
    assert insight["comparison"] == "J-1042 (format B) against J-1041 (format A)"
    text = trend(line, *MORNING, "--compare", "previous").stdout
    assert "- Small stops on LABELLER doubled since job J-1042 (format B)" in text
    assert "J-1042 (format B)" in text and "16,000" in text and "16,200" in text


def test_the_first_job_of_a_window_is_compared_with_the_job_before_it(line: tuple[Path, Path]) -> None:
    rows = trend_json(line, "--from", "2026-03-02T09:00", "--to", "2026-03-02T12:00", "--compare", "previous")
    assert [(r["period"], r["compare"]["period"]) for r in rows["rows"]] == [
        ("J-1042 (format B)", "J-1041 (format A)")
    ]


def test_no_insight_fires_on_a_quiet_last_job_or_under_the_threshold(
    line: tuple[Path, Path], tmp_path: Path
) -> None:
    assert trend_json(line, "--compare", "previous")["insights"] == []
    assert trend_json(line, *MORNING)["insights"] == []  # nothing compared
    quiet = _store(tmp_path, trends="\n[trends]\nsmall_stops_factor = 2.5\n")
    assert trend_json(quiet, *MORNING, "--compare", "previous")["insights"] == []
    assert "Insights: none" in trend(quiet, *MORNING, "--compare", "previous").stdout


def test_csv_has_a_row_per_job(line: tuple[Path, Path]) -> None:
    out = trend(line, *MORNING, "--csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["job"], r["target_quantity"], r["actual_quantity"]) for r in rows] == [
        ("J-1041", "18000", "18000"),
        ("J-1042", "16000", "16200"),
    ]
    assert rows[1]["small_stop_count"] == "6" and float(rows[1]["losses_small_stops_s"]) == 360


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2026-03-03T06:00", "--to", "2026-03-03T14:00"), "no job ran from 2026-03-03T06:00"),
        (("--compare", "same-last-week"), "--by job compares a job with the one before it"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(line: tuple[Path, Path], args: tuple[str, ...], says: str) -> None:
    out = trend(line, *args)
    assert out.returncode == 2
    assert says in out.stderr and out.stderr.count("\n") == 1 and out.stdout == ""


def test_a_store_without_jobs_says_so(tmp_path: Path) -> None:
    out = trend(_store(tmp_path, actions=[]))
    assert out.returncode == 2
    assert "no job ran from 2026-03-02T06:00" in out.stderr and out.stdout == ""


def test_a_job_still_running_is_counted_to_the_journal_s_end(tmp_path: Path) -> None:
    store = _store(tmp_path, actions=ACTIONS[:-1])
    rows = trend_json(store)["rows"]
    panel = rows[-1]
    assert (panel["running"], panel["actual_end"]) == (True, None)
    assert (panel["to"], panel["actual_quantity"]) == ("2026-03-02T14:00:00+01:00", 6000)
    assert "2026-03-02 12:30 – running" in trend(store).stdout
