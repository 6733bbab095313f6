"""The Andon calls projection: each call as the board holds it, rewritten whenever it changes, so
a report over any window lists its calls without an engine (docs/STORE.md, "andon_calls").

`andon_events` keeps what happened to a call, one row per change; this keeps what the call is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from core.andon import AndonBoard, AndonCall, CallState, Escalation, Note, Source

__all__ = ["CallWriter", "read_calls"]

_UPSERT = "INSERT OR REPLACE INTO andon_calls(call_id, equipment, raised_at, body) VALUES (?, ?, ?, ?)"
_TIMES = ("acknowledged_at", "resolved_at", "shelved_until")
_PEOPLE = ("raised_by", "acknowledged_by", "resolved_by", "owner")


def _body(call: AndonCall) -> str:
    body: dict[str, Any] = {
        "kind": call.kind,
        "source": call.source.value,
        "priority": call.priority,
        "state": call.state.value,
        # -inf (never shelved) is not JSON.
        "resumed_at": None if call.resumed_at == float("-inf") else call.resumed_at,
        "escalations": [[e.level, e.at, e.notify] for e in call.escalations],
        "notes": [[n.at, n.user, n.text] for n in call.notes],
    }
    for name in (*_TIMES, *_PEOPLE):
        body[name] = getattr(call, name)
    return json.dumps(body, separators=(",", ":"))


def _call(call_id: int, equipment: str, raised_at: float, text: str) -> AndonCall:
    body = json.loads(text)
    call = AndonCall(
        id=call_id,
        equipment=equipment,
        kind=body["kind"],
        source=Source(body["source"]),
        priority=body["priority"],
        raised_at=raised_at,
        raised_by=body["raised_by"],
        state=CallState(body["state"]),
        escalations=[Escalation(level, at, notify) for level, at, notify in body["escalations"]],
        notes=[Note(at, user, text) for at, user, text in body["notes"]],
    )
    for name in (*_TIMES, *_PEOPLE[1:]):
        setattr(call, name, body[name])
    if body["resumed_at"] is not None:
        call.resumed_at = body["resumed_at"]
    return call


def read_calls(conn: sqlite3.Connection, a: float, b: float) -> Iterator[AndonCall]:
    """The calls raised in [a, b], in the order they were raised."""
    rows = conn.execute(
        "SELECT call_id, equipment, raised_at, body FROM andon_calls "
        "WHERE raised_at >= ? AND raised_at <= ? ORDER BY raised_at, call_id",
        (a, b),
    )
    for call_id, equipment, raised_at, body in rows:
        yield _call(call_id, equipment, raised_at, body)


class CallWriter:
    """Calls that changed since the last commit, written as the board holds them then."""

    def __init__(self) -> None:
        self._dirty: set[int] = set()
        self._rows: dict[int, tuple[str, float, str]] = {}

    @property
    def pending(self) -> bool:
        return bool(self._dirty or self._rows)

    def attach(self, conn: sqlite3.Connection, board: AndonBoard) -> None:
        """A store from before this projection gets the calls of the engine rebuilt from it."""
        if conn.execute("SELECT 1 FROM andon_calls LIMIT 1").fetchone() is None:
            self._dirty.update(call.id for call in board.calls)

    def changed(self, call_id: int) -> None:
        self._dirty.add(call_id)

    def settle(self, board: AndonBoard) -> None:
        for call_id in self._dirty:
            call = board.get(call_id)
            # A call the board no longer holds has nothing more to say: its row is written.
            if call is not None:
                self._rows[call_id] = (call.equipment, call.raised_at, _body(call))
        self._dirty.clear()

    def write(self, conn: sqlite3.Connection) -> None:
        if self._rows:
            conn.executemany(_UPSERT, [(cid, *row) for cid, row in self._rows.items()])

    def clear(self) -> None:
        self._rows = {}
