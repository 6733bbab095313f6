"""The engine's counting: cumulative counters turned into parts, kept in per-minute buckets (split
at marks), each part weighted by the ideal cycle time in force when it was counted, and the
rolling reject rate of a quality alert (docs/OEE.md, "Counts")."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from core.engine_state import (
    BUCKET_S,
    COUNTED,
    EMPTY_BUCKET,
    GOOD,
    IDEAL,
    SIGNAL_SLOT,
    STARTUP,
    TOTAL,
    TRIO,
    EngineState,
    EquipmentState,
)
from core.events import DowntimeRevised, ProductionUpdate, QualityAlert


def derive(st: EquipmentState, trio: Sequence[float]) -> tuple[float, float, float]:
    """Any two of total/good/reject give the third; one alone means the others are implied."""
    total, good, reject = trio
    has = st.count_signals
    if "total_count" in has and "good_count" in has:
        return total, good, total - good
    if "total_count" in has and "reject_count" in has:
        return total, total - reject, reject
    if "good_count" in has and "reject_count" in has:
        return good + reject, good, reject
    if "total_count" in has:
        return total, total, 0.0
    if "good_count" in has:
        return good, good, 0.0
    return reject, 0.0, reject


_NEVER = float("-inf")
_PAIRS = (("total_count", "good_count"), ("total_count", "reject_count"), ("good_count", "reject_count"))


def derived_from(st: EquipmentState) -> frozenset[str]:
    """The counters `derive` reads: two of them give good and reject, one alone implies them."""
    has = st.count_signals
    for pair in _PAIRS:
        if pair[0] in has and pair[1] in has:
            return frozenset(pair)
    return frozenset(has)


class EngineCounting(EngineState):
    """Counter samples into count buckets: `_count` runs for every count of a replay."""

    def _bucket_key(self, ts: float) -> float:
        """Counts are cumulative: a count reported at t is of parts made before t. So a bucket is
        named by its end and holds (previous boundary, end]; boundaries are whole minutes and marks."""
        key = ts - ts % BUCKET_S
        if key < ts:
            key += BUCKET_S
        marks = self._marks
        if marks:
            i = bisect.bisect_left(marks, ts)
            if i < len(marks) and marks[i] < key:
                key = marks[i]
        return key

    def _count(self, st: EquipmentState, ts: float, signal: str, value: float) -> None:
        raw = int(value)
        if raw < 0 or raw >= st.counter_range:
            self.ignored_samples += 1
            return
        if signal not in st.count_signals:
            st.count_signals.add(signal)
        for_gap = False
        if st.counter_bad and signal in st.counter_bad:
            # The first good value after BAD carries the parts made meanwhile: those of a
            # communication loss that ended while this counter was still BAD belong to it.
            st.counter_bad.discard(signal)
            for_gap = signal in st.gap_waiting
            st.gap_waiting.discard(signal)
        read_before = st.counted_at.get(signal, _NEVER)
        st.counted_at[signal] = ts
        old = st.counters.get(signal)
        if old is None:
            st.counters[signal] = raw
            return
        span = st.counter_range
        if raw > old:
            delta = raw - old
            if delta > span / 2:
                if span - delta <= st.counter_jitter:
                    # Just below the reference across a rollover (65534 after 2): a wobble.
                    self._jitter(st, ts, signal)
                    return
                # A rise of more than half the range in one step is not believable (it would be a
                # rollover backwards): a PLC that served 0 before its real value, say. Re-baseline.
                self.ignored_samples += 1
                st.resets.append(ts)
                st.counters[signal] = raw
                return
        elif raw < old:
            drop = old - raw
            if drop <= st.counter_jitter:
                # At most counter_jitter below the reference: a wobble, not a reset. Nothing counts
                # until the counter passes its reference again.
                self._jitter(st, ts, signal)
                return
            if drop > span / 2:
                delta = raw + span - old  # rollover
            else:
                delta = raw  # reset
                st.resets.append(ts)
        else:
            if st.jittering:
                st.jittering.discard(signal)
            return
        if st.jittering:
            st.jittering.discard(signal)
        st.counters[signal] = raw
        if delta == 0:
            return
        counts = st.counts
        if ts <= st.bucket_end:
            # Time only moves forward, so no boundary lies between the last count and this one.
            base = st.bucket
        else:
            # ...and for the same reason a later count never belongs to an earlier bucket.
            key = self._bucket_key(ts)
            st.bucket_keys.append(key)
            base = st.bucket = len(counts)
            counts.extend(EMPTY_BUCKET)
            st.bucket_end = key
        slot = SIGNAL_SLOT[signal]
        i = base + slot  # in the COUNTED trio, which opens the bucket
        weighted = delta * st.ideal
        counts[i] += delta
        counts[i + IDEAL] += weighted
        if ts < st.startup_until:
            counts[i + STARTUP] += weighted
        gap = st.gap
        if gap is not None and (for_gap or gap.end is None):
            # Counted while the link was lost, or carried by the first value after it.
            gap_ideal = gap.gap_ideal
            if gap_ideal is not None:
                gap_ideal[slot] += weighted
                if gap.end is not None and DowntimeRevised in self.bus.wanted:
                    self.bus.publish(DowntimeRevised(ts, st.cfg.id, gap.start, gap.end))
        elif st.running is False and read_before >= st.stopped_at:
            # Parts reported at t were made since the counter's value before: the first count
            # after a stop may be of parts made before it, the ones after that are not.
            self._count_while_down(st, slot, delta)
        if st.watch_quality:
            self._watch_quality(st, ts, slot, delta)
        if ProductionUpdate in self.bus.wanted:
            totals = derive(st, counts[base + COUNTED : base + COUNTED + TRIO])
            self.bus.publish(ProductionUpdate(ts, st.cfg.id, int(totals[0]), int(totals[1]), int(totals[2])))

    def _jitter(self, st: EquipmentState, ts: float, signal: str) -> None:
        if signal not in st.jittering:
            st.jittering.add(signal)
            st.jitters.append(ts)

    def _count_while_down(self, st: EquipmentState, slot: int, delta: int) -> None:
        keys, down = st.down_keys, st.down_counts
        if not keys or keys[-1] != st.bucket_end:
            keys.append(st.bucket_end)
            down.extend(EMPTY_BUCKET[:TRIO])
        down[len(down) - TRIO + slot] += delta

    def _watch_quality(self, st: EquipmentState, ts: float, slot: int, delta: int) -> None:
        policy = st.line.quality_alert_for(st.cfg)
        if policy is None:
            return
        has = st.count_signals
        # The window moves by parts: the total, or good + reject where no total is reported.
        counted = 0 if "total_count" in has else delta
        if slot == TOTAL:
            parts, rejects = delta, 0
        elif slot == GOOD:
            parts, rejects = counted, 0
        else:
            parts, rejects = counted, delta
        q = st.quality
        q.window.append((parts, rejects))
        q.parts += parts
        q.rejects += rejects
        q.since_alert += parts
        while q.window and q.parts - q.window[0][0] >= policy.window_parts:
            old_parts, old_rejects = q.window.popleft()
            q.parts -= old_parts
            q.rejects -= old_rejects
        if q.parts < policy.window_parts:
            return
        rate = q.rejects / q.parts
        # At most one alert per window of parts: a line hovering at the limit is not a siren.
        if rate > policy.max_reject_rate and q.since_alert >= policy.window_parts:
            q.since_alert = 0
            self.bus.publish(QualityAlert(ts, st.cfg.id, rate, q.parts, policy.max_reject_rate))
