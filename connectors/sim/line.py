"""The simulated line's equipment: what each machine of a config does, second by second.

Pure and deterministic: no I/O, no wall clock (time is passed in), and only `random.Random`
instances seeded from the seed and the equipment's id draw numbers. Every random decision is taken
in the order of simulated events, never in the order of `step` calls, so the values at an instant
depend on the seed, the start time, the speed and the scripted events only — not on how often
`step` is called.

What a machine does (times at speed 1; `speed` divides every duration and cycle time):
- runs a little slower than its ideal cycle time (2–6 %, plus a little jitter per run), one part
  per cycle, each part rejected at a small rate (higher in the startup window after a changeover);
- small stops of 20–100 s (PackML Suspended, 5) every 5–10 min of running on average;
- faults of 2–10 min (PackML Held, 11) every 30–60 min of running, with a fault code from the
  equipment's `faults` map; `fault_code` goes back to 0 when the machine restarts;
- a changeover (PackML Stopped, 2, `changeover` 1 then 0) every 2–4 h, for 10–20 min, the whole
  line together (each machine a few seconds apart, after its current stop if it is stopped;
  `changeovers()` lists them, and `ms5 sim` says each one);
- its Andon bit raised every 20–40 min on average, for 30 s to 3 min.
A scripted `stop` is PackML Stopped (2). Counters are cumulative from a seeded starting value and
wrap at `counter_max`.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import deque
from collections.abc import Iterable, Sequence

from connectors.sim.behaviour import (
    EXECUTE,
    HELD,
    STOPPED,
    SUSPENDED,
    Behaviour,
    EquipmentEvent,
    Truth,
    uniform,
)
from core.config import Config, Equipment, Line
from core.samples import SIGNALS as ENGINE_SIGNALS

# Every signal the engine knows, in a fixed order (core's set has none).
SIGNALS = tuple(sorted(ENGINE_SIGNALS))

# What a machine is doing; the PackML state it shows for each.
_RUN, _SMALL, _FAULT, _CHANGEOVER, _STOP = range(5)
_PACKML = {_RUN: EXECUTE, _SMALL: SUSPENDED, _FAULT: HELD, _CHANGEOVER: STOPPED, _STOP: STOPPED}

# Same-instant events apply in this order: scripted ones win over the machine's own plans.
_EV_SCRIPT, _EV_STATE_END, _EV_CHANGEOVER, _EV_STOP, _EV_ANDON = range(5)

Key = tuple[str, str]


class _LinePlan:
    """The line's changeovers, drawn lazily and shared by its machines: (start, duration)."""

    def __init__(self, rng: random.Random, start: float, bh: Behaviour) -> None:
        self.rng = rng
        self.bh = bh
        self.every = uniform(rng, bh.changeover_every_s)
        self.items: list[tuple[float, float]] = []
        self._next = start

    def get(self, i: int) -> tuple[float, float]:
        while len(self.items) <= i:
            start = self._next + self.every * self.rng.uniform(0.7, 1.3)
            duration = uniform(self.rng, self.bh.changeover_s)
            self.items.append((start, duration))
            self._next = start + duration
        return self.items[i]


