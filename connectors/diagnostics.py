"""A connection's state, the diagnostics the faces show of it (connectors.base keeps them) and
the one line a failure is told in."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ConnectionState(StrEnum):
    """A connection's state. A StrEnum so that the views, the status lines and the station socket
    carry the same strings as before it was one."""

    CONNECTING = "connecting"  # before the first success or failure
    CONNECTED = "connected"
    FAILED = "failed"  # cannot connect, connection lost, no answer; also while retrying
    DRIVER_ERROR = "driver_error"  # a bug in the driver, its library or the station; also while retrying
    STOPPED = "stopped"


# The states in which the runner retries with backoff and the tags are bad.
FAILING = frozenset({ConnectionState.FAILED, ConnectionState.DRIVER_ERROR})


@dataclass
class Diagnostics:
    connection: str
    protocol: str
    state: ConnectionState = ConnectionState.CONNECTING
    last_error: str | None = None
    reconnects: int = 0
    probes: int = 0  # TCP connect probes while the PLC was away
    polls: int = 0
    last_good: float | None = None
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=500))
    poll_times: deque[float] = field(default_factory=lambda: deque(maxlen=50))

    @property
    def reads_per_s(self) -> float:
        t = self.poll_times
        if len(t) < 2 or t[-1] <= t[0]:
            return 0.0
        return (len(t) - 1) / (t[-1] - t[0])

    def latency(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "protocol": self.protocol,
            "state": self.state.value,
            "last_error": self.last_error,
            "reconnects": self.reconnects,
            "probes": self.probes,
            "polls": self.polls,
            "reads_per_s": round(self.reads_per_s, 2),
            "latency_p50_ms": None if (p := self.latency(0.5)) is None else round(p * 1000, 1),
            "latency_p99_ms": None if (p := self.latency(0.99)) is None else round(p * 1000, 1),
            "last_good": self.last_good,
        }


def error_line(exc: BaseException) -> str:
    """A PLC's or a network's failure as the one line `last_error` and the log show."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer (timeout)"
    return first or type(exc).__name__


def bug_line(exc: BaseException) -> str:
    """The exception's type and first line: `KeyError: 'x'` says more than `'x'`."""
    name = type(exc).__name__
    text = error_line(exc)
    return name if text == name else f"{name}: {text}"
