"""`ms5 replay`: a recorded journal through the engine, and the figures of its window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.config import Config
from core.engine import Engine
from core.samples import Sample
from core.timefmt import iso


@dataclass(frozen=True)
class Window:
    start: float
    end: float


def default_window(samples: Sequence[Sample]) -> Window:
    if not samples:
        raise ValueError("the journal has no rows")
    return Window(min(s.ts for s in samples), max(s.ts for s in samples))


def run_engine(config: Config, samples: Sequence[Sample], window: Window) -> Engine:
    engine = Engine(config, marks=(window.start, window.end))
    # Journals from several connections may interleave slightly out of order; replay them in time
    # order (stable, so same-time rows keep their file order).
    engine.ingest(sorted(samples, key=lambda s: s.ts))
    engine.tick(window.end)
    return engine


def report(engine: Engine, window: Window) -> dict[str, Any]:
    """The replay object of the foundation issue: equipment, lines and shifts over the window."""
    config = engine.config
    a, b = window.start, window.end
    first_tz = config.lines[0].tz
    out: dict[str, Any] = {
        "window": {"from": iso(a, first_tz), "to": iso(b, first_tz)},
        "equipment": {},
        "lines": {},
        "shifts": [],
    }
    for line in config.lines:
        tz = line.tz
        for eq in line.equipment:
            figures = engine.metrics(eq.id, a, b).to_dict()
            figures["downtime_events"] = [
                {
                    "start": iso(ev.start, tz),
                    "end": iso(ev.end, tz),
                    "duration_s": round(ev.duration_s, 6),
                    "reason": ev.reason,
                    "fault_code": ev.fault_code,
                }
                for ev in engine.downtime_events(eq.id, a, b)
            ]
            out["equipment"][eq.id] = figures
        constraint = line.constraint_id
        out["lines"][line.id] = {"constraint": constraint, **engine.metrics(constraint, a, b).to_dict()}
        for occ in engine.shifts(line.id, a, b):
            s, e = max(occ.start, a), min(occ.end, b)
            out["shifts"].append(
                {
                    "line": line.id,
                    "shift": occ.name,
                    "start": iso(s, tz),
                    "end": iso(e, tz),
                    **engine.metrics(constraint, s, e).to_dict(),
                }
            )
    return out


def replay(config: Config, samples: Sequence[Sample], window: Window | None = None) -> dict[str, Any]:
    window = window or default_window(samples)
    if window.end < window.start:
        raise ValueError("the window ends before it starts")
    return report(run_engine(config, samples, window), window)