class _Machine:
    def __init__(
        self,
        seed: int,
        line: Line,
        eq: Equipment,
        plan: _LinePlan,
        start: float,
        bh: Behaviour,
        speed: float,
        events: Sequence[EquipmentEvent],
    ) -> None:
        self.eq = eq
        self.bh = bh
        self.plan = plan
        # Separate streams: the parts drawn never shift the schedule's draws, and vice versa.
        self.rng = random.Random(f"ms5-sim/{seed}/{eq.id}/schedule")
        self.rng_parts = random.Random(f"ms5-sim/{seed}/{eq.id}/parts")
        self.rng_andon = random.Random(f"ms5-sim/{seed}/{eq.id}/andon")
        self.rng_codes = random.Random(f"ms5-sim/{seed}/{eq.id}/codes")
        rng = self.rng
        self.range = eq.counter_max + 1
        self.total_offset = rng.randrange(self.range)
        self.reject_offset = rng.randrange(self.range)
        self.good_offset = rng.randrange(self.range)
        self.usual_cycle = eq.ideal_cycle_time_s / speed * uniform(rng, bh.speed_loss)
        self.small_rate = 1 / uniform(rng, bh.small_stop_every_s)
        self.fault_rate = 1 / uniform(rng, bh.fault_every_s)
        self.reject_rate = uniform(rng, bh.reject_rate)
        self.startup_rate = uniform(rng, bh.startup_reject_rate)
        self.startup_window = line.startup_window_for(eq) / speed
        self.andon_every = uniform(self.rng_andon, bh.andon_every_s)
        self.codes = sorted(eq.faults) or [999]
        self.script = sorted(events, key=lambda e: e.at)
        self.script_i = 0

        self.t = start
        self.parts = 0
        self.rejects = 0
        self.mode = _RUN
        self.code = 0
        self.state_end = math.inf
        self.changeover_pending: float | None = None  # the duration of a changeover still to do
        self.startup_until = -math.inf
        self.changeover_i = 0
        self.changeover_at = self._changeover_start(0)
        self.andon = False
        self.andon_until = -math.inf
        self.andon_at = start + self.rng_andon.expovariate(1 / self.andon_every)
        self.next_stop = math.inf
        self.run_start = start
        self.run_cycle = self.usual_cycle
        self.run_counted = 0
        self._enter_run(start)

    # -- events ------------------------------------------------------------------------------

    def _changeover_start(self, i: int) -> float:
        start, _ = self.plan.get(i)
        return start + uniform(self.rng, self.bh.changeover_jitter_s)

    def _enter_run(self, t: float) -> None:
        self.mode, self.code, self.state_end = _RUN, 0, math.inf
        self.run_start = t
        self.run_cycle = self.usual_cycle * uniform(self.rng, self.bh.cycle_jitter)
        self.run_counted = 0
        # A stop needs at least one cycle of running before it, or the run would be invisible.
        wait = self.rng.expovariate(self.small_rate + self.fault_rate)
        self.next_stop = t + max(wait, self.run_cycle)

    def _leave_run(self, t: float) -> None:
        if self.mode == _RUN:
            self._count(t)
            self.next_stop = math.inf

    def _count(self, t: float) -> None:
        """Add the parts the current run finished by `t`."""
        done = math.floor((t - self.run_start) / self.run_cycle)
        for k in range(self.run_counted, done):
            finished = self.run_start + (k + 1) * self.run_cycle
            rate = self.startup_rate if finished <= self.startup_until else self.reject_rate
            self.parts += 1
            if self.rng_parts.random() < rate:
                self.rejects += 1
        self.run_counted = max(self.run_counted, done)

    def _enter_stop(self, t: float, mode: int, duration: float, code: int = 0) -> None:
        self._leave_run(t)
        self.mode, self.code, self.state_end = mode, code, t + duration

    def _state_end(self, t: float) -> None:
        if self.mode == _CHANGEOVER:
            self.startup_until = t + self.startup_window
        if self.changeover_pending is not None and self.mode != _CHANGEOVER:
            duration, self.changeover_pending = self.changeover_pending, None
            self._enter_stop(t, _CHANGEOVER, duration)
        else:
            self._enter_run(t)

    def _changeover_due(self, t: float) -> None:
        _, duration = self.plan.get(self.changeover_i)
        self.changeover_i += 1
        self.changeover_at = self._changeover_start(self.changeover_i)
        if self.mode == _RUN:
            self._enter_stop(t, _CHANGEOVER, duration)
        elif self.mode != _CHANGEOVER:
            self.changeover_pending = duration

    def _natural_stop(self, t: float) -> None:
        if self.rng.random() < self.small_rate / (self.small_rate + self.fault_rate):
            self._enter_stop(t, _SMALL, uniform(self.rng, self.bh.small_stop_s))
        else:
            code = self.rng.choice(self.codes)
            if self.bh.uncoded_faults and self.rng_codes.random() < self.bh.uncoded_faults:
                code = 0
            self._enter_stop(t, _FAULT, uniform(self.rng, self.bh.fault_s), code)

    def _andon(self, t: float) -> None:
        if self.andon and t >= self.andon_until:
            self.andon = False
            self.andon_at = t + self.rng_andon.expovariate(1 / self.andon_every)
        elif not self.andon:
            self.andon = True
            self.andon_until = t + uniform(self.rng_andon, self.bh.andon_s)
            self.andon_at = self.andon_until

    def _scripted(self, ev: EquipmentEvent) -> None:
        t = ev.at
        if ev.action == "andon":
            self.andon = True
            self.andon_until = max(self.andon_until if self.andon else t, t + ev.duration_s)
            self.andon_at = self.andon_until
            return
        mode = {"fault": _FAULT, "stop": _STOP, "changeover": _CHANGEOVER}[ev.action]
        if self.mode == _CHANGEOVER and mode != _CHANGEOVER:
            # An interrupted changeover is still to be done (what is left of it) once the machine is back.
            self.changeover_pending = max(self.state_end - t, 0.0)
        self._enter_stop(t, mode, ev.duration_s, ev.code if mode == _FAULT else 0)

    def advance(self, now: float) -> None:
        while True:
            script_at = self.script[self.script_i].at if self.script_i < len(self.script) else math.inf
            candidates = (
                (script_at, _EV_SCRIPT),
                (self.state_end, _EV_STATE_END),
                (self.changeover_at, _EV_CHANGEOVER),
                (self.next_stop, _EV_STOP),
                (self.andon_at, _EV_ANDON),
            )
            t, kind = min(candidates)
            if t > now:
                break
            if kind == _EV_SCRIPT:
                self.script_i += 1
                self._scripted(self.script[self.script_i - 1])
            elif kind == _EV_STATE_END:
                self._state_end(t)
            elif kind == _EV_CHANGEOVER:
                self._changeover_due(t)
            elif kind == _EV_STOP:
                self._natural_stop(t)
            else:
                self._andon(t)
        if self.mode == _RUN:
            self._count(now)
        self.t = now

    def values(self) -> dict[str, float]:
        r = self.range
        return {
            "running": 1.0 if self.mode == _RUN else 0.0,
            "state": float(_PACKML[self.mode]),
            "total_count": float((self.total_offset + self.parts) % r),
            "good_count": float((self.good_offset + self.parts - self.rejects) % r),
            "reject_count": float((self.reject_offset + self.rejects) % r),
            "fault_code": float(self.code),
            "changeover": 1.0 if self.mode == _CHANGEOVER else 0.0,
            "andon": 1.0 if self.andon else 0.0,
        }


