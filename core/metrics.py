"""OEE figures over a window (docs/OEE.md, "Sums and ratios").

A `Metrics` holds only sums — seconds and counts — so roll-ups add them up; every ratio is
derived from the sums on demand and is None when its denominator is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Floating-point sums of interval lengths carry noise like 1e-12; it must not turn a clean figure
# into 0.7500000000001 in a report that people compare by hand.
_DIGITS = 6


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

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

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
        return _ratio(self.good_count, self.total_count)

    @property
    def oee(self) -> float | None:
        """availability × performance × quality, which reduces to Σ(ideal × good) / planned time.

        Only a zero planned production time makes it null: planned time in which nothing ran or
        nothing was counted is an OEE of 0, which is what a supervisor reads on the board.
        """
        ppt = self.planned_production_time_s
        if ppt <= 0:
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
        return out

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
        def r(x: float | None) -> float | None:
            if x is None:
                return None
            v = round(x, _DIGITS)
            return 0.0 if v == 0 else v

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
        }
