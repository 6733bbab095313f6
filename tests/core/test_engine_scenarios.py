"""Scenarios with figures worked out by hand (the rules of docs/OEE.md).

The reference config: line L1 in Europe/Berlin, Early Mon-Fri 06:00-14:00 with lunch 10:00-10:30,
Night Sun-Thu 22:00-06:00; FILLER ideal 0.5 s, 16-bit counters, small-stop threshold 120 s.
2026-03-02 is a Monday (UTC+1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.auth import Role
from core.config import Config, ReasonCategory, parse_config
from core.engine import CommandError, Engine
from core.events import QualityAlert
from core.metrics import Metrics
from core.permissions import Actor
from core.replay import Window, replay
from core.samples import Quality, Sample

BERLIN = ZoneInfo("Europe/Berlin")
DATA = Path(__file__).parent.parent / "data"
BOSS = Actor("Sam", Role.SUPERVISOR)
Row = tuple[str, str, str, float | None]


def t(local: str) -> float:
    return datetime.fromisoformat(local).replace(tzinfo=BERLIN).timestamp()


def samples(rows: list[Row]) -> list[Sample]:
    out = []
    for when, eq, signal, value in rows:
        quality = Quality.BAD if value is None else Quality.GOOD
        out.append(Sample(t(when), eq, signal, value, quality))
    return out


def run(
    cfg: Config, rows: list[Row], a: str, b: str, commands: Sequence[tuple[str, str, dict[str, Any]]] = ()
) -> Engine:
    start, end = t(a), t(b)
    engine = Engine(cfg, marks=(start, end))
    pending = sorted(((t(when), name, args) for when, name, args in commands), key=lambda c: c[0])
    for s in samples(rows):
        while pending and pending[0][0] <= s.ts:
            ts, name, args = pending.pop(0)
            engine.command(name, args, ts, BOSS)
        engine.ingest_one(s)
    for ts, name, args in pending:
        engine.command(name, args, ts, BOSS)
    engine.tick(end)
    return engine


def figures(engine: Engine, eq: str, a: str, b: str) -> dict[str, Any]:
    return engine.metrics(eq, t(a), t(b)).to_dict()


@pytest.fixture
def cfg(reference_config: Config) -> Config:
    return reference_config


def test_a_stop_of_119_s_is_small_and_one_of_120_s_is_downtime(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:10:00", "FILLER", "running", 0),
        ("2026-03-02 06:11:59", "FILLER", "running", 1),
        ("2026-03-02 06:20:00", "FILLER", "running", 0),
        ("2026-03-02 06:22:00", "FILLER", "running", 1),
        ("2026-03-02 07:00:00", "FILLER", "total_count", 6000),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 07:00")
    assert m["scheduled_time_s"] == 3600
    assert m["down_time_s"] == 120
    assert m["small_stop_time_s"] == 119
    assert m["small_stop_count"] == 1
    assert m["run_time_s"] == 3480  # small stops stay inside run time
    assert m["availability"] == round(3480 / 3600, 6)
    assert m["performance"] == round(6000 * 0.5 / 3480, 6)
    assert m["quality"] == 1.0
    assert m["oee"] == round(6000 * 0.5 / 3600, 6)
    assert m["losses"]["small_stops_s"] == 119
    assert m["losses"]["slow_cycles_s"] == 3480 - 119 - 3000
    events = engine.downtime_events("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00"))
    assert [(e.start, e.end, e.reason) for e in events] == [
        (t("2026-03-02 06:20:00"), t("2026-03-02 06:22:00"), "Unassigned")
    ]


def test_a_16_bit_counter_rolls_over_and_a_reset_counts_from_zero(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 65000),
        ("2026-03-02 06:05:00", "FILLER", "total_count", 65535),  # +535
        ("2026-03-02 06:06:00", "FILLER", "total_count", 100),  # rollover: +101
        ("2026-03-02 06:10:00", "FILLER", "total_count", 30000),  # +29900
        ("2026-03-02 06:11:00", "FILLER", "total_count", 50),  # drop < half the range: reset, +50
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 06:30")
    assert m["total_count"] == 535 + 101 + 29900 + 50
    assert m["good_count"] == m["total_count"]  # total alone: every part good


def test_communication_loss_is_downtime_and_the_parts_made_meanwhile_still_count(cfg: Config) -> None:
    # Running when the link is lost at 06:30 for 900 s; back at 06:45 the counter advanced by 900
    # parts, 450 s of ideal time: the first 450 s of the loss are inferred run time, the other
    # 450 s stay communication loss (docs/OEE.md, "Parts across a communication loss").
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:00:00", "FILLER", "reject_count", 0),
        ("2026-03-02 06:30:00", "FILLER", "total_count", 3600),
        ("2026-03-02 06:30:00", "FILLER", "running", None),
        ("2026-03-02 06:30:00", "FILLER", "total_count", None),
        ("2026-03-02 06:45:00", "FILLER", "running", 1),
        ("2026-03-02 06:45:00", "FILLER", "total_count", 4500),
        ("2026-03-02 06:45:00", "FILLER", "reject_count", 18),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 07:00")
    assert m["down_time_s"] == 450
    assert m["comms_loss_time_s"] == 450
    assert m["run_time_s"] == 3150
    assert m["data_quality"]["inferred_run_time_s"] == 450
    assert (m["total_count"], m["good_count"], m["reject_count"]) == (4500, 4482, 18)
    events = engine.downtime_events("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00"))
    assert [(e.start, e.end, e.reason, e.fault_code) for e in events] == [
        (t("2026-03-02 06:37:30"), t("2026-03-02 06:45"), "Communication loss", None)
    ]


def test_data_missing_from_the_window_start_is_communication_loss(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:10:00", "CAPPER", "state", 6),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    m = figures(engine, "CAPPER", "2026-03-02 06:00", "2026-03-02 07:00")
    assert m["comms_loss_time_s"] == 600
    assert m["run_time_s"] == 3000


def test_a_changeover_is_an_availability_loss_and_opens_a_startup_window(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:00:00", "FILLER", "reject_count", 0),
        ("2026-03-02 07:00:00", "FILLER", "running", 0),
        ("2026-03-02 07:00:00", "FILLER", "changeover", 1),
        ("2026-03-02 07:20:00", "FILLER", "changeover", 0),
        ("2026-03-02 07:20:00", "FILLER", "running", 1),
        ("2026-03-02 07:25:00", "FILLER", "reject_count", 10),  # inside the 600 s startup window
        ("2026-03-02 07:40:00", "FILLER", "reject_count", 14),  # after it
        ("2026-03-02 08:00:00", "FILLER", "total_count", 10000),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 08:00")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 08:00")
    assert m["changeover_time_s"] == 1200
    assert m["down_time_s"] == 0
    assert m["run_time_s"] == 6000
    assert m["availability"] == round(6000 / 7200, 6)
    assert m["losses"]["planned_stops_s"] == 1200
    assert m["losses"]["startup_rejects_s"] == 10 * 0.5
    assert m["losses"]["production_rejects_s"] == 4 * 0.5
    assert (m["good_count"], m["reject_count"]) == (9986, 14)


def test_running_through_a_break_counts_as_running(cfg: Config) -> None:
    rows: list[Row] = [("2026-03-02 09:00:00", "FILLER", "running", 1)]
    engine = run(cfg, rows, "2026-03-02 09:00", "2026-03-02 11:00")
    m = figures(engine, "FILLER", "2026-03-02 09:00", "2026-03-02 11:00")
    assert m["planned_stop_time_s"] == 0
    assert m["run_time_s"] == 7200
    assert m["availability"] == 1.0


def test_stopping_for_the_break_is_a_planned_stop(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 10:00:00", "FILLER", "running", 0),
        ("2026-03-02 10:30:00", "FILLER", "running", 1),
    ]
    engine = run(cfg, rows, "2026-03-02 09:00", "2026-03-02 11:00")
    m = figures(engine, "FILLER", "2026-03-02 09:00", "2026-03-02 11:00")
    assert m["planned_stop_time_s"] == 1800
    assert m["planned_production_time_s"] == 5400
    assert m["down_time_s"] == 0
    assert m["availability"] == 1.0


def test_a_stop_that_runs_into_a_break_is_measured_without_the_break(cfg: Config) -> None:
    # 60 s before the break and 60 s after it: 120 s of planned time stopped, so downtime;
    # the break between stays a planned stop, and the stop shows as two down periods.
    rows: list[Row] = [
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 09:59:00", "FILLER", "running", 0),
        ("2026-03-02 09:59:00", "FILLER", "fault_code", 101),
        ("2026-03-02 10:31:00", "FILLER", "running", 1),
    ]
    engine = run(cfg, rows, "2026-03-02 09:00", "2026-03-02 11:00")
    m = figures(engine, "FILLER", "2026-03-02 09:00", "2026-03-02 11:00")
    assert m["down_time_s"] == 120
    assert m["planned_stop_time_s"] == 1800
    assert m["small_stop_time_s"] == 0
    events = engine.downtime_events("FILLER", t("2026-03-02 09:00"), t("2026-03-02 11:00"))
    assert [(e.start, e.end, e.reason, e.fault_code) for e in events] == [
        (t("2026-03-02 09:59"), t("2026-03-02 10:00"), "Mechanical/Jam/Infeed", 101),
        (t("2026-03-02 10:30"), t("2026-03-02 10:31"), "Mechanical/Jam/Infeed", 101),
    ]


def test_a_short_stop_around_a_break_stays_a_small_stop(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 09:59:30", "FILLER", "running", 0),
        ("2026-03-02 10:30:30", "FILLER", "running", 1),
    ]
    engine = run(cfg, rows, "2026-03-02 09:00", "2026-03-02 11:00")
    m = figures(engine, "FILLER", "2026-03-02 09:00", "2026-03-02 11:00")
    assert (m["small_stop_time_s"], m["planned_stop_time_s"], m["down_time_s"]) == (60, 1800, 0)


def test_a_product_change_weights_the_ideal_cycle_time(cfg: Config) -> None:
    text = (DATA / "reference.toml").read_text() + '\n[[products]]\nid = "B250"\nideal_cycle_time_s = 0.25\n'
    config = parse_config(
        text.replace("[[lines]]", '[[products]]\nid = "C1"\nideal_cycle_time_s = 1\n\n[[lines]]', 1),
        Path("x.toml"),
    )
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 07:00:00", "FILLER", "total_count", 7200),
        ("2026-03-02 08:00:00", "FILLER", "total_count", 19200),
    ]
    commands = [("2026-03-02 07:00:00.001", "start_job", {"product": "B250", "quantity": 12000})]
    engine = run(config, rows, "2026-03-02 06:00", "2026-03-02 08:00", commands)
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 08:00")
    # 7200 parts at 0.5 s (equipment default) and 12000 at 0.25 s (the job's product)
    assert m["performance"] == round((7200 * 0.5 + 12000 * 0.25) / 7200, 6)
    assert engine.jobs["L1"].product == "B250"


NIGHTLY = """
[site]
name = "DST"

