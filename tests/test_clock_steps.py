"""Steps of the wall clock at a running station (issue 12, "Time discipline"; docs/RELIABILITY.md,
"Clock steps"), on an injected clock: the wall clock and the monotonic clock are two numbers the
test moves, together (time passes) or the wall clock alone (a step).

The reference line: Early Mon-Fri 06:00-14:00 with lunch 10:00-10:30, Night Sun-Thu 22:00-06:00;
FILLER ideal 0.5 s, small-stop threshold 120 s. 2026-03-02 is a Monday in Berlin (UTC+1). Every
figure below is worked out by hand in the comment above its assertion.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.auth import LOCK_AFTER, Role
from core.config import Config, parse_config
from core.export import recorded
from core.replay import Window, replay
from core.samples import Sample
from core.store import CommandRecord
from hmi.station.clock import StationClock
from hmi.station.link import LinkError, LocalLink
from hmi.station.runtime import Station
from hmi.station.views import health_view
from tests.cli_runs import run_in_process

BERLIN = ZoneInfo("Europe/Berlin")
DATA = Path(__file__).parent / "data"
HOUR = 3600.0
PIN, WRONG = "73915268", "55501234"


def t(local: str) -> float:
    return datetime.fromisoformat(local).replace(tzinfo=BERLIN).timestamp()


class Clocks:
    """The wall clock and the monotonic clock of the machine, moved by the test."""

    def __init__(self, wall: float) -> None:
        self.wall = wall
        self.mono = 1000.0

    def passes(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    def step(self, seconds: float) -> None:
        self.wall += seconds


@pytest.fixture
def config() -> Config:
    return parse_config((DATA / "reference.toml").read_text(), DATA / "reference.toml")


def make_station(config: Config, db: Path, clocks: Clocks) -> Station:
    station = Station(config, db, clock=StationClock(lambda: clocks.wall, lambda: clocks.mono))
    station.open()
    return station


@pytest.fixture
def clocks() -> Clocks:
    return Clocks(t("2026-03-02 06:00"))


@pytest.fixture
def station(config: Config, tmp_path: Path, clocks: Clocks) -> Iterator[Station]:
    st = make_station(config, tmp_path / "station.db", clocks)
    yield st
    asyncio.run(st.stop())


def read(station: Station, signal: str, value: float) -> None:
    """A value of FILLER as a runner passes it on: stamped by the station's clock."""
    station.ingest([Sample(station.clock(), "FILLER", signal, value)])


def flat(figs: dict[str, Any]) -> dict[str, Any]:
    return {**figs, **figs["data_quality"]}


def figures(station: Station, a: float, b: float) -> dict[str, Any]:
    assert station.engine is not None
    return flat(station.engine.metrics("FILLER", a, b).to_dict())


def steps_journaled(station: Station) -> list[dict[str, float]]:
    assert station.store is not None
    station.store.flush()
    return [
        dict(rec.args)
        for _id, rec in station.store.journal()
        if isinstance(rec, CommandRecord) and rec.command == "clock_step"
    ]


def replayed(station: Station, a: float, b: float) -> dict[str, Any]:
    """What `ms5 replay` of the exported journal gives for FILLER over [a, b]."""
    assert station.store is not None
    station.store.flush()
    samples, actions = recorded(station.store)
    out = replay(station.config, samples, Window(a, b), actions)
    return flat(out["equipment"]["FILLER"])


