"""Bounded memory: the engine forgets segments, count buckets and data-quality instants older
than what the live faces, the open calls and stops, and the figure slices still owed need.

`prune(before)` drops, per equipment, every segment that ended at or before `before` (an open
segment stays however old), the count buckets and parts-while-down ending at or before it, the
counter resets and jitter events up to it, and the validity turns up to it (in pairs, so a
signal's state stays what it was), and the closed Andon calls resolved before it (core.andon;
the store's `andon_calls` keeps them). Afterwards a figure over a window starting before `before`
raises `PrunedWindow`: such windows are read from the store's figure slices (core.store_figures).
"""

from __future__ import annotations

import bisect
from array import array

from core.engine_state import BUCKET_WIDTH, TRIO, EngineState, EquipmentState, PrunedWindow

__all__ = ["EnginePrune", "PrunedWindow"]


def _drop_upto(times: array[float], before: float, width: int = 1) -> int:
    """Drop the leading instants (with `width` figures each in a parallel array) up to `before`."""
    n = bisect.bisect_right(times, before)
    del times[:n]
    return n * width


class EnginePrune(EngineState):
    def prune(self, before: float) -> None:
        """Forget what lies wholly before `before` (never later than the engine's clock)."""
        if self.now is None or before <= self.pruned_before:
            return
        before = min(before, self.now)
        for st in self._eq.values():
            self._prune_equipment(st, before)
        self.andon.prune(before)
        self.pruned_before = before

    @staticmethod
    def _prune_equipment(st: EquipmentState, before: float) -> None:
        segs = st.segments
        k = 0
        while k < len(segs) - 1:
            end = segs[k].end
            if end is None or end > before:
                break
            k += 1
        if k:
            del segs[:k]
            del st.seg_starts[:k]
        dropped = _drop_upto(st.bucket_keys, before, BUCKET_WIDTH)
        if dropped:
            del st.counts[:dropped]
            if st.bucket < dropped:  # the current bucket went too: the next count opens one
                st.bucket, st.bucket_end = -1, float("-inf")
            else:
                st.bucket -= dropped
        dropped = _drop_upto(st.down_keys, before, TRIO)
        if dropped:
            del st.down_counts[:dropped]
        _drop_upto(st.resets, before)
        _drop_upto(st.jitters, before)
        for turns in st.validity.values():
            n = bisect.bisect_right(turns, before)
            del turns[: n - n % 2]  # pairs of good-then-BAD: the signal's state now is kept

    def kept_sizes(self) -> dict[str, int]:
        """How much the engine holds: segments, count buckets, and instants of every kind."""
        sts = self._eq.values()
        return {
            "segments": sum(len(st.segments) for st in sts),
            "buckets": sum(len(st.bucket_keys) for st in sts),
            "down_buckets": sum(len(st.down_keys) for st in sts),
            "instants": sum(len(st.resets) + len(st.jitters) for st in sts)
            + sum(len(t) for st in sts for t in st.validity.values()),
            "calls": len(self.andon.calls),
        }
