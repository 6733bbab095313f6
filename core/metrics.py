"""OEE figures over a window (docs/OEE.md, "Sums and ratios").

A `Metrics` holds only sums — seconds and counts — so roll-ups add them up (the signals a window
lacked are joined, an unknown quality stays unknown); every ratio is derived from the sums on
demand and is None when its denominator is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Floating-point sums of interval lengths carry noise like 1e-12; it must not turn a clean figure
# into 0.7500000000001 in a report that people compare by hand.
_DIGITS = 6


def _round(x: float | None) -> float | None:
    if x is None:
        return None
    v = round(x, _DIGITS)
    return 0.0 if v == 0 else v


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


@dataclass
class Metrics:
    all_time_s: float = 0.0
    unscheduled_time_s: float = 0.0
    planned_stop_time_s: float = 0.0
    changeover_time_s: float = 0.0
    down_time_s: float = 0.0
    comms_loss_time_s: float = 0.0
    small_stop_time_s: float = 0.0
    running_time_s: float = 0.0
    small_stop_count: int = 0
    total_count: int = 0
    good_count: int = 0
    reject_count: int = 0
    ideal_total_s: float = 0.0
    ideal_good_s: float = 0.0
    startup_reject_ideal_s: float = 0.0
    # Data quality (docs/OEE.md, "Data quality"): the part of running_time_s inferred across a
    # communication loss, what the counters did, and what the window lacked.
    inferred_run_time_s: float = 0.0
    counter_resets: int = 0
    counter_jitter_events: int = 0
    counts_while_down: int = 0
    clock_steps: int = 0
    signals_missing: tuple[str, ...] = ()
    # A bound good or reject counter without a good value, and no two others to derive it from.
    quality_unknown: bool = False

    def __add__(self, other: Metrics) -> Metrics:
        merged: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "signals_missing":
                merged[f.name] = tuple(sorted(set(mine) | set(theirs)))
            elif f.name == "quality_unknown":
                merged[f.name] = mine or theirs
            else:
                merged[f.name] = mine + theirs
        return Metrics(**merged)

    @property
    def scheduled_time_s(self) -> float:
        return self.all_time_s - self.unscheduled_time_s

    @property
    def planned_production_time_s(self) -> float:
        return self.scheduled_time_s - self.planned_stop_time_s

    @property
    def run_time_s(self) -> float:
        return self.planned_production_time_s - self.changeover_time_s - self.down_time_s

    @property
    def availability(self) -> float | None:
        return _ratio(self.run_time_s, self.planned_production_time_s)

    @property
    def performance(self) -> float | None:
        return _ratio(self.ideal_total_s, self.run_time_s)

    @property
    def quality(self) -> float | None:
        if self.quality_unknown:
            return None
        return _ratio(self.good_count, self.total_count)

    @property
    def oee(self) -> float | None:
        """availability × performance × quality, which reduces to Σ(ideal × good) / planned time.

        Only a zero planned production time or an unknown quality makes it null: planned time in
        which nothing ran or nothing was counted is an OEE of 0, which is what a supervisor reads
        on the board.
        """
        ppt = self.planned_production_time_s
        if ppt <= 0 or self.quality_unknown:
            return None
        if self.total_count <= 0:
            return 0.0
        return self.ideal_total_s / ppt * self.good_count / self.total_count

    @property
    def teep(self) -> float | None:
        oee = self.oee
        if oee is None or self.all_time_s <= 0:
            return None
        return oee * self.planned_production_time_s / self.all_time_s

    @property
    def flags(self) -> list[str]:
        out = []
        if self.performance is not None and self.performance > 1:
            out.append("performance_over_1")
        if self.counts_while_down > 0:
            out.append("counts_while_down")
        if self.signals_missing:
            out.append("signal_missing")
        return out

    def data_quality(self) -> dict[str, Any]:
        return {
            "comms_loss_s": _round(self.comms_loss_time_s),
            "inferred_run_time_s": _round(self.inferred_run_time_s),
            "counter_resets": self.counter_resets,
            "counter_jitter_events": self.counter_jitter_events,
            "counts_while_down": self.counts_while_down,
            "signals_missing": list(self.signals_missing),
            "clock_steps": self.clock_steps,
            "quality_unknown": self.quality_unknown,
        }

    def losses(self) -> dict[str, float]:
        reject_ideal = self.ideal_total_s - self.ideal_good_s
        return {
            "unplanned_stops_s": self.down_time_s,
            "planned_stops_s": self.changeover_time_s,
            "small_stops_s": self.small_stop_time_s,
            "slow_cycles_s": self.run_time_s - self.small_stop_time_s - self.ideal_total_s,
            "startup_rejects_s": self.startup_reject_ideal_s,
            "production_rejects_s": reject_ideal - self.startup_reject_ideal_s,
        }

    def to_dict(self) -> dict[str, Any]:
        r = _round
        return {
            "all_time_s": r(self.all_time_s),
            "scheduled_time_s": r(self.scheduled_time_s),
            "planned_stop_time_s": r(self.planned_stop_time_s),
            "planned_production_time_s": r(self.planned_production_time_s),
            "changeover_time_s": r(self.changeover_time_s),
            "down_time_s": r(self.down_time_s),
            "comms_loss_time_s": r(self.comms_loss_time_s),
            "run_time_s": r(self.run_time_s),
            "small_stop_time_s": r(self.small_stop_time_s),
            "small_stop_count": self.small_stop_count,
            "total_count": self.total_count,
            "good_count": self.good_count,
            "reject_count": self.reject_count,
            "availability": r(self.availability),
            "performance": r(self.performance),
            "quality": r(self.quality),
            "oee": r(self.oee),
            "teep": r(self.teep),
            "flags": self.flags,
            "losses": {k: r(v) for k, v in self.losses().items()},
            "data_quality": self.data_quality(),
        }
