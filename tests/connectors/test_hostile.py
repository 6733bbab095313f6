"""Hostile peers: fuzzed Modbus answers and OPC UA garbage (issue 7, Bad input).

tests/connectors/test_modbus.py already has one hand-made hostile PLC per kind of damage (random
bytes, fake headers, wrong transaction id, truncated, short). Here a seeded generator mixes many
kinds of damage, answer after answer, for hundreds of requests: wrong length fields (small and
0xFFFF), wrong transaction, protocol and device ids, wrong function codes, exception answers with
any code, byte counts that lie, truncated frames, trailing bytes, two answers at once, random
bytes, silence and dropped connections, with now and then a correct answer so that the driver
goes through connect, good polls and failure again and again.

What a user must see: the hostile connection fails with its tags BAD, never a value the PLC did
not send in a correct answer; the healthy connection beside it keeps its poll rate; no exception
escapes into the event loop and nothing is logged as an error; memory stays bounded.

Memory: tracemalloc counts the Python allocations of the whole process from the end of a warm-up
to the end of the run. The bound, 20 MB for the peak and 10 MB for what is still held at the end,
is far above what a correct run needs (a read buffer capped at 512 KiB, asyncio's 256 KiB stream
chunks, the engine's segments and the store's one-second batches, a few MB in all) and far below
what a leak or an allocation trusting a length field (0xFFFF frames, a 4 GiB OPC UA chunk size)
would take over these rounds; it is there to catch those, not to measure.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionRunner, Tag
from connectors.opcua import OpcUaDriver
from connectors.sim.modbus_server import ModbusSimServer
from core.config import WEEKDAYS, Connection, SignalBinding, load_config
from core.samples import Quality, Sample
from hmi.station.runtime import Station
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

HOST = "127.0.0.1"
SEED = 20261122
GOOD_COUNT = 4242  # what the hostile PLC's correct answers carry; damaged ones carry other values
PEAK_BOUND = 20 * 2**20
HELD_BOUND = 10 * 2**20


async def until(condition: Callable[[], bool], limit_s: float = 60.0) -> None:
    """A bound that only stops a hung test; nothing is timed against it."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


@dataclass
class LoopWatch:
    """Exceptions that reach the event loop's handler: none may."""

    escaped: list[dict[str, Any]] = field(default_factory=list)

    def __enter__(self) -> LoopWatch:
        loop = asyncio.get_running_loop()
        self._previous = loop.get_exception_handler()
        loop.set_exception_handler(lambda _loop, context: self.escaped.append(context))
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.get_running_loop().set_exception_handler(self._previous)


@dataclass
class Memory:
    """tracemalloc from the end of the warm-up: what is held and the peak above the start."""

    start: int = 0
    held: int = 0
    peak: int = 0

    def begin(self) -> None:
        tracemalloc.reset_peak()
        self.start = tracemalloc.get_traced_memory()[0]

    def end(self) -> None:
        current, peak = tracemalloc.get_traced_memory()
        self.held, self.peak = current - self.start, peak - self.start


@pytest.fixture
def traced() -> Any:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- Modbus


def mbap(tid: int, unit: int, pdu: bytes, *, pid: int = 0, length: int | None = None) -> bytes:
    return struct.pack(">HHHB", tid, pid, len(pdu) + 1 if length is None else length, unit) + pdu


