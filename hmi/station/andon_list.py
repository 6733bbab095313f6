"""The open Andon calls a face is sent: at most LIMIT of them, the most urgent first, and the true
counts of all of them (docs/ANDON.md, "What the faces are sent").

A station nobody answers piles calls up (a month of the unattended demo line: 5,441 open), and a
view listing them all outgrows the socket's 1 MiB answer: the faces would lose every figure, not
only the calls. So the list is bounded here, once for every face, and the counts say how many
there are; a face shows "+N more" from them. Commands name a call by its number, never by its
place in this list, so a call left out of it is acknowledged as any other.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from core.andon import AndonCall, CallState

LIMIT = 100  # far more than a screen shows; a few hundred kB over the socket at most

# The states that want somebody's acknowledgement (the panel's sound plays for them).
_UNANSWERED = frozenset({CallState.ACTIVE_UNACK, CallState.RTN_UNACK})


def shelved(call: AndonCall, now: float) -> bool:
    return call.shelved_until is not None and call.shelved_until > now


def sounding(call: AndonCall, now: float) -> bool:
    """Nobody answered it and nobody shelved it: what a person at the line must see first."""
    return call.state in _UNANSWERED and not shelved(call, now)


def urgency(call: AndonCall, now: float) -> tuple[bool, bool, float, int]:
    """The sort key of the list: unanswered and not shelved first, then the shelved unanswered,
    then those somebody answered; within each, the newest first. Newest, not oldest: a call just
    raised is the one the people at the line can still answer in time, and it must show among
    the few that fit however many old ones wait; the old ones have been escalated to whom their
    levels notify already, and the counts by level say how many."""
    return (not sounding(call, now), call.acknowledged, -call.raised_at, -call.id)


def open_calls(calls: list[AndonCall], now: float, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The `limit` most urgent of the open `calls` as the faces read them."""
    return [c.to_dict() for c in sorted(calls, key=lambda c: urgency(c, now))[: max(limit, 0)]]


def open_counts(calls: list[AndonCall], now: float, limit: int = LIMIT) -> dict[str, Any]:
    """How many calls are open, however many the list holds: what a face shows as the count."""
    return {
        "total": len(calls),
        "shown": min(len(calls), max(limit, 0)),
        "unacknowledged": sum(1 for c in calls if not c.acknowledged),
        "sounding": sum(1 for c in calls if sounding(c, now)),
        "shelved": sum(1 for c in calls if shelved(c, now)),
        # JSON keys are text: "0" is a call no level reached yet.
        "by_level": {str(k): n for k, n in sorted(Counter(c.level for c in calls).items())},
        "by_state": {str(k): n for k, n in sorted(Counter(c.state.value for c in calls).items())},
    }
