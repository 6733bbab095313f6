"""Figures worked out by hand at the edges the scenarios do not reach: a break after midnight in a
night shift, TEEP over all time, and a reject at the very end of the start-up window.

The rules are those of docs/OEE.md ("Time categories", "Sums and ratios", "Losses (seconds)").
"""

from __future__ import annotations

from pathlib import Path

from core.calendar import Sched, ShiftCalendar
from core.config import Config, parse_config
from tests.core.test_engine_scenarios import Row, figures, run, t

NIGHT_WITH_A_BREAK_AFTER_MIDNIGHT = """
[site]
name = "Night plant"

[reasons]
"Mechanical/Jam/Infeed" = "unplanned"

[[lines]]
id = "N1"
timezone = "Europe/Berlin"
small_stop_threshold_s = 120

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "22:00"
end = "06:00"
breaks = [{ name = "Meal", start = "02:00", end = "02:30" }]

[[lines.equipment]]
id = "PRESS"
ideal_cycle_time_s = 1
faults = { 101 = "Mechanical/Jam/Infeed" }
"""


def night_config() -> Config:
    return parse_config(NIGHT_WITH_A_BREAK_AFTER_MIDNIGHT, Path("night.toml"))


def test_a_break_after_midnight_lies_in_the_night_the_shift_started() -> None:
    # The Monday night shift runs Mon 22:00 to Tue 06:00, so its 02:00 break is on Tuesday.
    calendar = ShiftCalendar(night_config().lines[0])
    (night,) = calendar.occurrences(t("2026-03-02 21:00"), t("2026-03-03 07:00"))
    assert (night.start, night.end) == (t("2026-03-02 22:00"), t("2026-03-03 06:00"))
    assert night.breaks == ((t("2026-03-03 02:00"), t("2026-03-03 02:30")),)
    assert calendar.pieces(t("2026-03-03 01:00"), t("2026-03-03 03:00")) == [
        (t("2026-03-03 01:00"), t("2026-03-03 02:00"), Sched.SCHEDULED),
        (t("2026-03-03 02:00"), t("2026-03-03 02:30"), Sched.BREAK),
        (t("2026-03-03 02:30"), t("2026-03-03 03:00"), Sched.SCHEDULED),
    ]


def test_a_stop_around_a_break_after_midnight_is_planned_during_the_break_and_down_around_it() -> None:
    # 21:00-07:00 (36000 s): unscheduled 21:00-22:00 and 06:00-07:00 (7200 s), the 02:00-02:30
    # break is a planned stop (1800 s). A jam 01:55-02:35 is 300 s before the break and 300 s
    # after it: 600 s of scheduled time stopped, past the 120 s threshold, so downtime.
    rows: list[Row] = [
        ("2026-03-02 21:00:00", "PRESS", "running", 1),
        ("2026-03-02 22:00:00", "PRESS", "total_count", 0),
        ("2026-03-02 22:00:00", "PRESS", "reject_count", 0),
        ("2026-03-03 01:55:00", "PRESS", "fault_code", 101),
        ("2026-03-03 01:55:00", "PRESS", "running", 0),
        ("2026-03-03 02:35:00", "PRESS", "fault_code", 0),
        ("2026-03-03 02:35:00", "PRESS", "running", 1),
        ("2026-03-03 06:00:00", "PRESS", "total_count", 20000),
        ("2026-03-03 06:00:00", "PRESS", "reject_count", 200),
    ]
    a, b = "2026-03-02 21:00", "2026-03-03 07:00"
    engine = run(night_config(), rows, a, b)
    m = figures(engine, "PRESS", a, b)
    assert m["all_time_s"] == 36000
    assert m["scheduled_time_s"] == 28800
    assert m["planned_stop_time_s"] == 1800
    assert m["planned_production_time_s"] == 27000
    assert m["down_time_s"] == 600
    assert m["small_stop_time_s"] == 0
    assert m["run_time_s"] == 26400
    assert m["availability"] == round(26400 / 27000, 6)
    assert m["performance"] == round(20000 / 26400, 6)
    assert m["quality"] == 0.99
    assert m["oee"] == round(19800 / 27000, 6)
    assert m["teep"] == 0.55  # 19800 s of good parts' ideal time over 36000 s of all time
    events = engine.downtime_events("PRESS", t(a), t(b))
    assert [(e.start, e.end, e.reason) for e in events] == [
        (t("2026-03-03 01:55"), t("2026-03-03 02:00"), "Mechanical/Jam/Infeed"),
        (t("2026-03-03 02:30"), t("2026-03-03 02:35"), "Mechanical/Jam/Infeed"),
    ]


def test_teep_is_oee_times_planned_production_time_over_all_time(reference_config: Config) -> None:
    # Monday 09:00-15:00 (21600 s) on the reference line: Early ends at 14:00, so 3600 s are
    # unscheduled; stopped over the 10:00-10:30 lunch (1800 s planned stop). Planned production
    # time 16200 s; 27000 parts at 0.5 s are 13500 s of ideal time, all good.
    rows: list[Row] = [
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 09:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 10:00:00", "FILLER", "running", 0),
        ("2026-03-02 10:30:00", "FILLER", "running", 1),
        ("2026-03-02 14:00:00", "FILLER", "total_count", 27000),
    ]
    a, b = "2026-03-02 09:00", "2026-03-02 15:00"
    m = figures(run(reference_config, rows, a, b), "FILLER", a, b)
    assert (m["all_time_s"], m["scheduled_time_s"], m["planned_production_time_s"]) == (21600, 18000, 16200)
    assert m["oee"] == round(13500 / 16200, 6)
    # Over all time, not over scheduled time (13500 / 18000 = 0.75) nor planned time (the OEE).
    assert m["teep"] == 0.625


def test_a_reject_at_the_very_end_of_the_startup_window_is_a_production_reject(
    reference_config: Config,
) -> None:
    # The changeover ends at 07:20:00; the 600 s start-up window is [07:20:00, 07:30:00): a reject
    # reported at 07:29:59 is a start-up reject, one reported at 07:30:00 a production reject.
    rows: list[Row] = [
        ("2026-03-02 07:00:00", "FILLER", "running", 0),
        ("2026-03-02 07:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 07:00:00", "FILLER", "reject_count", 0),
        ("2026-03-02 07:00:00", "FILLER", "changeover", 1),
        ("2026-03-02 07:20:00", "FILLER", "changeover", 0),
        ("2026-03-02 07:20:00", "FILLER", "running", 1),
        ("2026-03-02 07:29:59", "FILLER", "reject_count", 3),
        ("2026-03-02 07:30:00", "FILLER", "reject_count", 8),
        ("2026-03-02 07:40:00", "FILLER", "total_count", 1000),
    ]
    a, b = "2026-03-02 07:00", "2026-03-02 07:40"
    m = figures(run(reference_config, rows, a, b), "FILLER", a, b)
    assert m["reject_count"] == 8
    assert m["losses"]["startup_rejects_s"] == 3 * 0.5
    assert m["losses"]["production_rejects_s"] == 5 * 0.5
