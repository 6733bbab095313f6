"""The demo's shift so far (hmi.station.demo_shift): what its first screen shows and its people.

The history is written through a real station on a real SQLite file, then read back by another
station's rebuild, as the live demo does; the slow test runs `ms5 demo` itself.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.sim.line import LineModel
from core.auth import Role, UserStore
from core.config import COMMS_LOSS_REASON, UNASSIGNED_REASON, load_config
from core.gate import GateError
from core.pin import PUBLIC_PIN_SCRYPT_N, SCRYPT_N, PinPolicy
from hmi.station.demo_shift import DEMO_BEHAVIOUR, DEMO_USERS, make_history, shift_start
from hmi.station.runtime import Station
from hmi.station.views import andon_view, audit_view, overview, shift_downtime
from scripts.demo_station import DEMO_CONFIG, at

NINE = at("09:00")  # three hours into the demo line's Early shift, before its lunch break


def _reopened(db: Path) -> Station:
    station = Station(load_config(DEMO_CONFIG), db)
    station.open()
    return station


def _assert_shift_under_way(station: Station, now: float, start: float, *, stops: bool = True) -> None:
    view = overview(station, now)
    line = view["lines"][0]
    assert line["shift"]["start"] == start
    m = line["metrics"]
    # Scheduled time is the time since the shift began: none of it lost to a database that was
    # empty. (Planned production time is less by the line's planned stops, such as the lunch the
    # history's line takes after 10:00.)
    assert m["scheduled_time_s"] == pytest.approx(now - start, abs=30)
    assert m["planned_production_time_s"] == pytest.approx(m["scheduled_time_s"] - m["planned_stop_time_s"])
    assert m["good_count"] > 0 and m["oee"] > 0.4
    assert line["target_so_far"] > 0
    downtime = shift_downtime(station, now)
    reasons = [s["reason"] for s in downtime]
    assert COMMS_LOSS_REASON not in reasons
    if not stops:
        return
    explained = [r for r in reasons if r != UNASSIGNED_REASON]
    assert len(explained) > len(reasons) // 2 and len(downtime) >= 3  # most stops have their reason
    assert andon_view(station, station.clock())["recent"], "no Andon call was dealt with during the shift"


def test_history_makes_a_shift_under_way(tmp_path: Path) -> None:
    config = load_config(DEMO_CONFIG)
    start = shift_start(config, NINE)
    assert start == at("06:00")
    shift = asyncio.run(make_history(config, tmp_path / "demo.db", seed=1, until=NINE))
    assert shift.calls_answered > 0 and shift.reasons_given > 0
    station = _reopened(tmp_path / "demo.db")
    try:
        _assert_shift_under_way(station, NINE, start)
        engine, gate = station.engine, station.gate
        assert engine is not None and gate is not None
        done = {
            (row["user"], row["command"]) for row in audit_view(station, limit=1000) if row["result"] == "ok"
        }
        assert {("olga", "set_reason"), ("theo", "ack_andon")} <= done  # through the gate, with their PINs
        for name, role, pin in DEMO_USERS:
            actor = asyncio.run(gate.login(name, pin))
            assert (actor.name, actor.role) == (name, role)
    finally:
        asyncio.run(station.stop())


def test_demo_pins_are_hashed_cheaply_still_checked_and_other_users_keep_the_full_cost(
    tmp_path: Path,
) -> None:
    # The demo's PINs are printed for everyone: a cheap hash keeps its start-up short, and the
    # gate checks them as any other (a wrong one refused); a user added later is hashed in full.
    asyncio.run(make_history(load_config(DEMO_CONFIG), tmp_path / "demo.db", seed=1, until=NINE))
    station = _reopened(tmp_path / "demo.db")
    try:
        assert station.store is not None and station.gate is not None
        costs = dict(station.store.conn.execute("SELECT name, pin_hash FROM users").fetchall())
        assert {name: int(h.split("$")[1]) for name, h in costs.items()} == dict.fromkeys(
            (name for name, _, _ in DEMO_USERS), PUBLIC_PIN_SCRYPT_N
        )
        with pytest.raises(GateError, match="wrong PIN"):
            asyncio.run(station.gate.login("olga", "9999"))
        UserStore(station.store.conn).add("ina", Role.OPERATOR, "7092", NINE)
        (full,) = station.store.conn.execute("SELECT pin_hash FROM users WHERE name = 'ina'").fetchone()
        assert int(full.split("$")[1]) == SCRYPT_N > PUBLIC_PIN_SCRYPT_N
        assert asyncio.run(station.gate.login("ina", "7092")).name == "ina"
    finally:
        asyncio.run(station.stop())


def test_a_role_each_and_pins_the_policy_accepts() -> None:
    assert {role for _, role, _ in DEMO_USERS} == set(Role)
    for _, _, pin in DEMO_USERS:
        PinPolicy().check(pin)  # raises on 0000, 1234 and the like


@pytest.mark.slow  # starts `ms5 demo` with its four simulated PLCs
def test_ms5_demo_starts_mid_shift_and_its_printed_pins_log_in(tmp_path: Path) -> None:
    from scripts.bench_panel import demo_config_on_free_ports

    config = tmp_path / "line.toml"
    config.write_text(demo_config_on_free_ports(), encoding="utf-8")
    env = {**os.environ, "MS5_DATA_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "hmi.cli", "demo", str(config), "--face", "text", "--seconds", "2"]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    printed = re.findall(r"^demo user (\w+) \((\w+)\): PIN (\d+)$", r.stdout, re.MULTILINE)
    assert {role for _, role, _ in printed} == {str(role) for role in Role}
    figures = [line for line in r.stdout.splitlines() if " OEE " in line]
    assert figures and all(int(line.split("good")[1].split()[0]) > 0 for line in figures[:4])
    station = _reopened(tmp_path / "demo.db")
    try:
        now = station.clock()
        start = shift_start(station.config, now)
        # The demo starts at the wall clock's now: a shift begun minutes ago has had no stops yet
        # (the history at a fixed time above shows them), so they are asked of an hour's shift.
        _assert_shift_under_way(station, now, start, stops=now - start > 3600)
        # The live PLCs carried on from the history's line: the parts counted from the shift's
        # start are the parts the line model made (had the live PLCs started a model of their own,
        # the counters would have jumped by thousands at going live).
        assert station.store is not None and station.engine is not None
        sql = "SELECT max(ts) FROM journal WHERE signal = 'good_count'"
        last = station.store.conn.execute(sql).fetchone()[0]
        model = LineModel(station.config, 1, start, behaviour=DEMO_BEHAVIOUR)
        model.step(last)
        for eq, truth in model.truth().items():
            counted = station.engine.metrics(eq, start, now).good_count
            # A few seconds' parts of slack: a PLC's sample is stamped with its source time.
            assert abs(counted - truth.good) <= 50, (eq, counted, truth.good)
        assert station.gate is not None
        for name, role, pin in printed:
            assert asyncio.run(station.gate.login(name, pin)).role == role
    finally:
        asyncio.run(station.stop())
