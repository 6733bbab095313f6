"""A recorded journal written into a station's store as if the station had recorded it.

The samples and commands go through an engine attached to the store, so the journal rows and the
projections (count buckets, states, downtime, Andon calls, jobs) are those a running station
writes. A store that already holds a journal is extended: its engine is rebuilt from it first,
and a journal that starts before the store's last row is refused (the two would interleave).

The engine is kept as a station keeps it: the buffered rows are flushed every FLUSH_EVERY_S of
the journal's time (the figure slices settle then), it is pruned at each shift end
(core.prune_schedule, as the live station prunes), and a snapshot is written every `[store]
snapshot_every_min`, at each shift end (core.snapshot_schedule) and at the end. So the import's
memory does not grow with the journal's length, and a station started on the store reads its
newest snapshot and the journal after it, not the whole journal.

The whole import is one transaction: a failure at any point (a full disk) leaves the store as it
was. Rows are fed in the order `ms5 replay` feeds them (core.replay.run_engine), so `ms5 report`
over the store gives the figures of `ms5 replay` of the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.actions import Action
from core.auth import Role
from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.gcpause import gc_paused
from core.permissions import Actor
from core.prune_schedule import Pruner
from core.rebuild import rebuild
from core.samples import Sample
from core.snapshot_schedule import SnapshotSchedule
from core.store import Store
from core.timefmt import iso

PROGRESS_EVERY = 50_000  # rows between two calls of `progress`
TICK_S = 1.0  # the engine is ticked as the station ticks it, on the journal's own time
# Buffered rows are committed (a savepoint) this often of the journal's time: the station flushes
# every second; a minute keeps the import fast and its buffers small.
FLUSH_EVERY_S = 60.0


class ImportRefused(Exception):
    """The journal cannot go into this store; the message says why in one line."""


@dataclass
class Imported:
    samples: int = 0
    commands: int = 0
    # Commands the engine refused, as the station would have: (the actions file's line, why).
    # A station journals no refused command, so they are not written either.
    refused: list[tuple[int, str]] = field(default_factory=list)
    extended: bool = False  # the store held a journal before
    snapshots: int = 0  # engine snapshots written, the last at the journal's end


def last_journal_time(store: Store) -> float | None:
    row = store.conn.execute("SELECT max(ts) FROM journal").fetchone()
    return None if row[0] is None else float(row[0])


def check_no_overlap(store: Store, samples: Sequence[Sample], actions: Sequence[Action]) -> None:
    """ImportRefused when the journal starts before the store's last journal row."""
    last = last_journal_time(store)
    starts = [min(s.ts for s in samples)] if samples else []
    starts += [min(a.ts for a in actions)] if actions else []
    first = min(starts, default=None)
    if last is not None and first is not None and first < last:
        # In UTC: the store knows no time zone, and the CSV's own times are usually UTC too.
        raise ImportRefused(
            f"{store.path}: the journal starts at {iso(first)}, before the store's last row "
            f"({iso(last)}); only a journal after it can extend the store"
        )


def import_journal(
    config: Config,
    store: Store,
    samples: Sequence[Sample],
    actions: Sequence[Action] = (),
    *,
    users: dict[str, Role] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Write `samples` and `actions` into `store` through an engine (see the module's docstring).
    `users`: the roles of users an action names without one (default: the config's replay users)."""
    check_no_overlap(store, samples, actions)
    users = users if users is not None else {u.name: Role(u.role) for u in config.replay.users}
    result = Imported(extended=store.last_id > 0)
    engine = rebuild(config, store) if result.extended else _attached(config, store)
    ordered = sorted(samples, key=lambda s: s.ts)  # stable: as ms5 replay orders them
    pending = sorted(actions, key=lambda a: a.ts)
    total = len(ordered) + len(pending)
    ingest_one, append, tick = engine.ingest_one, store.append_sample, engine.tick
    i = 0
    next_tick = ordered[0].ts + TICK_S if ordered else 0.0
    next_call = PROGRESS_EVERY
    keeper = _Keeper(config, engine, store, result)

    def feed(upto: float) -> None:
        nonlocal i, next_tick, next_call
        n = len(ordered)
        while i < n and ordered[i].ts <= upto:
            s = ordered[i]
            if s.ts >= next_tick:
                tick(s.ts)  # escalations and thresholds, as the station's tick sees them
                next_tick = s.ts + TICK_S
                keeper.step(s.ts)
            append(ingest_one(s))
            i += 1
            if progress is not None and i >= next_call:
                progress(i + result.commands, total)
                next_call = i + PROGRESS_EVERY

    # One transaction: each flush inside it is a savepoint, and a failure rolls all of it back.
    with gc_paused(), store.db.atomic():
        for action in pending:
            feed(action.ts)
            _command(engine, store, action, users, result)
        feed(float("inf"))
        last = max([s.ts for s in ordered[-1:]] + [a.ts for a in pending[-1:]], default=None)
        if last is not None:
            tick(last)
        store.flush()
        if engine.now is not None:
            keeper.end(engine.now)
    result.samples = i
    if progress is not None:
        progress(total, total)
    return result


class _Keeper:
    """What the station's tick does besides ticking (hmi/station/runtime.py, Station.tick): the
    flush, the pruning after it, the snapshot when one is due."""

    def __init__(self, config: Config, engine: Engine, store: Store, result: Imported) -> None:
        self.config, self.engine, self.store, self.result = config, engine, store, result
        self.pruner = Pruner()
        self.schedule = SnapshotSchedule(
            config.store.snapshot_every_min * 60.0, list(engine.calendars.values())
        )
        self.next_flush = float("-inf")

    def step(self, now: float) -> None:
        if now >= self.next_flush:
            self.store.flush()
            self.next_flush = now + FLUSH_EVERY_S
        self.pruner.step(self.config, self.engine, self.store, now)
        if self.schedule.due(now):
            self.snapshot(now)

    def end(self, now: float) -> None:
        """After the last row: pruned, and a snapshot of exactly the journal imported."""
        self.pruner.step(self.config, self.engine, self.store, now)
        self.snapshot(now)

    def snapshot(self, now: float) -> None:
        self.store.write_snapshot(self.engine)
        self.schedule.written(now)
        self.result.snapshots += 1


def _attached(config: Config, store: Store) -> Engine:
    engine = Engine(config)
    store.attach(engine)
    return engine


def _command(engine: Engine, store: Store, action: Action, users: dict[str, Role], result: Imported) -> None:
    actor = None
    if action.user is not None:
        role = Role(action.role) if action.role is not None else users.get(action.user)
        if role is None:
            result.refused.append((action.line, f"unknown user {action.user!r}"))
            return
        actor = Actor(action.user, role)
    try:
        # A recorded clock step is a command row of nobody's, applied as a rebuild applies it.
        apply_recorded(engine, action.command, action.args, action.ts, actor)
    except CommandError as exc:
        result.refused.append((action.line, str(exc)))
        return
    store.append_command(action.ts, actor, action.command, action.args, durable=False)
    result.commands += 1
