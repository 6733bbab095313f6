"""The station's clock: elapsed time from the monotonic clock, the time of day from the wall clock.

Every time the station stamps (samples, ticks, commands, journal and audit rows) is read here.
A reading is the wall clock's time at the last anchor plus the monotonic time elapsed since, so
an NTP correction or an RTC set at boot cannot stretch or shrink what the station measures.
When the wall clock disagrees with that reading by more than `STEP_S`, the wall clock was
stepped: the clock re-anchors on it and reports the step once, through `on_step(at, size)`,
before it hands out a time after it (docs/RELIABILITY.md, "Clock steps").

- A step forward (`size` > 0): readings jump to the wall clock; the station journals the step so
  that the engine counts the skipped interval `[at, at + size)` as no time at all.
- A step back (`size` < 0): readings never go back; they hold at `at` until the wall clock has
  caught up with it, then follow it again. The engine learns the step, but it changes no figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, tzinfo

STEP_S = 2.0  # wall and monotonic clocks further apart than this: the wall clock was stepped


class StationClock:
    """`clock()` is the station's time (epoch seconds, never decreasing); `monotonic()` the
    clock that lockouts run on. `wall` and `monotonic` are injectable for tests."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.wall = wall
        self.monotonic = monotonic
        self._anchor_wall = wall()
        self._anchor_mono = monotonic()
        self._last = self._anchor_wall
        self.on_step: Callable[[float, float], None] | None = None
        self.steps: list[tuple[float, float]] = []  # (at, size) of every step seen, for the faces

    def not_before(self, ts: float) -> None:
        """Hand out nothing earlier than `ts` (the journal's and audit trail's newest time at a
        start): a station started after a step back holds its times as after any step back."""
        self._last = max(self._last, ts)

    def __call__(self) -> float:
        wall, mono = self.wall(), self.monotonic()
        reading = self._anchor_wall + (mono - self._anchor_mono)
        if abs(wall - reading) > STEP_S:
            # The step's moment is the last time handed out before it (held after a step back),
            # its size how far the wall clock now is from there.
            at = max(reading, self._last)
            size = wall - at
            self._anchor_wall, self._anchor_mono = wall, mono
            self._last = at  # the time up to the notice passed; after a step back it holds here
            reading = wall
            self.steps.append((at, size))
            if self.on_step is not None:
                self.on_step(at, size)
        if reading > self._last:
            self._last = reading
        return self._last


def _length(seconds: float) -> str:
    s = round(abs(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {sec:02d} s"
    if m:
        return f"{m} min {sec:02d} s"
    return f"{abs(seconds):.1f} s"


def step_text(at: float, size: float, tz: tzinfo, count: int = 1) -> str:
    """What the health view says of the last step of the clock, in one line."""
    when = datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M:%S")
    if size > 0:
        text = f"wall clock stepped forward {_length(size)} at {when}; that time is not counted"
    else:
        text = f"wall clock stepped back {_length(size)} at {when}; times hold until it catches up"
    return text if count == 1 else f"{text} ({count} steps since the start)"