@pytest.mark.parametrize("size", [HOUR, 10.0])
def test_a_step_forward_while_running_is_no_run_time(station: Station, clocks: Clocks, size: float) -> None:
    start = station.clock()
    read(station, "running", 1)
    read(station, "total_count", 0)
    clocks.passes(600)
    station.tick()
    clocks.step(size)
    clocks.passes(300)
    station.tick()  # the station notices the step here: 06:15 by its own clock, the wall says later
    clocks.passes(300)
    read(station, "total_count", 2400)
    station.tick()
    now = station.clock()
    # 20 min passed: 06:00-06:15 before the step, 5 min after it, stamped from 06:15 + size on.
    assert now == start + 1200 + size
    f = figures(station, start, now)
    # The window is 20 min long in time that passed: 1200 s, all of it running; 2400 parts of
    # 0.5 s ideal are 1200 s: availability and performance 1.
    assert f["all_time_s"] == 1200
    assert f["run_time_s"] == 1200
    assert f["down_time_s"] == 0
    assert f["comms_loss_time_s"] == 0
    assert f["availability"] == 1.0
    assert f["performance"] == 1.0
    assert f["clock_steps"] == 1
    # Journaled once, with its size and the moment it was noticed (06:15 on the station's clock).
    assert steps_journaled(station) == [{"at": start + 900, "size": size}]
    replay_figs = replayed(station, start, now)
    for key in ("all_time_s", "run_time_s", "down_time_s", "availability", "performance", "clock_steps"):
        assert replay_figs[key] == f[key]


@pytest.mark.parametrize("size", [HOUR, 10.0])
def test_a_step_forward_during_a_stop_keeps_the_stop_its_real_length(
    station: Station, clocks: Clocks, size: float
) -> None:
    start = station.clock()
    read(station, "running", 1)
    clocks.passes(600)
    read(station, "running", 0)  # 06:10: a stop
    clocks.passes(60)
    station.tick()
    clocks.step(size)
    clocks.passes(30)
    station.tick()
    read(station, "running", 1)  # the stop lasted 90 s of real time: a small stop (threshold 120 s)
    clocks.passes(60)
    station.tick()
    now = station.clock()
    f = figures(station, start, now)
    # 600 s running, a 90 s stop, 60 s running: 750 s in all, all of it run time (a small stop
    # is a loss of speed, not of availability).
    assert f["all_time_s"] == 750
    assert f["run_time_s"] == 750
    assert f["small_stop_time_s"] == 90
    assert f["small_stop_count"] == 1
    assert f["down_time_s"] == 0
    assert station.engine is not None
    assert station.engine.downtime_events("FILLER", start, now) == []
    assert replayed(station, start, now)["small_stop_time_s"] == 90


def test_a_stop_across_a_step_forward_is_one_downtime_of_its_real_length(
    station: Station, clocks: Clocks
) -> None:
    start = station.clock()
    read(station, "running", 1)
    clocks.passes(600)
    read(station, "running", 0)  # 06:10
    clocks.passes(100)
    station.tick()
    clocks.step(HOUR)
    clocks.passes(100)
    station.tick()  # noticed at 06:13:20: the step lies inside the stop
    clocks.passes(100)
    read(station, "running", 1)  # 300 s of real time stopped: downtime (over the 120 s threshold)
    station.tick()
    now = station.clock()
    f = figures(station, start, now)
    assert f["down_time_s"] == 300
    assert f["run_time_s"] == 600
    assert station.engine is not None
    events = station.engine.downtime_events("FILLER", start, now)
    assert [round(ev.duration_s, 6) for ev in events] == [300.0]
    replay_events = replayed(station, start, now)["downtime_events"]
    assert [ev["duration_s"] for ev in replay_events] == [300.0]
    assert station.store is not None
    stored = station.store.conn.execute("SELECT duration_s FROM downtime_events").fetchall()
    assert stored == [(300.0,)]


