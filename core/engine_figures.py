"""The engine's figures: segments and count buckets cut by the shift calendar into time
categories, OEE sums, per-minute counts and downtime events over any window (docs/OEE.md)."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.calendar import Sched
from core.clock_steps import cut, gap_seconds, joined
from core.config import COMMS_LOSS_REASON
from core.engine_counts import derive, derived_from
from core.engine_state import (
    BUCKET_WIDTH,
    CHG,
    COMMS,
    COUNTED,
    IDEAL,
    PLANNED,
    REJECT,
    RUN,
    STARTUP,
    TRIO,
    EngineState,
    EquipmentState,
    Segment,
    stop_reason,
)
from core.metrics import Metrics


@dataclass(frozen=True, slots=True)
class DowntimeEvent:
    """One contiguous down period of an equipment inside a window (docs/OEE.md, "Downtime events")."""

    equipment: str
    start: float
    end: float
    reason: str
    fault_code: int | None
    open: bool = False
    note: str | None = None
    skipped_s: float = 0.0  # the part of [start, end) a step of the clock skipped: no time

    @property
    def duration_s(self) -> float:
        return self.end - self.start - self.skipped_s


QUALITY_SIGNALS = frozenset({"good_count", "reject_count"})


def had_good_value(validity: array[float], a: float, b: float) -> bool:
    """Whether a signal had a good value at some instant of [a, b], from the instants it turned
    good and BAD (alternating, good first)."""
    i = bisect.bisect_right(validity, b)  # the turns up to b
    if i % 2 == 1:
        return True  # good at b
    return i > 0 and validity[i - 1] > a  # it turned BAD inside the window


def time_category(kind: Sched, seg: Segment | None, now: float) -> str:
    """The time category of a piece of a segment (docs/OEE.md, "Time categories"), `seg` None
    before the equipment's first segment."""
    cond = seg.cond if seg is not None else COMMS
    if kind == Sched.UNSCHEDULED:
        return "unscheduled"
    if cond == RUN:
        return "running"
    if kind == Sched.BREAK or cond == PLANNED:
        return "planned_stop"
    if cond == CHG:
        return "changeover"
    if cond == COMMS:
        return "no_data"
    if seg is not None and seg.is_down_stop(now):
        return "down"
    return "small_stop"


