"""The shift a face shows, and the small helpers every view cuts from it.

Both the named views (hmi/station/views.py) and the shift report (hmi/report/view.py) build on
these; neither imports the other for them. No Qt, no Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.calendar import ShiftOccurrence
from core.config import Line
from core.engine import Engine
from core.figure_source import FigureSource
from core.metrics import Metrics

if TYPE_CHECKING:
    from hmi.station.runtime import Station

# Without a shift (a line with no calendar now) the faces show the last hour.
NO_SHIFT_WINDOW_S = 3600.0


def engine_of(station: Station) -> Engine:
    if station.engine is None:
        raise RuntimeError("the station is not open")
    return station.engine


# Signals every figure rests on; a missing Andon bit or fault code leaves the figures as they are.
_STATE_AND_TOTAL = ("running", "state", "total_count")


def _seconds(x: float) -> str:
    return f"{x:.0f} s" if x < 60 else f"{x / 60:.0f} min"


def doubts(m: Metrics) -> list[str]:
    """Why the figures rest on doubtful data, in the words a face shows beside its mark
    (docs/OEE.md, "Data quality"); empty when they do not."""
    out: list[str] = []
    if m.quality_unknown:
        lacking = [s for s in m.signals_missing if s in ("good_count", "reject_count")]
        out.append(f"quality unknown: no good value of {' or '.join(lacking)}")
    out.extend(f"no good value of {s}" for s in m.signals_missing if s in _STATE_AND_TOTAL)
    if m.counts_while_down > 0:
        out.append(f"{m.counts_while_down} parts counted while stopped")
    if m.inferred_run_time_s > 0:
        out.append(f"{_seconds(m.inferred_run_time_s)} of run time inferred across a communication loss")
    if m.counter_resets > 0:
        out.append(f"counter reset {m.counter_resets}x")
    if "performance_over_1" in m.flags:
        out.append("performance over 100 %: check the ideal cycle time")
    return out


def metrics_dict(m: Metrics) -> dict[str, Any]:
    """A window's figures and, under `doubts`, why any of them is doubtful."""
    return {**m.to_dict(), "doubts": doubts(m)}


def shift_window(engine: FigureSource, line: Line, now: float, *, previous: bool = False) -> dict[str, Any]:
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


def target_so_far(engine: FigureSource, line: Line, shift: dict[str, Any], now: float) -> int | None:
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
