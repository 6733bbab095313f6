"""Polling from the first second: a station over a store with a long journal polls its PLC while
its engine is restored, holds what it reads in order and feeds it after the restore; its socket
answers meanwhile (`hello` says `starting`, with progress); SIGTERM during the restore ends a real
`ms5 engine` with exit 0 and one line. A real Modbus server on 127.0.0.1 and SQLite files."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import tags_by_connection
from connectors.sim.modbus_server import ModbusSimServer
from core.clock_steps import COMMAND as CLOCK_STEP
from core.config import Config, parse_config
from core.engine import Engine
from core.rebuild import from_journal, rebuild
from core.samples import Quality, Sample
from core.store import CommandRecord, Store
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink, StationNotRunning
from hmi.socket.server import StationServer
from hmi.station import restore
from hmi.station.clock import StationClock
from hmi.station.link import LinkError
from hmi.station.runtime import Station
from tests.ports import free_port

pytestmark = pytest.mark.slow  # a protocol server on 127.0.0.1, real processes

CONFIG = """
[site]
name = "Start-up"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.shifts]]
name = "Day"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "12:00"

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "12:00"
end = "00:00"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 1
signals = [
  {{ signal = "running", connection = "filler-plc", address = "coil:0", type = "bool" }},
  {{ signal = "total_count", connection = "filler-plc", address = "hr:0", type = "uint16" }},
]

[[connections]]
id = "filler-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {port}
poll_interval_s = 0.05
"""

ROWS = 30_000  # journal rows: the restore's progress is said once between its start and its end
WAIT_S = 60.0  # guards against a hang, never a limit the test measures


def _config(tmp_path: Path) -> Config:
    port = free_port()
    path = tmp_path / "line.toml"
    path.write_text(CONFIG.format(port=port))
    return parse_config(path.read_text(), path)


def write_journal(config: Config, db: Path, counts: int, *, start: float, recorded: bool = True) -> None:
    """A FILLER running from `start` and counting one part a second up to `counts`, as a station
    records it (the engine attached, so projections too) or, for speed, as bare journal rows."""
    samples = [Sample(start, "FILLER", "running", 1.0, Quality.GOOD)]
    samples += [Sample(start + i, "FILLER", "total_count", float(i), Quality.GOOD) for i in range(counts)]
    with Store.open(db) as store:
        if recorded:
            engine = Engine(config)
            store.attach(engine)
            for s in samples:
                store.append_sample(engine.ingest_one(s))
        else:
            store.append_samples(samples)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


def _paused_restore(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The restore stops at its first progress between start and end until the test lets it go:
    the polls the test makes meanwhile fall into the restore for sure, whatever the machine's speed."""
    paused, go_on = threading.Event(), threading.Event()

    def held_from_journal(config: Config, store: Store, **kw: Any) -> Engine:
        progress = kw.pop("progress")

        def hook(done: int, total: int) -> None:
            progress(done, total)
            if 0 < done < total and not go_on.is_set():
                paused.set()
                go_on.wait(WAIT_S)

        return from_journal(config, store, progress=hook, **kw)

    monkeypatch.setattr(restore, "from_journal", held_from_journal)
    return paused, go_on


