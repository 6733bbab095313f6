"""What every protocol shares: one runner per PLC connection that connects, reads, reconnects
with capped jittered backoff, turns tags bad within two poll periods of silence, keeps
diagnostics, and logs a failure once when it starts and once when it ends (never per poll).

A failure is either the PLC's or the network's (`ConnectorError`, `OSError` and timeouts, and
the exceptions a driver names in `peer_errors`): state `failed`, one line. Anything else is a bug
in a driver, its library or the station: state `driver_error`, logged once with its traceback.
Both are retried with the same backoff, so a station with a bug keeps trying (in the manner of
Home Assistant's DataUpdateCoordinator: UpdateFailed against an unexpected exception).

While a PLC is away the wait between two full reconnects is cut into slices of
`PROBE_INTERVAL_S` with a TCP connect probe after each (opened and closed at once): the first
probe that finds the PLC accepting again, after one that did not, ends the wait and restarts the
backoff from its shortest, so a PLC that is back is read within a slice of it, while one whose
TCP stack answers but whose protocol fails is still retried no more often than the backoff says.

Before its first poll completes a connection's tags are unknown, not bad. A runner given `since`
(the station's start) stamps the values of its first poll, when that poll succeeds, no later than
`since`, and sets `first_poll` once that poll has succeeded or the first attempt has failed: the
station holds its engine's clock until every connection's `first_poll` is set, so a machine whose
PLC answers a moment after another's shows no comms loss for that moment, while one whose PLC
does not answer is comms loss from the start.

A protocol supplies a `Driver`. Drivers of blocking client libraries (python-snap7, pycomm3) set
`blocking = True`: the runner then calls them in a thread of the connection's own, so a hung PLC
stalls nothing but its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.diagnostics import FAILING, ConnectionState, Diagnostics, bug_line, error_line
from core.config import Connection, SignalBinding
from core.samples import Quality, Sample

# The state and the diagnostics live in connectors.diagnostics; most code finds them here.
__all__ = [
    "BAD_READING",
    "FAILING",
    "PROBE_INTERVAL_S",
    "ConnectionRunner",
    "ConnectionState",
    "ConnectorError",
    "Diagnostics",
    "Driver",
    "Reading",
    "Sink",
    "Tag",
]

log = logging.getLogger("ms5.connectors")

PROBE_INTERVAL_S = 0.5  # between two TCP connect probes while a PLC is away


class ConnectorError(Exception):
    """A connection-level failure (cannot connect, connection lost); one line."""


@dataclass(frozen=True)
class Tag:
    """One bound signal of one equipment, as a driver reads it."""

    equipment: str
    binding: SignalBinding

    @property
    def signal(self) -> str:
        return self.binding.signal

    def scaled(self, raw: float) -> float:
        b = self.binding
        return raw * b.scale + b.offset if (b.scale != 1.0 or b.offset != 0.0) else raw


@dataclass(frozen=True)
class Reading:
    """A driver's answer for one tag: a value, or None with the reason it is bad."""

    value: float | None
    quality: Quality = Quality.GOOD
    source_ts: float | None = None
    error: str | None = None


BAD_READING = Reading(None, Quality.BAD)


class Driver(ABC):
    """One protocol client for one connection. Addresses are parsed in __init__ (bad ones raise
    ValueError with a one-line reason, which `ms5 check` shows)."""

    blocking: ClassVar[bool] = False
    # What the driver's client library raises for a PLC that is down, refuses or answers nonsense,
    # beyond OSError and timeouts: such a failure is the PLC's or the network's, not a bug.
    peer_errors: ClassVar[tuple[type[Exception], ...]] = ()
    # The protocol's registered TCP port, for a connection that names none.
    default_port: ClassVar[int | None] = None

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        self.connection = connection
        self.tags = list(tags)
        # Set by the runner: a driver that is told of changes (OPC UA subscriptions) calls it from
        # the event loop so the runner reads at once instead of at its next poll.
        self.wake: Callable[[], None] | None = None

    @abstractmethod
    def connect(self) -> Any:
        """Open the connection (a coroutine for async drivers); raise ConnectorError on failure."""

    @abstractmethod
    def read(self) -> Any:
        """Read every tag: a list of Reading, one per tag, in order (a coroutine for async drivers).
        A tag the PLC refuses is a bad Reading; a lost connection raises ConnectorError."""

    @abstractmethod
    def close(self) -> Any:
        """Close quietly; never raises."""

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        """Raise ValueError (one line) when the connection's protocol options are wrong."""
        return None

    @classmethod
    @abstractmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        """Raise ValueError (one line) when the address or its data type is wrong for this protocol."""

    def endpoint(self) -> tuple[str, int] | None:
        """The host and TCP port the PLC listens on (what the reconnect probe connects to)."""
        port = self.connection.port or self.default_port
        return None if port is None else (self.connection.host, port)

    def requests(self) -> int:
        """Requests sent so far (for the coalescing benchmark); 0 when the driver does not count."""
        return 0


Sink = Callable[[list[Sample]], None]


