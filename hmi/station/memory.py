"""Bounded memory for a station that runs for years: at each shift end the engine forgets what
lies before the previous shift (`core.engine_prune`), keeping what the live faces and the open
items need, and the figure slices the store still owes. Older windows are read from the store's
figure slices (`ms5 report`, core.store_figures), never from the engine.

The schedule itself is `core.prune_schedule`, shared with `ms5 import-journal`.
"""

from __future__ import annotations

from core.prune_schedule import PRUNE_EVERY_S, Pruner, keep_from

__all__ = ["PRUNE_EVERY_S", "Pruner", "keep_from"]