@pytest.mark.parametrize("size", [-HOUR, -10.0])
def test_a_step_back_never_sends_times_back_and_counts_no_time_twice(
    station: Station, clocks: Clocks, size: float
) -> None:
    start = station.clock()
    read(station, "running", 1)
    clocks.passes(600)
    station.tick()
    clocks.step(size)
    clocks.passes(5)
    station.tick()
    held = station.clock()
    # Noticed at 06:10:05; the wall clock says 06:10:05 + size: the station's times hold there.
    assert held == start + 605
    clocks.passes(-size)  # until the wall clock is back at 06:10:05
    read(station, "total_count", 100)
    assert station.clock() == held
    clocks.passes(60)
    station.tick()
    now = station.clock()
    assert now == held + 60  # then it follows the wall clock again
    f = figures(station, start, now)
    # 06:00-06:11:05 by the station's clock: 665 s running and nothing else; the held time
    # (|size| after the notice) is not counted at all: neither run nor down time.
    assert f["all_time_s"] == 665
    assert f["run_time_s"] == 665
    assert f["down_time_s"] == 0
    assert f["clock_steps"] == 1
    assert steps_journaled(station) == [{"at": start + 605, "size": size}]
    assert replayed(station, start, now)["run_time_s"] == 665


def test_a_step_forward_across_the_shift_end_ends_the_shift_by_the_corrected_clock(
    config: Config, tmp_path: Path
) -> None:
    clocks = Clocks(t("2026-03-02 13:50"))
    station = make_station(config, tmp_path / "station.db", clocks)
    read(station, "running", 1)
    clocks.passes(595)
    station.tick()
    clocks.step(10)
    clocks.passes(1)
    station.tick()  # noticed at 13:59:56, now 14:00:06: the Early shift is over
    clocks.passes(60)
    station.tick()
    assert station.engine is not None
    assert station.engine.calendars["L1"].shift_at(station.clock()) is None
    early = figures(station, t("2026-03-02 13:50"), t("2026-03-02 14:00"))
    # Of Early's last 10 min, 13:59:56-14:00:00 lies in the step: 596 s, all running.
    assert early["all_time_s"] == 596
    assert early["run_time_s"] == 596
    assert early["availability"] == 1.0
    asyncio.run(station.stop())


def test_a_step_back_across_the_shift_end_does_not_open_the_shift_again(
    config: Config, tmp_path: Path
) -> None:
    clocks = Clocks(t("2026-03-02 13:55"))
    station = make_station(config, tmp_path / "station.db", clocks)
    read(station, "running", 1)
    clocks.passes(600)
    station.tick()  # 14:05: Early is over
    clocks.step(-HOUR)
    clocks.passes(1)
    station.tick()
    assert station.engine is not None
    assert station.engine.calendars["L1"].shift_at(station.clock()) is None
    early = figures(station, t("2026-03-02 13:55"), t("2026-03-02 14:00"))
    assert early["run_time_s"] == 300
    assert early["all_time_s"] == 300
    asyncio.run(station.stop())


def test_the_health_view_says_the_step(station: Station, clocks: Clocks) -> None:
    assert health_view(station)["clock_step"] is None
    clocks.passes(600)
    station.tick()
    clocks.step(HOUR)
    station.tick()
    assert health_view(station)["clock_step"] == (
        "wall clock stepped forward 1 h 00 min 00 s at 2026-03-02 06:10:00; that time is not counted"
    )
    clocks.step(-10)
    station.tick()
    assert health_view(station)["clock_step"] == (
        "wall clock stepped back 10.0 s at 2026-03-02 07:10:00; times hold until it catches up"
        " (2 steps since the start)"
    )


def test_journal_and_audit_times_never_run_backwards(station: Station, clocks: Clocks) -> None:
    assert station.gate is not None
    station.gate.users.add("sam", Role.SUPERVISOR, PIN, station.clock())
    link = LocalLink(station)

    def wrong_pin() -> None:
        with pytest.raises(LinkError):
            asyncio.run(link.login("sam", WRONG))

    read(station, "running", 1)
    for size in (HOUR, -HOUR, 10.0, -10.0, -HOUR):
        clocks.passes(30)
        read(station, "total_count", clocks.mono)
        wrong_pin()
        clocks.step(size)
        clocks.passes(1)
        read(station, "running", 1)
        wrong_pin()
        station.tick()
    assert station.store is not None
    station.store.flush()
    journal = [rec.ts for _id, rec in station.store.journal()]
    audit = [row.ts for row in station.store.audit().rows()]
    assert len(audit) == 10
    assert journal == sorted(journal)
    assert audit == sorted(audit)


