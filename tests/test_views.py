"""What the faces are given to show (hmi/station/views.py), checked against figures worked out by hand.

The reference line: Early Mon-Fri 06:00-14:00 with lunch 10:00-10:30 (7.5 h scheduled), Night
Sun-Thu 22:00-06:00; FILLER (the constraint) ideal 0.5 s. 2026-03-02 is a Monday in Berlin (UTC+1).
Here the Early shift's target is 27,000 parts: one per scheduled second.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import ConnectionState, Diagnostics
from core.auth import Role
from core.config import parse_config
from core.permissions import Actor
from core.samples import Quality, Sample
from hmi.report.view import shift_report
from hmi.station.link import compute_view
from hmi.station.runtime import Station
from hmi.station.shift import metrics_dict, shift_window
from hmi.station.views import connections_view, health_view, machine_view, overview, tags_view

BERLIN = ZoneInfo("Europe/Berlin")
DATA = Path(__file__).parent / "data"
BOSS = Actor("Sam", Role.SUPERVISOR)


def t(local: str) -> float:
    return datetime.fromisoformat(local).replace(tzinfo=BERLIN).timestamp()


@pytest.fixture
def station(tmp_path: Path) -> Station:
    text = (DATA / "reference.toml").read_text()
    text = text.replace(
        'breaks = [{ name = "Lunch", start = "10:00", end = "10:30" }]\n',
        'breaks = [{ name = "Lunch", start = "10:00", end = "10:30" }]\ntarget_count = 27000\n',
        1,
    )
    config = parse_config(text, DATA / "reference.toml")
    clock = [t("2026-03-02 06:00")]
    st = Station(config, tmp_path / "station.db", clock=lambda: clock[0])
    st.open()
    st.clock_value = clock  # type: ignore[attr-defined]
    return st


def at(station: Station, local: str) -> float:
    now = t(local)
    station.clock_value[0] = now  # type: ignore[attr-defined]
    return now


def feed(station: Station, until: str, *, every_s: float = 60.0, rate: float = 1.0) -> None:
    """FILLER runs from 06:00 making `rate` parts a second, its counter read every `every_s`."""
    start, end = t("2026-03-02 06:00"), t(until)
    station.ingest([Sample(start, "FILLER", "running", 1)])
    ts = start
    while ts <= end:
        station.ingest([Sample(ts, "FILLER", "total_count", float(round((ts - start) * rate) % 65536))])
        ts += every_s
    station.clock_value[0] = end  # type: ignore[attr-defined]
    station.tick()


def test_the_target_so_far_grows_with_scheduled_time_and_stays_flat_in_the_break(station: Station) -> None:
    feed(station, "2026-03-02 09:00")
    targets = {}
    for when in ("09:00", "10:00", "10:15", "10:30", "11:00"):
        now = at(station, f"2026-03-02 {when}")
        station.engine.tick(now)  # type: ignore[union-attr]
        targets[when] = overview(station, now)["lines"][0]["target_so_far"]
    assert targets == {"09:00": 10800, "10:00": 14400, "10:15": 14400, "10:30": 14400, "11:00": 16200}


def test_the_overview_shows_the_constraints_shift_figures_as_the_engine_gives_them(station: Station) -> None:
    feed(station, "2026-03-02 07:00")
    now = t("2026-03-02 07:00")
    view = overview(station, now)
    line = view["lines"][0]
    assert line["shift"]["name"] == "Early"
    assert line["shift"]["start"] == t("2026-03-02 06:00")
    assert line["constraint"] == "FILLER"
    engine = station.engine
    assert engine is not None
    assert line["metrics"] == metrics_dict(engine.metrics("FILLER", t("2026-03-02 06:00"), now))
    assert line["metrics"]["good_count"] == 3600
    assert line["metrics"]["oee"] == 0.5  # 3600 parts x 0.5 s in 3600 s
    filler = next(e for e in line["equipment"] if e["equipment"] == "FILLER")
    assert (filler["state"], filler["since"]) == ("running", t("2026-03-02 06:00"))


def test_a_machine_tile_names_the_fault_of_its_fault_code(station: Station) -> None:
    feed(station, "2026-03-02 07:00")
    station.ingest(
        [
            Sample(t("2026-03-02 07:00"), "FILLER", "running", 0),
            Sample(t("2026-03-02 07:00"), "FILLER", "fault_code", 101),
        ]
    )
    now = at(station, "2026-03-02 07:01")
    filler = next(e for e in overview(station, now)["lines"][0]["equipment"] if e["equipment"] == "FILLER")
    assert (filler["state"], filler["fault_code"], filler["fault_reason"]) == (
        "stopped",
        101,
        "Mechanical/Jam/Infeed",
    )


def test_a_job_shows_its_progress_and_an_estimated_end_that_skips_the_break(station: Station) -> None:
    engine = station.engine
    assert engine is not None
    engine.command(
        "start_job", {"line": "L1", "product": "A500", "quantity": 16200}, t("2026-03-02 06:00"), BOSS
    )
    feed(station, "2026-03-02 09:00")
    job = overview(station, t("2026-03-02 09:00"))["lines"][0]["job"]
    assert job["product"] == "A500"
    assert job["good_count"] == 10800
    assert job["progress"] == pytest.approx(10800 / 16200)
    # 5,400 parts left at one a second: 09:00 + 1 h to lunch, 30 min break, 30 min after it.
    assert job["estimated_end"] == t("2026-03-02 11:00")


def test_a_machine_tile_gets_its_rate_of_the_last_whole_minutes_against_the_ideal(station: Station) -> None:
    def filler(local: str) -> dict[str, object]:
        now = at(station, local)
        return next(e for e in overview(station, now)["lines"][0]["equipment"] if e["equipment"] == "FILLER")

    # Half a minute into the shift there is no whole minute to tell a rate from.
    station.ingest([Sample(t("2026-03-02 06:00"), "FILLER", "running", 1)])
    first = filler("2026-03-02 06:00:30")
    assert (first["rate_per_min"], first["rate_vs_ideal"]) == (None, None)
    # One part a second against an ideal of 0.5 s: 60 a minute of 120, half the ideal pace.
    feed(station, "2026-03-02 07:00")
    steady = filler("2026-03-02 07:00:40")
    assert (steady["rate_per_min"], steady["ideal_rate_per_min"]) == (60.0, 120.0)
    assert steady["rate_vs_ideal"] == 0.5
    # The counter stops at 07:00 while the machine says running: of the last five whole minutes
    # (06:58-07:03) only two made parts, 120 parts in five minutes.
    slowed = filler("2026-03-02 07:03:30")
    assert slowed["rate_per_min"] == 24.0
    assert slowed["rate_vs_ideal"] == pytest.approx(0.2)


def test_early_in_the_shift_the_rate_is_of_its_whole_minutes_so_far(station: Station) -> None:
    feed(station, "2026-03-02 06:02:30")
    now = at(station, "2026-03-02 06:02:30")
    filler = next(e for e in overview(station, now)["lines"][0]["equipment"] if e["equipment"] == "FILLER")
    # 120 parts in the two whole minutes 06:00-06:02; the half minute under way is not guessed at.
    assert filler["rate_per_min"] == 60.0


def test_the_previous_shift_of_monday_morning_is_sunday_night(station: Station) -> None:
    engine = station.engine
    assert engine is not None
    line = station.config.lines[0]
    previous = shift_window(engine, line, t("2026-03-02 07:00"), previous=True)
    assert (previous["name"], previous["start"], previous["end"]) == (
        "Night",
        t("2026-03-01 22:00"),
        t("2026-03-02 06:00"),
    )


def test_machine_detail_gives_the_rate_per_minute_and_the_state_strip(station: Station) -> None:
    feed(station, "2026-03-02 06:30")
    station.ingest([Sample(t("2026-03-02 06:30"), "FILLER", "running", 0)])
    station.ingest([Sample(t("2026-03-02 06:35"), "FILLER", "running", 1)])
    station.ingest([Sample(t("2026-03-02 06:40"), "FILLER", "running", 0)])
    station.ingest([Sample(t("2026-03-02 06:41"), "FILLER", "running", 1)])
    now = at(station, "2026-03-02 06:45")
    station.tick()
    view = machine_view(station, "FILLER", now)
    assert [r["total"] for r in view["rate"]] == [60] * 30
    strip = [(p["start"], p["end"], p["category"]) for p in view["timeline"]]
    assert strip == [
        (t("2026-03-02 06:00"), t("2026-03-02 06:30"), "running"),
        (t("2026-03-02 06:30"), t("2026-03-02 06:35"), "down"),
        (t("2026-03-02 06:35"), t("2026-03-02 06:40"), "running"),
        (t("2026-03-02 06:40"), t("2026-03-02 06:41"), "small_stop"),
        (t("2026-03-02 06:41"), now, "running"),
    ]
    assert [(d["start"], d["end"]) for d in view["downtime"]] == [
        (t("2026-03-02 06:30"), t("2026-03-02 06:35"))
    ]


def test_tags_show_the_last_value_its_quality_and_age(station: Station) -> None:
    station.ingest(
        [Sample(t("2026-03-02 06:00"), "FILLER", "running", 1, Quality.GOOD, t("2026-03-02 06:00"))]
    )
    station.ingest(
        [Sample(t("2026-03-02 06:00"), "CAPPER", "state", None, Quality.BAD, t("2026-03-02 06:00"))]
    )
    now = at(station, "2026-03-02 06:00:30")
    tags = {(r["equipment"], r["signal"]): r for r in tags_view(station, now)}
    assert tags["FILLER", "running"]["value"] == 1
    assert tags["FILLER", "running"]["quality"] == "good"
    assert tags["FILLER", "running"]["age_s"] == 30
    assert tags["CAPPER", "state"]["quality"] == "bad"


def test_a_driver_error_is_told_apart_from_a_lost_plc(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    diagnostics = [
        Diagnostics("filler-plc", "modbus", ConnectionState.FAILED, "connection refused"),
        Diagnostics("capper-plc", "opcua", ConnectionState.DRIVER_ERROR, "KeyError: 'total_count'"),
    ]
    monkeypatch.setattr(station, "diagnostics", lambda: diagnostics)
    health = health_view(station)
    assert health["connections_lost"] == ["filler-plc"]
    assert health["connections_driver_error"] == ["capper-plc"]
    states = [c["state"] for c in connections_view(station)]
    # Plain strings, as the socket has always sent them.
    assert states == ["failed", "driver_error"] and all(type(s) is str for s in states)


def test_a_face_builds_itself_from_the_config_station_and_users_views(station: Station) -> None:
    # What the panel needs besides the live figures, so that it can attach over the socket too.
    assert station.gate is not None
    station.gate.users.add("olga", Role.OPERATOR, "1357", t("2026-03-02 06:00"))
    (line,) = compute_view(station, "config", {})["lines"]
    assert line["equipment_names"] == {"FILLER": "Filler", "CAPPER": "Capper"}
    assert line["timezone"] == "Europe/Berlin"
    about = compute_view(station, "station", {})
    assert about == {
        "site": "Plant 1",
        "lines": ["Bottling 1"],
        "pid": os.getpid(),
        "db": str(station.db_path),
    }
    assert compute_view(station, "users", {}) == ["olga"]


def test_figures_resting_on_doubtful_data_carry_the_reason_on_the_machine_and_in_the_report(
    tmp_path: Path,
) -> None:
    # FILLER's reject counter is bound but BAD from the start (an address the PLC refused): the
    # views give quality and OEE as unknown and say why. Stopped at 07:00, the instant the counter
    # was last read, it goes on counting 10 + 5 + 5 parts: named too (docs/OEE.md, "Data quality").
    text = (
        (DATA / "reference.toml")
        .read_text()
        .replace(
            "counter_max = 65535",
            "counter_max = 65535\nsignals = ["
            '{ signal = "running", connection = "plc", address = "coil:0", type = "bool" },'
            ' { signal = "total_count", connection = "plc", address = "hr:0", type = "uint16" },'
            ' { signal = "reject_count", connection = "plc", address = "hr:1", type = "uint16" }]',
        )
    )
    text += '\n[[connections]]\nid = "plc"\nprotocol = "modbus"\nhost = "127.0.0.1"\n'
    clock = [t("2026-03-02 06:00")]
    station = Station(
        parse_config(text, DATA / "reference.toml"), tmp_path / "station.db", clock=lambda: clock[0]
    )
    station.open()
    station.clock_value = clock  # type: ignore[attr-defined]
    station.ingest([Sample(t("2026-03-02 06:00"), "FILLER", "reject_count", None, Quality.BAD)])
    feed(station, "2026-03-02 07:00")
    station.ingest([Sample(t("2026-03-02 07:00"), "FILLER", "running", 0)])
    for ts, total in (("07:00:30", 3610), ("07:01:00", 3615), ("07:01:30", 3620)):
        station.ingest([Sample(t(f"2026-03-02 {ts}"), "FILLER", "total_count", total)])
    now = at(station, "2026-03-02 07:02")
    station.tick()
    expected = ["quality unknown: no good value of reject_count", "20 parts counted while stopped"]
    m = machine_view(station, "FILLER", now)["metrics"]
    assert (m["quality"], m["oee"], m["doubts"]) == (None, None, expected)
    assert m["flags"] == ["counts_while_down", "signal_missing"]
    report_line = shift_report(station, now)["lines"][0]
    assert (report_line["metrics"]["oee"], report_line["metrics"]["doubts"]) == (None, expected)
