"""What the engine keeps: per equipment its state segments and count buckets, and the clock.

Per equipment there is a list of segments, one per contiguous raw condition (running, stopped,
no data, changeover, declared planned stop), and per-minute count buckets. The engine's other
parts (`core.engine_*`) are methods over this state, split by what they do with it;
`core.engine.Engine` joins them.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field

from core.andon import AndonBoard
from core.calendar import ShiftCalendar
from core.config import COMMS_LOSS_REASON, UNASSIGNED_REASON, Config, Equipment, Line
from core.events import EventBus

# Raw conditions of an equipment, the `cond` of a segment.
RUN, STOP, COMMS, CHG, PLANNED = range(5)
COND_NAMES = ("running", "stopped", "no_data", "changeover", "planned_stop")

# A count bucket is three trios of figures: the counts, the counts weighted by the ideal cycle
# time, and the weighted counts inside a start-up window. Inside a trio, a slot per counter.
TOTAL, GOOD, REJECT = 0, 1, 2
SIGNAL_SLOT = {"total_count": TOTAL, "good_count": GOOD, "reject_count": REJECT}
TRIO = 3
# Offsets of the trios in a bucket. COUNTED is 0, so a bucket's offset is that of its counts: the
# hot path adds the slot to it once and IDEAL or STARTUP to that.
COUNTED, IDEAL, STARTUP = 0, TRIO, 2 * TRIO
BUCKET_WIDTH = 3 * TRIO
BUCKET_S = 60.0
EMPTY_BUCKET = array("d", bytes(8 * BUCKET_WIDTH))


@dataclass(slots=True)
class Segment:
    """A contiguous stretch of one raw condition of one equipment; open while `end` is None."""

    start: float
    cond: int
    end: float | None = None
    fault_code: int = 0
    reason: str | None = None
    down_at: float = float("inf")
    announced: bool = False  # DowntimeStarted sent
    note: str | None = None  # what people wrote about this stop (note_stop)
    # A stop interrupted by a communication loss and still stopped after it is one stop: its
    # parts share the threshold, so a jam is not reported as two small stops.
    continued_by: Segment | None = None
    # A communication loss that began while running: the ideal time of the parts its counters
    # advanced by meanwhile (a trio, as in a count bucket), some of which is run time.
    gap_ideal: list[float] | None = None

    def is_down_stop(self, now: float) -> bool:
        end = self.end if self.end is not None else now
        if end >= self.down_at:
            return True
        return self.continued_by is not None and self.continued_by.is_down_stop(now)


@dataclass(slots=True)
class QualityWindow:
    """The last parts counted for a quality alert (`core.engine_counts`)."""

    window: deque[tuple[int, int]] = field(default_factory=deque)
    parts: int = 0
    rejects: int = 0
    since_alert: int = 1 << 62  # the first window may alert at once


@dataclass(slots=True)
class EquipmentState:
    """Everything the engine knows of one equipment."""

    cfg: Equipment
    line: Line
    calendar: ShiftCalendar
    threshold: float
    counter_range: int
    counter_jitter: int
    startup_window: float
    ideal: float
    # The signals bound in the config: those missing from a window are reported.
    bound: frozenset[str]
    running: bool | None = None
    packml_state: int | None = None
    changeover_signal: bool = False
    changeover_command: bool = False
    declared_stop: str | None = None  # reason of an operator-declared planned stop
    fault_code: int = 0
    andon: bool = False
    # Per counter the reference value: its highest since the last rollover or reset, so a value
    # a few counts below it is jitter (`core.engine_counts`).
    counters: dict[str, int] = field(default_factory=dict)
    count_signals: set[str] = field(default_factory=set)
    jittering: set[str] = field(default_factory=set)  # counters read below their reference now
    counted_at: dict[str, float] = field(default_factory=dict)  # each counter's last good value
    counter_bad: set[str] = field(default_factory=set)  # counters whose last sample was BAD
    # The last communication loss that began while running, and the counters whose first good
    # value after it still carries parts made during it.
    gap: Segment | None = None
    gap_waiting: set[str] = field(default_factory=set)
    stopped_at: float = float("inf")  # when the state last said "not running"
    # Per signal, when it had a good value: the instants it turned good and BAD, alternating.
    validity: dict[str, array[float]] = field(default_factory=dict)
    good_now: set[str] = field(default_factory=set)  # the signals whose last value was good
    # Data quality, by engine time: counter resets (and re-baselines), jitter events, and the
    # parts counted while stopped as (bucket end, trio) like the count buckets, sparse.
    resets: array[float] = field(default_factory=lambda: array("d"))
    jitters: array[float] = field(default_factory=lambda: array("d"))
    down_keys: array[float] = field(default_factory=lambda: array("d"))
    down_counts: array[float] = field(default_factory=lambda: array("d"))
    segments: list[Segment] = field(default_factory=list)
    seg_starts: list[float] = field(default_factory=list)
    # Count buckets as two flat arrays (bucket ends, and BUCKET_WIDTH figures per bucket): a
    # station keeps every minute of every machine in memory, and Python floats in lists cost
    # five times as much (the soak's memory growth per hour).
    counts: array[float] = field(default_factory=lambda: array("d"))
    bucket_keys: array[float] = field(default_factory=lambda: array("d"))
    startup_until: float = float("-inf")
    quality: QualityWindow = field(default_factory=lambda: QualityWindow())
    bucket_end: float = float("-inf")  # the current count bucket's end: later counts up to it go there
    bucket: int = -1  # offset of the current count bucket in `counts`
    watch_quality: bool = False

    def cond(self) -> int:
        stopped_or_unknown = not self.running
        if self.declared_stop is not None and stopped_or_unknown:
            return PLANNED
        if self.changeover_signal or self.changeover_command:
            return CHG
        if self.running is None:
            return COMMS
        return RUN if self.running else STOP


def stop_reason(st: EquipmentState, seg: Segment) -> str:
    """The reason of a stop: one given by a person, else its fault code's, else unassigned."""
    if seg.cond == COMMS:
        return COMMS_LOSS_REASON
    if seg.reason is not None:
        return seg.reason
    return st.cfg.faults.get(seg.fault_code, UNASSIGNED_REASON)


