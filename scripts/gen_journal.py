"""A deterministic generator of realistic journals (docs/OEE.md, "Inputs") for demos and benchmarks.

The bundled demo journal is regenerated, byte for byte, with:

    python -m scripts.gen_journal assets/demo-line.toml --start 2026-03-02T05:45 --hours 8.5 \\
        --seed 25 -o assets/demo-journal.csv

What a line does here: every equipment runs a little slower than its ideal cycle time, reports its
cumulative counters on a polling grid while they change (wrapping at `counter_max`), has small stops
and longer faults with a fault code from its fault map, loses communication now and then (BAD
values, then good ones again), joins the line's changeover about once a day, and is stopped by its
operators a few minutes into a break. PackML equipment gives its `state` instead of `running`.

The generator keeps its own truth — the parts each equipment made and rejected inside the window —
so that a replay can be checked against what really happened, not against a second computation of
the same journal. Only `random.Random(seed)` draws numbers, so a seed gives the same bytes every time.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import math
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TextIO

from connectors.sim.behaviour import Truth  # what an equipment really made: the figure a replay must find
from core.calendar import ShiftCalendar
from core.config import Config, ConfigError, Equipment, Line, load_config
from core.journal import BAD, HEADER, format_value
from core.samples import Quality, Sample
from core.timefmt import iso, parse_time

# PackML state numbers. The machine model uses them for every equipment: a running-bit equipment
# simply reports whether the state is Execute.
EXECUTE = 6
SUSPENDED = 5  # starved/blocked: the small stops
STOPPED = 2  # breaks, changeovers, outside the shifts
HELD = 11  # faults

_INF = float("inf")

# Action kinds, in the order they apply at one instant.
_ACT_STATE, _ACT_CHANGEOVER, _ACT_LOST, _ACT_BACK = range(4)


@dataclass(frozen=True)
class Behaviour:
    """How the simulated line behaves. Ranges are (low, high), drawn uniformly."""

    speed_loss: tuple[float, float] = (1.03, 1.08)  # an equipment's usual cycle / ideal cycle
    cycle_jitter: tuple[float, float] = (0.99, 1.03)  # per run, on top of the usual speed loss
    small_stop_every_s: tuple[float, float] = (8 * 60, 15 * 60)  # mean running time between them
    small_stop_s: tuple[int, int] = (20, 100)
    fault_every_s: tuple[float, float] = (100 * 60, 200 * 60)
    fault_s: tuple[int, int] = (3 * 60, 20 * 60)
    # PLCs know more fault codes than a config maps; those stops stay "Unassigned" with their code.
    unmapped_fault_share: float = 0.1
    comms_loss_every_s: float = 14 * 3600  # mean wall time between two losses of one equipment
    comms_loss_s: tuple[int, int] = (60, 300)
    changeover_chance_per_day: float = 0.85
    changeover_s: tuple[int, int] = (12 * 60, 18 * 60)
    changeover_restart_s: tuple[int, int] = (20, 90)
    break_run_through_chance: float = 0.15
    break_stop_after_s: tuple[int, int] = (60, 300)  # operators finish what they do, then stop
    break_restart_s: tuple[int, int] = (-90, 60)  # relative to the break's end
    shift_start_delay_s: tuple[int, int] = (30, 240)
    shift_end_overrun_s: tuple[int, int] = (0, 60)
    equipment_jitter_s: tuple[int, int] = (0, 20)  # one line decision, each machine a bit apart
    reject_rate: tuple[float, float] = (0.004, 0.02)
    startup_reject_rate: tuple[float, float] = (0.04, 0.10)


@dataclass(frozen=True)
class _Break:
    start: float
    end: float
    run_through: bool
    stop_at: float
    restart_at: float


@dataclass
class _LinePlan:
    windows: list[tuple[float, float]]  # contiguous shift time, consecutive shifts merged
    start_delays: list[int]
    breaks: list[_Break]
    changeovers: list[tuple[float, float]]


@dataclass
class _EquipmentPlan:
    eq: Equipment
    tz: tzinfo
    packml: bool
    counter_range: int
    total_offset: int
    reject_offset: int
    actions: list[tuple[float, int, int, int]]  # (ts, kind, a, b), sorted
    run_t0: list[float] = field(default_factory=list)
    run_t1: list[float] = field(default_factory=list)
    run_cycle: list[float] = field(default_factory=list)
    run_p0: list[int] = field(default_factory=list)  # parts made before the run
    run_n: list[int] = field(default_factory=list)
    rejects: list[int] = field(default_factory=list)  # indices of the rejected parts, ascending
    comms: list[tuple[float, float]] = field(default_factory=list)

    @property
    def truth(self) -> Truth:
        total = self.run_p0[-1] + self.run_n[-1] if self.run_n else 0
        return Truth(total, len(self.rejects))


def _uniform(rng: random.Random, span: tuple[float, float]) -> float:
    return rng.uniform(span[0], span[1])


def _randint(rng: random.Random, span: tuple[int, int]) -> int:
    return rng.randint(span[0], span[1])


def _subtract(
    spans: list[tuple[float, float]], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    holes = sorted(holes)
    for a, b in spans:
        cursor = a
        for h0, h1 in holes:
            if h1 <= cursor or h0 >= b:
                continue
            if h0 > cursor:
                out.append((cursor, h0))
            cursor = max(cursor, h1)
        if cursor < b:
            out.append((cursor, b))
    return out


def _plan_line(rng: random.Random, line: Line, start: float, end: float, bh: Behaviour) -> _LinePlan:
    occurrences = ShiftCalendar(line).occurrences(start, end)
    windows: list[tuple[float, float]] = []
    for occ in occurrences:
        if windows and occ.start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], occ.end))
        else:
            windows.append((occ.start, occ.end))
    start_delays = [_randint(rng, bh.shift_start_delay_s) for _ in windows]

    breaks: list[_Break] = []
    for occ in occurrences:
        for b_start, b_end in occ.breaks:
            run_through = rng.random() < bh.break_run_through_chance
            stop_at = b_start + min(_randint(rng, bh.break_stop_after_s), (b_end - b_start) / 3)
            restart_at = max(b_end + _randint(rng, bh.break_restart_s), stop_at + 60)
            breaks.append(_Break(b_start, b_end, run_through, stop_at, restart_at))

    # About one changeover a day, in one of the day's shifts, clear of its breaks so that the
    # restart after it is a production restart and not a break's.
    tz = line.tz
    by_day: dict[date, list[int]] = {}
    for i, occ in enumerate(occurrences):
        by_day.setdefault(datetime.fromtimestamp(occ.start, tz).date(), []).append(i)
    changeovers: list[tuple[float, float]] = []
    for day in sorted(by_day):
        if rng.random() >= bh.changeover_chance_per_day:
            continue
        occ = occurrences[rng.choice(by_day[day])]
        duration = _randint(rng, bh.changeover_s)
        lo = math.ceil(max(occ.start, start) + 1800)
        hi = math.floor(min(occ.end, end) - duration - 1800)
        for _ in range(10):
            if hi <= lo:
                break
            t = rng.randint(lo, hi)
            if all(t + duration + 600 <= bs or t - 600 >= be for bs, be in occ.breaks):
                changeovers.append((t, t + duration))
                break
    return _LinePlan(windows, start_delays, breaks, changeovers)


def _fault_code(rng: random.Random, eq: Equipment, bh: Behaviour) -> int:
    mapped = sorted(eq.faults)
    if mapped and rng.random() >= bh.unmapped_fault_share:
        return rng.choice(mapped)
    code = rng.randint(900, 999)
    return code if code not in eq.faults else 0


def _geometric_indices(rng: random.Random, lo: int, hi: int, p: float, out: list[int]) -> None:
    """Indices in [lo, hi) each drawn with probability p, in O(hits) draws instead of O(parts)."""
    if p <= 0 or hi <= lo:
        return
    lam = -math.log1p(-p)
    i = lo + int(rng.expovariate(lam))
    while i < hi:
        out.append(i)
        i += 1 + int(rng.expovariate(lam))


def _plan_equipment(
    rng: random.Random,
    line: Line,
    eq: Equipment,
    lp: _LinePlan,
    start: float,
    end: float,
    report_every: float,
    bh: Behaviour,
) -> _EquipmentPlan:
    def jitter() -> int:
        return _randint(rng, bh.equipment_jitter_s)

    wanted: list[tuple[float, float]] = []
    for (ws, we), delay in zip(lp.windows, lp.start_delays, strict=True):
        # A shift already under way when the recording starts: the machine is running.
        a = ws + delay + jitter() if ws >= start else ws
        wanted.append((a, we + _randint(rng, bh.shift_end_overrun_s)))
    holes: list[tuple[float, float]] = []
    for brk in lp.breaks:
        if not brk.run_through:
            holes.append((brk.stop_at + jitter(), brk.restart_at + jitter()))
    chg_spans: list[tuple[float, float]] = []
    for c0, c1 in lp.changeovers:
        s, e = c0 + jitter(), c1 + jitter()
        chg_spans.append((s, e))
        holes.append((s, e + _randint(rng, bh.changeover_restart_s)))
    intended = [(max(a, start), min(b, end)) for a, b in _subtract(wanted, holes)]
    intended = [(a, b) for a, b in intended if b > a]

    # The machine: runs inside the intended spans, broken by small stops and faults. A stop that
    # outlasts its span (a fault running into a break) keeps the machine stopped until it is over.
    changes: list[tuple[float, int, int]] = [(start, STOPPED, 0)]

    def set_state(ts: float, state: int, code: int) -> None:
        if ts <= changes[-1][0]:
            changes[-1] = (changes[-1][0], state, code)
            if len(changes) > 1 and changes[-2][1:] == (state, code):
                changes.pop()
        elif changes[-1][1:] != (state, code):
            changes.append((ts, state, code))

    small_rate = 1 / _uniform(rng, bh.small_stop_every_s)
    fault_rate = 1 / _uniform(rng, bh.fault_every_s)
    stop_rate = small_rate + fault_rate
    busy_until = start
    for a, b in intended:
        t = max(a, busy_until)
        if t >= b:
            continue
        set_state(t, EXECUTE, 0)
        while True:
            ev = t + max(1, round(rng.expovariate(stop_rate)))
            if ev >= b:
                set_state(b, STOPPED, 0)
                break
            if rng.random() < small_rate / stop_rate:
                state, code, duration = SUSPENDED, 0, _randint(rng, bh.small_stop_s)
            else:
                state, code, duration = HELD, _fault_code(rng, eq, bh), _randint(rng, bh.fault_s)
            set_state(ev, state, code)
            t = ev + duration
            if t >= b:
                # A fault outlasts the span (it runs into the break); a small stop does not: the
                # operator just leaves the machine stopped for the break.
                if state == SUSPENDED:
                    set_state(b, STOPPED, 0)
                else:
                    busy_until = t
                break
            set_state(t, EXECUTE, 0)

    counter_range = eq.counter_max + 1
    plan = _EquipmentPlan(
        eq=eq,
        tz=line.tz,
        packml=eq.state_model == "packml",
        counter_range=counter_range,
        total_offset=rng.randrange(counter_range),
        reject_offset=rng.randrange(counter_range),
        actions=[],
    )

    # Parts: a run makes one part per cycle; rejects come at the equipment's rate, higher in the
    # startup window after a changeover (the "startup rejects" of the six big losses).
    usual = eq.ideal_cycle_time_s * _uniform(rng, bh.speed_loss)
    base_rate = _uniform(rng, bh.reject_rate)
    startup_rate = _uniform(rng, bh.startup_reject_rate)
    startup_window = line.startup_window_for(eq)
    startups = [(e, e + startup_window) for _, e in chg_spans]
    parts = 0
    for i, (t0, state, _code) in enumerate(changes):
        if state != EXECUTE:
            continue
        t1 = min(changes[i + 1][0] if i + 1 < len(changes) else end, end)
        if t1 <= t0:
            continue
        cycle = usual * _uniform(rng, bh.cycle_jitter)
        n = math.floor((t1 - t0) / cycle)
        plan.run_t0.append(t0)
        plan.run_t1.append(t1)
        plan.run_cycle.append(cycle)
        plan.run_p0.append(parts)
        plan.run_n.append(n)
        startup_parts = 0
        for s0, s1 in startups:
            if s0 <= t0 < s1:
                startup_parts = min(n, math.floor((s1 - t0) / cycle))
        _geometric_indices(rng, parts, parts + startup_parts, startup_rate, plan.rejects)
        _geometric_indices(rng, parts + startup_parts, parts + n, base_rate, plan.rejects)
        parts += n

    # Communication losses end before the window does, so that the last counts are read.
    t = start + rng.expovariate(1 / bh.comms_loss_every_s)
    while True:
        c0 = max(round(t), math.ceil(start) + 60)
        c1 = c0 + _randint(rng, bh.comms_loss_s)
        if c1 >= end - report_every:
            break
        plan.comms.append((c0, c1))
        t = c1 + rng.expovariate(1 / bh.comms_loss_every_s)

    actions = plan.actions
    for ts, state, code in changes:
        if ts <= end:
            actions.append((ts, _ACT_STATE, state, code))
    for s, e in chg_spans:
        actions.extend((ts, _ACT_CHANGEOVER, v, 0) for ts, v in ((s, 1), (e, 0)) if start <= ts <= end)
    for c0, c1 in plan.comms:
        actions.append((c0, _ACT_LOST, 0, 0))
        actions.append((c1, _ACT_BACK, 0, 0))
    actions.sort()
    return plan


class _Parts:
    """Parts made (and rejected) by an instant, read forwards in time in O(1) per read."""

    def __init__(self, plan: _EquipmentPlan) -> None:
        self.p = plan
        self.j = 0
        self.r = 0

    def made(self, t: float) -> int:
        p = self.p
        n_runs = len(p.run_t0)
        while self.j < n_runs and p.run_t1[self.j] <= t:
            self.j += 1
        if self.j == n_runs:
            return p.run_p0[-1] + p.run_n[-1] if n_runs else 0
        j = self.j
        if t < p.run_t0[j]:
            return p.run_p0[j]
        return p.run_p0[j] + min(math.floor((t - p.run_t0[j]) / p.run_cycle[j]), p.run_n[j])

    def rejected(self, made: int) -> int:
        rejects = self.p.rejects
        while self.r < len(rejects) and rejects[self.r] < made:
            self.r += 1
        return self.r


def _stream(plan: _EquipmentPlan, start: float, end: float, report_every: float) -> Iterator[Sample]:
    """One equipment's samples in time order: counts on the polling grid while they change, the
    other signals when they change, BAD while communication is lost."""
    eq_id = plan.eq.id
    signals = (
        "total_count",
        "reject_count",
        "fault_code",
        "state" if plan.packml else "running",
        "changeover",
    )
    parts = _Parts(plan)
    actions = plan.actions
    n_actions = len(actions)
    last_k = math.ceil((end - start) / report_every)
    i = 0
    k = 0
    end_done = False
    total = reject = 0
    state, code, changeover = STOPPED, 0, 0
    in_loss = False
    emitted: list[int | None] = [-1] * len(signals)  # -1: never sent, None: sent as BAD
    while True:
        t_tick = start + k * report_every
        if t_tick >= end:
            t_tick = _INF if end_done else end
        t_action = actions[i][0] if i < n_actions else _INF
        t = min(t_tick, t_action)
        if t > end:
            break
        lost = back = False
        while i < n_actions and actions[i][0] == t:
            _, kind, a, b = actions[i]
            i += 1
            if kind == _ACT_STATE:
                state, code = a, b
            elif kind == _ACT_CHANGEOVER:
                changeover = a
            elif kind == _ACT_LOST:
                lost = in_loss = True
            else:
                back, in_loss = True, False
        is_tick = t == t_tick
        if is_tick:
            k += 1
            end_done = end_done or t_tick == end
        if in_loss:
            if lost:
                for idx, signal in enumerate(signals):
                    if emitted[idx] is not None:
                        emitted[idx] = None
                        yield Sample(t, eq_id, signal, None, Quality.BAD)
        else:
            if is_tick or back:
                made = parts.made(t)
                total = (plan.total_offset + made) % plan.counter_range
                reject = (plan.reject_offset + parts.rejected(made)) % plan.counter_range
            values = (total, reject, code, state if plan.packml else int(state == EXECUTE), changeover)
            for idx, value in enumerate(values):
                if emitted[idx] != value:
                    emitted[idx] = value
                    yield Sample(t, eq_id, signals[idx], float(value))
            if not (is_tick or back) or state == EXECUTE:
                continue
        # Nothing is made (or nothing can be read) until the next action: skip the silent ticks.
        t_next = actions[i][0] if i < n_actions else _INF
        k = max(k, last_k if t_next == _INF else math.ceil((t_next - start) / report_every))


@dataclass
class GeneratedJournal:
    config: Config
    start: float
    end: float
    report_every: float
    plans: list[_EquipmentPlan]

    @property
    def truth(self) -> dict[str, Truth]:
        """Parts made and rejected per equipment inside [start, end]."""
        return {p.eq.id: p.truth for p in self.plans}

    def samples(self) -> Iterator[Sample]:
        """All samples, sorted by time (same-time rows in config order), generated lazily."""
        streams = [_stream(p, self.start, self.end, self.report_every) for p in self.plans]
        return heapq.merge(*streams, key=lambda s: s.ts)

    def write(self, out: TextIO) -> int:
        """The journal CSV, times in each line's own zone; returns the number of rows."""
        zones = {p.eq.id: p.tz for p in self.plans}
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        # Many rows share an instant (every machine polls on the same grid): format it once.
        last: tuple[float, tzinfo | None] = (_INF, None)
        text = ""
        n = 0
        for s in self.samples():
            tz = zones[s.equipment]
            if (s.ts, tz) != last:
                last = (s.ts, tz)
                text = iso(s.ts, tz)
            value = BAD if s.value is None else format_value(s.value)
            writer.writerow((text, s.equipment, s.signal, value))
            n += 1
        return n


