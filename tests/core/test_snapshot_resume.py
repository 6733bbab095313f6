"""A station restarted from any of its snapshots (and the journal after it) goes on exactly as one
pass would have: the same figures, the same projection rows, and the same events from the restart
on, none repeated and none missing (docs/STORE.md, "Snapshots")."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth import Role
from core.config import Config, parse_config
from core.engine import CommandError, Engine
from core.events import Event
from core.permissions import Actor
from core.rebuild import rebuild
from core.samples import Quality, Sample
from core.snapshot_schedule import SnapshotSchedule
from core.store import Store

DATA = Path(__file__).parent.parent / "data"
MONDAY_1340_BERLIN = 1772458800.0  # 2026-03-02 13:40 +01:00: the Early shift ends at 14:00
SUE = Actor("sue", Role.SUPERVISOR)
ANDON = """
[andon]
fault_kind = "maintenance"

[andon.policies.maintenance]
auto_raise_after_s = 60
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "maintenance lead" },
  { level = 3, after_s = 900, notify = "plant manager" },
]

[andon.policies.quality]
escalate_until = "resolved"
levels = [
  { level = 1, after_s = 120, notify = "quality lead" },
  { level = 2, after_s = 600, notify = "plant manager" },
]
"""


@pytest.fixture(scope="module")
def config() -> Config:
    path = DATA / "reference.toml"
    return parse_config(path.read_text() + ANDON, path)


@dataclass(frozen=True)
class Step:
    dt: int
    kind: str  # sample, command, tick
    what: Any
    snapshot: bool = False


_FILLER = st.one_of(
    st.tuples(st.just("running"), st.sampled_from([0.0, 1.0, 1.0, None])),  # None: the link lost
    st.tuples(st.just("fault_code"), st.sampled_from([0.0, 101.0, 205.0])),
    st.tuples(st.just("changeover"), st.sampled_from([0.0, 1.0])),
    st.tuples(st.just("andon"), st.sampled_from([0.0, 1.0])),
    st.tuples(st.just("total_count"), st.integers(1, 400)),  # a rise; past 65535 it rolls over
    st.tuples(st.just("reject_count"), st.integers(0, 3)),  # a rise of the reject counter
)
_CAPPER = st.tuples(st.just("state"), st.sampled_from([6.0, 6.0, 2.0, 17.0, None]))  # PackML
_COMMANDS = st.sampled_from(
    [
        ("raise_andon", {"equipment": "FILLER", "kind": "quality"}, None),
        ("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, None),
        ("ack_andon", {"call": 1}, SUE),
        ("ack_andon", {"call": 2}, SUE),
        ("resolve_andon", {"call": 1}, SUE),
        ("start_job", {"line": "L1", "product": "A500", "quantity": 1000}, SUE),
        ("end_job", {"line": "L1"}, SUE),
        ("start_changeover", {"equipment": "FILLER"}, SUE),
        ("end_changeover", {"equipment": "FILLER"}, SUE),
    ]
)


@st.composite
def station_runs(draw: st.DrawFn) -> list[Step]:
    step = st.one_of(
        st.tuples(st.just("sample"), st.tuples(st.just("FILLER"), _FILLER)),
        st.tuples(st.just("sample"), st.tuples(st.just("CAPPER"), _CAPPER)),
        st.tuples(st.just("command"), _COMMANDS),
        st.tuples(st.just("tick"), st.none()),
    )
    raw = draw(
        st.lists(
            st.tuples(st.sampled_from([0, 1, 5, 30, 90, 200, 400]), step, st.booleans(), st.booleans()),
            min_size=5,
            max_size=70,
        )
    )
    return [Step(dt, kind, what, snap and more) for dt, (kind, what), snap, more in raw]


class Run:
    """A live station's engine and store, fed steps as the station feeds them."""

    def __init__(self, engine: Engine, store: Store, t: float, count: float, every_s: float) -> None:
        self.engine, self.store, self.t, self.count = engine, store, t, count
        self.rejects = 0.0
        self.events: list[Event] = []
        engine.bus.subscribe_all(self.events.append)
        self.schedule = SnapshotSchedule(every_s, list(engine.calendars.values()))
        self.snapshots: list[int] = []  # journal ids of the snapshots written

    def feed(self, steps: list[Step]) -> None:
        for step in steps:
            self.t += step.dt
            engine, store = self.engine, self.store
            if step.kind == "sample":
                eq, (signal, value) = step.what
                if signal == "total_count":
                    self.count = (self.count + value) % 65536
                    value = self.count
                elif signal == "reject_count":
                    self.rejects += value
                    value = self.rejects
                quality = Quality.BAD if value is None else Quality.GOOD
                store.append_sample(engine.ingest_one(Sample(self.t, eq, signal, value, quality)))
            elif step.kind == "command":
                name, args, actor = step.what
                ts = engine.effective_time(self.t)
                store.append_command(ts, actor, name, args)  # journaled first, as core.gate does
                with contextlib.suppress(CommandError):  # refused or failed: the replay skips it too
                    engine.command(name, args, ts, actor)
            else:
                engine.tick(self.t)
            store.maybe_flush(self.t)
            if step.snapshot or (engine.now is not None and self.schedule.due(engine.now)):
                self.snapshots.append(store.write_snapshot(engine, keep=1000))
                assert engine.now is not None
                self.schedule.written(engine.now)