@dataclass(frozen=True)
class Job:
    """A product being made on a line: its ideal cycle time replaces the equipment's."""

    line: str
    product: str
    quantity: int | None
    started: float
    job: str | None = None  # the planned job it runs (core.store_jobs), when started from the plan


class PrunedWindow(ValueError):
    """A figure asked of time the engine no longer keeps (`core.engine_prune`)."""


class EngineState:
    """The engine's state, built from the config; the methods over it are in the other parts."""

    def __init__(self, config: Config, *, marks: tuple[float, ...] = (), bus: EventBus | None = None) -> None:
        """`marks` are instants (besides whole minutes) where count buckets must split, so that
        figures over windows starting or ending there are exact."""
        self.config = config
        self.bus = bus or EventBus()
        self.now: float | None = None
        self.started: float | None = None  # the engine's first time: figure slices begin there
        # What `core.engine_prune` forgot lies before this: older windows raise PrunedWindow.
        self.pruned_before = float("-inf")
        self._marks = sorted(marks)
        self.calendars = {line.id: ShiftCalendar(line) for line in config.lines}
        self.jobs: dict[str, Job] = {}
        self.andon = AndonBoard(config, self.bus)
        self._eq: dict[str, EquipmentState] = {}
        for line in config.lines:
            for eq in line.equipment:
                self._eq[eq.id] = EquipmentState(
                    cfg=eq,
                    line=line,
                    calendar=self.calendars[line.id],
                    threshold=line.threshold_for(eq),
                    counter_range=eq.counter_max + 1,
                    counter_jitter=eq.counter_jitter,
                    bound=frozenset(str(b.signal) for b in eq.signals),
                    startup_window=line.startup_window_for(eq),
                    ideal=eq.ideal_cycle_time_s,
                    watch_quality=line.quality_alert_for(eq) is not None,
                )
        self.ignored_samples = 0
        # Steps of the station's clock, (at, size), and the gaps the steps forward left, sorted
        # (core.clock_steps): no figure counts time inside a gap.
        self.clock_steps: list[tuple[float, float]] = []
        self.clock_gaps: list[tuple[float, float]] = []

    @property
    def equipment_ids(self) -> list[str]:
        return list(self._eq)

    def effective_time(self, ts: float) -> float:
        """The time the engine will use for an input stamped `ts`: never before its newest time."""
        return ts if self.now is None or ts > self.now else self.now

    def check_kept(self, a: float) -> None:
        """`PrunedWindow` if a window starting at `a` reaches before what the engine keeps."""
        if a < self.pruned_before:
            raise PrunedWindow(
                f"the engine keeps figures from {self.pruned_before} on, not from {a}: "
                "older windows come from the store's figure slices"
            )
