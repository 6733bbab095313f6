"""The station socket (issue 6): a station in this process, consoles attached over a real Unix socket.

What a maintenance technician on SSH would notice: they see the same live station as the panel,
what one console does the other sees, a PIN gives over the socket exactly what it gives on the
panel, and a console that hangs never slows the line's station.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
from core.config import parse_config
from core.events import Event, StateChanged, event_dict
from core.samples import Sample
from hmi.errors import UsageError
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink, StationNotRunning
from hmi.socket.protocol import MAX_LINE
from hmi.socket.server import MAX_BAD_REQUESTS, ServerError, StationServer
from hmi.station.link import LinkError, LocalLink
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00, inside the Early shift
ANDON = """
[andon.policies.maintenance]
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
]
"""


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Heard:
    """The events one console got, in order, and a way to wait for the next ones."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._more = asyncio.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._more.set()

    async def until(self, n: int) -> list[dict[str, Any]]:
        # A guard against hanging forever when events never come, not a speed limit.
        async with asyncio.timeout(60):
            while len(self.events) < n:
                self._more.clear()
                await self._more.wait()
        return self.events

    def actions(self) -> list[tuple[str, str | None, int]]:
        return [(e["action"], e["user"], e["level"]) for e in self.events if e["type"] == "AndonChanged"]


@pytest.fixture
def folder() -> Iterator[Path]:
    # pytest's tmp_path can be longer than the 107 bytes a Unix socket path may have.
    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        yield Path(name)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def station(folder: Path, clock: Clock) -> Iterator[Station]:
    config = parse_config(
        REFERENCE.read_text().replace("[[products]]", ANDON + "\n[[products]]", 1), REFERENCE
    )
    st = Station(config, folder / "station.db", clock=clock)
    st.open()
    assert st.gate is not None
    st.gate.users.add("olga", Role.OPERATOR, "1357", T0)
    st.gate.users.add("sam", Role.SUPERVISOR, "2580", T0)
    yield st
    asyncio.run(st.stop())


async def serve(station: Station) -> StationServer:
    server = StationServer(station, socket_path(station.db_path))
    await server.start()
    return server


async def clients(server: StationServer, n: int) -> None:
    """Wait until `n` clients are connected (a hang guard, not a speed limit)."""
    async with asyncio.timeout(60):
        while server.clients != n:
            await asyncio.sleep(0.01)