class ConnectionRunner:
    """Runs one driver for ever (until cancelled), feeding changed values to `sink`."""

    def __init__(
        self,
        driver: Driver,
        sink: Sink,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_state: Callable[[Diagnostics], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        probe_interval_s: float = PROBE_INTERVAL_S,
        since: float | None = None,
    ) -> None:
        self.driver = driver
        self.connection = driver.connection
        self.sink = sink
        self.clock = clock
        # How long since the last good read: on the monotonic clock when the station's clock has
        # one (hmi/station/clock.py), so a step of the wall clock marks no tag BAD.
        self._elapsed: Callable[[], float] = getattr(clock, "monotonic", clock)
        self._good_at: float | None = None
        self.rng = rng or random.Random()
        self.on_state = on_state
        self.sleep = sleep  # the waits between reconnects (tests see each one)
        self.probe_interval_s = probe_interval_s
        self._since = since
        self.first_poll = asyncio.Event()  # set once the first poll succeeded or the first try failed
        self.diagnostics = Diagnostics(driver.connection.id, driver.connection.protocol)
        self.latest: list[tuple[float | None, Quality]] = [(None, Quality.UNCERTAIN)] * len(driver.tags)
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ms5-{self.connection.id}")
            if driver.blocking
            else None
        )
        self._all_bad = False
        self._failures = 0
        self._refused = False  # a probe found the PLC not accepting since the last good poll
        self._woken = asyncio.Event()
        driver.wake = self._woken.set
        self._tag_errors: list[str | None] = [None] * len(driver.tags)

    async def _call(self, method: Callable[[], Any]) -> Any:
        if self._executor is not None:
            return await asyncio.get_running_loop().run_in_executor(self._executor, method)
        return await method()

    def _set_state(
        self, state: ConnectionState, error: str | None = None, exc: BaseException | None = None
    ) -> None:
        d = self.diagnostics
        # last_error outlives the failure (the faces show it); only a new state, or a new error
        # while failing, is a change worth a line.
        if state == d.state and (state not in FAILING or error == d.last_error):
            return
        previous = d.state
        d.state = state
        if error is not None:
            d.last_error = error
        # One record when it breaks and one when it comes back: not one per poll.
        if state is previous:
            pass  # a new error while it lasts: the faces show it, the log does not repeat it
        elif state is ConnectionState.FAILED:
            log.warning("%s: %s", self.connection.id, error)
        elif state is ConnectionState.DRIVER_ERROR:
            # The traceback is for whoever fixes the bug; the retries that follow would only repeat it.
            log.error("%s: driver error (a bug, not the PLC): %s", self.connection.id, error, exc_info=exc)
        elif state is ConnectionState.CONNECTED and previous in FAILING:
            log.warning("%s: connected again", self.connection.id)
        if self.on_state is not None:
            self.on_state(d)

    def _failed(self, exc: Exception, since: float | None = None) -> None:
        self._failures += 1
        # TimeoutError (asyncio's too, since 3.11) is an OSError.
        if isinstance(exc, (ConnectorError, OSError, *self.driver.peer_errors)):
            self._set_state(ConnectionState.FAILED, error_line(exc))
        else:
            # A bug must not stop the station either: retried like a failure, but told apart, as a
            # driver that raises KeyError would otherwise pass for a PLC outage for ever.
            self._set_state(ConnectionState.DRIVER_ERROR, bug_line(exc), exc)
        self._mark_all_bad(since)

    def _emit(self, readings: Sequence[Reading], received: float, since: float | None = None) -> None:
        """Pass on the values that changed; `since`: the first poll's, unknown until now, count
        from then (see the module's docstring)."""
        out = []
        for i, (tag, r) in enumerate(zip(self.driver.tags, readings, strict=True)):
            if r.error != self._tag_errors[i] and r is not BAD_READING:
                # A refused address or a missing node: said once when it starts and once when it ends.
                where = f"{self.connection.id}: {tag.equipment}.{tag.signal} at {tag.binding.address}"
                if r.error is not None:
                    log.warning("%s: %s", where, r.error)
                else:
                    log.warning("%s: good again", where)
                self._tag_errors[i] = r.error
            value = None if r.value is None else tag.scaled(r.value)
            quality = r.quality if value is not None else Quality.BAD
            if self.latest[i] == (value, quality):
                continue
            self.latest[i] = (value, quality)
            ts = r.source_ts if r.source_ts is not None else received
            if since is not None and ts > since:
                ts = since
            out.append(Sample(ts, tag.equipment, tag.signal, value, quality, received))
        if out:
            self.sink(out)

    def _mark_all_bad(self, since: float | None = None) -> None:
        if self._all_bad:
            return
        self._all_bad = True
        self._emit([BAD_READING] * len(self.driver.tags), self.clock(), since)

    def _backoff(self) -> float:
        base: float = min(self.connection.poll_interval_s, 1.0) * float(2 ** min(self._failures, 16))
        # Jitter first, then the cap: the cap is a promise to whoever waits for the PLC to return.
        return min(base * self.rng.uniform(0.8, 1.2), self.connection.reconnect_max_s)

    async def _watchdog(self) -> None:
        """Tags turn bad within two poll periods of no good read, even while a read hangs; before
        the first poll they are unknown until its first attempt ends (bounded by its timeouts)."""
        period = self.connection.poll_interval_s
        while True:
            await asyncio.sleep(period / 4)
            if self._good_at is None:
                if self.first_poll.is_set():
                    self._mark_all_bad()
            elif self.stale():
                self._mark_all_bad()

    def stale(self) -> bool:
        """Whether two poll periods passed since the last good read."""
        good_at = self._good_at
        return good_at is not None and self._elapsed() - good_at >= 2 * self.connection.poll_interval_s

    async def run(self) -> None:
        watchdog = asyncio.create_task(self._watchdog())
        try:
            while True:
                try:
                    await self._session()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a driver's bug must not stop the station
                    if _cancelling():
                        raise asyncio.CancelledError from exc
                    # A first attempt that fails: no value was known from the start, so the
                    # tags are bad from then (comms loss from the start, for a rebuilt engine too).
                    since, self._since = self._since, None
                    self._failed(exc, since)
                    self.first_poll.set()
                await self._call_close()
                if _cancelling():
                    raise asyncio.CancelledError
                await self._wait_to_reconnect(self._backoff())
                self.diagnostics.reconnects += 1  # attempts: a dead PLC shows the station still trying
        finally:
            self.first_poll.set()
            watchdog.cancel()
            self.diagnostics.state = ConnectionState.STOPPED
            await self._call_close()
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)

    async def _wait_to_reconnect(self, delay: float) -> None:
        """Wait `delay` before the next full reconnect, probing the PLC's port between slices of
        it: a PLC that accepts again after refusing ends the wait (see the module's docstring)."""
        endpoint = self.driver.endpoint()
        step = self.probe_interval_s
        if endpoint is None or step <= 0 or delay <= step:
            await self.sleep(delay)
            return
        waited = 0.0
        while waited < delay:
            part = min(step, delay - waited)
            await self.sleep(part)
            waited += part
            if waited >= delay:
                return  # the full reconnect is due anyway
            if not await self._probe(endpoint):
                self._refused = True
            elif self._refused:
                # Back: reconnect now, and should that fail (a server still starting), retry at
                # the shortest backoff, not at the one grown while the PLC was away.
                self._refused = False
                self._failures = 0
                return
            else:
                # Accepting all along: the protocol fails, not the network; the probe has no news.
                await self.sleep(delay - waited)
                return

    async def _probe(self, endpoint: tuple[str, int]) -> bool:
        """Whether the PLC accepts a TCP connection now (closed at once, nothing sent)."""
        self.diagnostics.probes += 1
        limit = min(self.connection.timeout_s, self.probe_interval_s)
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(*endpoint), limit)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):  # it accepted, which is all the probe asks
            await asyncio.wait_for(writer.wait_closed(), limit)
        return True

    async def _call_close(self) -> None:
        try:
            await asyncio.wait_for(self._call(self.driver.close), self.connection.timeout_s)
        except Exception as exc:  # closing a dead connection may fail in any way; it is closed
            log.debug("%s: close: %s", self.connection.id, exc)

    async def _session(self) -> None:
        conn = self.connection
        await asyncio.wait_for(self._call(self.driver.connect), conn.timeout_s * 2)
        period = conn.poll_interval_s
        # Connections started together would poll in step and queue behind each other every
        # interval (the station benchmark's jitter): the first poll is at once, the schedule after
        # it runs at a random phase.
        next_poll = time.monotonic() + self.rng.uniform(0.0, period)
        await self._poll_once()
        while True:
            delay = next_poll - time.monotonic()
            if delay < 0:  # fell behind (a slow PLC): skip the missed slots rather than burst
                next_poll = time.monotonic()
                delay = 0
            self._woken.clear()
            try:
                await asyncio.wait_for(self._woken.wait(), delay)
                woken = True
            except TimeoutError:
                woken = False
            await self._poll_once()
            if not woken:  # a pushed change is read at once; the scheduled poll stays due
                next_poll += period

    async def _poll_once(self) -> None:
        conn = self.connection
        started = time.monotonic()
        readings = await asyncio.wait_for(
            self._call(self.driver.read), max(conn.timeout_s * 2, conn.poll_interval_s)
        )
        if _cancelling():
            raise asyncio.CancelledError
        now = self.clock()
        d = self.diagnostics
        d.latencies.append(time.monotonic() - started)
        d.poll_times.append(time.monotonic())
        d.polls += 1
        d.last_good = now
        self._good_at = self._elapsed()
        self._failures = 0
        self._refused = False
        self._all_bad = False
        self._set_state(ConnectionState.CONNECTED)
        since, self._since = self._since, None
        self._emit(readings, now, since)
        self.first_poll.set()


def _cancelling() -> bool:
    """Python 3.11's asyncio.wait_for drops a cancellation that arrives as the awaited call
    finishes (fixed in 3.12), but the task still counts it: check before carrying on."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
