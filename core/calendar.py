"""A line's shift calendar: local wall-clock shifts and breaks turned into exact instants.

Shifts are written in the line's time zone, so on the nights the clocks change a night shift
really lasts 7 or 9 hours; everything here works in epoch seconds after that conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from functools import lru_cache

from core.config import WEEKDAYS, Line

# Lookahead when searching for the next scheduled second: beyond this a stop never turns into
# downtime, which is what a line with no shifts for a fortnight wants.
_SEARCH_HORIZON_S = 15 * 86400


class Sched(IntEnum):
    UNSCHEDULED = 0
    BREAK = 1
    SCHEDULED = 2


@dataclass(frozen=True)
class ShiftOccurrence:
    line: str
    name: str
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]
    target_count: int | None = None

    @property
    def key(self) -> str:
        return f"{self.line}/{self.name}/{self.start:.0f}"


def _instant(day: date, t: time, line: Line) -> float:
    return datetime.combine(day, t, tzinfo=line.tz).timestamp()


class ShiftCalendar:
    def __init__(self, line: Line) -> None:
        self.line = line
        self._by_day = lru_cache(maxsize=4096)(self._occurrences_starting_on)

    def _occurrences_starting_on(self, day: date) -> tuple[ShiftOccurrence, ...]:
        weekday = WEEKDAYS[day.weekday()]
        out = []
        for shift in self.line.shifts:
            if weekday not in shift.days:
                continue
            start = _instant(day, shift.start, self.line)
            end_day = day if shift.end > shift.start else day + timedelta(days=1)
            end = _instant(end_day, shift.end, self.line)
            breaks = []
            for brk in shift.breaks:
                b_day = day if brk.start >= shift.start else day + timedelta(days=1)
                b_end_day = b_day if brk.end > brk.start else b_day + timedelta(days=1)
                breaks.append(
                    (_instant(b_day, brk.start, self.line), _instant(b_end_day, brk.end, self.line))
                )
            out.append(
                ShiftOccurrence(
                    self.line.id, shift.name, start, end, tuple(sorted(breaks)), shift.target_count
                )
            )
        return tuple(sorted(out, key=lambda o: o.start))

    def occurrences(self, a: float, b: float) -> list[ShiftOccurrence]:
        """Shift occurrences overlapping [a, b), in time order."""
        if not self.line.shifts or b <= a:
            return []
        tz = self.line.tz
        day = datetime.fromtimestamp(a, tz).date() - timedelta(days=1)
        last = datetime.fromtimestamp(b, tz).date()
        out: list[ShiftOccurrence] = []
        while day <= last:
            out.extend(o for o in self._by_day(day) if o.start < b and o.end > a)
            day += timedelta(days=1)
        return out

    def shift_at(self, ts: float) -> ShiftOccurrence | None:
        for occ in self.occurrences(ts, ts + 1e-6):
            return occ
        return None

    def pieces(self, a: float, b: float) -> list[tuple[float, float, Sched]]:
        """[a, b) cut into consecutive pieces, each unscheduled, in a break, or scheduled."""
        out: list[tuple[float, float, Sched]] = []
        cursor = a

        def emit(end: float, kind: Sched) -> None:
            nonlocal cursor
            end = min(end, b)
            if end > cursor:
                if out and out[-1][2] == kind and out[-1][1] == cursor:
                    out[-1] = (out[-1][0], end, kind)
                else:
                    out.append((cursor, end, kind))
                cursor = end

        for occ in self.occurrences(a, b):
            emit(occ.start, Sched.UNSCHEDULED)
            for b_start, b_end in occ.breaks:
                emit(b_start, Sched.SCHEDULED)
                emit(b_end, Sched.BREAK)
            emit(occ.end, Sched.SCHEDULED)
        emit(b, Sched.UNSCHEDULED)
        return out

    def scheduled_seconds(self, a: float, b: float) -> float:
        """Seconds of [a, b) inside a shift and outside its breaks."""
        return sum(e - s for s, e, kind in self.pieces(a, b) if kind == Sched.SCHEDULED)

    def advance(self, start: float, seconds: float) -> float:
        """The instant at which `seconds` of scheduled (non-break) time have passed since `start`.

        Returns infinity when the calendar has no such time within the search horizon.
        """
        if seconds <= 0:
            return start
        remaining = seconds
        cursor = start
        step = 86400.0
        while cursor - start < _SEARCH_HORIZON_S:
            for s, e, kind in self.pieces(cursor, cursor + step):
                if kind != Sched.SCHEDULED:
                    continue
                if e - s >= remaining:
                    return s + remaining
                remaining -= e - s
            cursor += step
        return float("inf")
