"""When and how far the engine is pruned (`core.engine_prune`): at each shift end of any line (or
every PRUNE_EVERY_S without one), back to the earliest time the live faces and the store still
need. The live station (hmi/station/runtime.py) and `ms5 import-journal` (core/journal_import.py)
both run it, so an imported store's snapshots hold what a station's would: a bounded engine.
"""

from __future__ import annotations

from core.config import Config
from core.engine import Engine
from core.shift_window import NO_SHIFT_WINDOW_S, previous_shift_start
from core.store import Store

__all__ = ["NO_SHIFT_WINDOW_S", "PRUNE_EVERY_S", "Pruner", "keep_from"]

# Between shift ends (a line without shifts) the engine is pruned this often, to the same point.
PRUNE_EVERY_S = 3600.0


def keep_from(config: Config, engine: Engine, store: Store | None, now: float) -> float:
    """The earliest time the engine must keep: the start of every line's previous shift (what a
    face shows as "previous"), an open job's start (its figures run from it), and the oldest
    figure slice not yet written. Open stops, gaps and calls are kept however old; closed calls
    resolved before it leave the board (core.andon)."""
    keep = min(previous_shift_start(engine.calendars[line.id], now) for line in config.lines)
    keep = min([keep, *(job.started for job in engine.jobs.values())])
    owed = store.slices_owed_from if store is not None else None
    return keep if owed is None else min(keep, owed)


class Pruner:
    """Prunes the engine when a shift of any line ends (or PRUNE_EVERY_S passed). Call `step`
    after a flush: the slices it wrote need no longer be kept."""

    def __init__(self) -> None:
        self._due = float("-inf")

    def step(self, config: Config, engine: Engine, store: Store | None, now: float) -> bool:
        """Prune if due at `now`; whether it did."""
        if now < self._due:
            return False
        engine.prune(keep_from(config, engine, store, now))
        ends = [
            occ.end
            for line in config.lines
            if (occ := engine.calendars[line.id].shift_at(now)) is not None and occ.end > now
        ]
        self._due = min([now + PRUNE_EVERY_S, *ends])
        return True