class EngineFigures(EngineState):
    """Reads only: no figure changes the engine's state."""

    def _overlaps(
        self, st: EquipmentState, a: float, b: float
    ) -> Iterator[tuple[float, float, Sched, Segment | None]]:
        """(start, end, schedule, segment) for every overlap of a calendar piece and a segment in
        [a, b); time before the first segment has no segment (no data yet). Gaps a step of the
        clock left are cut out (core.clock_steps)."""
        gaps = self.clock_gaps
        if not gaps:
            return self._overlaps_all(st, a, b)  # no generator in between: figures of a month
        return (
            (cs, ce, kind, seg)
            for s, e, kind, seg in self._overlaps_all(st, a, b)
            for cs, ce in cut(gaps, s, e)
        )

    def _overlaps_all(
        self, st: EquipmentState, a: float, b: float
    ) -> Iterator[tuple[float, float, Sched, Segment | None]]:
        now = self.now if self.now is not None else b
        segs, starts = st.segments, st.seg_starts
        for ps, pe, kind in st.calendar.pieces(a, b):
            if not segs or ps < segs[0].start:
                e = min(pe, segs[0].start) if segs else pe
                yield ps, e, kind, None
                if e >= pe:
                    continue
            j = max(bisect.bisect_right(starts, ps) - 1, 0)
            while j < len(segs) and segs[j].start < pe:
                seg = segs[j]
                seg_end = seg.end if seg.end is not None else now
                s, e = max(ps, seg.start), min(pe, seg_end)
                if e > s:
                    yield s, e, kind, seg
                j += 1

    def _pieces(
        self, st: EquipmentState, a: float, b: float, now: float
    ) -> Iterator[tuple[float, float, Sched, Segment | None, str, bool]]:
        """`_overlaps` with each piece's time category, a communication loss cut where the run
        time inferred across it ends: (start, end, schedule, segment, category, inferred)."""
        for s, e, kind, seg in self._overlaps(st, a, b):
            if seg is not None and seg.gap_ideal is not None:
                cut = seg.start + self._inferred_run(st, seg, now)
                if s < cut:
                    inferred_end = min(e, cut)
                    running = kind != Sched.UNSCHEDULED
                    yield s, inferred_end, kind, seg, "running" if running else "unscheduled", running
                    s = inferred_end
                if s >= e:
                    continue
            yield s, e, kind, seg, time_category(kind, seg, now), False

    def _inferred_run(self, st: EquipmentState, seg: Segment, now: float) -> float:
        """How much of a communication loss that began while running was run time: the ideal time
        of the parts counted for it, at most all of it (docs/OEE.md, "Parts across a
        communication loss")."""
        assert seg.gap_ideal is not None
        end = seg.end if seg.end is not None else now
        return max(0.0, min(end - seg.start, derive(st, seg.gap_ideal)[0]))

    def metrics(self, equipment: str, a: float, b: float) -> Metrics:
        self.check_kept(a)
        st = self._eq[equipment]
        now = self.now if self.now is not None else b
        b = min(b, max(now, a))
        gaps = self.clock_gaps
        m = Metrics(all_time_s=b - a - gap_seconds(gaps, a, b) if gaps else b - a)
        m.clock_steps = sum(1 for at, _size in self.clock_steps if a <= at < b)
        small_stops: set[int] = set()
        for s, e, _kind, seg, category, inferred in self._pieces(st, a, b, now):
            d = e - s
            if category == "unscheduled":
                m.unscheduled_time_s += d
            elif category == "running":
                m.running_time_s += d
                if inferred:
                    m.inferred_run_time_s += d
            elif category == "planned_stop":
                m.planned_stop_time_s += d
            elif category == "changeover":
                m.changeover_time_s += d
            elif category == "no_data":
                m.down_time_s += d
                m.comms_loss_time_s += d
            elif category == "down":
                m.down_time_s += d
            else:
                m.small_stop_time_s += d
                small_stops.add(id(seg))
        m.small_stop_count = len(small_stops)
        self._add_counts(st, a, b, m)
        self._add_data_quality(st, a, b, m)
        return m

    def _add_data_quality(self, st: EquipmentState, a: float, b: float, m: Metrics) -> None:
        """What the counters did in (a, b] (as counts, by the time they were reported) and which
        bound signals had no good value at any instant of [a, b]."""

        def between(times: Sequence[float]) -> int:
            return bisect.bisect_right(times, b) - bisect.bisect_right(times, a)

        m.counter_resets = between(st.resets)
        m.counter_jitter_events = between(st.jitters)
        keys = st.down_keys
        lo = bisect.bisect_right(keys, a)
        hi = len(keys) if self.now is not None and b >= self.now else bisect.bisect_right(keys, b)
        if hi > lo:
            down = st.down_counts
            trio = [sum(down[TRIO * lo + k : TRIO * hi : TRIO]) for k in range(TRIO)]
            m.counts_while_down = round(derive(st, trio)[0])
        present = {signal for signal in st.validity if had_good_value(st.validity[signal], a, b)}
        m.signals_missing = tuple(sorted(st.bound - present))
        if QUALITY_SIGNALS & set(m.signals_missing):
            used = derived_from(st)
            m.quality_unknown = len(used) < 2 or not used <= present

    def timeline(self, equipment: str, a: float, b: float) -> list[tuple[float, float, str]]:
        """(start, end, time category) pieces of [a, b), the categories of docs/OEE.md ("Time
        categories"; no_data is down for lack of data); adjacent pieces of one category merged."""
        self.check_kept(a)
        st = self._eq[equipment]
        now = self.now if self.now is not None else b
        b = min(b, max(now, a))
        out: list[tuple[float, float, str]] = []
        for s, e, _kind, _seg, category, _inferred in self._pieces(st, a, b, now):
            if out and out[-1][2] == category and out[-1][1] == s:
                out[-1] = (out[-1][0], e, category)
            else:
                out.append((s, e, category))
        return out

    def counts_per_bucket(self, equipment: str, a: float, b: float) -> list[tuple[float, int, int, int]]:
        """(bucket end, total, good, reject) of every one-minute count bucket ending in (a, b]."""
        self.check_kept(a)
        st = self._eq[equipment]
        keys, counts = st.bucket_keys, st.counts
        out = []
        for i in range(bisect.bisect_right(keys, a), bisect.bisect_right(keys, b)):
            base = BUCKET_WIDTH * i + COUNTED
            total, good, reject = derive(st, counts[base : base + TRIO])
            out.append((keys[i], round(total), round(good), round(reject)))
        return out

    def _add_counts(self, st: EquipmentState, a: float, b: float, m: Metrics) -> None:
        """Counts of the buckets ending in (a, b]; a window reaching the engine's newest time
        takes everything counted so far, though its last bucket ends later."""
        keys = st.bucket_keys
        lo = bisect.bisect_right(keys, a)
        hi = len(keys) if self.now is not None and b >= self.now else bisect.bisect_right(keys, b)
        w, counts = BUCKET_WIDTH, st.counts
        sums = [sum(counts[w * lo + k : w * hi : w]) for k in range(w)]
        total, good, reject = derive(st, sums[COUNTED : COUNTED + TRIO])
        m.total_count += round(total)
        m.good_count += round(good)
        m.reject_count += round(reject)
        i_total, i_good, _ = derive(st, sums[IDEAL : IDEAL + TRIO])
        m.ideal_total_s += i_total
        m.ideal_good_s += i_good
        m.startup_reject_ideal_s += derive(st, sums[STARTUP : STARTUP + TRIO])[REJECT]

    def downtime_events(self, equipment: str, a: float, b: float) -> list[DowntimeEvent]:
        """One event per contiguous down period inside [a, b), clipped to the window."""
        return [ev for ev, _seg in self._downtime(equipment, a, b)]

    def _downtime(self, equipment: str, a: float, b: float) -> list[tuple[DowntimeEvent, Segment | None]]:
        """`downtime_events` with the segment of each (None before the first segment)."""
        self.check_kept(a)
        st = self._eq[equipment]
        now = self.now if self.now is not None else b
        b = min(b, max(now, a))
        events: list[tuple[DowntimeEvent, Segment | None]] = []
        current: tuple[float, float, Segment | None] | None = None
        gaps = self.clock_gaps

        def flush() -> None:
            if current is None:
                return
            s, e, seg = current
            if seg is None:
                reason, fault = COMMS_LOSS_REASON, None
            else:
                reason, fault = stop_reason(st, seg), (seg.fault_code or None)
            is_open = seg is not None and seg.end is None and e >= now
            note = seg.note if seg is not None else None
            skipped = gap_seconds(gaps, s, e) if gaps else 0.0
            events.append((DowntimeEvent(equipment, s, e, reason, fault, is_open, note, skipped), seg))

        for s, e, _kind, seg, category, _inferred in self._pieces(st, a, b, now):
            is_down = category in ("no_data", "down")
            if is_down and current is not None and current[2] is seg and joined(gaps, current[1], s):
                current = (current[0], e, seg)
                continue
            flush()
            current = (s, e, seg) if is_down else None
        flush()
        return events
