"""The station: PLC connections -> engine -> store, in one asyncio loop.

It builds the connectors and the engine from the config and owns the SQLite file (docs/DESIGN.md,
"The path of a sample"). Faces get the engine, the gate and the
connection diagnostics from here.

At start the engine's clock waits for the connections: until each one's first poll has completed
(or its first attempt failed, within its timeouts) samples are held, not fed, and the engine is
not ticked. The first poll's values count from the station's start (the runners stamp them so),
so a machine whose PLC answers 0.1 s after another's is not 0.1 s in comms loss; a connection
that does not answer is comms loss from the start (connectors.base).

Every time the station stamps comes from one clock (`hmi.station.clock.StationClock` unless a
test gives a plain callable): elapsed time on the monotonic clock, a step of the wall clock
journaled once and handed to the engine, so that it counts no time that did not pass
(docs/RELIABILITY.md, "Clock steps").

`start()` on a station not yet open polls from its first second: the store's quick check (after an
unclean stop; after a clean one it runs once the station is live, hmi.station.store_check) and the
replay of its journal run in a worker thread on a read-only connection of their own, into an
engine nobody else sees, while the connections poll and their samples are held as above. The
engine is handed over on the loop, ticked at the start, and fed the held samples before anything
else. Until then `starting()` says how far the restore is, and `stop()` abandons it (the thread
is interrupted) and closes the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.base import ConnectionRunner, Diagnostics
from connectors.registry import build_drivers
from core import clean_stop
from core.andon import AndonChanged
from core.clock_steps import COMMAND as CLOCK_STEP
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
from core.snapshot_schedule import SnapshotSchedule
from core.store import Store, StoreError
from hmi.station.clock import StationClock
from hmi.station.held import Held
from hmi.station.memory import Pruner
from hmi.station.metrics_http import MetricsServer
from hmi.station.reporter import ShiftReporter
from hmi.station.restore import Restore
from hmi.station.sd_notify import Notifier
from hmi.station.store_check import AFTER, OK, StoreCheck
from hmi.station.upkeep import Upkeep

if TYPE_CHECKING:
    from hmi.sparkplug.edge import EdgeNode
    from hmi.station.metrics_collector import SparkplugFigures

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


def _clean_stop(db_path: Path) -> float | None:
    """The clean stop the file's note records (core.clean_stop), read before the file is opened."""
    try:
        return clean_stop.take(db_path)
    except OSError:
        return None  # unreadable: as if there were none, the check runs first


def _crash_point() -> Callable[[], object] | None:
    """`MS5_CRASH_POINT=snapshot`: the station kills itself inside its next snapshot's transaction
    (after the row is written, before the commit). For the crash harness; unset in production."""
    if os.environ.get("MS5_CRASH_POINT") != "snapshot":
        return None
    return lambda: os.kill(os.getpid(), signal.SIGKILL)


