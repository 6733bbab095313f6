"""What the station holds before its engine's clock runs: the samples polled meanwhile and the
steps of the wall clock seen meanwhile (hmi/station/runtime.py's docstring, "Polling from the
first second"; docs/RELIABILITY.md, "Clock steps").

A step is kept in its place among the samples: those read before it are fed (or journaled)
before the step, those after it after, so the engine and a later rebuild count the step's
interval as the live station would have, had its engine been running.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from core.clock_steps import COMMAND as CLOCK_STEP
from core.samples import Sample
from core.store import Store

__all__ = ["Held"]


@dataclass
class Held:
    """The samples (in arrival order) and the clock steps (at, size) held since `since`, the
    station's start: the first polls' values are stamped there and go first."""

    since: float | None
    samples: list[Sample] = field(default_factory=list)
    steps: list[tuple[float, float]] = field(default_factory=list)

    def _ordered(self) -> list[Sample]:
        # The first polls' values (stamped at the start) before anything a faster connection
        # read after them: stable, so each tag keeps its own order.
        since = self.since
        return sorted(self.samples, key=lambda s: since is None or s.ts > since)

    def _runs(self) -> list[tuple[list[Sample], tuple[float, float] | None]]:
        """The samples cut at each step: (the samples before it, the step), and the rest last."""
        rest = self._ordered()
        runs: list[tuple[list[Sample], tuple[float, float] | None]] = []
        for at, size in self.steps:
            # A value stamped at the step's moment was handed out before it (hmi.station.clock).
            runs.append(([s for s in rest if s.ts <= at], (at, size)))
            rest = [s for s in rest if s.ts > at]
        runs.append((rest, None))
        return runs

    def release(self, ingest: Callable[[list[Sample]], None], step: Callable[[float, float], None]) -> None:
        """Into the running engine: each run of samples, then the step after it."""
        for samples, at_size in self._runs():
            if samples:
                ingest(samples)
            if at_size is not None:
                step(*at_size)

    def journal(self, store: Store) -> int:
        """Stopped before the restore ended: into the journal as the engine would have taken it
        (in order, never stamped before the journal's end), the steps as the commands a rebuild
        applies, so the next start counts it. Returns the number of samples."""
        row = store.conn.execute("SELECT ts FROM journal ORDER BY id DESC LIMIT 1").fetchone()
        since = self.since
        newest = max(row[0] if row else -math.inf, since if since is not None else -math.inf)
        count = 0
        for samples, at_size in self._runs():
            kept = []
            for s in samples:
                if s.ts < newest:
                    s = s._replace(ts=newest)
                newest = s.ts
                kept.append(s)
            store.append_samples(kept)
            count += len(kept)
            if at_size is not None:
                at, size = at_size
                at = max(at, newest)
                store.append_command(at, None, CLOCK_STEP, {"at": at, "size": size})
                newest = at
        return count