[[lines]]
id = "N"
timezone = "Europe/Berlin"

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "22:00"
end = "06:00"

[[lines.equipment]]
id = "M"
ideal_cycle_time_s = 1
"""


@pytest.mark.parametrize(
    ("night", "hours"),
    [("2026-03-28", 7), ("2026-10-24", 9), ("2026-05-02", 8)],
    ids=["spring-forward", "fall-back", "ordinary"],
)
def test_a_night_shift_lasts_7_or_9_hours_on_the_nights_the_clocks_change(night: str, hours: int) -> None:
    config = parse_config(NIGHTLY, Path("dst.toml"))
    day = datetime.fromisoformat(night)
    start = day.replace(hour=21, tzinfo=BERLIN).timestamp()
    end = start + 12 * 3600
    engine = Engine(config, marks=(start, end))
    engine.ingest_one(Sample(start, "M", "running", 1))
    engine.tick(end)
    report = replay_window(engine, start, end)
    (shift,) = [s for s in report if s.start >= start and s.start < start + 7200]
    assert shift.end - shift.start == hours * 3600
    m = engine.metrics("M", shift.start, shift.end)
    assert m.scheduled_time_s == hours * 3600
    assert m.run_time_s == hours * 3600


def replay_window(engine: Engine, a: float, b: float) -> list[Any]:
    return engine.shifts("N", a, b)


def test_a_window_without_any_shift_has_null_ratios(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-07 10:00:00", "FILLER", "running", 1),  # a Saturday: no shift
        ("2026-03-07 10:00:00", "FILLER", "total_count", 0),
        ("2026-03-07 12:00:00", "FILLER", "total_count", 1000),
    ]
    engine = run(cfg, rows, "2026-03-07 10:00", "2026-03-07 12:00")
    m = figures(engine, "FILLER", "2026-03-07 10:00", "2026-03-07 12:00")
    assert m["scheduled_time_s"] == 0
    assert m["planned_production_time_s"] == 0
    for key in ("availability", "performance", "oee", "teep"):
        assert m[key] is None, key
    assert m["quality"] == 1.0  # parts were made, so quality has a denominator
    assert m["total_count"] == 1000


def test_the_line_reports_its_constraint(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "CAPPER", "state", 6),
        ("2026-03-02 06:30:00", "CAPPER", "state", 11),  # Held: stopped
        ("2026-03-02 06:40:00", "CAPPER", "state", 6),
    ]
    result = replay(cfg, samples(rows), Window(t("2026-03-02 06:00"), t("2026-03-02 07:00")))
    assert result["lines"]["L1"]["constraint"] == "FILLER"
    line = {k: v for k, v in result["lines"]["L1"].items() if k != "constraint"}
    filler = {k: v for k, v in result["equipment"]["FILLER"].items() if not k.endswith("_events")}
    assert line == filler
    assert result["equipment"]["CAPPER"]["down_time_s"] == 600  # PackML Held is a stop
    assert result["lines"]["L1"]["down_time_s"] == 0


def test_a_shift_roll_up_sums_times_and_counts_and_recomputes_ratios(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 08:00:00", "FILLER", "running", 0),
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 13:00:00", "FILLER", "total_count", 30000),
        ("2026-03-02 23:00:00", "FILLER", "total_count", 40000),
        ("2026-03-03 04:00:00", "FILLER", "running", 0),
    ]
    a, b = "2026-03-02 06:00", "2026-03-03 06:00"
    engine = run(cfg, rows, a, b)
    early = engine.metrics("FILLER", t("2026-03-02 06:00"), t("2026-03-02 14:00"))
    gap = engine.metrics("FILLER", t("2026-03-02 14:00"), t("2026-03-02 22:00"))
    night = engine.metrics("FILLER", t("2026-03-02 22:00"), t("2026-03-03 06:00"))
    day = engine.metrics("FILLER", t(a), t(b))
    assert early + gap + night == day
    assert day.to_dict() == (early + gap + night).to_dict()
    # The day's performance is not the mean of the shifts' performances but comes from the sums.
    assert early.performance is not None and night.performance is not None
    assert early.performance == pytest.approx(15000 / 25200)
    assert night.performance == pytest.approx(5000 / 21600)
    assert day.performance == pytest.approx(20000 / (25200 + 21600))
    assert day.performance != pytest.approx((early.performance + night.performance) / 2)
    assert isinstance(day, Metrics)


def test_performance_over_one_is_reported_as_it_is_and_flagged(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 07:00:00", "FILLER", "total_count", 9000),  # 9000 × 0.5 s = 4500 s in 3600 s
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 07:00")
    assert m["performance"] == 1.25
    assert m["flags"] == ["performance_over_1"]


def test_an_excluded_planned_stop_leaves_planned_production_time(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 07:00:00", "FILLER", "running", 0),
        ("2026-03-02 07:30:00", "FILLER", "running", 1),
    ]
    commands = [
        ("2026-03-02 07:00:00", "start_planned_stop", {"line": "L1", "reason": "Meeting"}),
        ("2026-03-02 07:30:00", "end_planned_stop", {"line": "L1"}),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 08:00", commands)
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 08:00")
    assert m["planned_stop_time_s"] == 1800
    assert m["down_time_s"] == 0
    assert m["availability"] == 1.0
    with pytest.raises(CommandError, match="not a planned stop"):
        engine.command(
            "start_planned_stop",
            {"line": "L1", "reason": "Electrical/Drive fault"},
            t("2026-03-02 08:00"),
            BOSS,
        )


def test_the_fault_code_gives_the_reason_and_an_operator_may_change_it(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:10:00", "FILLER", "running", 0),
        ("2026-03-02 06:10:01", "FILLER", "fault_code", 205),
        ("2026-03-02 06:10:05", "FILLER", "fault_code", 101),
        ("2026-03-02 06:20:00", "FILLER", "running", 1),
        ("2026-03-02 06:20:00", "FILLER", "fault_code", 0),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    (event,) = engine.downtime_events("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00"))
    assert (event.fault_code, event.reason) == (205, "Electrical/Drive fault")  # the first non-zero code
    engine.command(
        "set_reason",
        {"equipment": "FILLER", "at": t("2026-03-02 06:15"), "reason": "Meeting"},
        t("2026-03-02 07:00"),
        BOSS,
    )
    (event,) = engine.downtime_events("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00"))
    assert event.reason == "Meeting"


def test_reference_config_loads(cfg: Config) -> None:
    # What every scenario here relies on (the module docstring), read back from the file.
    assert cfg.site.name == "Plant 1"
    assert cfg.reasons == {
        "Mechanical/Jam/Infeed": ReasonCategory.UNPLANNED,
        "Electrical/Drive fault": ReasonCategory.UNPLANNED,
        "Changeover/Format": ReasonCategory.PLANNED,
        "Meeting": ReasonCategory.EXCLUDED,
    }
    assert [(p.id, p.ideal_cycle_time_s) for p in cfg.products] == [("A500", 0.5)]
    (line,) = cfg.lines
    assert (line.id, line.timezone, line.constraint_id) == ("L1", "Europe/Berlin", "FILLER")
    assert [(s.name, s.days, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in line.shifts] == [
        ("Early", ["mon", "tue", "wed", "thu", "fri"], "06:00", "14:00"),
        ("Night", ["sun", "mon", "tue", "wed", "thu"], "22:00", "06:00"),
    ]
    assert [(b.name, f"{b.start:%H:%M}", f"{b.end:%H:%M}") for b in line.shifts[0].breaks] == [
        ("Lunch", "10:00", "10:30")
    ]
    assert line.shifts[1].breaks == []
    filler, capper = line.equipment
    assert (filler.id, filler.ideal_cycle_time_s, filler.counter_max, filler.state_model) == (
        "FILLER",
        0.5,
        65535,
        "running",
    )
    assert filler.faults == {101: "Mechanical/Jam/Infeed", 205: "Electrical/Drive fault"}
    assert (capper.id, capper.ideal_cycle_time_s, capper.counter_max, capper.state_model) == (
        "CAPPER",
        0.4,
        4294967295,
        "packml",
    )
    # Thresholds: the line's own small-stop threshold, the default start-up window, no alert.
    for eq in (filler, capper):
        assert line.threshold_for(eq) == 120
        assert line.startup_window_for(eq) == 600
        assert line.quality_alert_for(eq) is None
    assert line.target_oee is None


def test_a_stop_interrupted_by_a_communication_loss_is_one_stop(cfg: Config) -> None:
    # Stopped 07:10-07:11 and 07:12-07:13:30 with the PLC silent in between: 150 s of stop, one jam,
    # not two small stops.
    rows: list[Row] = [
        ("2026-03-02 07:00:00", "FILLER", "running", 1),
        ("2026-03-02 07:10:00", "FILLER", "fault_code", 101),
        ("2026-03-02 07:10:00", "FILLER", "running", 0),
        ("2026-03-02 07:11:00", "FILLER", "running", None),
        ("2026-03-02 07:12:00", "FILLER", "running", 0),
        ("2026-03-02 07:13:30", "FILLER", "fault_code", 0),
        ("2026-03-02 07:13:30", "FILLER", "running", 1),
    ]
    engine = run(cfg, rows, "2026-03-02 07:00", "2026-03-02 07:20")
    m = figures(engine, "FILLER", "2026-03-02 07:00", "2026-03-02 07:20")
    assert (m["down_time_s"], m["comms_loss_time_s"], m["small_stop_time_s"]) == (210, 60, 0)
    events = engine.downtime_events("FILLER", t("2026-03-02 07:00"), t("2026-03-02 07:20"))
    assert [(e.reason, e.duration_s) for e in events] == [
        ("Mechanical/Jam/Infeed", 60),
        ("Communication loss", 60),
        ("Mechanical/Jam/Infeed", 90),
    ]


def test_a_changeover_signal_without_valid_data_is_communication_loss(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 07:00:00", "FILLER", "running", 0),
        ("2026-03-02 07:00:00", "FILLER", "changeover", 1),
        ("2026-03-02 07:10:00", "FILLER", "running", None),
        ("2026-03-02 07:10:00", "FILLER", "changeover", None),
        ("2026-03-02 07:15:00", "FILLER", "running", 1),
        ("2026-03-02 07:15:00", "FILLER", "changeover", 0),
    ]
    engine = run(cfg, rows, "2026-03-02 07:00", "2026-03-02 07:20")
    m = figures(engine, "FILLER", "2026-03-02 07:00", "2026-03-02 07:20")
    assert (m["changeover_time_s"], m["comms_loss_time_s"]) == (600, 300)


def test_a_quality_alert_fires_once_per_window_of_parts(cfg: Config) -> None:
    text = (
        (DATA / "reference.toml")
        .read_text()
        .replace(
            "counter_max = 65535",
            "counter_max = 65535\nquality_alert = { window_parts = 100, max_reject_rate = 0.05 }",
        )
    )
    config = parse_config(text, Path("q.toml"))
    engine = Engine(config)
    alerts: list[QualityAlert] = []
    engine.bus.subscribe(QualityAlert, alerts.append)
    ts = t("2026-03-02 07:00")
    engine.ingest([Sample(ts, "FILLER", "total_count", 0), Sample(ts, "FILLER", "reject_count", 0)])
    total = rejects = 0
    for i in range(1, 101):  # 10 parts at a time, 1 reject in each ten from the 5th batch on: 10 %
        total += 10
        rejects += 1 if i >= 5 else 0
        engine.ingest(
            [
                Sample(ts + i, "FILLER", "total_count", total),
                Sample(ts + i, "FILLER", "reject_count", rejects),
            ]
        )
    # The window first holds 100 parts at batch 10 (6 rejects: 6 %), then one alert per 100 parts.
    assert [a.ts - ts for a in alerts] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert alerts[0].reject_rate == 0.06


def test_a_counter_that_jumps_up_by_more_than_half_its_range_is_rebaselined(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),  # a PLC that served 0 before its value
        ("2026-03-02 06:00:01", "FILLER", "total_count", 40000),  # +40000 in a second: not parts
        ("2026-03-02 06:10:00", "FILLER", "total_count", 41200),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 06:30")
    assert m["total_count"] == 1200
