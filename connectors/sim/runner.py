"""Serves a config's line: one simulated PLC (a real protocol server) per connection, the line
model run in real time, and a script's faults and outages at their seconds.

Every `tick_s` the model is stepped to the clock and every tag whose value changed is set on its
server. A connection's outage (`down`, `silence`, `restart`) stops its server and starts a new
instance afterwards, loaded with the current values; `silence` puts a listener on the port
meanwhile that accepts connections and never answers, as a hung PLC does.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import cast

from connectors.base import Tag
from connectors.registry import sim_server_class, tags_by_connection
from connectors.sim.behaviour import Behaviour, EquipmentAction, EquipmentEvent
from connectors.sim.line import LineModel
from connectors.sim.script import Script, ScriptEvent
from connectors.sim.server import SimServer
from core.config import Config, Connection

log = logging.getLogger("ms5.connectors.sim")

TICK_S = 0.05
HISTORY_MAX = 200_000  # about an hour of a busy demo line's changes; tests read far fewer


class SimError(Exception):
    """The simulator cannot serve (a port in use, a server that does not start); one line."""


class _BlackHole:
    """A TCP listener that accepts and never answers: a hung PLC."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._hold, host, port)

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        # Read (and drop) whatever the client sends, so its writes never block on a full window.
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in self._writers:
                w.close()
            self._writers.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None


@dataclass
class _Served:
    """One connection: its tags, its server (None while down) and what it last served."""

    connection: Connection
    tags: list[Tag]
    server_class: type[SimServer]
    server: SimServer | None = None
    hole: _BlackHole | None = None
    last: list[float | None] = field(default_factory=list)
    failed_tags: set[int] = field(default_factory=set)
    actions: asyncio.Queue[tuple[str, ScriptEvent]] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.last = [None] * len(self.tags)

    @property
    def where(self) -> str:
        c = self.connection
        return f"{c.protocol} {c.id} on {c.host}:{c.port}"


