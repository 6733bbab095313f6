"""Every role × command of the permission table, through the engine (the single door)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
from core.config import Config, parse_config
from core.engine import Engine, Refused
from core.permissions import Actor
from core.samples import Sample

DATA = Path(__file__).parent.parent / "data"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
ROLES = [Role.OPERATOR, Role.MAINTENANCE, Role.SUPERVISOR, Role.ADMIN]
ANDON = """
[andon.policies.maintenance]
levels = [{ level = 1, after_s = 0, notify = "lead" }, { level = 2, after_s = 60, notify = "supervisor" }]
[andon.policies.quality]
levels = [{ level = 1, after_s = 0, notify = "lead" }, { level = 2, after_s = 60, notify = "supervisor" }]
"""


@pytest.fixture(scope="module")
def config() -> Config:
    text = (DATA / "reference.toml").read_text()
    text += '\n[[products]]\nid = "B250"\nideal_cycle_time_s = 0.25\n'
    return parse_config(text.replace("[[products]]", ANDON + "\n[[products]]", 1), Path("perm.toml"))


def _engine(config: Config) -> Engine:
    boss = Actor("setup", Role.ADMIN)
    engine = Engine(config)
    engine.ingest_one(Sample(T0, "FILLER", "running", 1))
    engine.ingest_one(Sample(T0 + 10, "FILLER", "running", 0))
    engine.ingest_one(Sample(T0 + 400, "FILLER", "running", 1))  # a 390 s stop, no reason yet
    engine.ingest_one(Sample(T0 + 500, "CAPPER", "state", 2))
    engine.ingest_one(Sample(T0 + 900, "CAPPER", "state", 6))  # a stop whose reason is given below
    engine.command("set_reason", {"equipment": "CAPPER", "at": T0 + 600, "reason": "Meeting"}, T0 + 950, boss)
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "material"}, T0 + 1000, None)  # level 1
    engine.command("raise_andon", {"equipment": "CAPPER", "kind": "quality"}, T0 + 1000, None)
    engine.command("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, T0 + 1000, None)
    engine.tick(T0 + 1100)  # calls 2 and 3 are at level 2 now
    engine.command("start_changeover", {"equipment": "CAPPER"}, T0 + 1100, boss)
    engine.command("start_planned_stop", {"equipment": "FILLER", "reason": "Meeting"}, T0 + 1100, boss)
    engine.command("start_job", {"line": "L1", "product": "A500"}, T0 + 1100, boss)
    return engine


OP, MT, SV, AD = Role.OPERATOR, Role.MAINTENANCE, Role.SUPERVISOR, Role.ADMIN
ALL = {OP, MT, SV, AD}

# (case, command, args, roles allowed), written from the words, not from core/permissions.py.
CASES: list[tuple[str, str, dict[str, Any], set[Role]]] = [
    ("raise", "raise_andon", {"equipment": "FILLER", "kind": "help"}, ALL),
    ("ack level-1", "ack_andon", {"call": 1}, ALL),
    ("ack escalated quality", "ack_andon", {"call": 2}, {SV, AD}),
    ("ack escalated maintenance", "ack_andon", {"call": 3}, {MT, SV, AD}),
    ("take level-1", "take_andon", {"call": 1}, ALL),
    ("note", "note_andon", {"call": 2, "text": "on my way"}, ALL),
    ("resolve maintenance", "resolve_andon", {"call": 3}, {MT, SV, AD}),
    ("resolve quality", "resolve_andon", {"call": 2}, {SV, AD}),
    ("resolve material", "resolve_andon", {"call": 1}, {SV, AD}),
    ("shelve", "shelve_andon", {"call": 2, "seconds": 60}, {SV, AD}),
    (
        "give a reason",
        "set_reason",
        {"equipment": "FILLER", "at": T0 + 200, "reason": "Mechanical/Jam/Infeed"},
        ALL,
    ),
    (
        "correct a reason",
        "set_reason",
        {"equipment": "CAPPER", "at": T0 + 600, "reason": "Mechanical/Jam/Infeed"},
        {SV, AD},
    ),
    ("start changeover", "start_changeover", {"equipment": "FILLER"}, ALL),
    ("end changeover", "end_changeover", {"equipment": "CAPPER"}, ALL),
    ("start job", "start_job", {"line": "L1", "product": "B250"}, ALL),
    ("end job", "end_job", {"line": "L1"}, ALL),
    ("declare planned stop", "start_planned_stop", {"equipment": "CAPPER", "reason": "Meeting"}, {SV, AD}),
    ("end planned stop", "end_planned_stop", {"equipment": "FILLER"}, {SV, AD}),
]


def _state(engine: Engine) -> Any:
    def snapshot(eq: str) -> Any:
        downtime = [(e.start, e.end, e.reason) for e in engine.downtime_events(eq, T0, T0 + 2000)]
        return engine.status(eq), downtime

    return (
        [c.to_dict() for c in engine.andon.calls],
        dict(engine.jobs),
        snapshot("FILLER"),
        snapshot("CAPPER"),
    )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize(("case", "command", "args", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_role_may_or_may_not(
    config: Config, role: Role, case: str, command: str, args: dict[str, Any], allowed: set[Role]
) -> None:
    engine = _engine(config)
    before = _state(engine)
    actor = Actor("someone", role)
    if role in allowed:
        assert engine.command(command, args, T0 + 1200, actor)
        assert _state(engine) != before
    else:
        with pytest.raises(Refused, match="someone"):
            engine.command(command, args, T0 + 1200, actor)
        assert _state(engine) == before  # a refused command changes nothing


@pytest.mark.parametrize(("case", "command", "args", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_nobody_logged_in_may_only_raise(
    config: Config, case: str, command: str, args: dict[str, Any], allowed: set[Role]
) -> None:
    engine = _engine(config)
    if command == "raise_andon":
        engine.command(command, args, T0 + 1200, None)
    else:
        with pytest.raises(Refused, match="needs a login"):
            engine.command(command, args, T0 + 1200, None)