def test_a_counter_value_the_pace_holds_is_journaled_before_the_step(
    station: Station, clocks: Clocks
) -> None:
    # Counters reach the engine at most once a second (core.counter_thinning): a value read 0.3 s
    # after the one before is held. A step of the clock 0.2 s later: the held value was read
    # before it and goes into the journal before it, at its own time, not after it with a time
    # before it.
    read(station, "running", 1)
    read(station, "total_count", 10)
    clocks.passes(0.3)
    held_at = station.clock()
    read(station, "total_count", 11)
    clocks.passes(0.2)
    station.clock()  # the last time handed out before the step: its moment
    clocks.step(HOUR)
    clocks.passes(1)
    read(station, "total_count", 12)
    station.tick()
    assert station.store is not None
    station.store.flush()
    journal = [rec for _id, rec in station.store.journal()]
    assert [rec.ts for rec in journal] == sorted(rec.ts for rec in journal)
    counts = [(r.ts, r.value) for r in journal if isinstance(r, Sample) and r.signal == "total_count"]
    assert any(abs(ts - held_at) < 1e-3 and value == 11 for ts, value in counts), counts


@pytest.mark.parametrize("size", [HOUR, -HOUR])
def test_a_five_minute_lockout_lasts_five_minutes_across_a_step(
    station: Station, clocks: Clocks, size: float
) -> None:
    assert station.gate is not None
    station.gate.users.add("sam", Role.SUPERVISOR, PIN, station.clock())
    link = LocalLink(station)
    for _ in range(LOCK_AFTER):
        with pytest.raises(LinkError):
            asyncio.run(link.login("sam", WRONG))
    clocks.passes(60)
    clocks.step(size)
    station.tick()
    clocks.passes(239)  # 4 min 59 s after the lock: still locked, with the right PIN too
    with pytest.raises(LinkError, match="locked until"):
        asyncio.run(link.login("sam", PIN))
    clocks.passes(1)  # 5 min
    asyncio.run(link.login("sam", PIN))


def test_a_restart_after_a_step_back_goes_on_from_the_journal_and_gives_the_live_figures(
    config: Config, tmp_path: Path, clocks: Clocks
) -> None:
    db = tmp_path / "station.db"
    station = make_station(config, db, clocks)
    start = station.clock()
    read(station, "running", 1)
    clocks.passes(600)
    station.tick()
    clocks.step(HOUR)
    clocks.passes(60)
    read(station, "running", 0)  # 06:11 real, 07:11 stamped
    clocks.passes(60)
    station.tick()
    asyncio.run(station.stop())
    assert station.engine is not None
    end = station.clock()
    live = figures(station, start, end)
    clocks.step(-HOUR)  # the machine's clock goes back while the station is down
    restarted = make_station(config, db, clocks)
    assert restarted.store is not None
    last = max(rec.ts for _id, rec in restarted.store.journal())
    assert restarted.clock() >= last
    assert restarted.engine is not None
    restarted.engine.tick(end)  # as live: figures up to the moment the station stopped
    again = figures(restarted, start, end)
    for key in ("all_time_s", "run_time_s", "small_stop_time_s", "clock_steps"):
        assert again[key] == live[key]
    # 600 s before the step, 60 s running and 60 s stopped (a small stop, in run time) after it.
    assert live["all_time_s"] == 720
    assert live["run_time_s"] == 720
    assert live["small_stop_time_s"] == 60
    assert live["clock_steps"] == 1
    asyncio.run(restarted.stop())


ANDON = """
[andon.policies.maintenance]
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
]
"""


