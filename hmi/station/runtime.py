"""The station: PLC connections -> engine -> store, in one asyncio loop.

It builds the connectors and the engine from the config and owns the SQLite file (docs/DESIGN.md,
"The path of a sample"). Faces get the engine, the gate and the
connection diagnostics from here.

At start the engine's clock waits for the connections: until each one's first poll has completed
(or its first attempt failed, within its timeouts) samples are held, not fed, and the engine is
not ticked. The first poll's values count from the station's start (the runners stamp them so),
so a machine whose PLC answers 0.1 s after another's is not 0.1 s in comms loss; a connection
that does not answer is comms loss from the start (connectors.base).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from connectors.base import ConnectionRunner, Diagnostics
from connectors.registry import build_drivers
from core.andon import AndonChanged
from core.config import Config
from core.counter_thinning import CounterPace
from core.engine import Engine
from core.events import (
    ChangeoverEnded,
    ChangeoverStarted,
    DowntimeEnded,
    DowntimeStarted,
    Event,
    QualityAlert,
    StateChanged,
)
from core.gate import CommandGate
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store, StoreError
from hmi.station.memory import Pruner
from hmi.station.reporter import ShiftReporter

log = logging.getLogger("ms5.station")

TICK_S = 0.5  # how often escalations, thresholds and the store's one-second flush are looked at
EVENT_TAIL = 500  # engine events kept for a face that opens later (console's Events screen)

# What the faces list as events; production counts change many times a second and reach them as
# figures instead.
FACE_EVENTS: tuple[type[Event], ...] = (
    StateChanged,
    DowntimeStarted,
    DowntimeEnded,
    ChangeoverStarted,
    ChangeoverEnded,
    QualityAlert,
    AndonChanged,
)


def _reports_wanted(config: Config) -> bool:
    return config.reports.at_shift_end or bool(config.reports.mail_to)


@dataclasses.dataclass(frozen=True, slots=True)
class TagValue:
    """The last value the station got for one signal of one equipment."""

    value: float | None
    quality: int
    ts: float  # source time
    received: float


class Station:
    def __init__(
        self,
        config: Config,
        db_path: Path,
        *,
        clock: Callable[[], float] = time.time,
        on_connection: Callable[[Diagnostics], None] | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.db_path = db_path
        # The shift-end reports run `ms5 report` on this file (hmi/station/reporter.py).
        self.reporter = ShiftReporter(self, config_path) if config_path and _reports_wanted(config) else None
        self.clock = clock
        self.on_connection = on_connection
        self.store: Store | None = None
        self.engine: Engine | None = None
        self.gate: CommandGate | None = None
        self.runners: list[ConnectionRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        # Said loudly on every face (hmi.station.views.health_view) while the database cannot be written.
        self.store_error: str | None = None
        # Said on every face from the start on: the database was found behind its anchor.
        self.store_loss: str | None = None
        self.notes: list[str] = []  # what opening the store found, one line each (also logged)
        self.pace = CounterPace()
        self.pruner = Pruner()  # bounded memory: the engine keeps two shifts and open items
        self.started_at: float | None = None
        self.tags: dict[tuple[str, str], TagValue] = {}  # (equipment, signal) -> last value
        self.events: deque[Event] = deque(maxlen=EVENT_TAIL)
        self._listeners: list[Callable[[Event], None]] = []
        # Samples that came before every connection's first poll ended; None once the clock runs.
        self._held: list[Sample] | None = None
        # Set when every connection's first poll has ended: the values a face shows are live. On
        # a line already running (the demo after its history) they bring no face event.
        self.live = asyncio.Event()

    def open(self) -> None:
        """Open the store and rebuild the engine from its journal (nothing is counted twice)."""
        store = Store.open(self.db_path)
        try:
            store.quick_check()  # a damaged file is refused here, not met as a traceback later
            self.notes = [*store.notes, *self._check_anchor(store)]
            for note in self.notes:
                log.warning("store: %s", note)
            engine = rebuild(self.config, store)
        except BaseException:
            store.close()
            raise
        self.store, self.engine = store, engine
        self.started_at = now = self.clock()
        self.engine.tick(now)
        self.gate = CommandGate(self.engine, self.store, self.clock)
        for kind in FACE_EVENTS:
            self.engine.bus.subscribe(kind, self._on_event)

    def _check_anchor(self, store: Store) -> list[str]:
        """The database against its anchor: a lost tail is said and kept on record, and the
        station goes on from what the file holds (stopping would lose the line's next hours too)."""
        loss = store.lost_tail()
        if loss is None:
            return []
        self.store_loss = (
            f"{loss.summary()} (anchor {store.anchor.path}); restore from a backup or the exported "
            "journal; `ms5 audit verify` names the rows"
        )
        trouble = store.keep_loss(loss, self.clock())
        return [self.store_loss] if trouble is None else [self.store_loss, trouble]

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        for listener in list(self._listeners):
            listener(event)

    def listen(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` with every face event (see FACE_EVENTS), as the engine's own object:
        a listener that sends it on converts it (core.events.event_dict); returns the unsubscribe."""
        self._listeners.append(listener)

        def unlisten() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unlisten

    async def start(self) -> None:
        if self.engine is None:
            self.open()
        self.runners = [
            ConnectionRunner(
                driver, self.ingest, clock=self.clock, on_state=self.on_connection, since=self.started_at
            )
            for driver in build_drivers(self.config)
        ]
        # Nothing to wait for without connections: the clock runs from the start.
        self._held = [] if self.runners else None
        for runner in self.runners:
            self._tasks.append(asyncio.create_task(runner.run(), name=f"connection {runner.connection.id}"))
        self._tasks.append(asyncio.create_task(self._start_clock(), name="first polls"))
        self._tasks.append(asyncio.create_task(self._tick_loop(), name="tick"))
        if self.reporter is not None:
            self._tasks.append(asyncio.create_task(self.reporter.run(), name="shift reports"))

    async def _start_clock(self) -> None:
        """Hold the engine until every connection's first poll has ended, then feed it what came."""
        await asyncio.gather(*(runner.first_poll.wait() for runner in self.runners))
        self._release_held()
        self.live.set()

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if held:
            # The first polls' values (stamped at the start) before anything a faster connection
            # read after them: stable, so each tag keeps its own order.
            since = self.started_at
            held.sort(key=lambda s: since is None or s.ts > since)
            self.ingest(held)

    def ingest(self, samples: list[Sample]) -> None:
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        received = self.clock()
        tags = self.tags
        if self._held is not None:
            self._held.extend(samples)
            for s in samples:  # the tag views show them at once all the same
                tags[s.equipment, s.signal] = TagValue(s.value, int(s.quality), s.ts, s.received or received)
            return
        feed = self.pace.feed
        ingest_one, append = engine.ingest_one, store.append_sample
        for s in samples:
            # Counters reach the engine at most once a second (core.counter_thinning); the journal
            # records each sample as the engine used it, so a rebuild equals this run.
            for used in feed(s):
                append(ingest_one(used))
            tags[s.equipment, s.signal] = TagValue(s.value, int(s.quality), s.ts, s.received or received)

    def _release(self, samples: list[Sample]) -> None:
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        for s in samples:
            store.append_sample(engine.ingest_one(s))

    def tick(self) -> None:
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        if self._held is not None:
            return  # the engine's clock starts with the first polls (see the module's docstring)
        now = self.clock()
        self._release(self.pace.due(now))
        engine.tick(now)
        try:
            store.maybe_flush(now)
            # After the flush: the slices it wrote need no longer be kept.
            self.pruner.step(self.config, engine, store, now)
        except Exception as exc:  # a full or read-only disk must not stop counting
            message = self._store_trouble(store, exc)
            if self.store_error is None:
                log.error("store: %s", message)
            self.store_error = message
        else:
            if self.store_error is not None:
                log.warning("store: writing again (%d samples were not kept)", store.dropped_samples)
            self.store_error = None

    @staticmethod
    def _store_trouble(store: Store, exc: Exception) -> str:
        why = store.write_error or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        text = f"database not writable: {why} ({store.path}); counting goes on in memory"
        if store.dropped_samples:
            text += f", {store.dropped_samples} samples not kept"
        return text

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self.tick()

    async def reload(self, config: Config) -> None:
        """Run on `config` from now on: a restart inside the process, so that it gives what a
        restart gives (docs/CONFIG.md, "Changing the config of a running station").

        Once the runners are stopped, everything up to the new runners' start is synchronous: no
        command of a face or the socket falls between the old engine and the new one. Every
        sample read so far is in the journal before it is rebuilt from, and every command was
        journaled before it was answered, so the new engine has both. A store that cannot write
        refuses it (StoreError) before anything stops: closing it would drop the samples it holds
        in memory.
        """
        if self.store is not None:
            self.store.flush()
        await self._stop_tasks()
        self._close()
        self.config = config
        self.engine = self.gate = None
        self.pace = CounterPace()
        known = {eq.id for line in config.lines for eq in line.equipment}
        self.tags = {key: value for key, value in self.tags.items() if key[0] in known}
        self.open()
        await self.start()

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def stop(self) -> None:
        await self._stop_tasks()
        self._close()

    def _close(self) -> None:
        if self.store is not None:
            if self.engine is not None:
                self._release_held()  # stopped before every first poll ended: nothing is lost
                self._release(self.pace.drain())
                self.engine.tick(self.clock())
            try:
                self.store.close()
            except StoreError as exc:  # a full disk at the very end: said, not a traceback
                log.error("store: %s", exc)
            self.store = None

    def diagnostics(self) -> list[Diagnostics]:
        return [r.diagnostics for r in self.runners]
