"""When the station snapshots its engine (docs/STORE.md, "Snapshots"): every `[store]
snapshot_every_min` of engine time, on whole multiples of it, and at each shift's end."""

from __future__ import annotations

from core.calendar import ShiftCalendar

__all__ = ["SnapshotSchedule"]


class SnapshotSchedule:
    def __init__(self, every_s: float, calendars: list[ShiftCalendar]) -> None:
        self.every_s = every_s
        self.calendars = calendars
        self._next: float | None = None

    def due(self, now: float) -> bool:
        """Whether a snapshot is due at engine time `now`; the first call only starts the clock."""
        if self._next is None:
            self.written(now)
            return False
        return now >= self._next

    def written(self, now: float) -> None:
        """A snapshot reflects `now`: the next is at the next multiple or shift end after it."""
        nxt = (now // self.every_s + 1) * self.every_s
        for calendar in self.calendars:
            occ = calendar.shift_at(now)
            if occ is None:
                upcoming = calendar.occurrences(now, nxt)
                occ = upcoming[0] if upcoming else None
            if occ is not None and now < occ.end < nxt:
                nxt = occ.end
        self._next = nxt
