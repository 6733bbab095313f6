"""Messy PLC data, figures worked out by hand (docs/OEE.md, "Counts", "Parts across a communication
loss", "Data quality"): counter jitter, same-time samples in either order, parts made during a
communication loss, parts counted while stopped, and bound signals that never had a good value.

The reference line (tests/data/reference.toml): FILLER ideal 0.5 s, 16-bit counters, Early
Mon-Fri 06:00-14:00 with lunch 10:00-10:30, Night Sun-Thu 22:00-06:00. 2026-03-02 is a Monday.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config, ConfigError, parse_config
from core.metrics import Metrics
from tests.core.test_engine_scenarios import DATA, Row, figures, run, t

RUNNING_FROM_SIX: list[Row] = [("2026-03-02 06:00:00", "FILLER", "running", 1)]


def counter(*values: tuple[str, float]) -> list[Row]:
    return [*RUNNING_FROM_SIX, *((f"2026-03-02 {hms}", "FILLER", "total_count", v) for hms, v in values)]


def config_with(filler_extra: str) -> Config:
    text = (DATA / "reference.toml").read_text()
    return parse_config(
        text.replace("counter_max = 65535", f"counter_max = 65535\n{filler_extra}"), Path("x.toml")
    )


# ---------------------------------------------------------------- counter jitter


def test_a_counter_that_wobbles_down_by_three_counts_only_the_parts_past_its_highest_value(
    cfg: Config,
) -> None:
    # 1000 -> 997 is a drop of 3, within the default counter_jitter of 10: nothing counts until
    # the counter passes 1000 again, so 1003 adds 3 parts (not 1003, as a reset would).
    rows = counter(("06:00:00", 1000), ("06:01:00", 997), ("06:02:00", 1003))
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:10"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:10",
    )
    assert m["total_count"] == 3
    assert m["data_quality"]["counter_jitter_events"] == 1
    assert m["data_quality"]["counter_resets"] == 0


@pytest.mark.parametrize("same_time", [(100, 105), (105, 100)], ids=["100-then-105", "105-then-100"])
def test_the_order_of_same_time_counter_samples_changes_no_count(
    cfg: Config, same_time: tuple[int, int]
) -> None:
    # From a baseline of 100: 100 and 105 at one instant, then 110. In either order the counter
    # rose from 100 to 110: 10 parts (105 then 100 is a wobble of 5, not a reset to 100).
    first, second = same_time
    rows = counter(("06:00:00", 100), ("06:01:00", first), ("06:01:00", second), ("06:02:00", 110))
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:10"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:10",
    )
    assert m["total_count"] == 10
    assert m["data_quality"]["counter_resets"] == 0


def test_a_drop_larger_than_the_jitter_is_a_reset_and_is_reported(cfg: Config) -> None:
    # 1000 -> 989 drops by 11 > 10: a reset, counting 989 parts as before; then +11 to 1000.
    rows = counter(("06:00:00", 1000), ("06:01:00", 989), ("06:02:00", 1000))
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:10"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:10",
    )
    assert m["total_count"] == 989 + 11
    assert m["data_quality"]["counter_resets"] == 1
    assert m["data_quality"]["counter_jitter_events"] == 0


def test_a_wobble_back_across_a_rollover_is_jitter_too(cfg: Config) -> None:
    # 65530 -> 2 rolls over (+8); 65534 is 4 below 2 across the wrap: jitter; 5 adds 3 more.
    rows = counter(("06:00:00", 65530), ("06:01:00", 2), ("06:02:00", 65534), ("06:03:00", 5))
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:10"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:10",
    )
    assert m["total_count"] == 8 + 3
    assert m["data_quality"]["counter_jitter_events"] == 1


def test_counter_jitter_0_counts_every_drop_as_a_reset() -> None:
    rows = counter(("06:00:00", 1000), ("06:01:00", 997), ("06:02:00", 1003))
    config = config_with("counter_jitter = 0")
    m = figures(
        run(config, rows, "2026-03-02 06:00", "2026-03-02 06:10"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:10",
    )
    assert m["total_count"] == 997 + 6
    assert m["data_quality"]["counter_resets"] == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("counter_jitter = -1", "greater than or equal to 0"),
        ("counter_jitter = 32768", "counter_jitter (32768) must be less than half the counter's range"),
    ],
)
def test_a_counter_jitter_out_of_bounds_is_a_config_error(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config_with(line)


# ---------------------------------------------------------------- parts across a communication loss


@pytest.mark.parametrize("counter_first", [False, True], ids=["state-first", "counter-first"])
def test_parts_made_during_a_loss_while_running_are_inferred_run_time(
    cfg: Config, counter_first: bool
) -> None:
    # 06:00-07:00, running at ideal speed, the link lost 06:30-06:40 (600 s). Back at 06:40 the
    # counter advanced from 3600 to 4400: 800 parts x 0.5 s = 400 s, so 06:30:00-06:36:40 is
    # inferred run time and 06:36:40-06:40 (200 s) stays communication loss. From 06:40 to 07:00
    # another 2400 parts. Performance = (4400 + 2400) x 0.5 / 3400 = 1.0, not 3400 / 3000 > 1.
    back = [
        ("2026-03-02 06:40:00", "FILLER", "running", 1.0),
        ("2026-03-02 06:40:00", "FILLER", "total_count", 4400.0),
    ]
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:30:00", "FILLER", "total_count", 3600),
        ("2026-03-02 06:30:00", "FILLER", "running", None),
        ("2026-03-02 06:30:00", "FILLER", "total_count", None),
        *(reversed(back) if counter_first else back),
        ("2026-03-02 07:00:00", "FILLER", "total_count", 6800),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 07:00")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 07:00")
    assert m["comms_loss_time_s"] == 200
    assert m["down_time_s"] == 200
    assert m["run_time_s"] == 3400
    assert m["data_quality"]["inferred_run_time_s"] == 400
    assert m["data_quality"]["comms_loss_s"] == 200
    assert m["total_count"] == 6800
    assert m["performance"] == 1.0
    assert m["flags"] == []
    assert m["losses"]["slow_cycles_s"] == 0
    assert engine.timeline("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00")) == [
        (t("2026-03-02 06:00"), t("2026-03-02 06:36:40"), "running"),
        (t("2026-03-02 06:36:40"), t("2026-03-02 06:40"), "no_data"),
        (t("2026-03-02 06:40"), t("2026-03-02 07:00"), "running"),
    ]
    events = engine.downtime_events("FILLER", t("2026-03-02 06:00"), t("2026-03-02 07:00"))
    assert [(e.start, e.end, e.reason) for e in events] == [
        (t("2026-03-02 06:36:40"), t("2026-03-02 06:40"), "Communication loss")
    ]


def test_a_count_that_arrives_just_after_the_link_is_back_still_belongs_to_the_loss(cfg: Config) -> None:
    # The station's counter pacing can hand the first count over up to a second after the state:
    # it still carries the parts of the loss. A second count after it does not.
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:10:00", "FILLER", "running", None),
        ("2026-03-02 06:10:00", "FILLER", "total_count", None),
        ("2026-03-02 06:20:00", "FILLER", "running", 1),
        ("2026-03-02 06:20:00.800", "FILLER", "total_count", 1600),  # 1600 parts: 800 s > 600 s
        ("2026-03-02 06:25:00", "FILLER", "total_count", 2200),
    ]
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:30",
    )
    # min(600 s of loss, 1600 x 0.5 s) = 600 s: the whole loss was running.
    assert m["data_quality"]["inferred_run_time_s"] == 600
    assert m["comms_loss_time_s"] == 0
    assert m["run_time_s"] == 1800


def test_a_loss_after_a_stop_stays_communication_loss(cfg: Config) -> None:
    # Stopped at 06:05, the link lost 06:10-06:20, running and +600 parts when it is back: the
    # machine was not running when the link went, so nothing is inferred.
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 06:05:00", "FILLER", "total_count", 600),
        ("2026-03-02 06:05:00", "FILLER", "running", 0),
        ("2026-03-02 06:10:00", "FILLER", "running", None),
        ("2026-03-02 06:10:00", "FILLER", "total_count", None),
        ("2026-03-02 06:20:00", "FILLER", "running", 1),
        ("2026-03-02 06:20:00", "FILLER", "total_count", 1200),
    ]
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:30",
    )
    assert m["comms_loss_time_s"] == 600
    assert m["data_quality"]["inferred_run_time_s"] == 0
    assert m["total_count"] == 1200  # the parts still count
    assert m["down_time_s"] == 300 + 600  # the 300 s stop is past the 120 s threshold


def test_a_loss_without_a_counter_stays_communication_loss(cfg: Config) -> None:
    rows: list[Row] = [
        ("2026-03-02 06:00:00", "FILLER", "running", 1),
        ("2026-03-02 06:10:00", "FILLER", "running", None),
        ("2026-03-02 06:20:00", "FILLER", "running", 1),
    ]
    m = figures(
        run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 06:30",
    )
    assert (m["comms_loss_time_s"], m["data_quality"]["inferred_run_time_s"], m["run_time_s"]) == (
        600,
        0,
        1200,
    )


def test_a_loss_across_the_shift_end_infers_run_time_in_the_shift_and_counts_the_parts_after_it(
    cfg: Config,
) -> None:
    # Early ends at 14:00. Running from 13:00 (6000 parts by 13:50, 3000 s of ideal time), the
    # link lost 13:50-14:10; back, the counter advanced by 1200 parts: 600 s, so 13:50-14:00 is
    # inferred run time and 14:00-14:10 is unscheduled. The parts are counted at 14:10, after
    # the shift: the shift's run time holds the 600 s, its counts do not hold the parts.
    rows: list[Row] = [
        ("2026-03-02 13:00:00", "FILLER", "running", 1),
        ("2026-03-02 13:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 13:50:00", "FILLER", "total_count", 6000),
        ("2026-03-02 13:50:00", "FILLER", "running", None),
        ("2026-03-02 13:50:00", "FILLER", "total_count", None),
        ("2026-03-02 14:10:00", "FILLER", "running", 0),
        ("2026-03-02 14:10:00", "FILLER", "total_count", 7200),
    ]
    engine = run(cfg, rows, "2026-03-02 13:00", "2026-03-02 14:30")
    shift = figures(engine, "FILLER", "2026-03-02 13:00", "2026-03-02 14:00")
    assert (shift["run_time_s"], shift["comms_loss_time_s"]) == (3600, 0)
    assert shift["data_quality"]["inferred_run_time_s"] == 600
    assert shift["total_count"] == 6000
    assert shift["performance"] == round(3000 / 3600, 6)
    whole = figures(engine, "FILLER", "2026-03-02 13:00", "2026-03-02 14:30")
    assert (whole["scheduled_time_s"], whole["run_time_s"], whole["comms_loss_time_s"]) == (3600, 3600, 0)
    assert whole["total_count"] == 7200
    assert whole["performance"] == 1.0  # 7200 x 0.5 s over 3600 s: never over 1
    assert whole["data_quality"]["counts_while_down"] == 0  # the loss's parts, not the stop's


def test_a_loss_running_into_a_break_is_run_time_in_it_then_a_planned_stop(cfg: Config) -> None:
    # Lunch 10:00-10:30. Running from 09:00 (6600 parts by 09:55), the link lost 09:55-10:05
    # and back stopped with +900 parts: 450 s, so 09:55:00-10:02:30 ran (300 s before the break,
    # 150 s into it: running through a break is running); 10:02:30-10:05 is the break, a planned
    # stop, not communication loss. Running again 10:30-11:00 (+3600 parts).
    rows: list[Row] = [
        ("2026-03-02 09:00:00", "FILLER", "running", 1),
        ("2026-03-02 09:00:00", "FILLER", "total_count", 0),
        ("2026-03-02 09:55:00", "FILLER", "total_count", 6600),
        ("2026-03-02 09:55:00", "FILLER", "running", None),
        ("2026-03-02 09:55:00", "FILLER", "total_count", None),
        ("2026-03-02 10:05:00", "FILLER", "running", 0),
        ("2026-03-02 10:05:00", "FILLER", "total_count", 7500),
        ("2026-03-02 10:30:00", "FILLER", "running", 1),
        ("2026-03-02 11:00:00", "FILLER", "total_count", 11100),
    ]
    m = figures(
        run(cfg, rows, "2026-03-02 09:00", "2026-03-02 11:00"),
        "FILLER",
        "2026-03-02 09:00",
        "2026-03-02 11:00",
    )
    assert m["planned_stop_time_s"] == 1800 - 150
    assert m["planned_production_time_s"] == 7200 - 1650
    assert (m["comms_loss_time_s"], m["down_time_s"]) == (0, 0)
    assert m["run_time_s"] == 3300 + 450 + 1800
    assert m["data_quality"]["inferred_run_time_s"] == 450
    assert m["performance"] == 1.0  # 11100 x 0.5 = 5550 s over 5550 s


# ---------------------------------------------------------------- parts counted while stopped


def test_parts_counted_while_stopped_are_reported_and_flagged(cfg: Config) -> None:
    # Stopped at 06:10:00. The count read at 06:10:02 is of parts made since 06:09:58, perhaps
    # before the stop: not counted as while down. The next two (+5, +5) were made while the
    # running bit said stopped: 10 parts, flagged.
    rows = [
        *counter(("06:00:00", 0), ("06:09:58", 1196)),
        ("2026-03-02 06:10:00", "FILLER", "running", 0),
        ("2026-03-02 06:10:02", "FILLER", "total_count", 1202),
        ("2026-03-02 06:10:04", "FILLER", "total_count", 1207),
        ("2026-03-02 06:10:06", "FILLER", "total_count", 1212),
        ("2026-03-02 06:12:00", "FILLER", "running", 1),
        ("2026-03-02 06:20:00", "FILLER", "total_count", 2172),
    ]
    engine = run(cfg, rows, "2026-03-02 06:00", "2026-03-02 06:30")
    m = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 06:30")
    assert m["total_count"] == 2172
    assert m["data_quality"]["counts_while_down"] == 10
    assert m["flags"] == ["counts_while_down"]
    # Counted by the time they were reported: none up to the stop.
    before = figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 06:10")
    assert before["data_quality"]["counts_while_down"] == 0


# ---------------------------------------------------------------- bound signals without a good value

CONNECTION = '\n[[connections]]\nid = "plc"\nprotocol = "modbus"\nhost = "127.0.0.1"\n'


def bound_config(*signals: str) -> Config:
    bindings = ", ".join(
        f'{{ signal = "{s}", connection = "plc", address = "hr:{i}", type = "uint16" }}'
        for i, s in enumerate(signals)
    )
    text = (
        (DATA / "reference.toml")
        .read_text()
        .replace("counter_max = 65535", f"counter_max = 65535\nsignals = [{bindings}]")
    )
    return parse_config(text + CONNECTION, Path("bound.toml"))


def in_time_order(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: row[0])  # stable: same-time rows keep their order


PARTS: list[Row] = [
    ("2026-03-02 06:00:00", "FILLER", "running", 1),
    ("2026-03-02 06:00:00", "FILLER", "total_count", 0),
    ("2026-03-02 07:00:00", "FILLER", "total_count", 6000),
]


def test_a_bound_reject_counter_without_a_good_value_makes_quality_and_oee_null() -> None:
    # reject_count is bound but its address was refused: BAD all along. Every part good would be
    # a guess; quality and OEE are unknown, availability and performance are not.
    config = bound_config("running", "total_count", "reject_count")
    rows = in_time_order([*PARTS, ("2026-03-02 06:00:00", "FILLER", "reject_count", None)])
    m = figures(
        run(config, rows, "2026-03-02 06:00", "2026-03-02 07:00"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 07:00",
    )
    assert (m["quality"], m["oee"], m["teep"]) == (None, None, None)
    assert (m["availability"], m["performance"]) == (1.0, round(3000 / 3600, 6))
    assert m["data_quality"]["signals_missing"] == ["reject_count"]
    assert m["data_quality"]["quality_unknown"] is True
    assert m["flags"] == ["signal_missing"]


def test_without_a_reject_counter_bound_every_part_is_good() -> None:
    config = bound_config("running", "total_count")
    m = figures(
        run(config, PARTS, "2026-03-02 06:00", "2026-03-02 07:00"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 07:00",
    )
    assert (m["quality"], m["oee"]) == (1.0, round(3000 / 3600, 6))
    assert m["data_quality"]["signals_missing"] == []
    assert m["flags"] == []


def test_a_reject_counter_read_once_before_the_window_and_never_changed_is_not_missing() -> None:
    # The runner passes on changes only: a reject counter at 7 all shift long had a good value
    # throughout, though no sample of it lies inside the window.
    config = bound_config("running", "total_count", "reject_count")
    rows = [("2026-03-02 05:00:00", "FILLER", "reject_count", 7), *PARTS]
    m = figures(
        run(config, rows, "2026-03-02 05:00", "2026-03-02 07:00"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 07:00",
    )
    assert m["quality"] == 1.0
    assert m["data_quality"]["signals_missing"] == []


def test_a_missing_good_counter_is_derived_from_total_and_reject() -> None:
    # total, good and reject bound, good never read: total and reject still give good.
    config = bound_config("running", "total_count", "good_count", "reject_count")
    rows = in_time_order(
        [
            *PARTS,
            ("2026-03-02 06:00:00", "FILLER", "reject_count", 0),
            ("2026-03-02 07:00:00", "FILLER", "reject_count", 60),
        ]
    )
    m = figures(
        run(config, rows, "2026-03-02 06:00", "2026-03-02 07:00"),
        "FILLER",
        "2026-03-02 06:00",
        "2026-03-02 07:00",
    )
    assert (m["good_count"], m["quality"]) == (5940, 0.99)
    assert m["data_quality"]["signals_missing"] == ["good_count"]
    assert m["data_quality"]["quality_unknown"] is False
    assert m["flags"] == ["signal_missing"]


def test_a_signal_that_went_bad_inside_the_window_had_a_good_value_in_it() -> None:
    config = bound_config("running", "total_count", "reject_count")
    rows = in_time_order(
        [
            *PARTS,
            ("2026-03-02 06:00:00", "FILLER", "reject_count", 0),
            ("2026-03-02 06:30:00", "FILLER", "reject_count", None),
        ]
    )
    engine = run(config, rows, "2026-03-02 06:00", "2026-03-02 08:00")
    assert (
        figures(engine, "FILLER", "2026-03-02 06:00", "2026-03-02 07:00")["data_quality"]["signals_missing"]
        == []
    )
    later = figures(engine, "FILLER", "2026-03-02 06:30", "2026-03-02 07:00")
    assert later["data_quality"]["signals_missing"] == ["reject_count"]
    assert later["quality"] is None


def test_a_roll_up_keeps_what_any_part_lacked() -> None:
    a = Metrics(signals_missing=("reject_count",), quality_unknown=True, counts_while_down=3, total_count=10)
    b = Metrics(signals_missing=("andon",), counts_while_down=2, total_count=5, good_count=5)
    both = a + b
    assert both.signals_missing == ("andon", "reject_count")
    assert both.quality_unknown is True
    assert (both.counts_while_down, both.quality) == (5, None)


@pytest.fixture
def cfg(reference_config: Config) -> Config:
    return reference_config