class FuzzedPlc:
    """Answers each Modbus request with one damage drawn from a seeded generator."""

    KINDS = (
        "valid",
        "exception",
        "length",
        "huge-length",
        "tid",
        "pid",
        "unit",
        "function",
        "byte-count",
        "truncated",
        "trailing",
        "double",
        "random",
        "silent",
        "close",
    )

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.answered: dict[str, int] = dict.fromkeys(self.KINDS, 0)

    @property
    def total(self) -> int:
        return sum(self.answered.values())

    def answer(self, request: bytes) -> tuple[str, bytes]:
        rng = self.rng
        tid, _, _, unit, fc, _, count = struct.unpack(">HHHB" + "BHH", request)
        # Correct answers say GOOD_COUNT and running; damaged ones something else, so that a
        # damaged answer taken for a good one would show as a wrong value.
        bits, word = (b"\xff", GOOD_COUNT) if rng.random() < 0.5 else (b"\x00", 1313)
        nbytes = (count + 7) // 8 if fc in (1, 2) else 2 * count
        data = bits * nbytes if fc in (1, 2) else struct.pack(">H", word) * count
        kind = rng.choice(self.KINDS)
        if kind == "valid":
            data = b"\xff" * nbytes if fc in (1, 2) else struct.pack(">H", GOOD_COUNT) * count
            out = mbap(tid, unit, bytes([fc, nbytes]) + data)
        elif kind == "exception":
            out = mbap(tid, unit, bytes([fc | 0x80, rng.randrange(256)]) + rng.randbytes(rng.randrange(2)))
        elif kind == "length":
            right = 3 + nbytes
            length = rng.choice([n for n in (0, 1, 2, right - 1, right + 1, 255, 256) if n != right])
            out = mbap(
                tid,
                unit,
                bytes([fc, nbytes]) + data,
                length=rng.choice([length, rng.randrange(right + 2, 65536)]),
            )
        elif kind == "huge-length":
            out = mbap(tid, unit, b"", length=0xFFFF) + rng.randbytes(rng.randrange(300))
        elif kind == "tid":
            out = mbap((tid + rng.randrange(1, 65536)) & 0xFFFF, unit, bytes([fc, nbytes]) + data)
        elif kind == "pid":
            out = mbap(tid, unit, bytes([fc, nbytes]) + data, pid=rng.randrange(1, 65536))
        elif kind == "unit":
            out = mbap(tid, (unit + rng.randrange(1, 256)) & 0xFF, bytes([fc, nbytes]) + data)
        elif kind == "function":
            other = rng.choice([f for f in range(1, 128) if f != fc])
            out = mbap(tid, unit, bytes([other, nbytes]) + data)
        elif kind == "byte-count":
            out = mbap(tid, unit, bytes([fc, (nbytes + rng.randrange(1, 256)) & 0xFF]) + data)
        elif kind == "truncated":
            whole = mbap(tid, unit, bytes([fc, nbytes]) + data)
            out = whole[: rng.randrange(1, len(whole))]
        elif kind in ("trailing", "double"):
            # The leading frame is correct (and says so): should it arrive in a segment of its own,
            # taking it is right; what follows is what the driver must not take.
            data = b"\xff" * nbytes if fc in (1, 2) else struct.pack(">H", GOOD_COUNT) * count
            frame = mbap(tid, unit, bytes([fc, nbytes]) + data)
            out = frame + (rng.randbytes(rng.randrange(1, 50)) if kind == "trailing" else frame)
        elif kind == "random":
            out = rng.randbytes(rng.randrange(1, 600))
        else:  # silent, close
            out = b""
        self.answered[kind] += 1
        return kind, out

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readexactly(12)
                kind, out = self.answer(request)
                if kind == "close":
                    return
                if out:
                    writer.write(out)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def modbus_config(tmp_path: Path, hostile: int, healthy: int) -> Path:
    shifts = "".join(
        f'[[lines.shifts]]\nname = "{n}"\ndays = [{", ".join(repr(d) for d in WEEKDAYS)}]\n'
        f'start = "{a}"\nend = "{b}"\n'.replace("'", '"')
        for n, a, b in (("Day", "00:00", "12:00"), ("Night", "12:00", "00:00"))
    )
    text = ['[site]\nname = "Hostile"\n']
    for cid, port in (("hostile", hostile), ("healthy", healthy)):
        text.append(
            f'[[connections]]\nid = "{cid}"\nprotocol = "modbus"\nhost = "{HOST}"\nport = {port}\n'
            "poll_interval_s = 0.05\ntimeout_s = 0.2\nreconnect_max_s = 0.05\n"
        )
    for cid in ("hostile", "healthy"):
        text.append(
            f'[[lines]]\nid = "L-{cid}"\ntimezone = "UTC"\n{shifts}'
            f'[[lines.equipment]]\nid = "{cid}"\nideal_cycle_time_s = 0.5\nsignals = [\n'
            f'  {{ signal = "running", connection = "{cid}", address = "coil:0", type = "bool" }},\n'
            f'  {{ signal = "total_count", connection = "{cid}", address = "hr:0", type = "uint16" }},\n]\n'
        )
    path = tmp_path / "hostile.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


