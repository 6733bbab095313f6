"""The engine: tag samples and operator commands in, time categories, counts and OEE out.

Pure and synchronous. It never reads the wall clock: time comes from the samples and from
`tick(now)`. Its state is a function of the journal it was fed, which is what makes replay,
crash recovery and the reports agree to the second.

Per equipment it keeps a list of segments, one per contiguous raw condition (running, stopped,
no data, changeover, declared planned stop), and per-minute count buckets. Figures over any
window are computed from those by cutting them with the shift calendar.

`Engine` is its parts joined: the state (`core.engine_state`), the clock and segments
(`core.engine_segments`), counting (`core.engine_counts`), figures (`core.engine_figures`) and
commands (`core.engine_commands`), and the steps of the station's clock (`core.engine_clock`).
What is here is the way in (samples, ticks) and what the faces read of an equipment now.
"""

from __future__ import annotations

from array import array
from typing import Any

from core.calendar import ShiftOccurrence
from core.engine_clock import EngineClockSteps
from core.engine_commands import NOTE_MAX, CommandError, EngineCommands, Refused
from core.engine_counts import EngineCounting
from core.engine_figures import DowntimeEvent
from core.engine_prune import EnginePrune
from core.engine_slices import EngineSlices
from core.engine_state import COMMS, COND_NAMES, SIGNAL_SLOT, STOP, EquipmentState, Job, PrunedWindow, Segment
from core.events import OeeUpdate
from core.samples import PACKML_EXECUTE, SIGNALS, Sample

__all__ = [
    "COND_NAMES",
    "NOTE_MAX",
    "CommandError",
    "DowntimeEvent",
    "Engine",
    "Job",
    "PrunedWindow",
    "Refused",
    "Segment",
]


class Engine(EngineCommands, EngineClockSteps, EngineSlices, EngineCounting, EnginePrune):
    """`Engine(config, marks=..., bus=...)`: see `core.engine_state.EngineState` for the arguments."""

    # ---------------------------------------------------------------- inputs

    def ingest(self, samples: list[Sample] | tuple[Sample, ...]) -> None:
        for s in samples:
            self.ingest_one(s)

    def ingest_one(self, s: Sample) -> Sample:
        """Apply one sample; returns it as the engine used it (stamped no earlier than the engine's
        newest time), which is what a journal must record for a rebuild to equal the live run."""
        st = self._eq.get(s.equipment)
        if st is None or s.signal not in SIGNALS:
            self.ignored_samples += 1
            return s
        ts = self._clock(s.ts)
        if ts != s.ts:
            s = s._replace(ts=ts)
        signal = s.signal
        value = s.value
        # Sample.valid, inlined: this runs for every sample of a month-long replay.
        if value is not None and (value != value or s.quality == 0):
            value = None
        if (value is not None) != (signal in st.good_now):
            self._turned(st, ts, signal, value is not None)
        if signal in SIGNAL_SLOT:
            if value is not None:
                self._count(st, ts, signal, value)
            else:
                st.counter_bad.add(signal)
            return s
        if signal == "running" or signal == "state":
            was_running = st.running
            if value is None:
                st.running = None
                if signal == "state":
                    st.packml_state = None
            elif signal == "running":
                st.running = value != 0
            else:
                st.packml_state = int(value)
                st.running = st.packml_state == PACKML_EXECUTE
            if st.running is False and was_running is not False:
                st.stopped_at = ts
        elif signal == "fault_code":
            if value is not None and int(value) != st.fault_code:
                st.fault_code = int(value)
                seg = st.segments[-1]
                if seg.cond == STOP and seg.fault_code == 0:
                    seg.fault_code = st.fault_code
                self.andon.fault(ts, st.cfg.id, st.fault_code)
        elif signal == "changeover":
            # No valid data says nothing of a changeover: it is not assumed to go on.
            st.changeover_signal = value is not None and value != 0
        elif signal == "andon" and value is not None and (value != 0) != st.andon:
            st.andon = value != 0
            self.andon.andon_bit(ts, st.cfg.id, st.andon, st.cfg.andon_kind)
        self._update_cond(st, ts)
        return s

    def _turned(self, st: EquipmentState, ts: float, signal: str, good: bool) -> None:
        """A signal turned good or BAD at `ts`: kept for the signals a window lacked."""
        if good:
            st.good_now.add(signal)
        else:
            st.good_now.discard(signal)
        validity = st.validity.get(signal)
        if validity is None:
            validity = st.validity[signal] = array("d")
        validity.append(ts)  # turned good (an odd length) or BAD (an even one)

    def tick(self, now: float) -> None:
        """Advance the clock: stops that crossed their threshold become downtime, figures refresh."""
        ts = self._clock(now)
        for st in self._eq.values():
            self._check_threshold(st, ts)
        if self.bus.wants(OeeUpdate):
            for eq_id, st in self._eq.items():
                occ = st.calendar.shift_at(ts)
                start = occ.start if occ else ts - 3600
                metrics = self.metrics(eq_id, start, ts)
                self.bus.publish(OeeUpdate(ts, eq_id, occ.name if occ else None, metrics.to_dict()))

    # ---------------------------------------------------------------- views for the faces

    def state_of(self, equipment: str) -> tuple[str, float, int]:
        """(condition name, since, fault code) of an equipment now."""
        st = self._eq[equipment]
        if not st.segments:
            return COND_NAMES[COMMS], self.now or 0.0, 0
        seg = st.segments[-1]
        return COND_NAMES[seg.cond], seg.start, st.fault_code

    def status(self, equipment: str) -> dict[str, Any]:
        """What a face shows of an equipment now."""
        st = self._eq[equipment]
        cond, since, fault = self.state_of(equipment)
        job = self.jobs.get(st.line.id)
        return {
            "equipment": equipment,
            "state": cond,
            "since": since,
            "fault_code": fault,
            "packml_state": st.packml_state,
            "changeover_open": st.changeover_signal or st.changeover_command,
            "planned_stop": st.declared_stop,
            "andon_bit": st.andon,
            "product": job.product if job else None,
            "ideal_cycle_time_s": st.ideal,
        }

    def shifts(self, line: str, a: float, b: float) -> list[ShiftOccurrence]:
        return self.calendars[line].occurrences(a, b)