class LineModel:
    """Every equipment of a config, simulated from `start` (epoch seconds) on.

    `step(now)` returns the value of every signal of every equipment at `now` (all of
    `SIGNALS`, whatever the config binds; PackML numbers on `state` for every machine, so a
    config may bind either). The model keeps its own truth: `truth()` (parts made and rejected
    since the start), `counts_at(equipment, ts)` (the same, as served at a past instant: a
    station's count from its first to its last read is the difference of two of these) and
    `history` (every value change it served: (ts, equipment, signal, value), ts being the `now`
    of the step that first served it; the first step records every value). `history_max` bounds
    both for long runs (None: unbounded).
    """

    def __init__(
        self,
        config: Config,
        seed: int,
        start: float,
        *,
        speed: float = 1.0,
        events: Iterable[EquipmentEvent] = (),
        behaviour: Behaviour | None = None,
        history_max: int | None = None,
    ) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError(f"speed must be a positive number, not {speed}")
        bh = (behaviour or Behaviour()).faster(speed)
        self.config = config
        self.seed = seed
        self.start = start
        self.speed = speed
        events = list(events)
        known = {eq.id for line in config.lines for eq in line.equipment}
        for ev in events:
            if ev.equipment not in known:
                raise ValueError(f"unknown equipment {ev.equipment!r}")
        self._machines: list[_Machine] = []
        self._plans: dict[str, _LinePlan] = {}
        for line in config.lines:
            plan = self._plans[line.id] = _LinePlan(
                random.Random(f"ms5-sim/{seed}/line/{line.id}"), start, bh
            )
            for eq in line.equipment:
                mine = [ev for ev in events if ev.equipment == eq.id]
                self._machines.append(_Machine(seed, line, eq, plan, start, bh, speed, mine))
        self.history: deque[tuple[float, str, str, float]] = deque(maxlen=history_max)
        self._history_max = history_max
        # Per equipment: the times of the steps that served new counts, and those counts.
        self._count_ts: dict[str, list[float]] = {m.eq.id: [] for m in self._machines}
        self._counts: dict[str, list[Truth]] = {m.eq.id: [] for m in self._machines}
        self._served: dict[Key, float] = {}
        self._now = start

    @property
    def now(self) -> float:
        """The time of the last step."""
        return self._now

    def step(self, now: float) -> dict[Key, float]:
        """The values to serve at `now`; time never goes back (an earlier `now` counts as the last)."""
        now = max(now, self._now)
        self._now = now
        out: dict[Key, float] = {}
        for m in self._machines:
            m.advance(now)
            counts = self._counts[m.eq.id]
            if not counts or (counts[-1].total, counts[-1].reject) != (m.parts, m.rejects):
                stamps = self._count_ts[m.eq.id]
                if self._history_max is not None and len(stamps) >= self._history_max:
                    del stamps[: len(stamps) // 2], counts[: len(counts) // 2]
                stamps.append(now)
                counts.append(Truth(m.parts, m.rejects))
            for signal, value in m.values().items():
                key = (m.eq.id, signal)
                out[key] = value
                if self._served.get(key) != value:
                    self._served[key] = value
                    self.history.append((now, m.eq.id, signal, value))
        return out

    def changeovers(self, until: float) -> list[tuple[str, float, float]]:
        """The line-wide changeovers that start by `until`: (line id, start, duration). Every
        machine of the line stops for it (a few seconds apart, after its current stop), so for
        its duration the whole line stands with its counters still: at `--speed 10` a stop of
        1-2 min every 12-24 min that looks like a frozen simulator unless it is said."""
        out = []
        for line_id, plan in self._plans.items():
            i = 0
            while (item := plan.get(i))[0] <= until:
                out.append((line_id, *item))
                i += 1
        return sorted(out, key=lambda c: c[1])

    def counts_at(self, equipment: str, ts: float) -> Truth:
        """Parts made and rejected since the start, as served by the last step at or before `ts`
        (a station that read the counters at `ts` saw these). Truth(0, 0) before the first step."""
        i = bisect.bisect_right(self._count_ts[equipment], ts)
        return self._counts[equipment][i - 1] if i else Truth(0, 0)

    def truth(self) -> dict[str, Truth]:
        """Parts made and rejected per equipment from the start to the last step."""
        return {m.eq.id: Truth(m.parts, m.rejects) for m in self._machines}