class Station:
    def __init__(
        self,
        config: Config,
        db_path: Path,
        *,
        clock: Callable[[], float] | None = None,
        on_connection: Callable[[Diagnostics], None] | None = None,
        config_path: Path | None = None,
    ) -> None:
        """`clock`: a `StationClock` (the default, on the system's clocks), or any callable of
        epoch seconds that a test drives and that never steps."""
        self.config = config
        self.db_path = db_path
        # The shift-end reports run `ms5 report` on this file (hmi/station/reporter.py).
        self.reporter = ShiftReporter(self, config_path) if config_path and _reports_wanted(config) else None
        self.clock: Callable[[], float] = StationClock() if clock is None else clock
        # Lockouts run on the monotonic clock (core.auth); a test's StationClock brings its own.
        self.monotonic: Callable[[], float] = time.monotonic
        if isinstance(self.clock, StationClock):
            self.clock.on_step = self._clock_stepped
            self.monotonic = self.clock.monotonic
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
        self.snapshots = SnapshotSchedule(config.store.snapshot_every_min * 60.0, [])
        self.pace = CounterPace()
        self.pruner = Pruner()  # bounded memory: the engine keeps two shifts and open items
        self.started_at: float | None = None
        self.tags: dict[tuple[str, str], TagValue] = {}  # (equipment, signal) -> last value
        self.events: deque[Event] = deque(maxlen=EVENT_TAIL)
        self._listeners: list[Callable[[Event], None]] = []
        # Samples that came before every connection's first poll ended; None once the clock runs.
        self._held: Held | None = None
        # Set when every connection's first poll has ended: the values a face shows are live. On
        # a line already running (the demo after its history) they bring no face event.
        self.live = asyncio.Event()
        # Retention and the scheduled backups (hmi/station/upkeep.py), from start() to stop().
        self.upkeep: Upkeep | None = None
        # The start-up's restore in its worker thread (see the module's docstring), and its task.
        self.restore = Restore(config, db_path)
        self._restoring: asyncio.Task[None] | None = None
        # The full quick check of the file, before the restore or once live (store_check.py).
        self.check = StoreCheck(db_path, None)
        self._checking: asyncio.Task[None] | None = None
        # Read by the metrics endpoint when scraped (hmi/station/metrics_collector.py): counted
        # once per batch or tick, never per sample.
        self.samples_in = 0  # values read from the PLCs since start
        self.store_write_errors = 0  # failed commits since start
        self.ticked_at: float | None = None  # time.monotonic() of the engine's last tick
        # The Sparkplug edge node's buffer figures, once one runs (metrics_collector.SparkplugFigures).
        self.sparkplug: SparkplugFigures | None = None
        self.metrics: MetricsServer | None = None
        # systemd's watchdog, pinged from the tick loop (hmi/station/sd_notify.py).
        self.notifier = Notifier.from_env()
        # The Sparkplug B edge node on the plant broker ([sparkplug]), a task like the connections.
        self.uplink: EdgeNode | None = None

    def starting(self) -> str | None:
        """None once the engine runs; else what the start-up does now, for every face to show."""
        return None if self.engine is not None else self.restore.status()

    def open(self) -> None:
        """Open the store and rebuild the engine from its journal (nothing is counted twice)."""
        self._open_store(check=True)
        assert self.store is not None
        try:
            engine = rebuild(self.config, self.store)
        except BaseException:
            self.store.close()
            self.store = None
            raise
        self._take(engine, self.store.restart_note, self.store.restart_trouble)

    def _open_store(self, *, check: bool = False) -> None:
        """The store opened for writing and checked against its anchor; the engine comes later."""
        self.check = StoreCheck(self.db_path, _clean_stop(self.db_path))
        store = Store.open(self.db_path)
        try:
            if self.check.before:
                log.info("store: no clean stop recorded; the full quick check runs before the restore")
            else:
                log.info("store: stopped cleanly; the full quick check runs once the station is live")
            if check and self.check.before:
                store.quick_check()  # a damaged file is refused here, not met as a traceback later
                self.check.passed()
            self.notes = [*store.notes, *self._check_anchor(store)]
            for note in self.notes:
                log.warning("store: %s", note)
            store.flush()  # the loss kept on record is in the journal the restore reads
        except BaseException:
            store.close()
            raise
        self.store = store
        if isinstance(self.clock, StationClock):
            # Started after a step back (or on a clock set wrong): the journal and the audit trail
            # go on from their newest times, never before them. Read from the file, not the
            # engine: the engine is restored later, while the connections already poll.
            newest = store.conn.execute(
                "SELECT (SELECT ts FROM journal ORDER BY id DESC LIMIT 1), (SELECT max(ts) FROM audit)"
            ).fetchone()
            self.clock.not_before(max(float(newest[0] or 0.0), float(newest[1] or 0.0)))
        self.started_at = self.clock()

    def _take(self, engine: Engine, restart_note: str | None, restart_trouble: str | None) -> None:
        """The engine runs from the station's start on (on the loop, nobody else holds it)."""
        assert self.store is not None and self.started_at is not None
        log.info("store: %s", restart_note)
        if restart_trouble is not None:
            # A snapshot skipped (damaged, of another format): said once, on every face's health.
            log.warning("store: %s", restart_trouble)
            self.notes.append(restart_trouble)
        self.engine = engine
        self.snapshots = SnapshotSchedule(
            self.config.store.snapshot_every_min * 60.0, list(engine.calendars.values())
        )
        engine.tick(max(self.started_at, engine.now or self.started_at))
        self.gate = CommandGate(engine, self.store, self.clock, monotonic=self.monotonic)
        for kind in FACE_EVENTS:
            engine.bus.subscribe(kind, self._on_event)

    async def _restore(self) -> None:
        engine = await asyncio.to_thread(self.restore.run)
        if self.restore.check:
            self.check.passed()
        store = self.store
        assert store is not None
        store.attach(engine)
        self._take(engine, self.restore.restart_note, self.restore.restart_trouble)

    def _clock_stepped(self, at: float, size: float) -> None:
        """The wall clock was stepped (hmi.station.clock): journaled once, before any time after
        it is handed out, and given to the engine as a rebuild will give it."""
        log.warning(
            "clock: the wall clock was stepped by %+.3f s at %.3f; no time is counted for it", size, at
        )
        if self._held is not None:
            self._held.steps.append((at, size))  # in its place among the held samples
            return
        self._journal_step(at, size)

    def _journal_step(self, at: float, size: float) -> None:
        engine, store = self.engine, self.store
        if engine is None or store is None:
            return  # before the store is open: nothing was counted yet that it could change
        # A counter the pace still holds was read before the step: it goes in before it, or the
        # journal would run back across the step.
        self._release(self.pace.drain())
        at = engine.effective_time(at)
        args = {"at": at, "size": size}
        try:
            store.append_command(at, None, CLOCK_STEP, args)
        except Exception as exc:  # a full or read-only disk: counting goes on (see tick)
            log.error("clock: the step could not be journaled: %s", exc)
        engine.clock_step(at, size)

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
        """Poll from now on; a station not yet open opens its store here and restores its engine
        meanwhile (`restored()` waits for it and raises what it met, a damaged store included)."""
        if self.engine is None:
            self._open_store()
            self.restore = Restore(self.config, self.db_path, check=self.check.before)
            self._restoring = asyncio.create_task(self._restore(), name="restore")
        if self.check.state == AFTER:
            self._checking = asyncio.create_task(self._check_live(self.check), name="store check")
        await self._serve_metrics()  # first: a port taken is refused before a PLC is polled
        self.runners = [
            ConnectionRunner(
                driver, self.ingest, clock=self.clock, on_state=self.on_connection, since=self.started_at
            )
            for driver in build_drivers(self.config)
        ]
        # Nothing to wait for without connections nor a restore: the clock runs from the start.
        self._held = Held(self.started_at) if self.runners or self.engine is None else None
        for runner in self.runners:
            self._tasks.append(asyncio.create_task(runner.run(), name=f"connection {runner.connection.id}"))
        self._tasks.append(asyncio.create_task(self._start_clock(), name="first polls"))
        self._tasks.append(asyncio.create_task(self._tick_loop(), name="tick"))
        if self.reporter is not None:
            self._tasks.append(asyncio.create_task(self._report(self.reporter), name="shift reports"))
        self.upkeep = Upkeep(self.config.store, self.db_path, self.clock)
        self._tasks += self.upkeep.tasks()
        self.uplink = None
        if self.config.sparkplug is not None:
            # Loaded only when configured: a station without a plant broker imports no MQTT.
            from hmi.sparkplug.edge import EdgeNode

            self.uplink = EdgeNode(self, self.config.sparkplug)
            self._tasks.append(asyncio.create_task(self._publish(self.uplink), name="sparkplug"))

    async def _check_live(self, check: StoreCheck) -> None:
        """The full quick check once the station is live, in a worker thread: never in the way
        of polling or the socket; a damage found is logged once and stays on the health view."""
        await self.live.wait()
        check.started = True
        await asyncio.to_thread(check.run)
        if check.problem is not None:
            log.error("store: the check after the start found: %s", check.problem)

    async def _stop_check(self) -> None:
        """A check under way is interrupted; its thread lets go of the file before the store closes."""
        checking, self._checking = self._checking, None
        if checking is None:
            return
        self.check.abandon()
        checking.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await checking
        if self.check.started:
            await asyncio.to_thread(self.check.done.wait)

    async def _report(self, reporter: ShiftReporter) -> None:
        await self.restored()  # the shift ends it looks for are the engine's
        await reporter.run()

    async def _publish(self, uplink: EdgeNode) -> None:
        await self.restored()  # its births describe the engine's equipment and figures
        await uplink.run()

    async def restored(self) -> None:
        """Once the engine runs; raises what stopped the restore (StoreError: a damaged store)."""
        if self._restoring is not None:
            await asyncio.shield(self._restoring)

    async def _serve_metrics(self) -> None:
        """Serve `[metrics] listen`; a reload with another address moves it."""
        address = self.config.metrics.address
        if self.metrics is not None and self.metrics.address == address:
            return
        await self._stop_metrics()
        if address is not None:
            server = MetricsServer(self, *address)
            await server.start()
            self.metrics = server

    async def _stop_metrics(self) -> None:
        if self.metrics is not None:
            await self.metrics.stop()
            self.metrics = None

    async def _start_clock(self) -> None:
        """Hold the engine until it is restored and every connection's first poll has ended, then
        feed it what came."""
        with contextlib.suppress(Exception):  # said by restored(), to whoever hosts the station
            await self.restored()
        if self.engine is None:
            return
        await asyncio.gather(*(runner.first_poll.wait() for runner in self.runners))
        self._release_held()
        self.live.set()

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release(self.ingest, self._journal_step)

    def ingest(self, samples: list[Sample]) -> None:
        received = self.clock()
        tags = self.tags
        self.samples_in += len(samples)
        if self._held is not None:
            self._held.samples.extend(samples)
            for s in samples:  # the tag views show them at once all the same
                tags[s.equipment, s.signal] = TagValue(s.value, int(s.quality), s.ts, s.received or received)
            return
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        feed = self.pace.feed
        ingest_one, append = engine.ingest_one, store.append_sample
        for s in samples:
            # Counters reach the engine at most once a second (core.counter_thinning); the journal
            # records each sample as the engine used it, so a rebuild equals this run.
            for used in feed(s):
                append(ingest_one(used))
            tags[s.equipment, s.signal] = TagValue(s.value, int(s.quality), s.ts, s.received or received)
        if self.uplink is not None:
            self.uplink.wake()  # a PLC change goes to the broker now, not at the next scan

    def _release(self, samples: list[Sample]) -> None:
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        for s in samples:
            store.append_sample(engine.ingest_one(s))

    def tick(self) -> None:
        if self._held is not None:
            return  # the engine's clock starts with the first polls (see the module's docstring)
        engine, store = self.engine, self.store
        assert engine is not None and store is not None
        now = self.clock()
        self._release(self.pace.due(now))
        engine.tick(now)
        self.ticked_at = time.monotonic()
        try:
            store.maybe_flush(now)
            # After the flush: the slices it wrote need no longer be kept.
            self.pruner.step(self.config, engine, store, now)
            if engine.now is not None and self.snapshots.due(engine.now):
                self.write_snapshot()
        except Exception as exc:  # a full or read-only disk must not stop counting
            self.store_write_errors += 1
            message = self._store_trouble(store, exc)
            if self.store_error is None:
                log.error("store: %s", message)
            self.store_error = message
        else:
            if self.store_error is not None:
                log.warning("store: writing again (%d samples were not kept)", store.dropped_samples)
            self.store_error = None

    def write_snapshot(self) -> None:
        """The engine's state into the store with the journal rows it reflects (core.store)."""
        engine, store = self.engine, self.store
        assert engine is not None and store is not None and engine.now is not None
        store.write_snapshot(engine, before_commit=_crash_point())
        self.snapshots.written(engine.now)

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
            if self.notifier is not None:
                self.notifier.ping()

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
        await self._stop_restore()
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
        await self._stop_check()
        if self.upkeep is not None:
            self.upkeep.stop()  # a batch in hand ends; nothing new begins
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def stop(self) -> None:
        await self._stop_restore()
        await self._stop_tasks()
        await self._stop_metrics()
        self._close()

    async def _stop_restore(self) -> None:
        """Abandon a restore under way and wait for its thread to let go of the file."""
        restoring, self._restoring = self._restoring, None
        if restoring is None:
            return
        self.restore.abandon()
        with contextlib.suppress(Exception, asyncio.CancelledError):  # Abandoned among them
            await restoring

    def _close(self) -> None:
        if self.store is not None:
            if self.engine is not None:
                self._release_held()  # stopped before every first poll ended: nothing is lost
                self._release(self.pace.drain())
                self.engine.tick(self.clock())
            elif self._held is not None and (self._held.samples or self._held.steps):
                count = self._held.journal(self.store)
                log.warning(
                    "station: stopped during start-up; the %d samples polled meanwhile are journaled", count
                )
            if self.engine is not None and self.engine.now is not None:
                try:
                    self.write_snapshot()  # the next start replays nothing
                except StoreError as exc:  # the journal is what counts; the buffer is tried again below
                    log.error("store: no snapshot at the stop: %s", exc)
            closed = False
            try:
                self.store.close()
                closed = True
            except StoreError as exc:  # a full disk at the very end: said, not a traceback
                log.error("store: %s", exc)
            self.store = None
            # Only a file this run checked whole: the next start may then check it after its restore.
            if closed and self.engine is not None and self.check.state == OK:
                try:
                    clean_stop.record(self.db_path, self.clock())
                except OSError as exc:
                    log.warning("store: the clean stop could not be noted: %s", exc.strerror or exc)
        self._held = None

    def diagnostics(self) -> list[Diagnostics]:
        return [r.diagnostics for r in self.runners]
