"""What the simulated equipment is given: how it behaves, the events a script plays, what it made.

The parameters and records of connectors/sim/line.py's model, apart from the model itself, so a
caller that only configures or checks the simulation (the runner, the benchmarks, the tests)
reads them without the machine logic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

# PackML state numbers (ISA-TR88.00.02).
EXECUTE = 6
SUSPENDED = 5
HELD = 11
STOPPED = 2

EquipmentAction = Literal["fault", "stop", "changeover", "andon"]


@dataclass(frozen=True)
class Behaviour:
    """How the simulated equipment behaves at speed 1. Ranges are (low, high), drawn uniformly;
    `*_every_s` ranges give a mean time between events, drawn once per machine."""

    speed_loss: tuple[float, float] = (1.02, 1.06)
    cycle_jitter: tuple[float, float] = (0.99, 1.02)
    small_stop_every_s: tuple[float, float] = (300.0, 600.0)
    small_stop_s: tuple[float, float] = (20.0, 100.0)
    fault_every_s: tuple[float, float] = (1800.0, 3600.0)
    fault_s: tuple[float, float] = (120.0, 600.0)
    changeover_every_s: tuple[float, float] = (2 * 3600.0, 4 * 3600.0)
    changeover_s: tuple[float, float] = (600.0, 1200.0)
    changeover_jitter_s: tuple[float, float] = (0.0, 20.0)
    andon_every_s: tuple[float, float] = (1200.0, 2400.0)
    andon_s: tuple[float, float] = (30.0, 180.0)
    reject_rate: tuple[float, float] = (0.005, 0.02)
    startup_reject_rate: tuple[float, float] = (0.03, 0.08)
    # The share of faults the PLC gives no code for (fault_code stays 0): the station records them
    # without a reason, for someone to give one. Drawn from a stream of its own, so 0 changes nothing.
    uncoded_faults: float = 0.0

    def faster(self, speed: float) -> Behaviour:
        """The same line `speed` times faster: every duration divided by `speed`."""
        if speed == 1.0:
            return self
        timed: dict[str, Any] = {
            f.name: (getattr(self, f.name)[0] / speed, getattr(self, f.name)[1] / speed)
            for f in fields(self)
            if f.name.endswith("_s")
        }
        return replace(self, **timed)


@dataclass(frozen=True)
class EquipmentEvent:
    """A scripted event for one equipment, `at` in the model's time (epoch seconds)."""

    at: float
    action: EquipmentAction
    equipment: str
    duration_s: float
    code: int = 0


@dataclass(frozen=True)
class Truth:
    """Parts an equipment really made since the model started (not wrapped)."""

    total: int
    reject: int

    @property
    def good(self) -> int:
        return self.total - self.reject


def uniform(rng: random.Random, span: tuple[float, float]) -> float:
    return rng.uniform(span[0], span[1])