def test_samples_polled_during_the_restore_reach_the_journal_in_order_and_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    db = tmp_path / "station.db"
    start = time.time() - ROWS - 60
    write_journal(config, db, ROWS, start=start)
    with Store.open(db) as store:
        restart_id = store.last_id
    assert restart_id == ROWS + 1
    paused, go_on = _paused_restore(monkeypatch)
    tags = tags_by_connection(config)["filler-plc"]

    async def scenario() -> tuple[Station, dict[str, Any], str, str, float]:
        plc = ModbusSimServer(config.connections[0], tags)
        plc.set(0, 1.0)
        plc.set(1, float(ROWS - 1))  # where the journal ended: the parts made while it was down
        await plc.start()
        station = Station(config, db)
        server = StationServer(station, socket_path(db))
        await server.start()
        try:
            await station.start()
            await asyncio.wait_for(asyncio.to_thread(paused.wait, WAIT_S), WAIT_S)
            link = await RemoteLink.connect(server.path)
            try:
                hello = dict(link.hello)
                with pytest.raises(LinkError) as refused_view:
                    await link.view("overview")
                refused_command = await link.command(
                    "raise_andon", {"equipment": "FILLER", "kind": "maintenance"}
                )
            finally:
                await link.close()
            assert not refused_command.ok
            # The PLC stops, counts on and runs again while the engine is still being restored.
            for index, signal_, value in (
                (0, "running", 0),
                (1, "total_count", ROWS + 4),
                (0, "running", 1),
                (1, "total_count", ROWS + 11),
            ):
                plc.set(index, float(value))
                await asyncio.wait_for(_until(_shows(station, signal_, value)), WAIT_S)
            released = time.time()
            go_on.set()
            await asyncio.wait_for(station.live.wait(), WAIT_S)
            plc.set(1, float(ROWS + 19))
            await asyncio.wait_for(_until(lambda: _counted(station, start) == ROWS + 19), WAIT_S)
        finally:
            go_on.set()
            await server.stop()
            await station.stop()
            await plc.stop()
        return station, hello, str(refused_view.value), refused_command.message, released

    station, hello, view_error, command_error, released = asyncio.run(scenario())
    # While restoring: the socket said so, with the rows done and in all; what needs the engine
    # was refused in one line saying how far it is.
    assert hello["state"] == "starting"
    assert hello["progress"] == [20_000, ROWS + 1]
    assert "starting (66 %)" in view_error and "\n" not in view_error
    assert "starting (66 %)" in command_error
    # The samples read during the restore are in the journal after the old rows, in time order,
    # the counter's values rising as the PLC gave them, those read before the restore ended too.
    with Store.open(db) as store:
        new = [r for row_id, r in store.journal(restart_id) if isinstance(r, Sample)]
        counts = [(r.ts, r.value or 0.0) for r in new if r.signal == "total_count"]
        assert [r.ts for r in new] == sorted(r.ts for r in new)
        assert [v for _ts, v in counts] == sorted(v for _ts, v in counts)
        assert counts[0][1] == ROWS - 1 and counts[-1][1] == ROWS + 19
        running = [(r.ts, r.value) for r in new if r.signal == "running"]
        changes = [running[0]] + [b for a, b in itertools.pairwise(running) if b[1] != a[1]]
        assert [v for _ts, v in changes] == [1.0, 0.0, 1.0]
        assert all(ts < released for ts, _v in changes)  # read during the restore, none lost
        # ... and counted as a station that never restarted counts them: one pass of it all.
        once = rebuild(config, store)
    assert once.now is not None
    assert once.metrics("FILLER", start - 1, once.now).total_count == ROWS + 19
    engine = station.engine
    assert engine is not None and engine.now is not None
    assert engine.metrics("FILLER", start - 1, engine.now).total_count == ROWS + 19


def _shows(station: Station, signal_: str, value: int) -> Callable[[], bool]:
    def shown() -> bool:
        tag = station.tags.get(("FILLER", signal_))
        return tag is not None and tag.value == value

    return shown


def _counted(station: Station, start: float) -> int:
    engine = station.engine
    if engine is None or engine.now is None:
        return -1
    return engine.metrics("FILLER", start - 1, engine.now).total_count


def test_what_was_polled_before_a_stop_during_the_restore_is_counted_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    db = tmp_path / "station.db"
    start = time.time() - ROWS - 60
    write_journal(config, db, ROWS, start=start)
    paused, go_on = _paused_restore(monkeypatch)
    tags = tags_by_connection(config)["filler-plc"]

    async def scenario() -> Station:
        plc = ModbusSimServer(config.connections[0], tags)
        plc.set(0, 1.0)
        plc.set(1, float(ROWS - 1))
        await plc.start()
        station = Station(config, db)
        try:
            await station.start()
            await asyncio.wait_for(asyncio.to_thread(paused.wait, WAIT_S), WAIT_S)
            plc.set(1, float(ROWS + 6))  # six parts made while the station was still starting
            await asyncio.wait_for(_until(_shows(station, "total_count", ROWS + 6)), WAIT_S)
        finally:
            go_on.set()  # the restore goes on only to find it is abandoned
            await station.stop()
            await plc.stop()
        return station

    stopped = asyncio.run(scenario())
    assert stopped.engine is None  # it never ran: the stop came first
    again = Station(config, db)
    again.open()
    try:
        engine = again.engine
        assert engine is not None and engine.now is not None
        assert engine.metrics("FILLER", start - 1, engine.now).total_count == ROWS + 6
    finally:
        assert again.store is not None
        again.store.close()


HOUR = 3600.0


class SteppedClock(StationClock):
    """The station's clock over the machine's clocks, with a wall clock the test can step."""

    def __init__(self) -> None:
        self.offset = 0.0
        super().__init__(lambda: time.time() + self.offset, time.monotonic)


def _around_step(store: Store, after: int) -> tuple[list[Sample], tuple[float, float], list[Sample]]:
    """The journal after row `after`, cut at its one clock step: (samples before, the step's
    (at, size), samples after)."""
    rows = [r for _id, r in store.journal(after)]
    (cut,) = [i for i, r in enumerate(rows) if isinstance(r, CommandRecord) and r.command == CLOCK_STEP]
    step = rows[cut]
    assert isinstance(step, CommandRecord)
    before = [r for r in rows[:cut] if isinstance(r, Sample)]
    later = [r for r in rows[cut + 1 :] if isinstance(r, Sample)]
    return before, (float(step.args["at"]), float(step.args["size"])), later


