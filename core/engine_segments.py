"""The engine's clock and the state segments it cuts: a segment opens when an equipment's raw
condition changes, and a stop becomes downtime once it lasts the small-stop threshold in scheduled
time (docs/OEE.md, "Time categories")."""

from __future__ import annotations

from core.config import COMMS_LOSS_REASON
from core.engine_state import (
    CHG,
    COMMS,
    COND_NAMES,
    RUN,
    STOP,
    EngineState,
    EquipmentState,
    Segment,
    stop_reason,
)
from core.events import ChangeoverEnded, ChangeoverStarted, DowntimeEnded, DowntimeStarted, StateChanged


class EngineSegments(EngineState):
    """The clock every input goes through, and the segments a change of condition cuts."""

    def _start(self, ts: float) -> None:
        self.now = self.started = ts
        for st in self._eq.values():
            self._open_segment(st, ts, COMMS)

    def _clock(self, ts: float) -> float:
        """Time never runs backwards inside the engine: a late sample counts at the engine's now."""
        now = self.now
        if now is None:
            self._start(ts)
            return ts
        if ts > now:
            self.now = ts
            if self.andon.due_by(ts):
                self.andon.advance(ts)
            return ts
        return now

    def _open_segment(self, st: EquipmentState, ts: float, cond: int) -> None:
        seg = Segment(ts, cond)
        if cond == STOP:
            segs = st.segments
            before = segs[-2] if len(segs) >= 2 and segs[-1].cond == COMMS else None
            if before is not None and before.cond == STOP and before.end is not None:
                stopped = st.calendar.scheduled_seconds(before.start, before.end)
                seg.down_at = st.calendar.advance(ts, max(st.threshold - stopped, 0.0))
                seg.fault_code = before.fault_code or st.fault_code
                seg.reason = before.reason
                before.continued_by = seg
            else:
                seg.fault_code = st.fault_code
                seg.down_at = st.calendar.advance(ts, st.threshold)
        st.segments.append(seg)
        st.seg_starts.append(ts)

    def _update_cond(self, st: EquipmentState, ts: float) -> None:
        seg = st.segments[-1]
        cond = st.cond()
        if cond == seg.cond:
            if cond == STOP:
                self._check_threshold(st, ts)
            return
        previous = seg.cond
        self._close_segment(st, seg, ts)
        if seg.start == ts:
            # A zero-length segment carries no time: replace it instead of keeping it.
            st.segments.pop()
            st.seg_starts.pop()
            if st.gap is seg:
                st.gap = None
            if st.segments and st.segments[-1].cond == cond:
                restored = st.segments[-1]
                restored.end = None
                if self.bus.wants(StateChanged):
                    self.bus.publish(
                        StateChanged(
                            ts,
                            st.cfg.id,
                            COND_NAMES[cond],
                            COND_NAMES[previous],
                            st.fault_code,
                            restored.start,
                        )
                    )
                return
        self._open_segment(st, ts, cond)
        segs = st.segments
        new = segs[-1]
        if previous == COMMS and st.gap is seg:
            # The link is back: counters still BAD bring the parts made meanwhile with their
            # first good value (docs/OEE.md, "Parts across a communication loss").
            st.gap_waiting = set(st.counter_bad)
        if cond == COMMS and len(segs) >= 2 and segs[-2].cond == RUN:
            new.gap_ideal = [0.0, 0.0, 0.0]
            st.gap = new
            st.gap_waiting = set()
        eq_id = st.cfg.id
        bus = self.bus
        if previous == CHG and cond != CHG:
            st.startup_until = ts + st.startup_window
        if cond == CHG and bus.wants(ChangeoverStarted):
            bus.publish(ChangeoverStarted(ts, eq_id))
        if cond == COMMS and bus.wants(DowntimeStarted):
            new.announced = True
            bus.publish(DowntimeStarted(ts, eq_id, ts, COMMS_LOSS_REASON, None))
        if cond == STOP:
            self._check_threshold(st, ts)
        if bus.wants(StateChanged):
            bus.publish(StateChanged(ts, eq_id, COND_NAMES[cond], COND_NAMES[previous], st.fault_code, ts))

    def _close_segment(self, st: EquipmentState, seg: Segment, ts: float) -> None:
        seg.end = ts
        bus = self.bus
        if seg.cond == CHG and bus.wants(ChangeoverEnded):
            bus.publish(ChangeoverEnded(ts, st.cfg.id, ts - seg.start))
        down = seg.cond == COMMS or (seg.cond == STOP and seg.is_down_stop(ts))
        if down and ts > seg.start and bus.wants(DowntimeEnded):
            fault = seg.fault_code or None
            bus.publish(DowntimeEnded(ts, st.cfg.id, seg.start, ts, stop_reason(st, seg), fault))

    def _check_threshold(self, st: EquipmentState, ts: float) -> None:
        seg = st.segments[-1]
        if seg.cond == STOP and not seg.announced and ts >= seg.down_at:
            seg.announced = True
            if self.bus.wants(DowntimeStarted):
                fault = seg.fault_code or None
                self.bus.publish(
                    DowntimeStarted(seg.down_at, st.cfg.id, seg.start, stop_reason(st, seg), fault)
                )
