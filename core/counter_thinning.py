"""Counters at most once per second: what keeps a station's journal small at fast poll rates.

A counter polled every 100 ms changes up to ten times a second, and every change would be a
journal row. Counts are cumulative, so the last value of a second carries every part of that
second: `CounterPace` lets through, per counter signal, only the last sample of each whole second
of source time, (k - 1, k]. The station feeds the engine and the journal from its output alone,
so the journal still holds every sample exactly as the engine used it and a rebuild equals the
live run.

Why the figures do not move: count buckets end on whole minutes (and on marks, which replays set
on whole seconds), so a second never straddles two buckets. Running, state, fault, changeover and
Andon samples pass at once, and the counters held for their equipment go before them, so no part
is counted on the wrong side of a stop. What changes is only when a count reaches the engine:
at most a second and one poll later.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from core.samples import Sample

__all__ = ["COUNTER_SIGNALS", "CounterPace"]

COUNTER_SIGNALS = frozenset({"total_count", "good_count", "reject_count"})


def _second(ts: float) -> float:
    """The end k of the second (k - 1, k] holding `ts`; counts at t are of parts made before t."""
    return float(math.ceil(ts))


class CounterPace:
    def __init__(self) -> None:
        self._held: dict[tuple[str, str], Sample] = {}
        self._started: set[tuple[str, str]] = set()
        # The earliest second any held sample belongs to: the one test on the hot path.
        self._oldest = math.inf

    @property
    def held(self) -> int:
        """Counter samples waiting for their second to end."""
        return len(self._held)

    def feed(self, s: Sample) -> list[Sample]:
        """The samples to hand to the engine now, in order, `s` among them unless it is held."""
        out = self._ended_before(s.ts) if s.ts > self._oldest else []
        if s.signal in COUNTER_SIGNALS and s.value is not None and s.value == s.value and s.quality != 0:
            key = (s.equipment, s.signal)
            if key not in self._started:
                # The first value is the engine's baseline: held back, the parts counted between
                # it and the value that replaced it would be lost.
                self._started.add(key)
                out.append(s)
                return out
            if key not in self._held:
                self._oldest = min(self._oldest, _second(s.ts))
            self._held[key] = s
            return out
        # Anything else about an equipment goes after the counts held for it: parts made before a
        # stop are counted before it.
        if self._held:
            out.extend(self._take(lambda held: held.equipment == s.equipment))
        out.append(s)
        return out

    def due(self, now: float) -> list[Sample]:
        """Held samples whose second is over at `now` (the station's tick). A second ending at
        `now` counts as over: a sample still stamped `now` would only add a row, in that second."""
        if now < self._oldest:
            return []
        return self._take(lambda held: _second(held.ts) <= now)

    def drain(self) -> list[Sample]:
        """Everything held, for a clean stop."""
        return self._take(lambda _held: True)

    def _ended_before(self, ts: float) -> list[Sample]:
        return self._take(lambda held: _second(held.ts) < ts)

    def _take(self, which: Callable[[Sample], bool]) -> list[Sample]:
        taken = [s for s in self._held.values() if which(s)]
        if not taken:
            return []
        for s in taken:
            del self._held[s.equipment, s.signal]
        self._oldest = min((_second(s.ts) for s in self._held.values()), default=math.inf)
        taken.sort(key=lambda s: s.ts)
        return taken
