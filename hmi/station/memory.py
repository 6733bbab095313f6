"""Bounded memory for a station that runs for years: at each shift end the engine forgets what
lies before the previous shift (`core.engine_prune`), keeping what the live faces and the open
items need, and the figure slices the store still owes. Older windows are read from the store's
figure slices (`ms5 report`, core.store_figures), never from the engine.
"""

from __future__ import annotations

from core.config import Config
from core.engine import Engine
from core.store import Store
from hmi.station.shift import shift_window

# Between shift ends (a line without shifts) the engine is pruned this often, to the same point.
PRUNE_EVERY_S = 3600.0


def keep_from(config: Config, engine: Engine, store: Store | None, now: float) -> float:
    """The earliest time the engine must keep: the start of every line's previous shift (what a
    face shows as "previous"), an open job's start (its figures run from it), and the oldest
    figure slice not yet written. Open stops, gaps and calls are kept however old."""
    keep: float = min(float(shift_window(engine, line, now, previous=True)["start"]) for line in config.lines)
    keep = min([keep, *(job.started for job in engine.jobs.values())])
    owed = store.slices_owed_from if store is not None else None
    return keep if owed is None else min(keep, owed)


class Pruner:
    """Prunes the engine when a shift of any line ends (or PRUNE_EVERY_S passed)."""

    def __init__(self) -> None:
        self._due = float("-inf")

    def step(self, config: Config, engine: Engine, store: Store | None, now: float) -> None:
        if now < self._due:
            return
        engine.prune(keep_from(config, engine, store, now))
        ends = [
            occ.end
            for line in config.lines
            if (occ := engine.calendars[line.id].shift_at(now)) is not None and occ.end > now
        ]
        self._due = min([now + PRUNE_EVERY_S, *ends])