def _check_port(host: str, port: int) -> None:
    """Fail early, with one line, when something listens on the port already: a server library
    may only log that from a background task, and the simulator would serve nothing."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise SimError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        # Like the servers do, so that a port left in TIME_WAIT by a previous run is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SimError(f"port {port} on {host} is in use") from None
            raise SimError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class SimLine:
    """Serves `config` with simulated PLCs until stopped.

    `clock` gives the model's time (epoch seconds); `on_event` receives one line per script event
    as it happens (the CLI prints them). Script times are wall-clock seconds after `start()`,
    whatever `speed` (which makes the equipment faster, see connectors.sim.line). `model_start`
    starts the line model earlier than `start()` (the demo's shift start): a model with the same
    seed and start serves the same values at every instant, so PLCs served from it carry on from
    a history another model of the same line made (with the same `behaviour`).
    """

    def __init__(
        self,
        config: Config,
        seed: int = 1,
        script: Script | None = None,
        speed: float = 1.0,
        *,
        clock: Callable[[], float] = time.time,
        tick_s: float = TICK_S,
        on_event: Callable[[str], None] | None = None,
        history_max: int | None = HISTORY_MAX,
        model_start: float | None = None,
        behaviour: Behaviour | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        conn_ids = {c.id for c in config.connections}
        for ev in script.connection_events if script else ():
            if ev.target not in conn_ids:
                raise ValueError(f"script line {ev.line}: unknown connection {ev.target!r}")
        self.config = config
        self.seed = seed
        self.script = script or Script("<none>", ())
        self.speed = speed
        self.clock = clock
        self.tick_s = tick_s
        self.on_event = on_event
        self.history_max = history_max
        self.model_start = model_start
        self.behaviour = behaviour
        self.model: LineModel | None = None
        self.started_at: float | None = None
        self._served: dict[str, _Served] = {}
        self._tick_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._values: dict[tuple[str, str], float] = {}

    # -- public --------------------------------------------------------------------------------

    @property
    def connections(self) -> list[tuple[Connection, int]]:
        """The served connections and their number of tags, in config order."""
        return [(s.connection, len(s.tags)) for s in self._served.values()]

    def server(self, connection_id: str) -> SimServer | None:
        """The connection's live server (None while it is down or silent)."""
        return self._served[connection_id].server

    async def start(self) -> None:
        """Start every server and the model; raises SimError (one line) when one cannot start,
        after stopping those that did."""
        tags = tags_by_connection(self.config)
        for conn in self.config.connections:
            if conn.port is None:
                raise SimError(f"connection {conn.id}: no port to serve on (set `port`)")
            try:
                cls = sim_server_class(conn.protocol)
            except ImportError as exc:
                raise SimError(f"connection {conn.id}: no simulated {conn.protocol} PLC ({exc})") from None
            self._served[conn.id] = _Served(conn, tags.get(conn.id, []), cls)
        for served in self._served.values():
            _check_port(served.connection.host, served.connection.port or 0)

        self.started_at = start = self.clock()
        events = [
            EquipmentEvent(start + e.at_s, cast(EquipmentAction, e.action), e.target, e.duration_s, e.code)
            for e in self.script.equipment_events
        ]
        self.model = LineModel(
            self.config,
            self.seed,
            start if self.model_start is None else min(self.model_start, start),
            speed=self.speed,
            events=events,
            history_max=self.history_max,
            behaviour=self.behaviour,
        )
        self._values = self.model.step(start)

        async def start_one(served: _Served) -> None:
            try:
                await self._start_server(served)
            except SimError:
                raise
            except Exception as exc:
                raise SimError(f"cannot serve {served.where}: {_one_line(exc)}") from None

        try:
            # Together: an OPC UA server and the cpppo process each take a second or more to come up,
            # and the demo's first live figures wait for the slowest of them, not for their sum.
            results = await asyncio.gather(
                *(start_one(served) for served in self._served.values()), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        except BaseException:
            await self.stop()
            raise
        for served in self._served.values():
            served.worker = asyncio.create_task(self._connection_worker(served))
        self._tick_task = asyncio.create_task(self._run())

    async def run_forever(self) -> None:
        """Serve until `stop()`; re-raises what broke the simulator, if anything did."""
        if self._tick_task is None:
            raise RuntimeError("SimLine.start() first")
        waiter = asyncio.create_task(self._stopped.wait())
        try:
            await asyncio.wait({waiter, self._tick_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if self._tick_task.done() and not self._tick_task.cancelled():
            exc = self._tick_task.exception()
            if exc is not None:
                raise exc

    def request_stop(self) -> None:
        """Make `run_forever()` return (from a signal handler, say); then await `stop()`."""
        self._stopped.set()

    async def stop(self) -> None:
        """Stop the model and every server (idempotent)."""
        self._stopped.set()
        tasks = [t for t in (self._tick_task, *(s.worker for s in self._served.values())) if t]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for served in self._served.values():
            await self._stop_server(served)
            if served.hole is not None:
                await served.hole.stop()
                served.hole = None

    async def __aenter__(self) -> SimLine:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- inside ----------------------------------------------------------------------------------

    async def _start_server(self, served: _Served) -> None:
        # A fresh instance each time: the SimServer contract does not promise a restartable one.
        server = served.server_class(served.connection, served.tags)
        # Values go in before the port opens: a station's first read must not see a fresh
        # server's zeros (a counter read as 0 and then as its value counts a bogus jump).
        served.server = server
        served.last = [None] * len(served.tags)
        self._push(served)
        try:
            await server.start()
        except BaseException:
            served.server = None
            raise
        self._push(served)

    async def _stop_server(self, served: _Served) -> None:
        server, served.server = served.server, None
        if server is None:
            return
        try:
            await asyncio.wait_for(server.stop(), 10.0)
        except Exception as exc:  # a server that stops badly is stopped as far as we care
            log.debug("%s: stop: %s", served.connection.id, exc)

    def _push(self, served: _Served) -> None:
        server = served.server
        if server is None:
            return
        for i, tag in enumerate(served.tags):
            value = self._values.get((tag.equipment, tag.signal))
            if value is None or served.last[i] == value:
                continue
            try:
                server.set(i, value)
            except Exception as exc:
                # Say it once per tag: a value the tag's type cannot hold fails on every change.
                if i not in served.failed_tags:
                    served.failed_tags.add(i)
                    log.warning(
                        "%s: cannot serve %s.%s = %g at %s: %s",
                        served.connection.id,
                        tag.equipment,
                        tag.signal,
                        value,
                        tag.binding.address,
                        _one_line(exc),
                    )
                continue
            served.last[i] = value

    def _say(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)
        else:
            log.info("%s", text)

    async def _run(self) -> None:
        assert self.model is not None and self.started_at is not None
        start = self.started_at
        pending = list(self.script.events)
        # Connection events end with an action of their own ("up"), queued as they fall due.
        ends: list[tuple[float, ScriptEvent]] = []
        # The model's own line-wide changeovers said so far: none from before the start (a model
        # started earlier made them for a history).
        told = len(self.model.changeovers(start - 1e-6))
        while True:
            now = self.clock()
            elapsed = now - start
            while pending and pending[0].at_s <= elapsed:
                ev = pending.pop(0)
                self._say(f"t+{ev.at_s:g}s: {ev.describe()}")
                if ev.on_connection:
                    self._served[ev.target].actions.put_nowait((ev.action, ev))
                    if ev.action != "restart":
                        ends.append((ev.at_s + ev.duration_s, ev))
                        ends.sort(key=lambda x: x[0])
            while ends and ends[0][0] <= elapsed:
                _, ev = ends.pop(0)
                self._served[ev.target].actions.put_nowait(("up", ev))
            self._values = self.model.step(now)
            for served in self._served.values():
                self._push(served)
            # Said, or a whole line standing with still counters passes for a frozen simulator.
            changeovers = self.model.changeovers(now)
            for line_id, at, duration in changeovers[told:]:
                self._say(
                    f"t+{at - start:.0f}s: line {line_id} changes over for {duration:.0f} s "
                    "(every machine stops, counters stand still)"
                )
            told = len(changeovers)
            await asyncio.sleep(self.tick_s)

    async def _connection_worker(self, served: _Served) -> None:
        """Carries out one connection's outages in order, so overlapping ones never interleave."""
        while True:
            action, ev = await served.actions.get()
            try:
                await self._do(served, action, ev)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: %s failed: %s", served.connection.id, action, _one_line(exc))

    async def _do(self, served: _Served, action: str, ev: ScriptEvent) -> None:
        conn = served.connection
        if action in ("down", "silence", "restart"):
            await self._stop_server(served)
        if action == "silence" and served.hole is None:
            hole = _BlackHole()
            await _retry(lambda: hole.start(conn.host, conn.port or 0))
            served.hole = hole
        if action in ("up", "restart"):
            if served.hole is not None:
                await served.hole.stop()
                served.hole = None
            if served.server is None:
                await _retry(lambda: self._start_server(served))
                if action == "up":
                    self._say(f"{conn.id} serving again ({ev.action} over)")


async def _retry(start: Callable[[], Awaitable[None]], attempts: int = 20, delay: float = 0.25) -> None:
    """Start something on a port that was just closed: the OS may need a moment to free it."""
    for attempt in range(attempts):
        try:
            await start()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
