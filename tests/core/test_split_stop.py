"""split_stop: one down stop becomes two downtime events, each with its own reason; the down time
stays what it was, the store's downtime table follows, and a rebuild from the journal agrees."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.auth import Role, UserStore
from core.config import Config, load_config
from core.engine import Engine
from core.gate import CommandGate, GateError
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store

DATA = Path(__file__).resolve().parent.parent / "data"
TZ = ZoneInfo("Europe/Berlin")


def t(hhmm: str) -> float:
    """A time on Monday 2026-03-02 (inside the reference line's Early shift)."""
    return datetime.fromisoformat(f"2026-03-02 {hhmm}").replace(tzinfo=TZ).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config() -> Config:
    return load_config(DATA / "reference.toml")


def feed(engine: Engine, store: Store, clock: Clock, hhmm: str, running: int) -> None:
    clock.now = t(hhmm)
    store.append_sample(engine.ingest_one(Sample(t(hhmm), "FILLER", "running", running)))


def events(engine: Engine) -> list[tuple[str, str, float, str]]:
    def hm(x: float) -> str:
        return datetime.fromtimestamp(x, TZ).strftime("%H:%M")

    return [
        (hm(ev.start), hm(ev.end), ev.duration_s, ev.reason)
        for ev in engine.downtime_events("FILLER", t("06:00"), t("08:00"))
    ]


def table(path: Path) -> list[tuple[float, float, float, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            'SELECT start, "end", duration_s, reason FROM downtime_events WHERE equipment = ? ORDER BY start',
            ("FILLER",),
        ).fetchall()
    finally:
        conn.close()


def test_a_split_stop_takes_two_reasons_keeps_its_down_time_and_survives_a_rebuild(
    tmp_path: Path, config: Config
) -> None:
    path = tmp_path / "station.db"
    clock = Clock(t("06:00"))
    store = Store.open(path)
    users = UserStore(store.conn)
    users.add("olga", Role.OPERATOR, "1357", clock.now)
    users.add("sam", Role.SUPERVISOR, "2580", clock.now)
    engine = Engine(config)
    store.attach(engine)
    gate = CommandGate(engine, store, clock)

    feed(engine, store, clock, "06:00", 1)
    feed(engine, store, clock, "06:10", 0)  # a jam, then a wait for the fitter: 20 min in all
    feed(engine, store, clock, "06:30", 1)
    clock.now = t("06:40")
    engine.tick(clock.now)
    down_before = engine.metrics("FILLER", t("06:00"), t("06:40")).down_time_s
    assert down_before == 1200

    asyncio.run(gate.run("split_stop", {"equipment": "FILLER", "at": t("06:18")}, user="olga", pin="1357"))
    assert events(engine) == [
        ("06:10", "06:18", 480.0, "Unassigned"),
        ("06:18", "06:30", 720.0, "Unassigned"),
    ]
    m = engine.metrics("FILLER", t("06:00"), t("06:40"))
    assert (m.down_time_s, m.small_stop_count) == (1200, 0)
    assert m.availability == pytest.approx(1200 / 2400)

    asyncio.run(
        gate.run(
            "set_reason",
            {"equipment": "FILLER", "at": t("06:10"), "reason": "Mechanical/Jam/Infeed"},
            user="olga",
            pin="1357",
        )
    )
    asyncio.run(
        gate.run(
            "set_reason",
            {"equipment": "FILLER", "at": t("06:18"), "reason": "Electrical/Drive fault"},
            user="olga",
            pin="1357",
        )
    )
    # The operator may split only stops nobody explained yet, like set_reason; a supervisor any.
    with pytest.raises(GateError, match="only on stops without a reason") as refused:
        asyncio.run(
            gate.run("split_stop", {"equipment": "FILLER", "at": t("06:14")}, user="olga", pin="1357")
        )
    assert refused.value.refused
    asyncio.run(gate.run("split_stop", {"equipment": "FILLER", "at": t("06:14")}, user="sam", pin="2580"))
    assert events(engine) == [
        ("06:10", "06:14", 240.0, "Mechanical/Jam/Infeed"),
        ("06:14", "06:18", 240.0, "Mechanical/Jam/Infeed"),
        ("06:18", "06:30", 720.0, "Electrical/Drive fault"),
    ]

    # A small stop is not a downtime event, and a split must fall inside the stop.
    feed(engine, store, clock, "06:45", 0)
    feed(engine, store, clock, "06:46", 1)
    for at, why in ((t("06:45") + 30, "no downtime event"), (t("06:10"), "strictly inside")):
        with pytest.raises(GateError, match=why):
            asyncio.run(gate.run("split_stop", {"equipment": "FILLER", "at": at}, user="sam", pin="2580"))

    # An open stop: the first part ends at the split, the second goes on.
    feed(engine, store, clock, "06:50", 0)
    clock.now = t("07:00")
    engine.tick(clock.now)
    asyncio.run(gate.run("split_stop", {"equipment": "FILLER", "at": t("06:55")}, user="olga", pin="1357"))
    assert events(engine)[-2:] == [
        ("06:50", "06:55", 300.0, "Unassigned"),
        ("06:55", "07:00", 300.0, "Unassigned"),
    ]
    assert engine.downtime_events("FILLER", t("06:00"), t("07:00"))[-1].open
    feed(engine, store, clock, "07:05", 1)
    clock.now = t("07:30")
    engine.tick(clock.now)
    live = events(engine)
    assert live[-1] == ("06:55", "07:05", 600.0, "Unassigned")
    m = engine.metrics("FILLER", t("06:00"), t("07:30"))
    assert (m.down_time_s, m.small_stop_count) == (1200 + 900, 1)
    store.flush()
    store.close()

    # The store's downtime table holds the same five events as the engine.
    assert [(e - s, reason) for s, e, _d, reason in table(path)] == [(d, r) for *_hm, d, r in live]
    assert [s for s, *_ in table(path)] == [
        t("06:10"),
        t("06:14"),
        t("06:18"),
        t("06:50"),
        t("06:55"),
    ]

    # Commands are journaled: a restarted station rebuilds the same events.
    with Store.open(path) as reopened:
        again = rebuild(config, reopened)
        again.tick(t("07:30"))
        assert events(again) == live


def test_a_note_on_a_stop_is_kept_with_its_event_and_rebuilt(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "station.db"
    clock = Clock(t("06:00"))
    with Store.open(path) as store:
        UserStore(store.conn).add("olga", Role.OPERATOR, "1357", clock.now)
        engine = Engine(config)
        store.attach(engine)
        gate = CommandGate(engine, store, clock)
        feed(engine, store, clock, "06:00", 1)
        feed(engine, store, clock, "06:10", 0)
        feed(engine, store, clock, "06:30", 1)
        args = {"equipment": "FILLER", "at": t("06:20")}
        asyncio.run(
            gate.run(
                "note_stop", {**args, "text": "bottle  stuck\nat the star wheel"}, user="olga", pin="1357"
            )
        )
        asyncio.run(gate.run("note_stop", {**args, "text": "fitter called"}, user="olga", pin="1357"))
        with pytest.raises(GateError, match="needs text"):
            asyncio.run(gate.run("note_stop", {**args, "text": "   "}, user="olga", pin="1357"))
        with pytest.raises(GateError, match="needs a login"):
            asyncio.run(gate.run("note_stop", {**args, "text": "anonymous"}))
        (event,) = engine.downtime_events("FILLER", t("06:00"), t("07:00"))
        assert event.note == "bottle stuck at the star wheel / fitter called"
    with Store.open(path) as reopened:
        (event,) = rebuild(config, reopened).downtime_events("FILLER", t("06:00"), t("07:00"))
        assert event.note == "bottle stuck at the star wheel / fitter called"
