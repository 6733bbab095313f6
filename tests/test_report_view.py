"""The shift report view: a station fed with the demo shift's journal (and a few people's
commands) reports the engine's own figures, cut into the waterfall, Pareto, hours and Andon."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Iterator
from typing import Any

import pytest

from hmi.report.view import shift_report
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from hmi.station.shift import metrics_dict
from scripts.demo_station import CORRECTED_REASON, DEFAULT_NOW, ManualClock, at, replayed_station


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Station, ManualClock]]:
    db = tmp_path_factory.mktemp("report") / "station.db"
    station, clock = replayed_station(db)
    yield station, clock
    asyncio.run(station.stop())


def _line(station: Station, now: float, previous: bool = False) -> dict[str, Any]:
    report = shift_report(station, now, previous=previous)
    assert report["site"] == "Plant 1"
    (line,) = report["lines"]
    return dict(line)


def test_the_report_covers_the_shift_under_way_with_the_constraints_figures(
    fed: tuple[Station, ManualClock],
) -> None:
    station, clock = fed
    assert station.engine is not None
    line = _line(station, clock())
    assert line["shift"]["name"] == "Early"
    assert line["window"] == {"start": at("06:00"), "end": DEFAULT_NOW}
    assert line["constraint"] == "FILLER"
    m = station.engine.metrics("FILLER", at("06:00"), DEFAULT_NOW)
    assert line["metrics"] == metrics_dict(m)
    assert m.good_count > 30000 and m.oee is not None and 0 < m.oee < 1


def test_the_waterfall_takes_the_six_big_losses_off_planned_time_down_to_fully_productive_time(
    fed: tuple[Station, ManualClock],
) -> None:
    station, clock = fed
    assert station.engine is not None
    m = station.engine.metrics("FILLER", at("06:00"), clock())
    steps = _line(station, clock())["waterfall"]
    assert [s["label"] for s in steps] == [
        "Planned production time",
        "Unplanned stops",
        "Changeovers",
        "Run time",
        "Small stops",
        "Slow cycles",
        "Net run time",
        "Startup rejects",
        "Production rejects",
        "Fully productive time",
    ]
    by_label = {s["label"]: s for s in steps}
    losses = m.losses()
    assert by_label["Planned production time"]["seconds"] == pytest.approx(m.planned_production_time_s)
    assert by_label["Unplanned stops"]["seconds"] == pytest.approx(m.down_time_s)
    assert by_label["Small stops"]["seconds"] == pytest.approx(losses["small_stops_s"])
    assert by_label["Slow cycles"]["seconds"] == pytest.approx(losses["slow_cycles_s"])
    assert by_label["Production rejects"]["seconds"] == pytest.approx(losses["production_rejects_s"])
    assert by_label["Run time"]["seconds"] == pytest.approx(m.run_time_s)
    assert by_label["Net run time"]["seconds"] == pytest.approx(m.ideal_total_s)
    assert by_label["Fully productive time"]["seconds"] == pytest.approx(m.ideal_good_s)
    # Every loss hangs from the level the step before it left.
    for before, step in itertools.pairwise(steps):
        if step["kind"] == "loss":
            assert step["level"] == pytest.approx(before["level"] - step["seconds"])
        else:
            assert step["level"] == pytest.approx(before["level"])


def test_the_pareto_sums_every_machines_stops_per_reason_longest_first(
    fed: tuple[Station, ManualClock],
) -> None:
    station, clock = fed
    assert station.engine is not None
    pareto = _line(station, clock())["pareto"]
    events = [
        ev
        for eq in ("FILLER", "CAPPER", "LABELLER", "PACKER")
        for ev in station.engine.downtime_events(eq, at("06:00"), clock())
    ]
    assert len(events) >= 5
    assert sum(r["count"] for r in pareto) == len(events)
    assert sum(r["duration_s"] for r in pareto) == pytest.approx(sum(ev.duration_s for ev in events))
    durations = [r["duration_s"] for r in pareto]
    assert durations == sorted(durations, reverse=True)
    assert pareto[-1]["cumulative_share"] == pytest.approx(1.0)
    for r in pareto:
        mine = [ev for ev in events if ev.reason == r["reason"]]
        assert r["count"] == len(mine)
        assert r["duration_s"] == pytest.approx(sum(ev.duration_s for ev in mine))
        assert set(r["equipment"]) == {ev.equipment for ev in mine}
    # The supervisor's correction of one stop's reason shows under the reason given.
    (corrected,) = [r for r in pareto if r["reason"] == CORRECTED_REASON]
    assert corrected["count"] == 1


def test_production_per_hour_adds_up_to_the_shift_and_spreads_the_target_over_working_time(
    fed: tuple[Station, ManualClock],
) -> None:
    station, clock = fed
    line = _line(station, clock())
    hours = line["hourly"]
    assert [h["start"] for h in hours] == [at(f"{h:02d}:00") for h in range(6, 14)]
    counted = [h for h in hours if h["good_count"] is not None]
    assert len(counted) == 7  # 06:00 .. 12:00 have begun at 12:30; 13:00 has not
    assert sum(h["good_count"] for h in counted) == line["metrics"]["good_count"]
    assert sum(h["total_count"] for h in counted) == line["metrics"]["total_count"]
    # 46000 parts over 7.5 working hours; the 10:00 hour holds the half-hour lunch.
    assert math.fsum(h["target"] for h in hours) == pytest.approx(46000, abs=1)
    assert hours[0]["target"] == pytest.approx(46000 / 7.5, abs=0.1)
    assert hours[4]["target"] == pytest.approx(46000 / 15, abs=0.1)
    assert hours[6]["target_so_far"] == pytest.approx(hours[6]["target"] / 2, abs=0.1)
    assert line["target_so_far"] == round(46000 * 6 / 7.5)  # 6 working hours by 12:30


def test_andon_response_times_are_those_of_the_calls_answered(fed: tuple[Station, ManualClock]) -> None:
    station, clock = fed
    line = _line(station, clock())
    calls = {c["equipment"]: c for c in line["andon"]}
    assert calls["FILLER"]["time_to_acknowledge_s"] == 210  # 07:05 -> 07:08:30
    assert calls["FILLER"]["acknowledged_by"] == "mia"
    assert calls["FILLER"]["time_to_resolve_s"] == 26 * 60
    assert calls["LABELLER"]["time_to_acknowledge_s"] == 130
    assert calls["PACKER"]["time_to_acknowledge_s"] == 360
    assert calls["PACKER"]["time_to_resolve_s"] is None  # still open
    assert calls["CAPPER"]["time_to_acknowledge_s"] is None  # nobody has answered yet
    summary = line["andon_summary"]
    assert summary["calls"] == len(line["andon"]) == 4
    assert summary["acknowledged"] == 3
    assert summary["mean_to_acknowledge_s"] == pytest.approx((210 + 130 + 360) / 3, abs=1e-6)
    assert summary["max_to_acknowledge_s"] == 360
    assert summary["resolved"] == 2


def test_the_previous_shift_is_the_night_before(fed: tuple[Station, ManualClock]) -> None:
    station, clock = fed
    assert station.engine is not None
    line = _line(station, clock(), previous=True)
    assert line["shift"]["name"] == "Night"
    assert line["window"] == {"start": at("06:00") - 8 * 3600, "end": at("06:00")}
    m = station.engine.metrics("FILLER", at("06:00") - 8 * 3600, at("06:00"))
    assert line["metrics"] == metrics_dict(m)
    assert line["andon"] == []


def test_the_console_gets_the_same_report_through_the_link(fed: tuple[Station, ManualClock]) -> None:
    station, clock = fed
    link = LocalLink(station)
    assert asyncio.run(link.view("report")) == shift_report(station, clock())
    previous = asyncio.run(link.view("report", previous=True))
    assert previous["previous"] is True
    assert previous["lines"][0]["shift"]["name"] == "Night"
