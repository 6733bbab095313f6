"""The plain types every layer shares: a tag sample and its quality."""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class Quality(IntEnum):
    BAD = 0
    UNCERTAIN = 1
    GOOD = 2


# The signals an equipment can give the engine (docs/OEE.md, "Inputs").
SIGNALS = frozenset(
    {
        "running",
        "state",
        "total_count",
        "good_count",
        "reject_count",
        "fault_code",
        "changeover",
        "andon",
    }
)
STATE_SIGNALS = frozenset({"running", "state"})
COUNT_SIGNALS = ("total_count", "good_count", "reject_count")
PACKML_EXECUTE = 6


class Sample(NamedTuple):
    """One value of one signal. A NamedTuple: the engine ingests hundreds of thousands a second.

    `value` is None exactly when there is no valid data (quality BAD). `received` is when the
    station got it; `ts` is the source time the engine reasons with.
    """

    ts: float
    equipment: str
    signal: str
    value: float | None
    quality: Quality = Quality.GOOD
    received: float | None = None

    @property
    def valid(self) -> bool:
        # NaN is what a float register holds when the PLC has no value: not data.
        v = self.value
        return v is not None and v == v and self.quality != Quality.BAD
