"""Steps of the station's clock, as the engine keeps them: the intervals a step forward skipped.

A step forward of `size` seconds at `at` means that no time passed between `at` and
`at + size` on the station's line of time: the wall clock jumped. Every length the engine
measures (run, down and comms-loss time, a stop's threshold, an Andon delay) leaves those
intervals out; a step back leaves none (the station's clock held instead, hmi/station/clock.py).
Pure functions over a sorted list of (start, end) gaps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

Gap = tuple[float, float]

COMMAND = "clock_step"  # how the journal records a step: a command row of nobody, args at and size


def gap_seconds(gaps: Sequence[Gap], a: float, b: float) -> float:
    """Seconds of [a, b) that lie in a gap."""
    return sum(max(0.0, min(b, ge) - max(a, gs)) for gs, ge in gaps if gs < b and ge > a)


def cut(gaps: Sequence[Gap], s: float, e: float) -> Iterator[tuple[float, float]]:
    """The parts of [s, e) outside every gap, in order."""
    if not gaps or e <= gaps[0][0] or s >= gaps[-1][1]:
        yield s, e
        return
    for gs, ge in gaps:
        if ge <= s or gs >= e:
            continue
        if gs > s:
            yield s, gs
        s = max(s, ge)
        if s >= e:
            return
    if e > s:
        yield s, e


def later(gaps: Sequence[Gap], start: float, seconds: float) -> float:
    """The instant `seconds` of real time after `start`: pushed past every gap on the way."""
    due = start + seconds
    for gs, ge in gaps:
        if ge <= start:
            continue
        if gs >= due:
            break
        due += ge - max(gs, start)
    return due


def joined(gaps: Sequence[Gap], e: float, s: float) -> bool:
    """Whether a piece ending at `e` and one starting at `s` touch but for gaps between them."""
    if e == s:
        return True
    return e < s and gap_seconds(gaps, e, s) == s - e
