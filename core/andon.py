"""Andon calls with ISA-18.2 states and escalation (docs/ANDON.md, "Calls" and "Escalation").

The board is part of the engine: it is driven by the engine's clock, so an escalation happens at
the instant its level falls due even when nobody ticked at that instant (a restarted station
catches up with the due times, not the time it noticed).

Calls are numbered by a counter that only goes up. The board holds the open calls and the closed
ones the live faces show; a closed call resolved before that leaves it at the engine's prune
(`prune`) and is read from the store's `andon_calls` projection (docs/ANDON.md, "Memory").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.andon_due import DueKey, DueQueue
from core.clock_steps import later
from core.config import Config
from core.events import Event, EventBus


class CallState(StrEnum):
    ACTIVE_UNACK = "active-unacknowledged"
    ACTIVE_ACK = "active-acknowledged"
    RTN_UNACK = "returned-to-normal-unacknowledged"
    CLOSED = "closed"


class Source(StrEnum):
    PLC_FAULT = "plc_fault"
    PLC_ANDON = "plc_andon"
    OPERATOR = "operator"


@dataclass
class Escalation:
    level: int
    at: float
    notify: str


@dataclass
class Note:
    at: float
    user: str | None
    text: str


@dataclass
class AndonCall:
    id: int
    equipment: str
    kind: str
    source: Source
    priority: int
    raised_at: float
    raised_by: str | None
    state: CallState = CallState.ACTIVE_UNACK
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    owner: str | None = None
    shelved_until: float | None = None
    resumed_at: float = float("-inf")  # when a shelf last ended: levels due meanwhile come then
    escalations: list[Escalation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def level(self) -> int:
        return self.escalations[-1].level if self.escalations else 0

    @property
    def open(self) -> bool:
        return self.state != CallState.CLOSED

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "equipment": self.equipment,
            "kind": self.kind,
            "source": self.source.value,
            "priority": self.priority,
            "state": self.state.value,
            "raised_at": self.raised_at,
            "raised_by": self.raised_by,
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by,
            "owner": self.owner,
            "shelved_until": self.shelved_until,
            "max_level": self.level,
            "escalations": [{"level": e.level, "at": e.at, "notify": e.notify} for e in self.escalations],
            "notes": [{"at": n.at, "user": n.user, "text": n.text} for n in self.notes],
        }


@dataclass(frozen=True, slots=True)
class AndonChanged(Event):
    """Any change of a call: raised, escalated, acknowledged, resolved, noted, shelved, taken."""

    call_id: int
    equipment: str
    action: (
        str  # raised, escalated, acknowledged, returned, resolved, closed, noted, shelved, unshelved, taken
    )
    user: str | None
    level: int
    state: str
    detail: str = ""


class AndonError(Exception):
    pass


class AndonBoard:
    def __init__(self, config: Config, bus: EventBus) -> None:
        self.config = config
        self.bus = bus
        # By number, in the order raised: numbers only go up, so the dict's order is theirs.
        self._calls: dict[int, AndonCall] = {}
        self.next_id = 1
        self._queue = DueQueue()
        self._pending_fault: dict[str, float] = {}  # equipment -> when its fault started
        self._open: list[AndonCall] = []
        # The engine asks "anything due?" on every sample; the answer is cached until a change.
        self._due: float | None = None
        self._due_valid = True
        # Gaps a step of the station's clock left (core.clock_steps): delays run on real time.
        self._gaps: list[tuple[float, float]] = []

    @property
    def calls(self) -> list[AndonCall]:
        """The calls the board holds, in the order raised (not every call ever: see `prune`)."""
        return list(self._calls.values())

    def get(self, call_id: int) -> AndonCall | None:
        return self._calls.get(call_id)

    # ------------------------------------------------------------ time

    def _next_due(self) -> tuple[float, int, Any] | None:
        """The earliest thing that falls due: (time, order, what). Pending faults are one per
        equipment and looked at each time; the open calls come from the due queue."""
        best: tuple[float, int, Any] | None = None
        after = self.config.andon.policy(self.config.andon.fault_kind).auto_raise_after_s
        if after is not None:
            for eq, since in self._pending_fault.items():
                cand: tuple[float, int, Any] = (later(self._gaps, since, after), 0, ("raise", eq))
                if best is None or cand[:2] < best[:2]:
                    best = cand
        first = self._queue.first()
        if first is not None and (best is None or first[:2] < best[:2]):
            at, order, call_id = first
            best = (at, order, ("unshelve" if order == 1 else "escalate", self._calls[call_id]))
        return best

    def _due_key(self, call: AndonCall) -> DueKey | None:
        if not call.open:
            return None
        if call.shelved_until is not None:
            return (call.shelved_until, 1)
        due = self._next_escalation(call)
        return None if due is None else (due, 2)

    def _requeue_all(self) -> None:
        self._queue.clear()
        for call in self._open:
            self._queue.set(call.id, self._due_key(call))

    def _next_escalation(self, call: AndonCall) -> float | None:
        policy = self.config.andon.policy(call.kind)
        if policy.escalate_until == "acknowledged" and call.acknowledged:
            return None
        done = len(call.escalations)
        if done >= len(policy.levels):
            return None
        due = later(self._gaps, call.raised_at, policy.levels[done].after_s)
        # Levels that fell due while the call was shelved are announced when the shelf ends.
        return max(due, call.resumed_at)

    def clock_gap(self, start: float, end: float) -> None:
        """No time passed in [start, end) (a step of the clock): what was due after `start`
        falls due that much later in engine time, as many seconds after its start as before."""
        self._gaps.append((start, end))
        self._gaps.sort()
        for call in self._open:
            if call.shelved_until is not None and call.shelved_until > start:
                call.shelved_until += end - start
        self._requeue_all()  # every due time after `start` moved
        self._changed()

    def _changed(self) -> None:
        self._due_valid = False

    def due_by(self, now: float) -> bool:
        if not self._due_valid:
            nxt = self._next_due()
            self._due = None if nxt is None else nxt[0]
            self._due_valid = True
        return self._due is not None and self._due <= now

    def advance(self, now: float) -> None:
        """Everything due at or before `now` happens, in time order, at its own due time."""
        while True:
            nxt = self._next_due()
            if nxt is None or nxt[0] > now:
                break
            self._changed()
            at, _, (what, obj) = nxt
            if what == "raise":
                del self._pending_fault[obj]
                self._raise(at, obj, self.config.andon.fault_kind, Source.PLC_FAULT, None, "")
            elif what == "unshelve":
                obj.shelved_until = None
                obj.resumed_at = at
                self._publish(at, obj, "unshelved", None)
            else:
                self._escalate(obj, at)
        self._changed()

    def _escalate(self, call: AndonCall, at: float) -> None:
        level = self.config.andon.policy(call.kind).levels[len(call.escalations)]
        call.escalations.append(Escalation(level.level, at, level.notify))
        self._publish(at, call, "escalated", None, f"level {level.level}: {level.notify}")

    def _publish(self, ts: float, call: AndonCall, action: str, user: str | None, detail: str = "") -> None:
        self._changed()
        # Every change of a call passes here: its next due time is taken again.
        self._queue.set(call.id, self._due_key(call))
        if call.state == CallState.CLOSED and call in self._open:
            self._open.remove(call)
        self.bus.publish(
            AndonChanged(ts, call.id, call.equipment, action, user, call.level, call.state.value, detail)
        )

    # ------------------------------------------------------------ PLC conditions

    def fault(self, ts: float, equipment: str, code: int) -> None:
        self._changed()
        if code:
            if (
                equipment not in self._pending_fault
                and self._open_plc_call(equipment, Source.PLC_FAULT) is None
            ):
                self._pending_fault[equipment] = ts
            return
        self._pending_fault.pop(equipment, None)
        call = self._open_plc_call(equipment, Source.PLC_FAULT)
        if call is not None:
            self._condition_cleared(ts, call)

    def andon_bit(self, ts: float, equipment: str, on: bool, kind: str) -> None:
        call = self._open_plc_call(equipment, Source.PLC_ANDON)
        if on and call is None:
            self._raise(ts, equipment, kind, Source.PLC_ANDON, None, "")
        elif not on and call is not None:
            self._condition_cleared(ts, call)

    def _open_plc_call(self, equipment: str, source: Source) -> AndonCall | None:
        for call in self._open:
            if (
                call.equipment == equipment
                and call.source == source
                and call.state in (CallState.ACTIVE_UNACK, CallState.ACTIVE_ACK)
            ):
                return call
        return None

    def _condition_cleared(self, ts: float, call: AndonCall) -> None:
        if call.state == CallState.ACTIVE_ACK:
            call.state = CallState.CLOSED
            call.resolved_at, call.resolved_by = ts, None
            self._publish(ts, call, "closed", None, "condition cleared")
        elif call.state == CallState.ACTIVE_UNACK:
            call.state = CallState.RTN_UNACK
            self._publish(ts, call, "returned", None, "condition cleared before acknowledgement")

    # ------------------------------------------------------------ commands

    def _raise(
        self, ts: float, equipment: str, kind: str, source: Source, user: str | None, note: str
    ) -> AndonCall:
        policy = self.config.andon.policy(kind)
        call = AndonCall(self.next_id, equipment, kind, source, policy.priority, ts, user)
        self.next_id += 1
        self._calls[call.id] = call
        self._open.append(call)
        if note:
            call.notes.append(Note(ts, user, note))
        self._publish(ts, call, "raised", user, note)
        # Levels due at once (after_s = 0) belong to the raise itself.
        while (due := self._next_escalation(call)) is not None and due <= ts:
            self._escalate(call, due)
        return call

    def raise_call(self, ts: float, equipment: str, kind: str, user: str | None, note: str = "") -> AndonCall:
        return self._raise(ts, equipment, kind, Source.OPERATOR, user, note)

    def find(
        self, call_id: int | None, equipment: str | None, retired_before: float = -math.inf
    ) -> AndonCall:
        """A call by id, or the oldest open call of an equipment. A call closed before
        `retired_before` (the start of the previous shift: what the live faces show) is history,
        whether the board still holds it or not: the answer must not hang on when it was pruned."""
        if call_id is not None:
            if not 1 <= call_id < self.next_id:
                raise AndonError(f"no Andon call #{call_id}")
            call = self._calls.get(call_id)
            if call is None or (not call.open and (call.resolved_at or 0.0) < retired_before):
                raise AndonError(f"call #{call_id} was closed before the previous shift: see it in a report")
            return call
        for call in self._open:
            if call.equipment == equipment:
                return call
        raise AndonError(f"no open Andon call at {equipment}")

    def acknowledge(self, ts: float, call: AndonCall, user: str) -> str:
        if call.acknowledged:
            raise AndonError(f"call #{call.id} was acknowledged already by {call.acknowledged_by}")
        call.acknowledged_at, call.acknowledged_by = ts, user
        if call.state == CallState.RTN_UNACK:
            call.state = CallState.CLOSED
            call.resolved_at, call.resolved_by = ts, user
            self._publish(ts, call, "acknowledged", user)
            self._publish(ts, call, "closed", user, "condition had cleared")
            return f"call #{call.id} acknowledged and closed"
        call.state = CallState.ACTIVE_ACK
        self._publish(ts, call, "acknowledged", user)
        return f"call #{call.id} acknowledged"

    def resolve(self, ts: float, call: AndonCall, user: str) -> str:
        if not call.open:
            raise AndonError(f"call #{call.id} is closed already")
        if not call.acknowledged:
            call.acknowledged_at, call.acknowledged_by = ts, user
        call.state = CallState.CLOSED
        call.resolved_at, call.resolved_by = ts, user
        call.shelved_until = None
        self._publish(ts, call, "resolved", user)
        return f"call #{call.id} resolved"

    def take(self, ts: float, call: AndonCall, user: str) -> str:
        if not call.open:
            raise AndonError(f"call #{call.id} is closed")
        call.owner = user
        self._publish(ts, call, "taken", user)
        return f"call #{call.id} taken by {user}"

    def note(self, ts: float, call: AndonCall, user: str, text: str) -> str:
        text = " ".join(text.split())
        if not text:
            raise AndonError("a note needs text")
        call.notes.append(Note(ts, user, text))
        self._publish(ts, call, "noted", user, text)
        return f"note added to call #{call.id}"

    def shelve(self, ts: float, call: AndonCall, user: str, seconds: float) -> str:
        limit = self.config.andon.shelve_max_s
        if not 0 < seconds <= limit:
            raise AndonError(f"a call can be shelved for 1 to {limit:g} s")
        if not call.open:
            raise AndonError(f"call #{call.id} is closed")
        call.shelved_until = ts + seconds
        self._publish(ts, call, "shelved", user, f"{seconds:g} s")
        return f"call #{call.id} shelved for {seconds:g} s"

    def active(self) -> list[AndonCall]:
        return list(self._open)

    # ------------------------------------------------------------ memory

    def prune(self, before: float) -> int:
        """Forget the closed calls resolved before `before` (the store's `andon_calls` keeps them);
        open calls stay however old. How many went."""
        gone = [
            cid
            for cid, call in self._calls.items()
            if not call.open and call.resolved_at is not None and call.resolved_at < before
        ]
        for cid in gone:
            del self._calls[cid]
        return len(gone)

    def restore(self, calls: list[AndonCall], open_ids: list[int], next_id: int) -> None:
        """The board as a snapshot holds it (core.engine_snapshot)."""
        self._calls = {c.id: c for c in calls}
        self._open = [self._calls[i] for i in open_ids]
        self.next_id = next_id
        self._requeue_all()
        self._changed()
