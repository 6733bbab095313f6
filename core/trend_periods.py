"""The periods of a trend, on the line's own calendar (docs/ANALYTICS.md, "Periods").

A period is made of whole shift occurrences: a shift, a production day (the shifts that start on
that local date, so a night shift from 22:00 belongs to the day it starts on), a week (the days
from the configured weekday, `[trends] week_starts`) or a calendar month of production days.
Time outside the shifts is in no period: it is unscheduled, and OEE has nothing to say about it.
Contiguous shifts of a period are one window, so a stop over a shift change is one stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from core.calendar import ShiftCalendar, ShiftOccurrence
from core.config_trend import WEEKDAY_NAMES

__all__ = ["BY", "By", "Period", "periods", "production_day"]

By = Literal["shift", "day", "week", "month"]
BY: tuple[By, ...] = ("shift", "day", "week", "month")


@dataclass(frozen=True)
class Period:
    key: str  # "2026-03-02 Early", "2026-03-02", "2026-W10 (from 2026-03-02)", "2026-03"
    day: date  # the production day (shift, day), the week's first day, the month's first day
    shift: str | None  # the shift's name with --by shift
    occurrences: tuple[ShiftOccurrence, ...]

    @property
    def start(self) -> float:
        return self.occurrences[0].start

    @property
    def end(self) -> float:
        return self.occurrences[-1].end

    def windows(self) -> list[tuple[float, float]]:
        """The period's time as windows: contiguous shifts joined."""
        out: list[tuple[float, float]] = []
        for occ in self.occurrences:
            if out and out[-1][1] == occ.start:
                out[-1] = (out[-1][0], occ.end)
            else:
                out.append((occ.start, occ.end))
        return out


def production_day(calendar: ShiftCalendar, occ: ShiftOccurrence) -> date:
    return datetime.fromtimestamp(occ.start, calendar.line.tz).date()


def _bucket(day: date, by: By, week_starts: str) -> tuple[date, str]:
    if by == "day":
        return day, day.isoformat()
    if by == "month":
        return day.replace(day=1), f"{day.year:04d}-{day.month:02d}"
    first = day - timedelta(days=(day.weekday() - WEEKDAY_NAMES.index(week_starts)) % 7)
    year, week, _ = first.isocalendar()
    return first, f"{year:04d}-W{week:02d} (from {first.isoformat()})"


def periods(calendar: ShiftCalendar, by: By, a: float, b: float, week_starts: str = "mon") -> list[Period]:
    """The periods of the whole shifts inside [a, b], in time order."""
    shifts = [o for o in calendar.occurrences(a, b) if o.start >= a and o.end <= b]
    if by == "shift":
        out = []
        for occ in shifts:
            day = production_day(calendar, occ)
            out.append(Period(f"{day.isoformat()} {occ.name}", day, occ.name, (occ,)))
        return out
    grouped: dict[tuple[date, str], list[ShiftOccurrence]] = {}
    for occ in shifts:
        grouped.setdefault(_bucket(production_day(calendar, occ), by, week_starts), []).append(occ)
    return [Period(key, day, None, tuple(occs)) for (day, key), occs in grouped.items()]
