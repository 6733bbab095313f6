"""The connection runner's promises, against a real Modbus server: one status change a failure and
one a recovery (never one a poll), and a backoff that never waits longer than its cap."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from connectors.base import ConnectionRunner, Diagnostics, Tag
from connectors.modbus import ModbusDriver
from connectors.sim.modbus_server import ModbusSimServer
from core.config import Connection, SignalBinding
from core.samples import Sample
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1


def connection(port: int, backoff_max_s: float = 0.3) -> Connection:
    return Connection(
        id="plc",
        protocol="modbus",
        host="127.0.0.1",
        port=port,
        poll_interval_s=0.05,
        timeout_s=0.3,
        backoff_max_s=backoff_max_s,
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
    runner = ConnectionRunner(ModbusDriver(connection(1, backoff_max_s=2.0), TAGS), lambda s: None)
    runner.rng = random.Random(4)
    waits = []
    for failures in range(30):
        runner._failures = failures
        waits.append(runner._backoff())
    assert max(waits) <= 2.0
    assert waits[0] < waits[3]  # it grows while the PLC stays away