TABLES = {
    "state_intervals": 'SELECT equipment, start, "end", state FROM state_intervals ORDER BY equipment, start',
    "minute_counts": "SELECT * FROM minute_counts ORDER BY equipment, minute",
    "downtime_events": (
        'SELECT equipment, start, "end", reason, fault_code FROM downtime_events ORDER BY 1, 2'
    ),
    "andon_events": "SELECT call_id, equipment, action, ts, user, level, state, detail FROM andon_events "
    "ORDER BY id",
}


def outcome(engine: Engine, path: Path, a: float, b: float) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        result: dict[str, Any] = {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()
    for eq in engine.equipment_ids:
        result[eq] = engine.metrics(eq, a, b).to_dict()
        result[f"{eq} downtime"] = engine.downtime_events(eq, a, b)
        result[f"{eq} status"] = engine.status(eq)
    result["calls"] = [c.to_dict() for c in engine.andon.calls]
    return result


def damage_newer_than(path: Path, journal_id: int | None) -> None:
    """Flip a byte in every snapshot after the one the restart is to use (all of them for None)."""
    conn = sqlite3.connect(path)
    with conn:
        for sid, body in conn.execute("SELECT id, body FROM snapshots").fetchall():
            jid = conn.execute("SELECT journal_id FROM snapshots WHERE id = ?", (sid,)).fetchone()[0]
            if journal_id is None or jid > journal_id:
                damaged = bytes([body[0] ^ 0xFF]) + body[1:]
                conn.execute("UPDATE snapshots SET body = ? WHERE id = ?", (damaged, sid))
    conn.close()


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(steps=station_runs(), data=st.data())
def test_a_station_resumed_from_any_snapshot_goes_on_as_one_pass(
    tmp_path_factory: pytest.TempPathFactory, config: Config, steps: list[Step], data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, len(steps)), label="killed after step")
    every_s = data.draw(st.sampled_from([60.0, 300.0, 900.0]), label="snapshot_every_s")
    start = MONDAY_1340_BERLIN + data.draw(st.integers(0, 900), label="start")
    count = float(data.draw(st.integers(60000, 65535), label="first count"))
    a, b = start, start + sum(s.dt for s in steps) + 1
    marks = (a, b)
    first_rows = [Sample(start, "FILLER", "running", 1.0), Sample(start, "FILLER", "total_count", count)]
    folder = tmp_path_factory.mktemp("snap")

    def station(path: Path) -> Run:
        store = Store.open(path)
        engine = Engine(config, marks=marks)
        store.attach(engine)
        run = Run(engine, store, start, count, every_s)
        for s in first_rows:
            store.append_sample(engine.ingest_one(s))
        store.maybe_flush(start)  # a station's first tick flushes at once
        return run

    one = station(folder / "one.db")
    one.feed(steps[:k])
    seen = len(one.events)
    one.feed(steps[k:])
    one.store.close()

    split = station(folder / "split.db")
    split.feed(steps[:k])
    split.store.close()  # killed at a commit: what was fed is in the file, journal and snapshots
    chosen = data.draw(st.sampled_from([None, *split.snapshots]), label="restart from snapshot at row")
    damage_newer_than(folder / "split.db", chosen)
    store = Store.open(folder / "split.db")
    resumed = Run(rebuild(config, store, marks=marks), store, split.t, split.count, every_s)
    resumed.rejects = split.rejects
    used = "a full replay" if chosen is None else f"the snapshot at journal row {chosen}"
    assert store.restart_note is not None and used in store.restart_note
    resumed.feed(steps[k:])
    store.close()

    assert resumed.events == one.events[seen:]
    assert outcome(resumed.engine, folder / "split.db", a, b) == outcome(one.engine, folder / "one.db", a, b)
