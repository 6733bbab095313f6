"""`ms5 trend`: a hand-worked two-day journal (one line, one filler, shifts Early 06-14 and Late
14-22) imported into a store, then trended by shift, day and week from its figure slices.

Monday: jams of 15 and 20 min, two small stops of 60 s, 100000 parts (0.5 s each).
Tuesday: a drive fault of 40 min, six small stops, 80000 parts. Each shift is 8 h planned.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runs import Outcome, run_in_process

CONFIG = """[site]
name = "Plant 1"

[reasons]
"Mechanical/Jam" = "unplanned"
"Electrical/Drive fault" = "unplanned"

[[lines]]
id = "L1"
timezone = "Europe/Berlin"
small_stop_threshold_s = 120

[[lines.shifts]]
name = "Early"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "06:00"
end = "14:00"

[[lines.shifts]]
name = "Late"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "14:00"
end = "22:00"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = {cycle}
faults = {{ 101 = "Mechanical/Jam", 205 = "Electrical/Drive fault" }}
"""


def _journal() -> str:
    rows = ["ts,equipment,signal,value"]

    def at(t: str, signal: str, value: int) -> None:
        rows.append(f"2026-03-{t}+01:00,FILLER,{signal},{value}")

    at("02T06:00:00", "running", 1)
    at("02T06:00:00", "total_count", 0)
    at("02T06:30:00", "running", 0)
    at("02T06:30:00", "fault_code", 101)
    at("02T06:45:00", "running", 1)
    at("02T06:45:00", "fault_code", 0)
    at("02T13:59:00", "total_count", 50000)
    at("02T15:00:00", "running", 0)
    at("02T15:00:00", "fault_code", 101)
    at("02T15:20:00", "running", 1)
    at("02T15:20:00", "fault_code", 0)
    for minute in (0, 10):
        at(f"02T16:{minute:02d}:00", "running", 0)
        at(f"02T16:{minute + 1:02d}:00", "running", 1)
    at("02T21:59:00", "total_count", 100000)
    at("03T07:00:00", "running", 0)
    at("03T07:00:00", "fault_code", 205)
    at("03T07:40:00", "running", 1)
    at("03T07:40:00", "fault_code", 0)
    at("03T13:59:00", "total_count", 140000)
    for minute in range(0, 60, 10):
        at(f"03T15:{minute:02d}:00", "running", 0)
        at(f"03T15:{minute + 1:02d}:00", "running", 1)
    at("03T21:59:00", "total_count", 180000)
    at("04T06:00:00", "running", 1)
    return "\n".join(rows) + "\n"


# A week later: the Early shift with a 30 min jam and 50000 parts (the days between ran, uncounted;
# the row at 15:00 closes the figures of the hour up to 14:00).
NEXT_MONDAY = """2026-03-09T06:30:00+01:00,FILLER,running,0
2026-03-09T06:30:00+01:00,FILLER,fault_code,101
2026-03-09T07:00:00+01:00,FILLER,running,1
2026-03-09T07:00:00+01:00,FILLER,fault_code,0
2026-03-09T13:59:00+01:00,FILLER,total_count,230000
2026-03-09T15:00:00+01:00,FILLER,running,1
"""


def _store(folder: Path, *, cycle: float = 0.5, trends: str = "", more: str = "") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cfg, journal, db = folder / "line.toml", folder / "journal.csv", folder / "station.db"
    cfg.write_text(CONFIG.format(cycle=cycle) + trends)
    journal.write_text(_journal() + more)
    done = run_in_process("import-journal", str(cfg), str(journal), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return cfg, db


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _store(tmp_path_factory.mktemp("trend"))


def trend(cfg: Path, db: Path, *args: str) -> Outcome:
    return run_in_process("trend", str(cfg), "--db", str(db), *args)


def trend_json(cfg: Path, db: Path, *args: str) -> dict[str, Any]:
    out = trend(cfg, db, *args, "--json")
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_days_carry_the_hand_worked_figures_and_their_difference(line: tuple[Path, Path]) -> None:
    result = trend_json(*line, "--by", "day", "--compare", "previous")
    mon, tue = result["rows"]
    assert (mon["period"], tue["period"]) == ("2026-03-02", "2026-03-03")
    assert mon["planned_production_time_s"] == tue["planned_production_time_s"] == 57600
    assert (mon["down_time_s"], tue["down_time_s"]) == (2100, 2400)
    assert mon["availability"] == pytest.approx(55500 / 57600, abs=1e-6)
    assert tue["performance"] == pytest.approx(40000 / 55200, abs=1e-6)
    assert tue["oee"] == pytest.approx(40000 / 57600, abs=1e-6)
    assert (mon["small_stop_count"], tue["small_stop_count"]) == (2, 6)
    assert mon["losses"]["small_stops_s"] == 120
    assert mon["pareto_by_reason"] == [
        {"equipment": "FILLER", "reason": "Mechanical/Jam", "seconds": 2100, "stops": 2}
    ]
    assert tue["pareto_by_fault_code"] == [
        {"equipment": "FILLER", "fault_code": 205, "seconds": 2400, "stops": 1}
    ]
    assert "compare" not in mon  # nothing before the store's first figures
    vs = tue["compare"]
    assert vs["period"] == "2026-03-02"
    assert vs["down_time_s"] == 300
    assert vs["availability_points"] == pytest.approx((55200 - 55500) / 57600 * 100, abs=1e-4)
    assert vs["oee_points"] == pytest.approx((40000 - 50000) / 57600 * 100, abs=1e-4)
    assert vs["small_stop_count"] == 4


def test_a_day_is_the_report_of_its_shifts(line: tuple[Path, Path]) -> None:
    cfg, db = line
    day = trend_json(cfg, db, "--by", "day")["rows"][0]
    out = run_in_process(
        "report",
        str(cfg),
        "--db",
        str(db),
        "--from",
        "2026-03-02T06:00",
        "--to",
        "2026-03-02T22:00",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)["lines"]["L1"]
    for key, value in report.items():
        if key != "constraint":
            assert day[key] == value, key


def test_a_week_recomputes_its_ratios_from_sums(line: tuple[Path, Path]) -> None:
    (week,) = trend_json(*line, "--by", "week")["rows"]
    assert week["period"] == "2026-W10 (from 2026-03-02)"
    assert week["performance"] == pytest.approx(90000 / 110700, abs=1e-6)
    averaged = (50000 / 55500 + 40000 / 55200) / 2
    assert abs(week["performance"] - averaged) > 1e-4
    assert set(week["shifts"]) == {"Early", "Late"}
    assert week["shifts"]["Early"]["availability"] == pytest.approx((57600 - 900 - 2400) / 57600, abs=1e-6)


def test_a_week_starts_on_the_configured_weekday(tmp_path: Path) -> None:
    cfg, db = _store(tmp_path, trends='\n[trends]\nweek_starts = "tue"\n')
    rows = trend_json(cfg, db, "--by", "week")["rows"]
    assert [r["period"] for r in rows] == ["2026-W09 (from 2026-02-24)", "2026-W10 (from 2026-03-03)"]


def test_shifts_are_rows_of_their_production_day(line: tuple[Path, Path]) -> None:
    rows = trend_json(*line, "--by", "shift", "--from", "2026-03-03T00:00")["rows"]
    assert [(r["period"], r["shift"]) for r in rows] == [
        ("2026-03-03 Early", "Early"),
        ("2026-03-03 Late", "Late"),
    ]
    assert rows[1]["availability"] == 1.0 and rows[1]["small_stop_count"] == 6


def test_a_shift_is_compared_with_the_same_shift_a_week_before(tmp_path: Path) -> None:
    cfg, db = _store(tmp_path, more=NEXT_MONDAY)
    args = ("--by", "shift", "--compare", "same-last-week", "--from", "2026-03-09T00:00")
    (early,) = trend_json(cfg, db, *args)["rows"]
    assert early["period"] == "2026-03-09 Early"
    vs = early["compare"]
    assert vs["period"] == "2026-03-02 Early"
    assert vs["down_time_s"] == 1800 - 900
    assert vs["total_count"] == 0  # 50000 parts in both
    assert vs["availability_points"] == pytest.approx(-900 / 28800 * 100, abs=1e-4)
    (top,) = [i for i in trend_json(cfg, db, *args)["insights"] if i["rule"] == "top_loss"]
    assert top["text"] == (
        "Top loss in 2026-03-09 Early: Mechanical/Jam on FILLER, 30 min 00 s in 1 stop(s), "
        "up 100 % on 2026-03-02 Early (15 min 00 s)"
    )
    assert top["figures"]["change_pct"] == 100.0
    assert top["comparison"] == "2026-03-09 Early against 2026-03-02 Early"
    # The week before, with --compare previous, is Friday's Late shift.
    previous = trend_json(cfg, db, "--by", "shift", "--compare", "previous", "--from", "2026-03-09T00:00")
    assert previous["rows"][0]["compare"]["period"] == "2026-03-06 Late"


def test_the_insights_name_their_figures_and_comparison(line: tuple[Path, Path]) -> None:
    result = trend_json(*line, "--by", "day", "--compare", "previous")
    by_rule = {i["rule"]: i for i in result["insights"]}
    assert set(by_rule) == {"top_loss", "small_stops_up"}
    top = by_rule["top_loss"]
    assert top["text"] == (
        "Top loss in 2026-03-03: Electrical/Drive fault on FILLER, 40 min 00 s in 1 stop(s), "
        "new on 2026-03-02 (0 s)"
    )
    assert top["figures"]["seconds"] == 2400 and top["figures"]["compared_seconds"] == 0
    assert top["comparison"] == "2026-03-03 against 2026-03-02"
    small = by_rule["small_stops_up"]
    assert small["figures"]["small_stop_count"] == 6
    assert small["figures"]["compared_small_stop_count"] == 2
    text = trend(*line, "--by", "day", "--compare", "previous").stdout
    assert "- Small stops on FILLER in 2026-03-03: 6, 3.0 times the 2 in 2026-03-02" in text


def test_no_insight_fires_without_a_comparison_or_under_the_thresholds(
    line: tuple[Path, Path], tmp_path: Path
) -> None:
    assert trend_json(*line, "--by", "day")["insights"] == []
    assert "Insights: none" in trend(*line, "--by", "day").stdout
    cfg, db = _store(tmp_path, trends="\n[trends]\nsmall_stops_factor = 3.5\ntop_loss_min_s = 2500\n")
    assert trend_json(cfg, db, "--by", "day", "--compare", "previous")["insights"] == []


def test_a_shift_below_another_for_the_configured_periods(tmp_path: Path) -> None:
    cfg, db = _store(tmp_path, trends="\n[trends]\nshift_gap_periods = 1\nshift_gap_points = 5\n")
    (gap,) = [i for i in trend_json(cfg, db, "--by", "shift")["insights"] if i["rule"] == "shift_gap"]
    assert gap["period"] == "2026-03-03"
    assert gap["figures"]["gap_points"] == [pytest.approx(2400 / 28800 * 100, abs=0.01)]
    assert gap["text"].startswith("Early shift availability 8.3 points or more below Late shift")
    # Over two days Monday's Early shift was above its Late shift: no gap in both periods.
    cfg2, db2 = _store(tmp_path / "two", trends="\n[trends]\nshift_gap_periods = 2\n")
    assert [i for i in trend_json(cfg2, db2, "--by", "shift")["insights"] if i["rule"] == "shift_gap"] == []


def test_performance_over_1_points_at_the_ideal_cycle_time(tmp_path: Path) -> None:
    cfg, db = _store(tmp_path, cycle=0.6)
    (over,) = trend_json(cfg, db, "--by", "day")["insights"]
    assert over["rule"] == "performance_over_1"
    assert over["figures"]["periods"] == [
        {"period": "2026-03-02", "performance": pytest.approx(60000 / 55500, abs=1e-6)}
    ]
    assert over["text"].endswith("check its ideal cycle time")


def test_the_rows_come_from_the_projections_not_the_journal(line: tuple[Path, Path], tmp_path: Path) -> None:
    cfg, db = line
    bare = tmp_path / "no-journal.db"
    shutil.copy(db, bare)
    conn = sqlite3.connect(bare)
    with conn:
        conn.execute("DELETE FROM journal")
    conn.close()
    assert trend_json(cfg, bare, "--by", "shift") == trend_json(cfg, db, "--by", "shift")


def test_csv_has_a_row_per_period(line: tuple[Path, Path]) -> None:
    out = trend(*line, "--by", "day", "--csv", "--compare", "previous")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["period"] for r in rows] == ["2026-03-02", "2026-03-03"]
    assert rows[1]["top_reason"] == "FILLER: Electrical/Drive fault"
    assert float(rows[1]["vs_down_time_s"]) == 300
    assert float(rows[0]["losses_unplanned_stops_s"]) == 2100


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--by", "day", "--equipment", "NOPE"), "--equipment: unknown equipment 'NOPE'"),
        (("--by", "day", "--from", "2026-03-03", "--to", "2026-03-02"), "--from is after --to"),
        (("--by", "day", "--from", "yesterday"), "--from:"),
        (("--by", "month", "--compare", "same-last-week"), "needs --by shift, day or week"),
        (("--by", "day", "--from", "2027-01-01"), "the store's closed figures are from 2026-03-02T06:00"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(line: tuple[Path, Path], args: tuple[str, ...], says: str) -> None:
    out = trend(*line, *args)
    assert out.returncode == 2
    assert says in out.stderr and out.stderr.count("\n") == 1 and out.stdout == ""


def test_a_week_start_that_is_no_weekday_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "line.toml"
    cfg.write_text(CONFIG.format(cycle=0.5) + '\n[trends]\nweek_starts = "monday"\n')
    out = run_in_process("check", str(cfg))
    assert out.returncode == 2
    assert "'monday' is not a weekday" in out.stderr
