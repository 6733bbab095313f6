"""Commands through the gate: PINs, refusals, the audit trail, and acknowledgements that survive a
crash; escalations recorded at their due time across a restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.audit import AuditLog
from core.auth import Role, UserStore
from core.config import Config, parse_config
from core.engine import Engine
from core.gate import CommandGate, GateError
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
ANDON = """
[andon.policies.maintenance]
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
  { level = 3, after_s = 900, notify = "manager" },
]
"""


def andon_config_text() -> str:
    return (DATA / "reference.toml").read_text().replace("[[products]]", ANDON + "\n[[products]]", 1)


@pytest.fixture
def config() -> Config:
    return parse_config(andon_config_text(), Path("andon.toml"))


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def add_users(store: Store) -> None:
    users = UserStore(store.conn)
    users.add("olga", Role.OPERATOR, "1357", T0)
    users.add("sam", Role.SUPERVISOR, "2580", T0)


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_an_escalated_call_is_acknowledged_with_a_supervisor_pin_and_refused_with_an_operator_pin(
    tmp_path: Path, config: Config
) -> None:
    path = tmp_path / "station.db"
    clock = Clock(T0)
    with Store.open(path) as store:
        add_users(store)
        engine = Engine(config)
        store.attach(engine)
        gate = CommandGate(engine, store, clock)
        asyncio.run(gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}))
        clock.t = T0 + 400
        engine.tick(clock.t)
        with pytest.raises(GateError, match="only on level-1 calls") as refused:
            asyncio.run(gate.run("ack_andon", {"equipment": "FILLER"}, user="olga", pin="1357"))
        assert refused.value.refused
        with pytest.raises(GateError, match="wrong PIN"):
            asyncio.run(gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="9999"))
        assert not engine.andon.calls[0].acknowledged
        assert (
            asyncio.run(gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2580"))
            == "call #1 acknowledged"
        )

    trail = [
        (user, command, result)
        for user, command, result in rows(path, "SELECT user, command, result FROM audit")
    ]
    assert trail == [
        (None, "raise_andon", "ok"),
        ("olga", "ack_andon", "refused"),
        ("sam", "ack_andon", "refused"),
        ("sam", "ack_andon", "ok"),
    ]
    assert rows(path, "SELECT command, user, role FROM journal WHERE command IS NOT NULL") == [
        ("raise_andon", None, None),
        ("ack_andon", "sam", "supervisor"),
    ]
    with Store.open(path) as store:
        assert AuditLog(store.conn).verify() is None


def test_nobody_logged_in_may_only_raise(tmp_path: Path, config: Config) -> None:
    with Store.open(tmp_path / "s.db") as store:
        gate = CommandGate(Engine(config), store, Clock(T0))
        with pytest.raises(GateError, match="needs a login"):
            asyncio.run(gate.run("start_changeover", {"equipment": "FILLER"}))
        assert [r.result for r in AuditLog(store.conn).rows()] == ["refused"]


def test_five_wrong_pins_lock_the_user_out(tmp_path: Path, config: Config) -> None:
    with Store.open(tmp_path / "s.db") as store:
        add_users(store)
        gate = CommandGate(Engine(config), store, Clock(T0))
        for _ in range(5):
            with pytest.raises(GateError):
                asyncio.run(gate.login("sam", "0000"))
        with pytest.raises(GateError, match="locked"):
            asyncio.run(gate.login("sam", "2580"))


def test_escalations_that_fell_due_while_the_station_was_down_are_stored_at_their_due_time(
    tmp_path: Path, config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(config)
        store.attach(engine)
        gate = CommandGate(engine, store, Clock(T0 + 10))
        asyncio.run(gate.run("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}))
        engine.tick(T0 + 320)  # level 2 at T0 + 310, written at once
        store.maybe_flush(T0 + 320)
    # Down from T0 + 320 to T0 + 2000: level 3 fell due at T0 + 910.
    with Store.open(path) as store:
        engine = rebuild(config, store)
        engine.tick(T0 + 2000)
        store.maybe_flush(T0 + 2000)
    assert rows(path, "SELECT level, ts FROM andon_events WHERE action = 'escalated' ORDER BY ts") == [
        (1, T0 + 10),
        (2, T0 + 310),
        (3, T0 + 910),
    ]


CRASHER = """
import asyncio, os, sys, time
from pathlib import Path
from core.config import parse_config
from core.engine import Engine
from core.gate import CommandGate
from core.store import Store
from core.auth import UserStore, Role

T0 = {t0!r}
config = parse_config(Path(sys.argv[2]).read_text(), Path("andon.toml"))
store = Store.open(sys.argv[1])
UserStore(store.conn).add("sam", Role.SUPERVISOR, "2580", T0)
engine = Engine(config)
store.attach(engine)
gate = CommandGate(engine, store, lambda: T0 + 5)
asyncio.run(gate.run("raise_andon", {{"equipment": "FILLER", "kind": "maintenance"}}))
print(asyncio.run(gate.run("ack_andon", {{"equipment": "FILLER"}}, user="sam", pin="2580")), flush=True)
time.sleep(60)
"""


def test_an_acknowledgement_shown_is_never_lost_to_a_kill(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "station.db"
    cfg_path = tmp_path / "andon.toml"
    cfg_path.write_text(andon_config_text())
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CRASHER.format(t0=T0)), str(path), str(cfg_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    shown = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)  # the moment the operator saw it, the station dies
    proc.wait()
    assert shown == "call #1 acknowledged"
    with Store.open(path) as store:
        engine = rebuild(config, store)
        call = engine.andon.calls[0]
        assert (call.acknowledged_by, call.acknowledged_at) == ("sam", T0 + 5)
        assert [r.command for r in AuditLog(store.conn).rows()] == ["raise_andon", "ack_andon"]
        assert AuditLog(store.conn).verify() is None


def test_a_sample_journaled_as_the_engine_used_it_rebuilds_the_same(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(config)
        store.attach(engine)
        for s in [Sample(T0, "FILLER", "running", 1), Sample(T0, "FILLER", "total_count", 0)]:
            store.append_sample(engine.ingest_one(s))
        engine.tick(T0 + 100)
        # Polled data older than the station's clock: counted at the engine's time, and journaled so.
        for s in [Sample(T0 + 50, "FILLER", "running", 0), Sample(T0 + 50, "FILLER", "total_count", 7)]:
            store.append_sample(engine.ingest_one(s))
        live = engine.metrics("FILLER", T0, T0 + 200).to_dict()
    with Store.open(path) as store:
        rebuilt = rebuild(config, store)
        assert rebuilt.metrics("FILLER", T0, T0 + 200).to_dict() == live
        assert (live["all_time_s"], live["run_time_s"], live["total_count"]) == (100, 100, 7)
