"""The station: PLC connections -> engine -> store, in one asyncio loop.

It builds the connectors and the engine from the config and owns the SQLite file (docs/DESIGN.md,
"The path of a sample"). Faces get the engine, the gate and the
connection diagnostics from here.
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
        self.pace = CounterPace()
        self.started_at: float | None = None
        self.tags: dict[tuple[str, str], TagValue] = {}  # (equipment, signal) -> last value
        self.events: deque[Event] = deque(maxlen=EVENT_TAIL)
        self._listeners: list[Callable[[Event], None]] = []

    def open(self) -> None:
        """Open the store and rebuild the engine from its journal (nothing is counted twice)."""
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(self.db_path)
        self.engine = rebuild(self.config, self.store)
        self.engine.tick(self.clock())
        self.gate = CommandGate(self.engine, self.store, self.clock)
        self.started_at = self.clock()
        for kind in FACE_EVENTS:
            self.engine.bus.subscribe(kind, self._on_event)

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
            ConnectionRunner(driver, self.ingest, clock=self.clock, on_state=self.on_connection)
            for driver in build_drivers(self.config)
        ]
        for runner in self.runners:
            self._tasks.append(asyncio.create_task(runner.run(), name=f"connection {runner.connection.id}"))
        self._tasks.append(asyncio.create_task(self._tick_loop(), name="tick"))
        if self.reporter is not None:
            self._tasks.append(asyncio.create_task(self.reporter.run(), name="shift reports"))

    def ingest(self, samples: list[Sample]) -> None:
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        received = self.clock()
        tags = self.tags
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
        now = self.clock()
        self._release(self.pace.due(now))
        engine.tick(now)
        try:
            store.maybe_flush(now)
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

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.store is not None:
            if self.engine is not None:
                self._release(self.pace.drain())
                self.engine.tick(self.clock())
            try:
                self.store.close()
            except StoreError as exc:  # a full disk at the very end: said, not a traceback
                log.error("store: %s", exc)
            self.store = None

    def diagnostics(self) -> list[Diagnostics]:
        return [r.diagnostics for r in self.runners]
