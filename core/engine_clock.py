"""The engine's side of a step of the station's clock (docs/RELIABILITY.md, "Clock steps").

The station journals a step as a command row of nobody (`core.clock_steps.COMMAND`, args `at`
and `size`); a rebuild and a replay hand it to `clock_step` as the live station did, so they give
its figures. It is no person's command: `Engine.command` and so the gate do not know it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.clock_steps import COMMAND
from core.engine_commands import CommandError
from core.engine_segments import EngineSegments
from core.engine_state import STOP
from core.permissions import Actor

if TYPE_CHECKING:
    from core.engine import Engine


class EngineClockSteps(EngineSegments):
    def clock_step(self, at: float, size: float) -> str:
        """The station's clock was stepped by `size` seconds at `at` (engine time). A step forward
        makes `[at, at + size)` a gap that no figure counts; the delays running across it (a
        stop's threshold, the start-up window, Andon's) are pushed past it. A step back changes
        no figure: the station's clock held, so engine time did not go back."""
        if not (math.isfinite(at) and math.isfinite(size)):
            raise ValueError(f"a clock step needs finite numbers, not at={at!r} size={size!r}")
        # Engine time reaches the step first: what falls due before it happens before it, and
        # nothing fed after it is stamped earlier (a journal's times never run backwards).
        at = self._clock(at)
        self.clock_steps.append((at, size))
        if size <= 0:
            return f"clock stepped back {-size:g} s"
        gap = (at, at + size)
        bisect.insort(self.clock_gaps, gap)
        for st in self._eq.values():
            seg = st.segments[-1] if st.segments else None
            if seg is not None and seg.end is None and seg.cond == STOP and seg.down_at > at:
                seg.down_at += size
            if st.startup_until > at:
                st.startup_until += size
        self.andon.clock_gap(*gap)
        return f"clock stepped forward {size:g} s"


def apply_recorded(
    engine: Engine, command: str, args: Mapping[str, Any], ts: float, actor: Actor | None
) -> str:
    """A journaled command row, as a rebuild or replay applies it: a clock step, or a person's
    command through `Engine.command` (CommandError and Refused as there)."""
    if command != COMMAND:
        return engine.command(command, args, ts, actor)
    try:
        return engine.clock_step(float(args.get("at", ts)), float(args["size"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"{COMMAND}: {exc}") from None
