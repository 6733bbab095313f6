"""The earliest time the live faces show: the start of each line's previous shift (or the last
hour before the current one, on a line without shifts that week). Bounded memory keeps what lies
after it (core.prune_schedule), and a closed Andon call resolved before it is history, read from
the store (core.andon, "retired")."""

from __future__ import annotations

from collections.abc import Iterable

from core.calendar import ShiftCalendar

__all__ = ["NO_SHIFT_WINDOW_S", "faces_from", "previous_shift_start"]

# What a face shows as "previous" when the line had no shift in the week before: the last hour
# (hmi.station.shift.shift_window).
NO_SHIFT_WINDOW_S = 3600.0
_WEEK_S = 7 * 86400.0


def previous_shift_start(calendar: ShiftCalendar, now: float) -> float:
    """The start of the window a face shows as the previous shift of a line at `now`."""
    occ = calendar.shift_at(now)
    before = occ.start if occ is not None else now
    earlier = calendar.occurrences(before - _WEEK_S, before)
    return earlier[-1].start if earlier else before - NO_SHIFT_WINDOW_S


def faces_from(calendars: Iterable[ShiftCalendar], now: float) -> float:
    """The earliest previous-shift start of all lines at `now`."""
    return min(previous_shift_start(c, now) for c in calendars)