@pytest.mark.parametrize("stopped", [False, True], ids=["restored", "stopped during the restore"])
def test_a_clock_step_during_the_restore_is_journaled_in_its_place_and_counts_no_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stopped: bool
) -> None:
    # The wall clock steps an hour forward while the engine is still being restored: the step
    # goes into the journal once, between the values read before it and those read after, and
    # the hour is no time of the equipment's: live, after a rebuild, and at the next start when
    # the station was stopped before its restore ended.
    config = _config(tmp_path)
    db = tmp_path / "station.db"
    start = time.time() - ROWS - 60
    write_journal(config, db, ROWS, start=start)
    with Store.open(db) as store:
        restart_id = store.last_id
    paused, go_on = _paused_restore(monkeypatch)
    tags = tags_by_connection(config)["filler-plc"]
    clock = SteppedClock()

    async def scenario() -> Station:
        plc = ModbusSimServer(config.connections[0], tags)
        plc.set(0, 1.0)
        plc.set(1, float(ROWS - 1))
        await plc.start()
        station = Station(config, db, clock=clock)
        try:
            await station.start()
            await asyncio.wait_for(asyncio.to_thread(paused.wait, WAIT_S), WAIT_S)
            plc.set(1, float(ROWS + 2))
            await asyncio.wait_for(_until(_shows(station, "total_count", ROWS + 2)), WAIT_S)
            clock.offset = HOUR
            plc.set(1, float(ROWS + 5))
            await asyncio.wait_for(_until(_shows(station, "total_count", ROWS + 5)), WAIT_S)
            if not stopped:
                go_on.set()
                await asyncio.wait_for(station.live.wait(), WAIT_S)
                plc.set(1, float(ROWS + 9))
                await asyncio.wait_for(_until(lambda: _counted(station, start) == ROWS + 9), WAIT_S)
        finally:
            go_on.set()
            await station.stop()
            await plc.stop()
        return station

    station = asyncio.run(scenario())
    began = station.started_at
    assert began is not None
    with Store.open(db) as store:
        before, (at, size), later = _around_step(store, restart_id)
        assert size == pytest.approx(HOUR, abs=1.0)
        # In its place: what was read before it is stamped before it, what was read after it
        # after the skipped hour (the counter's value read after the step among them).
        assert before and all(r.ts <= at for r in before)
        assert later and all(r.ts >= at + size - 1 for r in later)
        assert max(r.value or 0.0 for r in later if r.signal == "total_count") >= ROWS + 5
        once = rebuild(config, store)
    engines: list[Engine | None] = [once] if stopped else [once, station.engine]
    if stopped:
        again = Station(config, db)
        again.open()
        engines.append(again.engine)
        assert again.store is not None
        again.store.close()
    for engine in engines:
        assert engine is not None and engine.now is not None
        m = engine.metrics("FILLER", began, engine.now)
        # The test ran for seconds: the window is those seconds, and all of them ran.
        assert m.all_time_s < 600 and m.running_time_s == pytest.approx(m.all_time_s, abs=1.0), m
        assert m.clock_steps == 1
        counted = engine.metrics("FILLER", start - 1, engine.now).total_count
        assert counted == (ROWS + 5 if stopped else ROWS + 9)


BIG = 600_000  # bare journal rows: a restore of some seconds, so a real process is caught in it


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_during_the_restore_ends_ms5_engine_with_exit_0_and_one_line(
    tmp_path: Path, signum: signal.Signals
) -> None:
    config = _config(tmp_path)
    cfg = tmp_path / "line.toml"
    db = tmp_path / "station.db"
    write_journal(config, db, BIG, start=time.time() - BIG - 60, recorded=False)
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi.cli", "engine", str(cfg), "--db", str(db)],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        hello = asyncio.run(_hello_while_restoring(socket_path(db)))
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert hello["state"] == "starting" and hello["progress"][1] == BIG + 1
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    lines = [line for line in out.splitlines() if line.startswith("station: stopped")]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("station: stopped while starting (") and lines[0].endswith("store closed")
    # Nothing was spoiled: the store opens and holds its journal.
    with Store.open(db) as store:
        assert store.last_id >= BIG + 1


async def _hello_while_restoring(path: Path) -> dict[str, Any]:
    """The station's hello once it is past the store's check and into the journal."""
    while True:
        try:
            link = await RemoteLink.connect(path)
        except StationNotRunning:
            await asyncio.sleep(0.02)
            continue
        await link.close()
        hello = dict(link.hello)
        if hello["state"] != "starting":
            raise AssertionError(f"the restore ended before the test saw it: {hello}")
        if hello.get("stage") == "restoring" and hello["progress"][0] > 0:
            return hello
        await asyncio.sleep(0.02)
