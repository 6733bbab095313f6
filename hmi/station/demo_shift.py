"""The demo's shift so far: made before the demo goes live, so its first screen is a morning, not
a fresh database whose every earlier minute is comms loss (docs/SIMULATOR.md, "The demo's shift").

The simulator's line model (connectors.sim.line) runs from the current shift's start to now on
a manual clock, faster than real time; at every step the signals the config binds that changed
are fed to a real `Station` on the demo's database, as a connection runner gives them, and the
station is ticked. Meanwhile the demo's people work the shift through the real command gate,
with their PINs: the operator gives a reason to most stops the PLC did not explain, the
technician acknowledges and resolves the PLC's Andon calls (the last one is left for the live
demo). The station is then stopped; the live one rebuilds from that journal, and the simulated
PLCs go on from the same model (same seed, same start), so the counters carry on where the
history left them.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.sim.behaviour import Behaviour
from connectors.sim.line import LineModel
from core.andon import CallState, Source
from core.auth import Role, UserStore
from core.calendar import ShiftCalendar
from core.config import UNASSIGNED_REASON, Config
from core.engine import Engine
from core.gate import CommandGate, GateError
from core.pin import PUBLIC_PIN_SCRYPT_N
from core.samples import Sample
from core.store_files import remove_store
from hmi.station.runtime import Station

if TYPE_CHECKING:
    from connectors.sim.runner import SimLine

# One per role of core.auth, PINs the policy accepts (no repeated digit, no straight run).
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("olga", Role.OPERATOR, "2580"),
    ("theo", Role.MAINTENANCE, "3691"),
    ("sara", Role.SUPERVISOR, "4826"),
    ("adam", Role.ADMIN, "5937"),
)
OPERATOR, TECHNICIAN = DEMO_USERS[0], DEMO_USERS[1]

# Each machine's Andon bit about every 1-2 h rather than the simulator's 20-40 min: a line of four
# then has a call or two an hour, each answered with a PIN check (a few ms, add_demo_users).
# Most faults come without a code, as from many a real PLC: the operator gives those their reasons.
DEMO_BEHAVIOUR = Behaviour(andon_every_s=(3600.0, 7200.0), uncoded_faults=0.6)

# The history is polled coarser than a live station polls (1 s): a shift of 8 h at 1 s costs
# seconds of start-up. Every stop the simulator makes (≥ 20 s) still shows at this step.
STEP_S = 10.0
TICK_EVERY_S = 300.0  # the live station ticks twice a second; here a tick is mostly a commit of the store
ROUND_S = 15 * 60.0  # how often the people look at the panel during the history
FRESH_CALL_S = 20 * 60.0  # calls raised this long before the live start are not answered yet
NO_SHIFT_S = 2 * 3600.0  # the history when no shift runs now
YIELD_EVERY = 20  # steps between two turns of the event loop
UNEXPLAINED_KEPT = 0.2  # the share of stops without a reason left so: the downtime screen asks for them


@dataclass(frozen=True)
class DemoShift:
    """What the history made: the model's start (the live simulator starts its model there too),
    its end, and the commands the people gave."""

    start: float
    end: float
    reasons_given: int
    calls_answered: int


def shift_start(config: Config, now: float) -> float:
    """The start of the shift under way at `now` on the config's lines (the earliest), or
    NO_SHIFT_S before now when none is."""
    starts = []
    for line in config.lines:
        occ = ShiftCalendar(line).shift_at(now)
        if occ is not None:
            starts.append(occ.start)
    return min(starts) if starts else now - NO_SHIFT_S


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add_demo_users(station: Station, now: float) -> None:
    assert station.store is not None
    users = UserStore(station.store.conn)
    for name, role, pin in DEMO_USERS:
        # Their PINs are printed at the start and in the README: a full-cost hash would guard
        # nothing and cost the history a second of PIN checks (docs/SIMULATOR.md).
        users.add(name, role, pin, now, scrypt_n=PUBLIC_PIN_SCRYPT_N)


async def make_history(
    config: Config,
    db: Path,
    *,
    seed: int,
    until: float,
    start: float | None = None,
    speed: float = 1.0,
    step_s: float = STEP_S,
    behaviour: Behaviour = DEMO_BEHAVIOUR,
) -> DemoShift:
    """Write the shift from its start to `until` into the fresh database `db` (see the module's
    docstring); the station is closed on return."""
    t0 = shift_start(config, until) if start is None else start
    clock = _Clock(t0)
    station = Station(config, db, clock=clock)
    station.open()
    try:
        add_demo_users(station, t0)
        model = LineModel(config, seed, t0, speed=speed, behaviour=behaviour)
        bound = {(eq.id, b.signal) for line in config.lines for eq in line.equipment for b in eq.signals}
        served: dict[tuple[str, str], float] = {}
        people = _People(station, t0, until)
        next_round, next_tick = t0 + ROUND_S, t0
        n = max(1, math.ceil((until - t0) / step_s))
        for k in range(n + 1):
            t = min(t0 + k * step_s, until)
            clock.now = t
            changed = []
            for key, value in model.step(t).items():
                if key in bound and served.get(key) != value:
                    served[key] = value
                    changed.append(Sample(t, key[0], key[1], value))
            station.ingest(changed)
            if k % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # the simulated PLCs start meanwhile (begin_demo_line)
            if t >= next_tick or t >= until:
                next_tick = t + TICK_EVERY_S
                station.tick()
            if t >= next_round or t >= until:
                next_round = t + ROUND_S
                people.look()
        reasons, answered = await people.done()
    finally:
        await station.stop()
    return DemoShift(t0, until, reasons, answered)


async def start_demo_line(
    config: Config,
    db: Path,
    *,
    seed: int = 1,
    speed: float = 1.0,
    on_event: Callable[[str], None] | None = None,
) -> tuple[SimLine, DemoShift]:
    """The demo's fresh database with the shift so far in it, and the simulated PLCs serving the
    same line from now on (started; the caller stops them). Raises SimError (one line)."""
    sim, serving, shift = await begin_demo_line(config, db, seed=seed, speed=speed, on_event=on_event)
    await serving
    return sim, shift


async def begin_demo_line(
    config: Config,
    db: Path,
    *,
    seed: int = 1,
    speed: float = 1.0,
    on_event: Callable[[str], None] | None = None,
) -> tuple[SimLine, asyncio.Future[None], DemoShift]:
    """The demo's fresh database with the shift so far in it, returned as soon as it is written,
    with the simulated PLCs still starting: `serving` ends when they serve, or raises SimError
    (one line; then the PLCs that had started are stopped). The OPC UA server takes longer than
    the history (docs/BENCHMARKS.md): a panel shows its window meanwhile. The caller stops `sim`."""
    from connectors.sim.runner import SimLine

    remove_store(db)  # every demo starts from a fresh shift record
    now = time.time()
    start = shift_start(config, now)
    sim = SimLine(
        config, seed=seed, speed=speed, on_event=on_event, model_start=start, behaviour=DEMO_BEHAVIOUR
    )
    # In this loop, beside the servers' start: the history yields to it between its steps, its PIN
    # checks run in the gate's worker thread, and cpppo's PLC starts in a process of its own. (In
    # a thread of its own the history contends for the GIL and both take twice as long.)
    serving = asyncio.ensure_future(sim.start())
    try:
        shift = await make_history(
            config, db, seed=seed, until=now, start=start, speed=speed, behaviour=DEMO_BEHAVIOUR
        )
    except BaseException:
        serving.cancel()
        with contextlib.suppress(BaseException):
            await serving
        await sim.stop()
        raise
    return sim, serving, shift


def users_lines() -> list[str]:
    """The demo's people, one line each, as printed at its start."""
    return [f"demo user {name} ({role}): PIN {pin}" for name, role, pin in DEMO_USERS]


