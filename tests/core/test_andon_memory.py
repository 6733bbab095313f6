"""The Andon board does not grow with history: closed calls leave it at the engine's prune and
stay in the store, numbers go on across prunes, restarts and replays, and the next escalation is
found without looking at every open call (docs/ANDON.md, "Memory")."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from core.andon import AndonChanged
from core.config import Config, parse_config
from core.engine import CommandError, Engine
from core.permissions import Actor
from core.prune_schedule import Pruner
from core.rebuild import from_journal, rebuild
from core.samples import Sample
from core.store import Store
from core.store_calls import read_calls
from core.store_figures import StoreFigures
from tests.core.test_andon import ANDON, DATA, SAM, T0

HOUR = 3600.0
DAYS = 3


@pytest.fixture
def config() -> Config:
    text = (DATA / "reference.toml").read_text()
    return parse_config(text.replace("[[products]]", ANDON + "\n[[products]]", 1), Path("andon.toml"))


def _seen(engine: Engine) -> list[tuple[str, int, float, int]]:
    seen: list[tuple[str, int, float, int]] = []

    def keep(e: AndonChanged) -> None:
        if e.action in ("escalated", "unshelved"):
            seen.append((e.action, e.call_id, e.ts - T0, e.level))

    engine.bus.subscribe(AndonChanged, keep)
    return seen


def test_escalations_come_in_the_hand_worked_order_across_a_shelf_an_ack_and_a_clock_step(
    config: Config,
) -> None:
    engine = Engine(config)
    engine.ingest_one(Sample(T0, "FILLER", "running", 1))
    seen = _seen(engine)
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}, T0, None)  # 1
    engine.command("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, T0, None)  # 2
    engine.command("shelve_andon", {"call": 2, "seconds": 400}, T0 + 50, SAM)  # to +450
    engine.command("raise_andon", {"equipment": "FILLER", "kind": "quality"}, T0 + 100, None)  # 3
    engine.command("raise_andon", {"equipment": "CAPPER", "kind": "quality"}, T0 + 100, None)  # 4
    engine.command("ack_andon", {"call": 3}, T0 + 200, SAM)  # quality escalates until resolved
    # A step forward of 1000 s at +400: what is due after it (and #2's shelf) comes 1000 s later.
    engine.clock_step(T0 + 400, 1000)
    engine.tick(T0 + 3000)
    assert seen == [
        ("escalated", 1, 0.0, 1),
        ("escalated", 2, 0.0, 1),
        ("escalated", 3, 100.0, 1),
        ("escalated", 4, 100.0, 1),
        ("escalated", 3, 220.0, 2),  # a tie: the lower number first
        ("escalated", 4, 220.0, 2),
        ("escalated", 1, 300.0, 2),
        ("unshelved", 2, 1450.0, 1),  # the shelf ends before the level it held back
        ("escalated", 2, 1450.0, 2),
        ("escalated", 1, 1900.0, 3),  # 900 s of real time after the raise
        ("escalated", 2, 1900.0, 3),
    ]


def test_three_thousand_open_escalating_calls_cost_a_few_looks_each(config: Config) -> None:
    engine = Engine(config)
    engine.ingest_one(Sample(T0, "FILLER", "running", 1))
    seen = _seen(engine)
    n = 3000
    for i in range(n):
        eq = "FILLER" if i % 2 else "CAPPER"
        engine.command("raise_andon", {"equipment": eq, "kind": "maintenance"}, T0 + i * 0.25, None)
        engine.tick(T0 + i * 0.25)
    engine.tick(T0 + 2 * HOUR)
    assert len(seen) == 3 * n
    # In time order, a tie to the lower number: as the board always escalated.
    assert seen == sorted(seen, key=lambda s: (s[2], s[1]))
    assert [s[1] for s in seen if s[3] == 3] == list(range(1, n + 1))
    # Looking at every open call for each step would be n * 3n looks; the queue takes a few each.
    assert engine.andon._queue.examined < 10 * 3 * n


# ---------------------------------------------------------------- days of calls


def _journaled(
    store: Store, engine: Engine, name: str, args: Mapping[str, object], ts: float, actor: Actor | None
) -> str:
    store.append_command(ts, actor, name, args)  # journaled first, as core.gate does
    return engine.command(name, args, ts, actor)


def _run_days(config: Config, path: Path) -> tuple[Engine, Store, list[int]]:
    """DAYS days: a maintenance call at the capper that nobody answers, and a quality call raised
    every hour at the filler and resolved 10 minutes later, the engine fed, flushed and pruned as
    a station does. The quality calls' numbers."""
    store = Store.open(path)
    engine = Engine(config)
    store.attach(engine)
    pruner = Pruner()
    ids: list[int] = []

    def command(name: str, args: dict[str, object], ts: float, actor: Actor | None) -> str:
        return _journaled(store, engine, name, args, ts, actor)

    command("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}, T0, None)  # 1
    t = T0
    while t < T0 + DAYS * 24 * HOUR:
        store.append_sample(engine.ingest_one(Sample(t, "FILLER", "running", 1.0)))
        if t % HOUR == T0 % HOUR:
            answer = command("raise_andon", {"equipment": "FILLER", "kind": "quality"}, t, None)
            ids.append(int(answer.split("#")[1].split()[0]))
        elif t % HOUR == (T0 + 600) % HOUR:
            command("resolve_andon", {"call": ids[-1]}, t, SAM)
        engine.tick(t)
        store.maybe_flush(t)
        pruner.step(config, engine, store, t)
        t += 300
    return engine, store, ids


def test_after_days_of_calls_the_board_holds_the_recent_ones_and_the_store_all(
    config: Config, tmp_path: Path
) -> None:
    engine, store, ids = _run_days(config, tmp_path / "station.db")
    board = engine.andon
    assert ids == list(range(2, DAYS * 24 + 2))
    # The board: the open call however old, and the calls resolved since the prune point (the
    # previous shift's start).
    held = [c.id for c in board.calls]
    assert engine.pruned_before > T0 + 24 * HOUR
    assert held == [1, *(i for i in ids if T0 + (i - 2) * HOUR + 600 >= engine.pruned_before)]
    assert 1 < len(held) <= 25
    assert board.calls[0].open and board.calls[0].level == 3
    assert engine.kept_sizes()["calls"] == len(held)
    assert board.next_id == ids[-1] + 1
    store.flush()
    # The store keeps every call, and a report over the first shift lists its calls from it.
    assert [c.id for c in read_calls(store.conn, T0, T0 + DAYS * 24 * HOUR)] == [1, *ids]
    first_shift = StoreFigures(config, store.conn, T0, T0 + 8 * HOUR)
    calls = [c for c in first_shift.andon.calls if c.raised_at < T0 + 8 * HOUR]
    assert [c.id for c in calls] == list(range(1, 10))
    assert all(c.resolved_by == "Sam" for c in calls[1:])
    # A call that left the board: one line, nothing changed.
    now = engine.now
    assert now is not None
    for name, args in (
        ("ack_andon", {"call": 2}),
        ("resolve_andon", {"call": 3}),
        ("note_andon", {"call": 4, "text": "late"}),
    ):
        with pytest.raises(CommandError, match=r"^call #\d was closed before the previous shift"):
            _journaled(store, engine, name, args, now, SAM)
    with pytest.raises(CommandError, match=r"^no Andon call #999$"):
        _journaled(store, engine, "ack_andon", {"call": 999}, now, SAM)
    # The open call of the first day answers as ever.
    assert _journaled(store, engine, "ack_andon", {"call": 1}, now, SAM) == "call #1 acknowledged"
    # A call of this shift, closed: still on the board and still takes a note.
    answer = _journaled(store, engine, "note_andon", {"call": ids[-1], "text": "ok"}, now, SAM)
    assert answer == f"note added to call #{ids[-1]}"
    store.write_snapshot(engine)
    store.close()

    # Restarted from the snapshot: the same board, the same next number.
    store = Store.open(tmp_path / "station.db")
    again = rebuild(config, store)
    assert [c.to_dict() for c in again.andon.calls] == [c.to_dict() for c in board.calls]
    assert again.andon.next_id == board.next_id
    # A full replay never pruned: it holds every call, numbered as the live station numbered them.
    full = from_journal(config, store, snapshots=False)
    assert [c.id for c in full.andon.calls] == [1, *ids]
    assert [c.to_dict() for c in full.andon.calls if c.id in held] == [c.to_dict() for c in board.calls]
    for e in (again, full):
        answer = e.command("raise_andon", {"equipment": "CAPPER", "kind": "quality"}, now + 1, None)
        assert answer == f"quality call #{ids[-1] + 1} raised at CAPPER"
    # The refusals above are a replay's too: the note on call 4 left no trace anywhere.
    assert all(n.text != "late" for c in full.andon.calls for n in c.notes)
    store.close()