async def raw_request(path: Path, *lines: bytes) -> list[dict[str, Any]]:
    """Send raw lines, read one answer per line."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    try:
        writer.write(b"".join(lines))
        await writer.drain()
        return [json.loads(await reader.readline()) for _ in lines]
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_a_console_sees_the_same_views_as_the_panel(station: Station) -> None:
    server = await serve(station)
    link = await RemoteLink.connect(server.path)
    try:
        assert link.hello["site"] == "Plant 1"
        assert link.hello["pid"] == os.getpid()
        assert link.hello["protocol"] == 1
        local = LocalLink(station)
        assert await link.view("users") == ["olga", "sam"]
        assert link.hello == {"protocol": 1, "state": "running", **await local.view("station")}
        views = [("overview", {}), ("machine", {"equipment": "FILLER"}), ("config", {}), ("users", {})]
        for name, args in views:
            remote = await link.view(name, **args)
            assert remote == json.loads(json.dumps(await local.view(name, **args)))
        assert (await link.view("overview"))["lines"][0]["equipment"][0]["equipment"] == "FILLER"
        snapshot = await raw_request(server.path, b'{"id": "s", "op": "snapshot"}\n')
        assert snapshot[0]["id"] == "s" and snapshot[0]["result"]["site"] == "Plant 1"
        with pytest.raises(LinkError, match="unknown view 'nope'"):
            await link.view("nope")
        with pytest.raises(LinkError, match="view 'machine' needs the arguments: equipment"):
            await link.view("machine")
        with pytest.raises(LinkError, match="NOPE"):
            await link.view("machine", equipment="NOPE")
        assert server.clients == 1
    finally:
        await link.close()
        await server.stop()


@pytest.mark.asyncio
async def test_what_one_console_does_the_other_sees(station: Station, clock: Clock) -> None:
    server = await serve(station)
    first = await RemoteLink.connect(server.path)
    second = await RemoteLink.connect(server.path)
    heard = Heard()
    second.listen_events(heard)
    try:
        assert server.clients == 2
        raised = await first.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
        assert raised.ok, raised.message
        await heard.until(2)  # raised, and at once at level 1
        clock.t = T0 + 400
        station.tick()  # level 2: now only a supervisor may acknowledge
        await heard.until(3)
        assert await first.login("sam", "2580") == "supervisor"
        acked = await first.command("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2580")
        assert acked.ok and not acked.refused, acked.message
        await heard.until(4)
        assert heard.actions() == [
            ("raised", None, 0),
            ("escalated", None, 1),
            ("escalated", None, 2),
            ("acknowledged", "sam", 2),
        ]
        andon = (await second.view("overview"))["andon"]
        assert [(c["equipment"], c["state"]) for c in andon] == [("FILLER", "active-acknowledged")]
        audit = await second.view("audit")
        assert [(r["user"], r["command"], r["result"]) for r in audit] == [
            (None, "raise_andon", "ok"),
            ("sam", "ack_andon", "ok"),
        ]
    finally:
        await first.close()
        await second.close()
        await server.stop()


@pytest.mark.asyncio
async def test_the_socket_gives_no_more_than_the_pin_gives(station: Station, clock: Clock) -> None:
    server = await serve(station)
    link = await RemoteLink.connect(server.path)
    try:
        assert (await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})).ok
        clock.t = T0 + 400
        station.tick()
        operator = await link.command("ack_andon", {"equipment": "FILLER"}, user="olga", pin="1357")
        assert operator.refused and not operator.ok
        assert "olga (operator) may ack_andon only on level-1 calls" in operator.message
        nobody = await link.command("ack_andon", {"equipment": "FILLER"})
        assert nobody.refused and nobody.message == "ack_andon needs a login"
        no_pin = await link.command("ack_andon", {"equipment": "FILLER"}, user="sam")
        assert no_pin.refused and not no_pin.ok
        wrong_pin = await link.command("ack_andon", {"equipment": "FILLER"}, user="sam", pin="9999")
        assert wrong_pin.refused and not wrong_pin.ok
        with pytest.raises(LinkError):
            await link.login("sam", "9999")
        andon = (await link.view("overview"))["andon"]
        assert [c["state"] for c in andon] == ["active-unacknowledged"]
        audit = await link.view("audit")
        refused = [(r["user"], r["command"]) for r in audit if r["result"] == "refused"]
        assert refused == [
            ("olga", "ack_andon"),
            (None, "ack_andon"),
            ("sam", "ack_andon"),
            ("sam", "ack_andon"),
            ("sam", "login"),
        ]
    finally:
        await link.close()
        await server.stop()


@pytest.mark.asyncio
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
async def test_the_socket_file_is_for_owner_and_group_only(station: Station, umask: int) -> None:
    # Whatever the umask: never open to everyone, never shut out the group.
    old = os.umask(umask)
    try:
        server = await serve(station)
    finally:
        os.umask(old)
    try:
        mode = os.stat(server.path).st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o660
        assert stat.S_IMODE(os.stat(server.lock_path).st_mode) == 0o660
    finally:
        await server.stop()
    assert not server.path.exists()


@pytest.mark.asyncio
async def test_a_console_that_stops_reading_is_dropped_and_the_station_keeps_going(
    station: Station, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve(station)
    published: list[Event] = []
    station.listen(published.append)
    reader, writer = await asyncio.open_unix_connection(str(server.path))
    writer.write(b'{"id": 1, "op": "subscribe"}\n')
    await writer.drain()
    link = await RemoteLink.connect(server.path)
    heard = Heard()
    link.listen_events(heard)
    await clients(server, 2)
    toggles, batch = 6000, 50
    ingest_s: list[float] = []
    caplog.set_level(logging.WARNING, logger="ms5.socket")
    for n in range(0, toggles, batch):
        for i in range(n, n + batch):
            clock.t += 1
            started = time.perf_counter()
            station.ingest([Sample(clock.t, "FILLER", "running", float(i % 2 == 0))])
            ingest_s.append(time.perf_counter() - started)
        await heard.until(len(published))
    # Every sample was taken in: nothing waited for the slow console.
    assert sum(isinstance(e, StateChanged) for e in published) == toggles
    assert station.engine is not None and station.engine.state_of("FILLER")[0] == "stopped"
    # The console that reads got every event, in order, as the engine published it.
    sent = [event_dict(e) for e in published]
    assert heard.events == sent
    drops = [r.getMessage() for r in caplog.records if "dropped: too slow" in r.getMessage()]
    assert len(drops) == 1  # logged once, not once per event
    assert server.clients == 1
    # The slow console, reading at last, finds whole event lines from the start, then the end.
    got = b""
    async with asyncio.timeout(60):
        while chunk := await reader.read(65536):
            got += chunk
    lines = got.split(b"\n")
    answers = [json.loads(line) for line in lines[:-1]]  # the last may be cut mid-line
    assert answers[0] == {"id": 1, "result": {"subscribed": True}}
    events = [a["event"] for a in answers[1:] if "event" in a]
    assert 0 < len(events) < toggles
    assert events == sent[: len(events)]
    print(
        f"\nslow console: dropped after {len(events)} of {toggles} events reached it; "
        f"ingest per sample: median {statistics.median(ingest_s) * 1e6:.0f} us, "
        f"slowest {max(ingest_s) * 1e3:.2f} ms"
    )
    writer.close()
    await link.close()
    await server.stop()


@pytest.mark.asyncio
async def test_garbage_gets_one_line_errors_and_the_station_stays_up(station: Station) -> None:
    server = await serve(station)
    try:
        answers = await raw_request(
            server.path,
            b"not json\n",
            b"[1, 2]\n",
            b'{"id": 1}\n',
            b'{"id": 2, "op": "reboot"}\n',
            b'{"id": 3, "op": "view", "name": 5}\n',
            b'{"id": 4, "op": "login", "user": "sam", "pin": 2222}\n',
            b'{"id": 5, "op": "command", "command": "ack_andon", "args": [1]}\n',
            b'{"id": 6, "op": "command", "command": "explode", "user": "sam", "pin": "2580"}\n',
            b'{"id": [7], "op": "hello"}\n',
            b"\xff\xfe\n",
            b'{"id": 8, "op": "hello"}\n',
        )
        assert answers[7] == {
            "id": 6,
            "result": {"ok": False, "message": "unknown command 'explode'", "refused": False},
        }
        errors = [(a["id"], a["error"]) for a in answers[:7] + answers[8:-1]]
        assert errors == [
            (None, "not JSON: Expecting value at column 1"),
            (None, "a request is a JSON object"),
            (1, '"op" is required'),
            (2, "unknown op 'reboot'; known: hello, view, snapshot, subscribe, unsubscribe, command, login"),
            (3, '"name" must be a string'),
            (4, '"pin" must be a string'),
            (5, '"args" must be an object'),
            (None, '"id" must be a number or a string'),
            (None, "the line is not UTF-8"),
        ]
        assert answers[-1]["id"] == 8 and answers[-1]["result"]["site"] == "Plant 1"

        # A client that only sends garbage is let go; one that sends a huge line too.
        reader, writer = await asyncio.open_unix_connection(str(server.path))
        writer.write(b"?\n" * MAX_BAD_REQUESTS)
        tail = (await reader.read()).splitlines()
        assert json.loads(tail[-1]) == {"error": f"dropped: {MAX_BAD_REQUESTS} bad requests in a row"}
        writer.close()
        reader, writer = await asyncio.open_unix_connection(str(server.path))
        writer.write(b'{"id": 1, "op": "hello", "pad": "' + b"x" * MAX_LINE + b'"}\n')
        tail = (await reader.read()).splitlines()
        assert json.loads(tail[-1]) == {"error": f"dropped: a line longer than {MAX_LINE} bytes"}
        writer.close()

        link = await RemoteLink.connect(server.path)
        assert (await link.view("overview"))["site"] == "Plant 1"
        await link.close()
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_a_second_station_on_the_same_socket_is_refused(station: Station) -> None:
    server = await serve(station)
    try:
        with pytest.raises(
            ServerError, match=rf"a station already runs on .*station\.sock \(pid {os.getpid()}\)"
        ):
            await serve(station)
        link = await RemoteLink.connect(server.path)  # the first one still serves
        assert link.hello["pid"] == os.getpid()
        await link.close()
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_a_stale_socket_file_is_replaced_and_a_plain_file_left_alone(station: Station) -> None:
    path = socket_path(station.db_path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # a station that crashed leaves its socket file behind
    with pytest.raises(StationNotRunning, match="no station runs at"):
        await RemoteLink.connect(path)
    server = await serve(station)
    link = await RemoteLink.connect(path)
    assert (await link.view("config"))["site"] == "Plant 1"
    await link.close()
    await server.stop()

    path.write_text("not a socket")
    with pytest.raises(ServerError, match="exists and is not a socket"):
        await serve(station)
    assert path.read_text() == "not a socket"


@pytest.mark.asyncio
async def test_a_console_is_told_when_the_station_goes_away(station: Station) -> None:
    server = await serve(station)
    link = await RemoteLink.connect(server.path)
    await server.stop()
    why = await link.wait_closed()
    assert "the station is stopping" in why
    with pytest.raises(LinkError, match="the station is stopping"):
        await link.view("overview")
    await link.close()
    with pytest.raises(StationNotRunning):
        await RemoteLink.connect(server.path)


def test_the_socket_lives_beside_its_database_and_a_too_long_path_is_refused(folder: Path) -> None:
    assert socket_path(folder / "station.db") == folder / "station.sock"
    assert socket_path(folder / "demo.db") == folder / "demo.sock"
    with pytest.raises(UsageError, match="longer than the 107 a Unix socket path may be"):
        socket_path(folder / ("x" * 120) / "station.db")


@pytest.mark.slow
def test_ms5_engine_serves_the_socket_and_a_second_engine_is_refused(folder: Path) -> None:
    db = folder / "station.db"
    cmd = [sys.executable, "-m", "hmi.cli", "engine", str(REFERENCE), "--db", str(db)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"socket {folder / 'station.sock'}" in banner

        async def attach() -> dict[str, Any]:
            link = await RemoteLink.connect(folder / "station.sock")
            try:
                return link.hello
            finally:
                await link.close()

        assert asyncio.run(attach())["pid"] == proc.pid
        second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert (
            second.stderr.strip()
            == f"ms5 engine: a station already runs on {folder / 'station.sock'} (pid {proc.pid})"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert not (folder / "station.sock").exists()


@pytest.mark.asyncio
async def test_a_console_that_vanishes_mid_stream_leaves_the_station_serving_the_others(
    station: Station, clock: Clock
) -> None:
    server = await serve(station)
    staying = await RemoteLink.connect(server.path)
    heard = Heard()
    staying.listen_events(heard)
    _reader, writer = await asyncio.open_unix_connection(str(server.path))
    writer.write(b'{"id": 1, "op": "subscribe"}\n')
    await writer.drain()
    await clients(server, 2)
    writer.transport.abort()  # an SSH session killed: no goodbye, no close handshake
    for i in range(200):
        clock.t += 1
        station.ingest([Sample(clock.t, "FILLER", "running", float(i % 2 == 0))])
        await asyncio.sleep(0)
    events = await heard.until(200)
    assert sum(e["type"] == "StateChanged" for e in events) == 200
    await clients(server, 1)
    assert (await staying.view("overview"))["site"] == "Plant 1"
    await staying.close()
    await server.stop()
