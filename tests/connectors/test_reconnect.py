"""Quick reconnects, told by the order of what happened rather than by wall-clock limits: a real
PLC server (per protocol, `ms5 sim` in a child process) is killed while the station reads it and
started again on the same port once the runner's backoff has grown well past a probe slice. The
runner must reconnect at its first probe that finds the port accepting, with no backoff slept
between that probe and the reconnect, so the comms loss ends within one probe slice of the PLC
being back. And a port that accepts but whose protocol fails (the probe has no news) is retried
no more often than the backoff says, not at every probe."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionRunner, Diagnostics, Tag
from connectors.modbus import ModbusDriver
from connectors.registry import build_drivers
from core.config import Connection, SignalBinding, parse_config
from core.samples import Sample
from scripts.killable_plc import PROTOCOLS, KillablePlc, line_toml
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers in child processes, killed and restarted

PROBE_S = 0.25
CAP_S = 20.0  # far longer than the test's outage: only the probe can bring the station back early

Event = tuple[Any, ...]


class Trace:
    """Everything the runner did, in order: sleeps, probes, connects, samples, states; and the
    test's own steps (kill, restart) between them."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def note(self, *event: Any) -> None:
        self.events.append(event)

    def instrument(self, runner: ConnectionRunner) -> None:
        probe, connect = runner._probe, runner.driver.connect

        async def sleep(seconds: float) -> None:
            self.note("sleep", seconds)
            await asyncio.sleep(seconds)

        async def noted_probe(endpoint: tuple[str, int]) -> bool:
            ok = await probe(endpoint)
            self.note("probe", ok)
            return ok

        def noted_connect() -> Any:
            # A blocking driver connects on the runner's thread, an async one returns a coroutine:
            # noted as the runner calls it, either way, before it can succeed or fail.
            self.note("connect")
            return connect()

        runner.sleep = sleep
        runner._probe = noted_probe  # type: ignore[method-assign]
        runner.driver.connect = noted_connect  # type: ignore[method-assign]

    def sink(self, samples: list[Sample]) -> None:
        self.note("bad" if all(s.value is None for s in samples) else "good")

    def on_state(self, d: Diagnostics) -> None:
        self.note("state", str(d.state))

    def index(self, event: Event, after: int = 0) -> int:
        for i in range(after, len(self.events)):
            if self.events[i] == event:
                return i
        raise AssertionError(f"{event} not seen after #{after}: {self.events[after:][-30:]}")

    def count(self, event: Event, after: int = 0) -> int:
        return sum(1 for e in self.events[after:] if e == event)


async def until(condition: Callable[[], bool]) -> None:
    # A guard against a test that would hang, not a limit on the behaviour under test.
    async with asyncio.timeout(120):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_station_reconnects_at_the_first_probe_that_finds_the_plc_back(
    protocol: str, tmp_path: Path
) -> None:
    port = free_port()
    extra = f"poll_interval_s = 0.2\ntimeout_s = 1.0\nreconnect_max_s = {CAP_S}"
    config = parse_config(line_toml({protocol: port}, extra), tmp_path / "station.toml")
    trace = Trace()

    async def scenario() -> None:
        plc = KillablePlc(protocol, port, tmp_path)
        await plc.start()
        (driver,) = build_drivers(config)
        runner = ConnectionRunner(driver, trace.sink, on_state=trace.on_state, probe_interval_s=PROBE_S)
        trace.instrument(runner)
        task = asyncio.create_task(runner.run())
        try:
            await until(lambda: trace.count(("good",)) > 0)
            trace.note("killing")
            await plc.kill()
            trace.note("killed")  # the port refuses connections from here
            # Away long enough for the backoff to outgrow a probe slice several times over: the
            # third full reconnect after the kill waits at least 4 × min(poll, 1 s) × 0.8 = 0.64 s.
            killed = trace.index(("killed",))
            await until(lambda: trace.count(("connect",), killed) >= 4)
            trace.note("restarting")
            await plc.start()
            restarting = trace.index(("restarting",))
            await until(lambda: trace.count(("state", "connected"), restarting) > 0)
            await until(lambda: trace.count(("good",), restarting) > 0)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await plc.stop()

    asyncio.run(scenario())
    ev = trace.events
    killing, killed = trace.index(("killing",)), trace.index(("killed",))
    restarting = trace.index(("restarting",))
    # The loss is recorded while the PLC is away, and nothing good is read until it is back.
    assert trace.index(("bad",), killing) < restarting
    assert ("good",) not in ev[killed:restarting]
    # While it was away every probe was refused and no wait was longer than a slice.
    away = ev[killed:restarting]
    assert ("probe", True) not in away
    assert all(e[1] <= PROBE_S for e in ev[killed:] if e[0] == "sleep"), [e for e in ev if e[0] == "sleep"]
    # The backoff had grown: the last two full reconnects before the restart had probes between them.
    connects = [i for i in range(killed, restarting) if ev[i] == ("connect",)]
    assert sum(1 for e in ev[connects[-2] : connects[-1]] if e[0] == "probe") >= 2, away
    # Back: the first probe that found the port accepting is followed at once by the reconnect
    # (no sleep between), and that reconnect brings the first good value.
    back = trace.index(("probe", True), restarting)
    assert ev[back + 1] == ("connect",), ev[back:]
    first_good = trace.index(("good",), restarting)
    assert not any(e[0] in ("sleep", "probe") for e in ev[back + 1 : first_good]), ev[back:first_good]


def test_a_port_that_accepts_but_fails_its_protocol_is_retried_at_the_backoff_not_at_every_probe() -> None:
    """A TCP stack that is up while the PLC's protocol fails (a server that accepts and hangs up)
    gives the probe no news: the runner sleeps its whole backoff after the first accepting probe."""
    trace = Trace()

    async def scenario() -> None:
        async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = Connection(
            id="plc", protocol="modbus", host="127.0.0.1", port=port, poll_interval_s=0.2, timeout_s=0.3
        )
        binding = SignalBinding(signal="total_count", connection="plc", address="hr:0", type="uint16")
        tags = [Tag("M1", binding)]
        runner = ConnectionRunner(ModbusDriver(conn, tags), trace.sink, probe_interval_s=0.05)
        trace.instrument(runner)
        task = asyncio.create_task(runner.run())
        try:
            await until(lambda: trace.count(("connect",)) >= 5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    ev = trace.events
    connects = [i for i, e in enumerate(ev) if e == ("connect",)]
    for a, b in itertools.pairwise(connects[1:]):
        between = ev[a:b]
        # One probe at most (it accepts, so the rest of the backoff is slept in one piece) ...
        assert sum(1 for e in between if e[0] == "probe") <= 1, between
        # ... and the wait is the whole backoff, which grows: never cut short by the probe.
        assert not any(e == ("probe", False) for e in between), between
    waits = [sum(e[1] for e in ev[a:b] if e[0] == "sleep") for a, b in itertools.pairwise(connects)]
    assert waits[-1] > waits[0] * 2, waits
