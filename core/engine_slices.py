"""What a figure slice (`core.figure_slices`) needs of the engine: whether the figures of a past
window can still change, and the parts of a window's figures that do not simply add up across
windows (a small stop over a slice edge is one stop; a signal good in either half was good).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from core.engine_counts import derived_from
from core.engine_figures import DowntimeEvent, EngineFigures, had_good_value
from core.engine_state import COMMS, STOP, EquipmentState, Segment


@dataclass(frozen=True, slots=True)
class SliceParts:
    """Of a window: the starts of the segments it has small stops of, the signals with a good
    value in it (and at its first instant), the counters counts are derived from, and its
    downtime events each with the start of its segment (None before the first one), so events
    over a slice edge join up."""

    small_stops: tuple[float, ...]
    present: tuple[str, ...]
    good_at_start: tuple[str, ...]  # so the window that ends where this one starts has them too
    derived_from: tuple[str, ...]
    downtime: tuple[tuple[DowntimeEvent, float | None], ...]


class EngineSlices(EngineFigures):
    """Reads only, like the figures."""

    def settled(self, equipment: str, a: float, b: float) -> bool:
        """Whether the figures of [a, b) are final: the clock is past b and no segment in it can
        still change category (a stop that may yet become downtime, a communication loss whose
        inferred run time may still grow)."""
        now = self.now
        if now is None or now <= b:
            return False
        st = self._eq[equipment]
        segs = st.segments
        j = max(bisect.bisect_right(st.seg_starts, a) - 1, 0)
        while j < len(segs) and segs[j].start < b:
            if not self._segment_settled(st, segs[j], now):
                return False
            j += 1
        return True

    def _segment_settled(self, st: EquipmentState, seg: Segment, now: float) -> bool:
        if seg.gap_ideal is not None:
            # Counters still BAD after the loss bring its parts with their first good value.
            return seg.end is not None and seg.end < now and not (st.gap is seg and st.gap_waiting)
        if seg.cond != STOP:
            return True
        while True:
            if seg.is_down_stop(now):
                return True  # downtime stays downtime
            # A segment that ended at `now` comes back if the one after it has no length.
            if seg.end is None or seg.end >= now:
                return False
            nxt = seg.continued_by
            if nxt is None:
                # A stop, a communication loss still under way: a stop after it continues this one.
                segs = st.segments
                return not (len(segs) >= 2 and segs[-2] is seg and segs[-1].cond == COMMS)
            seg = nxt

    def slice_parts(self, equipment: str, a: float, b: float) -> SliceParts:
        st = self._eq[equipment]
        now = self.now if self.now is not None else b
        b = min(b, max(now, a))
        small = sorted(
            {
                seg.start
                for _s, _e, _k, seg, cat, _i in self._pieces(st, a, b, now)
                if cat == "small_stop" and seg
            }
        )
        present = sorted(signal for signal, turns in st.validity.items() if had_good_value(turns, a, b))
        at_start = sorted(signal for signal, turns in st.validity.items() if had_good_value(turns, a, a))
        downtime = tuple(
            (ev, None if seg is None else seg.start) for ev, seg in self._downtime(equipment, a, b)
        )
        return SliceParts(
            tuple(small), tuple(present), tuple(at_start), tuple(sorted(derived_from(st))), downtime
        )

    def stop_span(self, equipment: str, at: float) -> tuple[float, float] | None:
        """[start, end) of the stop covering `at` and of the stop just before it when that one
        ends at its start (a split): the time whose downtime events a reason or a split changed."""
        st = self._eq[equipment]
        i = bisect.bisect_right(st.seg_starts, at) - 1
        if i < 0:
            return None
        seg = st.segments[i]
        start = seg.start
        before = st.segments[i - 1] if i > 0 else None
        if before is not None and before.cond == STOP and before.end == seg.start:
            start = before.start
        now = self.now if self.now is not None else at
        return start, seg.end if seg.end is not None else now

    def line_of(self, equipment: str) -> str:
        return self._eq[equipment].line.id