@pytest.mark.asyncio
async def test_fuzzed_modbus_answers_fail_the_connection_not_the_station(
    tmp_path: Path, traced: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    plc = FuzzedPlc(SEED)
    server = await asyncio.start_server(plc.serve, HOST, 0)
    hostile_port = server.sockets[0].getsockname()[1]
    config = load_config(modbus_config(tmp_path, hostile_port, free_port()))
    healthy_conn = next(c for c in config.connections if c.id == "healthy")
    sim = ModbusSimServer(healthy_conn, [Tag("healthy", b) for b in config.lines[1].equipment[0].signals])
    await sim.start()
    sim.set(0, 1)
    sim.set(1, 7)
    seen: list[Sample] = []
    station = Station(config, tmp_path / "station.db")
    station.open()
    real_ingest = station.ingest

    def ingest(samples: list[Sample]) -> None:
        seen.extend(s for s in samples if s.equipment == "hostile")
        real_ingest(samples)

    station.ingest = ingest  # type: ignore[method-assign]
    memory = Memory()
    with LoopWatch() as loop_watch:
        await station.start()
        runners = {r.connection.id: r for r in station.runners}
        hostile, healthy = runners["hostile"].diagnostics, runners["healthy"].diagnostics
        try:
            await until(lambda: healthy.state == "connected" and plc.total >= 40)
            memory.begin()
            polls0, t0 = healthy.polls, time.monotonic()
            failures0 = hostile.reconnects
            await until(lambda: plc.total >= 300)
            window = time.monotonic() - t0
            healthy_polls = healthy.polls - polls0
            memory.end()
            alive = [t for t in station._tasks if not t.done()]
            station.tick()
        finally:
            await station.stop()
            await sim.stop()
            server.close()
            await server.wait_closed()

    print(
        f"\n{plc.total} fuzzed answers ({', '.join(f'{k} {n}' for k, n in plc.answered.items())}); "
        f"hostile: {hostile.reconnects - failures0} reconnects, {hostile.polls} good polls, last error "
        f"{hostile.last_error!r}; healthy: {healthy_polls} polls in {window:.1f} s "
        f"({healthy_polls / window:.1f}/s of 20/s); tracemalloc held {memory.held / 2**20:+.2f} MiB, "
        f"peak {memory.peak / 2**20:+.2f} MiB over the start"
    )
    assert loop_watch.escaped == []
    # Every runner and the tick loop still running (retention and backups are tasks of their own).
    polling = [t for t in alive if t.get_name().startswith("connection ") or t.get_name() == "tick"]
    assert len(polling) == len(station.runners) + 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert hostile.reconnects - failures0 >= 20 and hostile.last_error is not None
    # Only a correct answer's values ever reached the engine as good data.
    good = {(s.signal, s.value) for s in seen if s.quality == Quality.GOOD}
    assert good <= {("running", 1.0), ("total_count", float(GOOD_COUNT))}, good
    assert any(s.quality == Quality.BAD for s in seen)
    # The healthy PLC's 20 polls/s, slowed at most by the tracemalloc overhead, not stalled.
    assert healthy_polls >= 0.5 * window / 0.05, (healthy_polls, window)
    assert memory.peak < PEAK_BOUND and memory.held < HELD_BOUND, memory


# --------------------------------------------------------------------------- OPC UA


def _hello_ack_garbage(rng: random.Random) -> bytes:
    """An ACK whose buffer sizes are absurd, then a message chunk announcing 4 GiB."""
    ack = b"ACKF" + struct.pack("<IIIIII", 28, 0, 0xFFFFFFFF, 1, 0xFFFFFFFF, 0xFFFFFFFF)
    return ack + b"MSGF" + struct.pack("<I", 0xFFFFFFF0) + rng.randbytes(200)


def _random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randrange(1, 2000))


