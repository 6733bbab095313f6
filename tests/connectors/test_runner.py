"""The connection runner's promises, against a real Modbus server: one status change a failure and
one a recovery (never one a poll), and a backoff that never waits longer than its cap. Against a
scripted driver: a bug in a driver is a driver error with its traceback logged once, a PLC or
network failure a plain one-line failure, and both are retried."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

import pytest

from connectors.base import (
    ConnectionRunner,
    ConnectorError,
    Diagnostics,
    Driver,
    Reading,
    Tag,
)
from connectors.modbus import ModbusDriver
from connectors.sim.modbus_server import ModbusSimServer
from core.config import Connection, SignalBinding
from core.samples import Sample
from hmi.station.clock import StationClock
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1


def connection(port: int, reconnect_max_s: float = 0.3) -> Connection:
    return Connection(
        id="plc",
        protocol="modbus",
        host="127.0.0.1",
        port=port,
        poll_interval_s=0.05,
        timeout_s=0.3,
        reconnect_max_s=reconnect_max_s,
    )


TAGS = [Tag("M1", SignalBinding(signal="total_count", connection="plc", address="hr:0", type="uint16"))]


async def _until(condition: object, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def test_a_failure_and_a_recovery_are_one_status_change_each() -> None:
    async def scenario() -> list[str]:
        conn = connection(free_port())
        server = ModbusSimServer(conn, TAGS)
        server.set(0, 7)
        await server.start()
        changes: list[str] = []
        samples: list[Sample] = []

        def on_state(d: Diagnostics) -> None:
            changes.append(d.state)

        runner = ConnectionRunner(ModbusDriver(conn, TAGS), samples.extend, on_state=on_state)
        task = asyncio.create_task(runner.run())
        try:
            await _until(lambda: runner.diagnostics.polls >= 5)
            await server.stop()
            await _until(lambda: runner.diagnostics.state == "failed")
            await server.start()
            await _until(lambda: runner.diagnostics.state == "connected")
            polls = runner.diagnostics.polls
            await _until(lambda: runner.diagnostics.polls >= polls + 20)  # many polls after recovery
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await server.stop()
        assert [s.value for s in samples] == [7.0, None, 7.0]
        return changes

    assert asyncio.run(scenario()) == ["connected", "failed", "connected"]


def test_the_backoff_never_waits_longer_than_its_cap() -> None:
    runner = ConnectionRunner(ModbusDriver(connection(1, reconnect_max_s=2.0), TAGS), lambda s: None)
    runner.rng = random.Random(4)
    waits = []
    for failures in range(30):
        runner._failures = failures
        waits.append(runner._backoff())
    assert max(waits) <= 2.0
    assert waits[0] < waits[3]  # it grows while the PLC stays away


class PeerError(Exception):
    """Stands for what a protocol library raises for a PLC that refuses (a driver's peer_errors)."""


class ScriptedDriver(Driver):
    """Connects at once; its first `failing` reads call `fail` (which raises), later ones read 7."""

    peer_errors = (PeerError,)

    def __init__(self, fail: Callable[[], object], failing: int) -> None:
        super().__init__(connection(1), TAGS)
        self.fail = fail
        self.failing = failing
        self.reads = 0

    async def connect(self) -> None:
        return None

    async def read(self) -> list[Reading]:
        self.reads += 1
        if self.reads <= self.failing:
            self.fail()
        return [Reading(7.0)]

    async def close(self) -> None:
        return None

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        return None


def run_scripted(driver: ScriptedDriver) -> tuple[list[tuple[str, str | None]], list[Sample]]:
    """Runs the driver through its failing reads and a few good ones: the (state, last_error)
    of every status change, and the samples."""

    async def scenario() -> tuple[list[tuple[str, str | None]], list[Sample]]:
        changes: list[tuple[str, str | None]] = []
        samples: list[Sample] = []

        def on_state(d: Diagnostics) -> None:
            changes.append((d.state, d.last_error))

        runner = ConnectionRunner(driver, samples.extend, on_state=on_state)
        task = asyncio.create_task(runner.run())
        try:
            await _until(lambda: driver.reads >= driver.failing + 3)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return changes, samples

    return asyncio.run(scenario())


def missing_key() -> object:
    signals: dict[str, int] = {}
    return signals["total_count"]


def divide_by_zero() -> object:
    return 1 / 0


@pytest.mark.parametrize(
    ("bug", "kind", "text"),
    [
        (missing_key, KeyError, "KeyError: 'total_count'"),
        (divide_by_zero, ZeroDivisionError, "ZeroDivisionError: division by zero"),
    ],
)
def test_a_bug_in_a_driver_is_a_driver_error_logged_once_with_its_traceback(
    bug: Callable[[], object], kind: type[Exception], text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ms5.connectors")
    changes, samples = run_scripted(ScriptedDriver(bug, failing=4))
    # Four failing reads, each retried, are one change; the recovery is the other.
    assert changes == [("driver_error", text), ("connected", text)]
    assert [s.value for s in samples] == [None, 7.0]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is kind
    assert errors[0].getMessage() == f"plc: driver error (a bug, not the PLC): {text}"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "plc: connected again"
    ]


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (ConnectorError("connection closed by the PLC"), "connection closed by the PLC"),
        (ConnectionResetError(104, "Connection reset by peer"), "[Errno 104] Connection reset by peer"),
        (TimeoutError(), "no answer (timeout)"),
        (PeerError("the PLC refused the session"), "the PLC refused the session"),
    ],
    ids=["ConnectorError", "OSError", "TimeoutError", "peer_errors"],
)
def test_a_plc_or_network_failure_is_one_line_without_a_traceback(
    exc: Exception, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ms5.connectors")
    changes, samples = run_scripted(ScriptedDriver(_raise(exc), failing=4))
    assert changes == [("failed", text), ("connected", text)]
    assert [s.value for s in samples] == [None, 7.0]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"plc: {text}",
        "plc: connected again",
    ]
    assert all(r.exc_info is None for r in caplog.records)


def _raise(exc: Exception) -> Callable[[], object]:
    def fail() -> object:
        raise exc

    return fail


def test_a_step_of_the_wall_clock_marks_no_tag_bad() -> None:
    """The watchdog measures the time since the last good read on the monotonic clock of the
    station's clock (docs/RELIABILITY.md, "Clock steps"): a step of an hour is not an hour without data."""
    clocks = {"wall": 1772427600.0, "mono": 10.0}
    driver = ScriptedDriver(missing_key, 0)

    async def scenario() -> ConnectionRunner:
        runner = ConnectionRunner(
            driver, lambda _samples: None, clock=StationClock(lambda: clocks["wall"], lambda: clocks["mono"])
        )
        task = asyncio.create_task(runner.run())
        try:
            await _until(lambda: driver.reads >= 1)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return runner

    runner = asyncio.run(scenario())
    clocks["wall"] += 3600.0
    assert not runner.stale()
    clocks["mono"] += 0.2  # four poll periods (0.05 s) with no good read
    assert runner.stale()