class _People:
    """The operator and the technician during the history. What they do goes through the gate as
    tasks, so their PIN checks (in the gate's worker thread) overlap the history's next steps, as
    a real operator's typing overlaps the line running on."""

    def __init__(self, station: Station, since: float, until: float) -> None:
        self.station = station
        self.since = since
        self.until = until
        self.asked: set[tuple[str, float] | int] = set()
        self.tasks: list[asyncio.Task[tuple[int, int]]] = []

    def look(self) -> None:
        """Look at the panel now: reasons for the ended stops the PLC did not explain, answers to
        the PLC's Andon calls."""
        engine, gate = self.station.engine, self.station.gate
        assert engine is not None and gate is not None
        now = self.station.clock()
        for line in self.station.config.lines:
            for eq in line.equipment:
                for ev in engine.downtime_events(eq.id, self.since, now):
                    if ev.reason != UNASSIGNED_REASON or ev.open or (eq.id, ev.start) in self.asked:
                        continue
                    self.asked.add((eq.id, ev.start))
                    # Deterministic and spread: about one stop in five keeps none.
                    if random.Random(f"{eq.id}@{ev.start:.0f}").random() < UNEXPLAINED_KEPT:
                        continue
                    reason = _likely_reason(self.station.config, eq.id, ev.duration_s)
                    args = {"equipment": eq.id, "at": ev.start, "reason": reason}
                    self.tasks.append(asyncio.create_task(_reason(gate, args)))
        plc = (Source.PLC_ANDON, Source.PLC_FAULT)
        for call in engine.andon.calls:
            # The calls of the last minutes are still waiting: the live demo's banner shows them.
            if call.source not in plc or call.id in self.asked or call.raised_at > self.until - FRESH_CALL_S:
                continue
            self.asked.add(call.id)
            self.tasks.append(asyncio.create_task(_answer(gate, engine, call.id)))

    async def done(self) -> tuple[int, int]:
        """(reasons given, Andon commands done), once every task has ended."""
        results = await asyncio.gather(*self.tasks)
        return sum(r for r, _ in results), sum(a for _, a in results)


async def _reason(gate: CommandGate, args: dict[str, object]) -> tuple[int, int]:
    return int(await _run(gate, "set_reason", args, OPERATOR)), 0


async def _answer(gate: CommandGate, engine: Engine, call_id: int) -> tuple[int, int]:
    """Acknowledge, and resolve once the condition is gone (an acknowledged call whose condition
    has already cleared closes with the acknowledgement)."""
    done = int(await _run(gate, "ack_andon", {"call": call_id}, TECHNICIAN))
    call = engine.andon.get(call_id)
    if call is not None and call.state != CallState.CLOSED:
        done += await _run(gate, "resolve_andon", {"call": call_id}, TECHNICIAN)
    return 0, done


def _likely_reason(config: Config, equipment: str, duration_s: float) -> str:
    """One of the machine's own fault reasons (a filler does not run out of labels), else any
    unplanned one; which, by the stop's length, so that a rerun gives the same."""
    _, eq = config.equipment_by_id()[equipment]
    choices = sorted(set(eq.faults.values())) or sorted(
        r for r, k in config.reasons.items() if k == "unplanned"
    )
    if not choices:
        return next(iter(config.reasons))
    return choices[int(duration_s) % len(choices)]


async def _run(gate: CommandGate, command: str, args: dict[str, object], who: tuple[str, Role, str]) -> bool:
    """One person's command through the gate; one the engine refuses (a call that cleared itself
    in between, say) is not done, as it would not be on the panel."""
    try:
        await gate.run(command, args, user=who[0], pin=who[2])
    except GateError:
        return False
    return True
