"""The shift a face shows, and the small helpers every view cuts from it.

Both the named views (hmi/station/views.py) and the shift report (hmi/report/view.py) build on
these; neither imports the other for them. No Qt, no Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.calendar import ShiftOccurrence
from core.config import Line
from core.engine import Engine
from core.metrics import Metrics

if TYPE_CHECKING:
    from hmi.station.runtime import Station

# Without a shift (a line with no calendar now) the faces show the last hour.
NO_SHIFT_WINDOW_S = 3600.0


def engine_of(station: Station) -> Engine:
    if station.engine is None:
        raise RuntimeError("the station is not open")
    return station.engine


def metrics_dict(m: Metrics) -> dict[str, Any]:
    return m.to_dict()


def shift_window(engine: Engine, line: Line, now: float, *, previous: bool = False) -> dict[str, Any]:
    """The current (or previous) shift of `line` as {name, start, end, target_count}; without a
    shift now, the last hour under the name None."""
    calendar = engine.calendars[line.id]
    occ: ShiftOccurrence | None = calendar.shift_at(now)
    if previous:
        before = occ.start if occ else now
        earlier = calendar.occurrences(before - 7 * 86400, before)
        occ = earlier[-1] if earlier else None
        if occ is None:
            return {"name": None, "start": before - NO_SHIFT_WINDOW_S, "end": before, "target_count": None}
    if occ is None:
        return {"name": None, "start": now - NO_SHIFT_WINDOW_S, "end": now, "target_count": None}
    return {"name": occ.name, "start": occ.start, "end": occ.end, "target_count": occ.target_count}


def target_so_far(engine: Engine, line: Line, shift: dict[str, Any], now: float) -> int | None:
    """The shift's target count pro rata of its scheduled time so far: flat during breaks."""
    target = shift.get("target_count")
    if target is None:
        return None
    calendar = engine.calendars[line.id]
    whole = calendar.scheduled_seconds(shift["start"], shift["end"])
    if whole <= 0:
        return None
    done = calendar.scheduled_seconds(shift["start"], min(now, shift["end"]))
    return round(int(target) * done / whole)
