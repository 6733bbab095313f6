"""Andon calls: raising, ISA-18.2 states, escalation on a manual clock, shelving, response times."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.andon import AndonChanged, CallState, Source
from core.auth import Role
from core.config import Config, parse_config
from core.engine import CommandError, Engine, Refused
from core.permissions import Actor
from core.samples import Sample

DATA = Path(__file__).parent.parent / "data"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00, inside the Early shift

ANDON = """
[andon]
shelve_max_s = 1800

[andon.policies.maintenance]
auto_raise_after_s = 60
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
  { level = 3, after_s = 900, notify = "manager" },
]

[andon.policies.quality]
escalate_until = "resolved"
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 120, notify = "quality lead" },
]
"""

OLGA = Actor("Olga", Role.OPERATOR)
MAX = Actor("Max", Role.MAINTENANCE)
SAM = Actor("Sam", Role.SUPERVISOR)


@pytest.fixture
def config() -> Config:
    text = (DATA / "reference.toml").read_text()
    return parse_config(text.replace("[[products]]", ANDON + "\n[[products]]", 1), Path("andon.toml"))


@pytest.fixture
def engine(config: Config) -> Engine:
    engine = Engine(config)
    engine.ingest_one(Sample(T0, "FILLER", "running", 1))
    return engine


def escalations(engine: Engine, call_id: int = 1) -> list[tuple[int, float]]:
    return [(e.level, e.at) for e in engine.andon.calls[call_id - 1].escalations]


def test_each_level_escalates_at_its_due_second_while_nobody_acknowledges(engine: Engine) -> None:
    seen: list[AndonChanged] = []
    engine.bus.subscribe(AndonChanged, seen.append)
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}, T0 + 10, None)
    assert escalations(engine) == [(1, T0 + 10)]
    engine.tick(T0 + 309)
    assert escalations(engine) == [(1, T0 + 10)]
    engine.tick(T0 + 310)
    assert escalations(engine) == [(1, T0 + 10), (2, T0 + 310)]
    # A clock that jumps far ahead (a station that was down) records each level at its due time.
    engine.tick(T0 + 5000)
    assert escalations(engine) == [(1, T0 + 10), (2, T0 + 310), (3, T0 + 910)]
    assert [(e.action, e.ts) for e in seen if e.action == "escalated"] == [
        ("escalated", T0 + 10),
        ("escalated", T0 + 310),
        ("escalated", T0 + 910),
    ]


def test_no_escalation_after_acknowledgement(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}, T0, None)
    engine.command("ack_andon", {"equipment": "FILLER"}, T0 + 200, MAX)
    engine.tick(T0 + 5000)
    assert escalations(engine) == [(1, T0)]
    call = engine.andon.calls[0]
    assert call.state == CallState.ACTIVE_ACK
    assert (call.acknowledged_by, call.acknowledged_at) == ("Max", T0 + 200)


def test_a_policy_may_escalate_until_resolved(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "quality"}, T0, None)
    engine.command("ack_andon", {"equipment": "FILLER"}, T0 + 60, OLGA)
    engine.tick(T0 + 120)
    assert escalations(engine) == [(1, T0), (2, T0 + 120)]


def test_an_operator_may_not_acknowledge_an_escalated_call_but_a_supervisor_may(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "material"}, T0, None)
    engine.command("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, T0, None)
    engine.tick(T0 + 400)  # the maintenance call is at level 2 now; material has one level only
    engine.command("ack_andon", {"equipment": "FILLER"}, T0 + 400, OLGA)
    with pytest.raises(Refused, match="only on level-1 calls"):
        engine.command("ack_andon", {"equipment": "CAPPER"}, T0 + 401, OLGA)
    assert not engine.andon.calls[1].acknowledged  # refused: nothing changed
    engine.command("ack_andon", {"equipment": "CAPPER"}, T0 + 402, SAM)
    assert engine.andon.calls[1].acknowledged_by == "Sam"


def test_a_fault_that_lasts_raises_a_maintenance_call_which_closes_itself_after_ack(engine: Engine) -> None:
    engine.ingest_one(Sample(T0 + 100, "FILLER", "fault_code", 101))
    engine.ingest_one(Sample(T0 + 150, "FILLER", "running", 0))
    assert engine.andon.calls == []
    engine.tick(T0 + 160)  # the fault has lasted the policy's 60 s
    (call,) = engine.andon.calls
    assert (call.source, call.kind, call.raised_at) == (Source.PLC_FAULT, "maintenance", T0 + 160)
    engine.command("ack_andon", {"equipment": "FILLER"}, T0 + 200, MAX)
    engine.ingest_one(Sample(T0 + 300, "FILLER", "fault_code", 0))
    assert call.state == CallState.CLOSED
    assert call.resolved_at == T0 + 300


def test_a_short_fault_raises_nothing(engine: Engine) -> None:
    engine.ingest_one(Sample(T0 + 100, "FILLER", "fault_code", 205))
    engine.ingest_one(Sample(T0 + 159, "FILLER", "fault_code", 0))
    engine.tick(T0 + 1000)
    assert engine.andon.calls == []


def test_a_plc_call_that_clears_before_anyone_answers_waits_for_acknowledgement(engine: Engine) -> None:
    engine.ingest_one(Sample(T0 + 10, "CAPPER", "andon", 1))
    (call,) = engine.andon.calls
    assert (call.source, call.kind, call.state) == (Source.PLC_ANDON, "help", CallState.ACTIVE_UNACK)
    engine.ingest_one(Sample(T0 + 20, "CAPPER", "andon", 0))
    assert call.to_dict()["state"] == "returned-to-normal-unacknowledged"
    engine.command("ack_andon", {"call": 1}, T0 + 30, OLGA)
    assert call.to_dict()["state"] == "closed"


def test_an_operator_call_is_closed_by_resolving_it_with_response_times(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance", "note": "smoke"}, T0, None)
    engine.command("take_andon", {"equipment": "FILLER"}, T0 + 30, MAX)
    engine.command("ack_andon", {"equipment": "FILLER"}, T0 + 45, MAX)
    engine.command("note_andon", {"equipment": "FILLER", "text": "belt replaced"}, T0 + 500, MAX)
    engine.command("resolve_andon", {"equipment": "FILLER"}, T0 + 600, MAX)
    call = engine.andon.calls[0].to_dict()
    assert call["state"] == "closed"
    assert call["owner"] == "Max"
    assert [n["text"] for n in call["notes"]] == ["smoke", "belt replaced"]
    assert call["acknowledged_at"] - call["raised_at"] == 45
    assert call["resolved_at"] - call["raised_at"] == 600
    with pytest.raises(CommandError, match="no open Andon call"):
        engine.command("resolve_andon", {"equipment": "FILLER"}, T0 + 601, MAX)


def test_operators_may_not_resolve_and_maintenance_only_maintenance_calls(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "quality"}, T0, None)
    with pytest.raises(Refused):
        engine.command("resolve_andon", {"equipment": "FILLER"}, T0 + 1, OLGA)
    with pytest.raises(Refused, match="only on maintenance calls"):
        engine.command("resolve_andon", {"equipment": "FILLER"}, T0 + 1, MAX)
    engine.command("resolve_andon", {"equipment": "FILLER"}, T0 + 2, SAM)


def test_shelving_is_for_supervisors_for_a_limited_time_and_holds_escalation(engine: Engine) -> None:
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}, T0, None)
    with pytest.raises(Refused):
        engine.command("shelve_andon", {"equipment": "FILLER", "seconds": 600}, T0 + 1, MAX)
    with pytest.raises(CommandError, match="1 to 1800 s"):
        engine.command("shelve_andon", {"equipment": "FILLER", "seconds": 3600}, T0 + 1, SAM)
    engine.command("shelve_andon", {"equipment": "FILLER", "seconds": 600}, T0 + 100, SAM)
    engine.tick(T0 + 699)
    assert escalations(engine) == [(1, T0)]  # level 2 fell due at 300 but the call is shelved
    engine.tick(T0 + 700)
    assert escalations(engine) == [(1, T0), (2, T0 + 700)]  # announced when the shelf ends
    engine.tick(T0 + 900)
    assert escalations(engine)[-1] == (3, T0 + 900)


def test_raising_needs_no_login_but_an_unknown_kind_is_refused(engine: Engine) -> None:
    with pytest.raises(CommandError, match="unknown Andon kind"):
        engine.command("raise_andon", {"equipment": "FILLER", "kind": "coffee"}, T0, None)
    with pytest.raises(Refused, match="needs a login"):
        engine.command("ack_andon", {"equipment": "FILLER"}, T0, None)