@pytest.mark.parametrize("size", [HOUR, 10.0])
def test_an_andon_call_escalates_after_its_delay_in_time_that_passed(
    tmp_path: Path, clocks: Clocks, size: float
) -> None:
    text = (DATA / "reference.toml").read_text() + ANDON
    station = make_station(parse_config(text, DATA / "reference.toml"), tmp_path / "station.db", clocks)
    assert station.gate is not None and station.engine is not None
    asyncio.run(station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}))
    raised = station.clock()
    call = station.engine.andon.calls[0]
    clocks.passes(100)
    station.tick()
    clocks.step(size)
    clocks.passes(199)  # 4 min 59 s after the call: still level 1, though the clock says later
    station.tick()
    assert call.level == 1
    clocks.passes(1)
    station.tick()
    # Level 2 at 5 min of time that passed: stamped 300 s + the step after the call.
    assert call.level == 2
    assert call.escalations[-1].at == raised + 300 + size
    asyncio.run(station.stop())


def test_ms5_replay_of_the_exported_journal_gives_the_live_figures(
    station: Station, clocks: Clocks, tmp_path: Path
) -> None:
    start = station.clock()
    read(station, "running", 1)
    read(station, "total_count", 0)
    clocks.passes(600)
    read(station, "running", 0)  # 06:10: a stop of 200 s with a step of an hour inside it
    clocks.passes(100)
    station.tick()
    clocks.step(HOUR)
    clocks.passes(100)
    station.tick()
    read(station, "running", 1)
    clocks.passes(300)
    read(station, "total_count", 1800)
    station.tick()
    end = station.clock()
    live = figures(station, start, end)
    asyncio.run(station.stop())
    journal, actions = tmp_path / "journal.csv", tmp_path / "actions.jsonl"
    db = str(tmp_path / "station.db")
    exported = run_in_process("export-journal", "--db", db, "-o", str(journal), "--actions", str(actions))
    assert exported.returncode == 0, exported.stderr
    assert '"command": "clock_step"' in actions.read_text()
    window = ["--from", datetime.fromtimestamp(start, BERLIN).isoformat()]
    window += ["--to", datetime.fromtimestamp(end, BERLIN).isoformat()]
    config = str(DATA / "reference.toml")
    out = run_in_process("replay", config, str(journal), "--actions", str(actions), *window, "--json")
    assert out.returncode == 0, out.stderr
    replayed_figs = flat(json.loads(out.stdout)["equipment"]["FILLER"])
    # 600 s running, a 200 s stop (down: over 120 s), 300 s running: 1100 s; 1800 parts of 0.5 s
    # are 900 s of ideal time in 900 s of run time.
    assert live["all_time_s"] == 1100
    assert live["down_time_s"] == 200
    assert live["run_time_s"] == 900
    assert live["performance"] == 1.0
    for key in ("all_time_s", "down_time_s", "run_time_s", "performance", "availability", "clock_steps"):
        assert replayed_figs[key] == live[key], key
    assert [ev["duration_s"] for ev in replayed_figs["downtime_events"]] == [200.0]


@pytest.mark.parametrize("size", [-HOUR, -10.0])
def test_a_step_back_during_a_stop_counts_the_stop_without_the_hold(
    station: Station, clocks: Clocks, size: float
) -> None:
    start = station.clock()
    read(station, "running", 1)
    clocks.passes(600)
    read(station, "running", 0)  # 06:10: a stop
    clocks.passes(60)
    station.tick()
    clocks.step(size)
    station.tick()  # noticed at 06:11: times hold there until the wall clock is back at 06:11
    clocks.passes(-size + 30)
    read(station, "running", 1)  # 06:11:30 by the station's clock
    clocks.passes(60)
    station.tick()
    now = station.clock()
    assert now == start + 750
    f = figures(station, start, now)
    # 600 s running, the stop's 60 s before the notice and 30 s after the hold: a 90 s small
    # stop; the hold (|size|) is in no figure (docs/RELIABILITY.md: the cost of a step back).
    assert f["all_time_s"] == 750
    assert f["small_stop_time_s"] == 90
    assert f["down_time_s"] == 0
    assert replayed(station, start, now)["small_stop_time_s"] == 90
