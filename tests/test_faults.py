"""Faulty PLCs beside healthy ones, in one station (issue 7, Faults).

One run of the real station (hmi.station.runtime.Station: runners -> engine -> SQLite file) with seven
Modbus connections, each its own line of one equipment (running on coil 0, a counter in holding
register 0): `h1` talks to the product's simulated PLC (pymodbus server), `h2` and the five
`f-*` connections to `Peer`s, raw asyncio servers that answer Modbus correctly until told to
misbehave:

- refusing: the port is closed (connect() is refused at once);
- unreachable: nothing answers the connection attempt. In this sandbox a connect() to a
  non-routable address (10.255.255.1) is accepted by the network layer in milliseconds, so an
  address cannot stand for a dead host; a listening socket whose accept queue is full drops the
  SYNs instead, which is what a switched-off host looks like to the client (connect() waits
  until its timeout);
- hung: accepts and reads, never answers;
- slow: answers correctly, but 2.5 s late (the connection's timeout is 1 s);
- garbage: answers every request with random bytes.

The run: a baseline window with every peer healthy, then each fault alone for a window, then all
five together; after each, the peer comes back. Over every window the healthy connections'
polls are compared with the baseline's (the ratio) and with window / poll interval; each faulty
connection must go failed with its tags BAD; its equipment's time in the window is
communication loss, never running; after the peer returns, the runner's first connection
attempt succeeds and the backoff it slept before was within the configured cap.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionRunner, Diagnostics, Tag
from connectors.sim.modbus_server import ModbusSimServer
from core.config import WEEKDAYS, Config, load_config
from core.events import StateChanged
from core.samples import Quality
from hmi.station.runtime import Station
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

HOST = "127.0.0.1"
POLL_S = 0.2
TIMEOUT_S = 1.0
BACKOFF_CAP_S = 1.0
WINDOW_S = 3.0
SLOW_S = 2.5
FAULTS = ("refusing", "unreachable", "hung", "slow", "garbage")
PEERS = ("h2", *(f"f-{f}" for f in FAULTS))
# What the connections page says of each: the fault's own symptom, not a generic one.
EXPECTED_ERRORS: dict[str, tuple[str, ...]] = {
    "f-refusing": ("cannot connect to 127.0.0.1",),
    # A connect that waits for ever ends as pymodbus's own timeout or the runner's.
    "f-unreachable": ("cannot connect to 127.0.0.1", "no answer (timeout)"),
    "f-hung": ("no answer (timeout)",),
    "f-slow": ("no answer (timeout)",),
    "f-garbage": ("garbled answer",),
}


# --------------------------------------------------------------------------- a PLC that can misbehave


class Peer:
    """A Modbus TCP server on a fixed port whose behaviour can be switched while clients poll it.
    Healthy, it answers coil reads with 1s (running) and register reads with a counter that
    goes up every 0.5 s."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mode = "ok"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._blocker: socket.socket | None = None
        self._fillers: list[socket.socket] = []
        self._born = time.monotonic()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, self.port)

    async def set_mode(self, mode: str) -> None:
        """Switch behaviour. Hung, slow and garbage apply to the connections already open, as a
        PLC whose program stalls would; refusing drops them (the PLC's server restarted);
        unreachable leaves them silent (a switched-off host sends nothing, not even a reset);
        back to ok drops them too (the PLC restarted) and serves again."""
        self.mode = mode
        if mode in ("hung", "slow", "garbage"):
            return
        await self._close_listener()
        if mode in ("refusing", "ok"):
            for w in list(self._writers):
                w.close()
            self._writers.clear()
        if mode == "unreachable":
            # A listener that never accepts, its one-slot queue taken: later SYNs are dropped.
            blocker = socket.socket()
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind((HOST, self.port))
            blocker.listen(0)
            filler = socket.socket()
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect((HOST, self.port))
            self._blocker, self._fillers = blocker, [filler]
        elif mode == "ok":
            await self.start()

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._blocker is not None:
            for s in self._fillers:
                s.close()
            self._blocker.close()
            self._blocker, self._fillers = None, []

    async def stop(self) -> None:
        await self.set_mode("refusing")
        await self._close_listener()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await reader.readexactly(12)
                mode = self.mode
                if mode in ("hung", "unreachable"):
                    continue
                if mode == "garbage":
                    writer.write(os.urandom(64))
                else:
                    if mode == "slow":
                        await asyncio.sleep(SLOW_S)
                    writer.write(self._answer(request))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _answer(self, request: bytes) -> bytes:
        tid, _, _, unit, fc, _, count = struct.unpack(">HHHBBHH", request)
        body: bytes
        if fc in (1, 2):
            body = bytes([fc, (count + 7) // 8]) + b"\xff" * ((count + 7) // 8)
        else:
            counter = int((time.monotonic() - self._born) / 0.5) & 0xFFFF
            body = bytes([fc, 2 * count]) + struct.pack(">H", counter) * count
        return struct.pack(">HHHB", tid, 0, len(body) + 1, unit) + body


# --------------------------------------------------------------------------- the station


# Time outside every shift is unscheduled and counts nowhere: the line works round the clock.
ROUND_THE_CLOCK = "".join(
    f'[[lines.shifts]]\nname = "{name}"\ndays = {json.dumps(WEEKDAYS)}\nstart = "{a}"\nend = "{b}"\n'
    for name, a, b in (("Day", "00:00", "12:00"), ("Night", "12:00", "00:00"))
)


def config_text(ports: dict[str, int]) -> str:
    out = ['[site]\nname = "Faults"\n']
    for cid, port in ports.items():
        out.append(
            f'[[connections]]\nid = "{cid}"\nprotocol = "modbus"\nhost = "{HOST}"\nport = {port}\n'
            f"poll_interval_s = {POLL_S}\ntimeout_s = {TIMEOUT_S}\nreconnect_max_s = {BACKOFF_CAP_S}\n"
        )
    for cid in ports:
        out.append(
            f'[[lines]]\nid = "L-{cid}"\ntimezone = "UTC"\n{ROUND_THE_CLOCK}'
            f'[[lines.equipment]]\nid = "E-{cid}"\nideal_cycle_time_s = 0.5\nsignals = [\n'
            f'  {{ signal = "running", connection = "{cid}", address = "coil:0", type = "bool" }},\n'
            f'  {{ signal = "total_count", connection = "{cid}", address = "hr:0", type = "uint16" }},\n]\n'
        )
    return "\n".join(out)


@dataclass
class Watch:
    """What the test notes about every runner: states seen, connection attempts and their
    outcome, the backoffs slept."""

    states: dict[str, list[tuple[float, str, str | None]]] = field(default_factory=dict)
    attempts: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)
    backoffs: dict[str, list[float]] = field(default_factory=dict)

    def on_state(self, d: Diagnostics) -> None:
        self.states.setdefault(d.connection, []).append((time.monotonic(), d.state, d.last_error))

    def instrument(self, runner: ConnectionRunner) -> None:
        cid = runner.connection.id
        attempts = self.attempts.setdefault(cid, [])
        backoffs = self.backoffs.setdefault(cid, [])
        connect, backoff = runner.driver.connect, runner._backoff

        async def noted_connect() -> Any:
            started = time.monotonic()
            try:
                result = await connect()
            except BaseException:
                attempts.append((started, False))
                raise
            attempts.append((started, True))
            return result

        def noted_backoff() -> float:
            slept = backoff()
            backoffs.append(slept)
            return slept

        runner.driver.connect = noted_connect  # type: ignore[method-assign]
        runner._backoff = noted_backoff  # type: ignore[method-assign]

    def seen(self, cid: str, state: str, since: float) -> bool:
        return any(t >= since and s == state for t, s, _ in self.states.get(cid, []))

    def errors(self, cid: str, since: float) -> set[str]:
        return {e for t, s, e in self.states.get(cid, []) if t >= since and s == "failed" and e}


async def until(condition: Callable[[], bool], limit_s: float = 30.0) -> None:
    """A generous bound that only stops a hung test; nothing here is timed against it."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


@dataclass(frozen=True)
class Window:
    name: str
    faulty: tuple[str, ...]
    polls: dict[str, int]  # per connection, over the window
    seconds: float
    wall: tuple[float, float]  # station clock (time.time) at the window's start and end
    back_after_s: dict[str, float]  # peer returned -> connected again
    errors: dict[str, list[str]]  # what the faulty connections reported


@pytest.mark.asyncio
async def test_faulty_plcs_fail_alone_and_together_while_the_others_keep_their_poll_rate(
    tmp_path: Path,
) -> None:
    ports = {"h1": free_port(), **{cid: free_port() for cid in PEERS}}
    path = tmp_path / "faults.toml"
    path.write_text(config_text(ports), encoding="utf-8")
    config: Config = load_config(path)

    h1_conn = next(c for c in config.connections if c.id == "h1")
    h1_tags = [Tag("E-h1", b) for b in config.lines[0].equipment[0].signals]
    plc = ModbusSimServer(h1_conn, h1_tags)
    peers = {cid: Peer(ports[cid]) for cid in PEERS}
    watch = Watch()
    station = Station(config, tmp_path / "station.db", on_connection=watch.on_state)
    no_data_at: dict[str, list[float]] = {}

    await plc.start()
    for peer in peers.values():
        await peer.start()
    plc.set(0, 1)  # running
    station.open()
    assert station.engine is not None
    engine = station.engine

    def on_state(ev: StateChanged) -> None:
        if ev.state == "no_data":
            no_data_at.setdefault(ev.equipment, []).append(ev.ts)

    engine.bus.subscribe(StateChanged, on_state)
    await station.start()
    runners = {r.connection.id: r for r in station.runners}
    for runner in station.runners:
        watch.instrument(runner)

    async def counter() -> None:  # h1's counter moves like a machine's
        n = 0
        while True:
            await asyncio.sleep(0.5)
            n += 1
            plc.set(1, n)

    def every_equipment_running() -> bool:
        return all(engine.state_of(eq)[0] == "running" for eq in engine.equipment_ids)

    ticking = asyncio.create_task(counter())
    windows: list[Window] = []

    async def window(name: str, faulty: tuple[str, ...]) -> Window:
        for cid in faulty:
            await peers[cid].set_mode(cid.removeprefix("f-"))
        polls0 = {cid: r.diagnostics.polls for cid, r in runners.items()}
        t0, wall0 = time.monotonic(), time.time()
        await asyncio.sleep(WINDOW_S)
        t1, wall1 = time.monotonic(), time.time()
        polls = {cid: r.diagnostics.polls - polls0[cid] for cid, r in runners.items()}
        # Within the window the faulty ones failed, their tags went bad and stayed bad.
        for cid in faulty:
            r = runners[cid]
            assert watch.seen(cid, "failed", t0), (cid, r.diagnostics.state, r.diagnostics.last_error)
            assert r.diagnostics.state in ("failed", "connecting"), (cid, r.diagnostics.state)
            said = watch.errors(cid, t0)
            assert any(e.startswith(EXPECTED_ERRORS[cid]) for e in said), (cid, said)
            assert all(v is None and q == Quality.BAD for v, q in r.latest), (cid, r.latest)
        back: dict[str, float] = {}
        errors = {cid: sorted(watch.errors(cid, t0)) for cid in faulty}
        returned = time.monotonic()
        for cid in faulty:
            await peers[cid].set_mode("ok")
        for cid in faulty:
            await until(lambda cid=cid: watch.seen(cid, "connected", returned))  # type: ignore[misc]
            back[cid] = (
                next(t for t, s, _ in watch.states[cid] if t >= returned and s == "connected") - returned
            )
            # The first attempt after the peer's return succeeds: the runner was waiting within
            # its cap, not given up or backed off beyond it.
            after = [ok for started, ok in watch.attempts[cid] if started >= returned]
            assert after and after[0], (cid, watch.attempts[cid][-5:])
        w = Window(name, faulty, polls, t1 - t0, (wall0, wall1), back, errors)
        windows.append(w)
        return w

    try:
        await until(lambda: all(r.diagnostics.state == "connected" for r in runners.values()))
        await until(every_equipment_running)  # the first samples reached the engine
        baseline = await window("baseline", ())
        for fault in FAULTS:
            await window(fault, (f"f-{fault}",))
        await window("together", tuple(f"f-{f}" for f in FAULTS))
        await until(every_equipment_running)  # the faulty ones are back and counted again
        station.tick()
    finally:
        ticking.cancel()
        await station.stop()
        await plc.stop()
        for peer in peers.values():
            await peer.stop()

    expected = WINDOW_S / POLL_S
    print(f"\npolls per {WINDOW_S:g} s window (expected {expected:g} at {POLL_S:g} s):")
    for w in windows:
        line = ", ".join(f"{cid} {n}" for cid, n in w.polls.items())
        back = ", ".join(f"{cid} {s:.2f} s" for cid, s in w.back_after_s.items())
        print(f"  {w.name:<11} {line}" + (f"; connected again after {back}" if back else ""))
        for cid, errs in w.errors.items():
            print(f"    {cid}: {' / '.join(errs)}")

    for w in windows[1:]:
        for cid in ("h1", "h2"):
            ratio = w.polls[cid] / baseline.polls[cid]
            assert ratio >= 0.8, (w.name, cid, w.polls[cid], baseline.polls[cid])
            assert w.polls[cid] >= 0.8 * expected * w.seconds / WINDOW_S, (w.name, cid, w.polls[cid])
        for cid in PEERS:
            if cid not in w.faulty:  # a fault on one peer does not slow another
                assert w.polls[cid] >= 0.8 * baseline.polls[cid], (w.name, cid, w.polls)
    for cid in (f"f-{f}" for f in FAULTS):
        assert all(b <= BACKOFF_CAP_S for b in watch.backoffs[cid]), (cid, watch.backoffs[cid])
        assert runners[cid].diagnostics.reconnects >= 2  # once per fault window at least
        assert runners[cid].diagnostics.state == "stopped"

    # The engine's view: a fault window is communication loss for the faulty equipment, except
    # what its counter shows it ran meanwhile (docs/OEE.md, "Parts across a communication loss":
    # the peers count on at the ideal rate); the healthy equipment ran through every window.
    for w in windows[1:]:
        a, b = w.wall
        for cid in w.faulty:
            eq = f"E-{cid}"
            went = [t for t in no_data_at.get(eq, []) if a <= t <= b]
            assert went, (w.name, eq, no_data_at.get(eq))
            m = engine.metrics(eq, went[0], b)
            lost = m.comms_loss_time_s + m.inferred_run_time_s
            # Within a watchdog tick (a quarter poll): a CI run found 10 ms of a 2.8 s window that
            # was neither (cause not yet found; the whole figures are printed if it comes back).
            # Invented run or down time across a fault is seconds, and still fails here.
            said = (w.name, eq, went, b, asdict(m))
            print(said)  # in full among the captured output of a failure, where pytest cuts the message
            assert lost == pytest.approx(b - went[0], abs=POLL_S / 4), said
            assert m.running_time_s == pytest.approx(m.inferred_run_time_s, abs=POLL_S / 4), said
            whole = engine.metrics(eq, a, b)
            lost = whole.comms_loss_time_s + whole.inferred_run_time_s
            assert whole.down_time_s >= whole.comms_loss_time_s, (w.name, eq, whole)
            assert lost > 0.5 * (b - a), (w.name, eq, whole)
        for cid in ("h1", "h2"):
            m = engine.metrics(f"E-{cid}", a, b)
            assert m.comms_loss_time_s == 0.0 and m.running_time_s == pytest.approx(b - a), (w.name, cid, m)
