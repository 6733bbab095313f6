"""Typed engine events and the in-process bus the faces and the store subscribe to."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class Event:
    ts: float


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    equipment: str
    state: str  # running, stopped, changeover, planned_stop, no_data
    previous: str
    fault_code: int
    since: float  # when the current state began: earlier than ts when a zero-length state was undone


@dataclass(frozen=True, slots=True)
class ProductionUpdate(Event):
    equipment: str
    total: int
    good: int
    reject: int


@dataclass(frozen=True, slots=True)
class OeeUpdate(Event):
    equipment: str
    shift: str | None
    metrics: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DowntimeStarted(Event):
    equipment: str
    start: float
    reason: str
    fault_code: int | None


@dataclass(frozen=True, slots=True)
class DowntimeEnded(Event):
    equipment: str
    start: float
    end: float
    reason: str
    fault_code: int | None


@dataclass(frozen=True, slots=True)
class DowntimeRevised(Event):
    """A communication loss over [start, end) turned out, from a counter's first value after it,
    to be partly run time (docs/OEE.md): its downtime event is shorter, or gone."""

    equipment: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class ChangeoverStarted(Event):
    equipment: str


@dataclass(frozen=True, slots=True)
class ChangeoverEnded(Event):
    equipment: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class QualityAlert(Event):
    equipment: str
    reject_rate: float
    window_parts: int
    limit: float


def event_dict(event: Event) -> dict[str, Any]:
    """An event as plain JSON-ready data, its kind under "type": made only for a listener that
    sends it on (the station socket) or a view that shows it, never on the way to the others."""
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


class _Everything:
    def __contains__(self, kind: object) -> bool:
        return True


_EVERYTHING = _Everything()
E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class EventBus:
    """Synchronous publish/subscribe. Handlers run in the publisher's call; one failing handler
    is reported through `on_error` and does not stop the others or the engine."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._all: list[Handler] = []
        # Read on the engine's hot path as a plain attribute: the kinds somebody listens to.
        self.wanted: frozenset[type[Event]] | _Everything = frozenset()
        self.on_error: Callable[[BaseException, Event], None] | None = None

    def _refresh(self) -> None:
        if self._all:
            self.wanted = _EVERYTHING
        else:
            self.wanted = frozenset(kind for kind, handlers in self._handlers.items() if handlers)

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        self._handlers[kind].append(handler)
        self._refresh()

        def unsubscribe() -> None:
            self._handlers[kind].remove(handler)
            self._refresh()

        return unsubscribe

    def subscribe_all(self, handler: Callable[[Event], None]) -> Callable[[], None]:
        self._all.append(handler)
        self._refresh()

        def unsubscribe() -> None:
            self._all.remove(handler)
            self._refresh()

        return unsubscribe

    def wants(self, kind: type[Event]) -> bool:
        """Lets the hot path skip building events nobody listens to."""
        return kind in self.wanted

    def publish(self, event: Event) -> None:
        for handler in (*self._handlers.get(type(event), ()), *self._all):
            try:
                handler(event)
            except Exception as exc:  # a face's bug must not stop counting
                if self.on_error is not None:
                    self.on_error(exc, event)