def _error_frame(rng: random.Random) -> bytes:
    """An ERR message whose reason string claims to be longer than the message."""
    return b"ERRF" + struct.pack("<IIi", 16 + 4, rng.randrange(2**32), 0x7FFFFFFF) + b"abcd"


def _valid_ack_then_junk(rng: random.Random) -> bytes:
    """A correct ACK, then an OpenSecureChannel answer made of random bytes."""
    ack = b"ACKF" + struct.pack("<IIIIII", 28, 0, 65536, 65536, 0, 0)
    body = rng.randbytes(rng.randrange(16, 400))
    return ack + b"OPNF" + struct.pack("<I", 8 + len(body)) + body


OPCUA_GARBAGE = {
    "random": _random_bytes,
    "absurd-ack": _hello_ack_garbage,
    "lying-error": _error_frame,
    "ack-then-junk": _valid_ack_then_junk,
}


@asynccontextmanager
async def garbage_server(make: Callable[[random.Random], bytes], rng: random.Random) -> AsyncIterator[int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.read(8192)  # the client's HEL
            writer.write(make(rng))
            await writer.drain()
            while await reader.read(8192):
                writer.write(make(rng))
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(OPCUA_GARBAGE))
async def test_an_opcua_server_sending_garbage_fails_the_connection_cleanly(
    kind: str, traced: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(f"{SEED}-{kind}")
    binding = SignalBinding(signal="total_count", connection="ua", address="ns=2;s=Count", type="int32")
    tags = [Tag("capper", binding)]
    samples: list[Sample] = []
    memory = Memory()
    async with garbage_server(OPCUA_GARBAGE[kind], rng) as port:
        connection = Connection(
            id="ua",
            protocol="opcua",
            host=HOST,
            port=port,
            poll_interval_s=0.1,
            timeout_s=0.5,
            reconnect_max_s=0.2,
        )
        runner = ConnectionRunner(OpcUaDriver(connection, tags), samples.extend)
        with LoopWatch() as loop_watch:
            task = asyncio.create_task(runner.run())
            try:
                await until(lambda: runner.diagnostics.reconnects >= 2)
                memory.begin()
                await until(lambda: runner.diagnostics.reconnects >= 8)
                memory.end()
            finally:
                for _ in range(100):  # Python 3.11's wait_for may swallow one cancellation
                    if task.done():
                        break
                    task.cancel()
                    await asyncio.wait([task], timeout=0.1)
            await asyncio.sleep(0.1)  # let asyncua's own tasks end and report, if they would
    d = runner.diagnostics
    print(
        f"\n{kind}: {d.reconnects} attempts, last error {d.last_error!r}; tracemalloc held "
        f"{memory.held / 2**20:+.2f} MiB, peak {memory.peak / 2**20:+.2f} MiB"
    )
    assert task.done()
    assert d.polls == 0 and d.last_error is not None and "\n" not in d.last_error
    assert all(v is None and q == Quality.BAD for v, q in runner.latest)
    assert samples and all(s.quality == Quality.BAD for s in samples)
    assert loop_watch.escaped == [], loop_watch.escaped
    assert [r for r in caplog.records if r.name.startswith("ms5") and r.levelno >= logging.ERROR] == []
    assert memory.peak < PEAK_BOUND and memory.held < HELD_BOUND, memory