def generate(
    config: Config,
    start: float,
    hours: float,
    seed: int,
    report_every: float = 5.0,
    behaviour: Behaviour | None = None,
) -> GeneratedJournal:
    """Plan `hours` of production from `start` (epoch seconds) for every equipment of `config`.

    All random draws happen here, in config order; the samples are then produced lazily and
    identically on every call of `samples()` or `write()`."""
    if hours <= 0:
        raise ValueError("hours must be positive")
    if report_every <= 0:
        raise ValueError("report_every must be positive")
    bh = behaviour or Behaviour()
    rng = random.Random(seed)
    end = start + hours * 3600
    plans: list[_EquipmentPlan] = []
    for line in config.lines:
        lp = _plan_line(rng, line, start, end, bh)
        for eq in line.equipment:
            plans.append(_plan_equipment(rng, line, eq, lp, start, end, report_every, bh))
    return GeneratedJournal(config, start, end, report_every, plans)


def write_file(journal: GeneratedJournal, path: str | Path) -> int:
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        return journal.write(fh)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.gen_journal",
        description="Generate a realistic, deterministic journal CSV for a station config.",
    )
    parser.add_argument("config", help="the station's TOML config")
    parser.add_argument(
        "--start",
        required=True,
        metavar="ISO",
        help="first instant (local time of the first line without an offset)",
    )
    parser.add_argument("--hours", required=True, type=float, help="length of the journal in hours")
    parser.add_argument("--seed", required=True, type=int, help="seed: the same seed gives the same file")
    parser.add_argument(
        "--report-every", type=float, default=5.0, metavar="S", help="counter polling period (default 5 s)"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="journal CSV to write ('-' for stdout)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        start = parse_time(args.start, config.lines[0].tz)
        journal = generate(config, start, args.hours, args.seed, args.report_every)
    except ValueError as exc:
        print(f"gen_journal: {exc}", file=sys.stderr)
        return 2
    rows = journal.write(sys.stdout) if args.output == "-" else write_file(journal, args.output)
    print(f"{rows} rows", file=sys.stderr)
    for eq_id, truth in journal.truth.items():
        print(f"  {eq_id}: made {truth.total}, rejected {truth.reject}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
