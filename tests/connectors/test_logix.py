"""Logix driver (pycomm3) against the cpppo EtherNet/IP simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from connectors.base import ConnectionRunner, ConnectorError, Tag
from connectors.logix import LogixConnector, _quiet_close, connection_path
from connectors.logix_client import LogixClient
from connectors.logix_codec import TagPlan, decode_string, decode_value, parse_address, to_reading
from connectors.registry import driver_class, sim_server_class
from connectors.sim.logix_server import LogixSimServer, free_port
from connectors.sim.logix_tags import encode
from core.config import Connection, SignalBinding
from core.samples import Quality, Sample

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1


def _conn(port: int, cid: str = "plc1", **options: object) -> Connection:
    return Connection(
        id=cid,
        protocol="logix",
        host="127.0.0.1",
        port=port,
        poll_interval_s=0.1,
        timeout_s=0.3,
        reconnect_max_s=0.5,
        options={"init_tags": False, **options},
    )


def _binding(address: str, type_: str = "int32", **kw: object) -> SignalBinding:
    return SignalBinding(signal="total_count", connection="plc1", address=address, type=type_, **kw)  # type: ignore[arg-type]


def _tag(address: str, type_: str = "int32", **kw: object) -> Tag:
    return Tag("filler", _binding(address, type_, **kw))


# One controller for the module: every type and every address form cpppo can serve.
SERVED = [
    ("Line1_Running", "bool", 1.0),
    ("Line1_Count", "int32", -123456.0),
    ("Line1_Int", "int16", -1234.0),
    ("Line1_UInt", "uint16", 65000.0),
    ("Line1_UDInt", "uint32", 4_000_000_000.0),
    ("Line1_Real", "float32", 12.5),
    ("Line1_LReal", "float64", 1e10 + 0.25),
    ("Line1_Text", "string", 42.5),
    ("Program:MainProgram.Count", "int32", 777.0),
    ("Counts[3]", "int32", 33.0),
    ("Counts[1]", "int32", 11.0),
    ("Filler.Status.Running", "bool", 1.0),
    ("Word.5", "bool", 1.0),
    ("Word.0", "bool", 0.0),
]


@pytest.fixture(scope="module")
def plc() -> Iterator[LogixSimServer]:
    port = free_port()
    tags = [_tag(a, t) for a, t, _ in SERVED] + [_tag("Scaled", "int16", scale=0.1, offset=5.0)]
    server = LogixSimServer(_conn(port), tags)
    asyncio.run(server.start())
    try:
        yield server
    finally:
        asyncio.run(server.stop())


def _driver(server: LogixSimServer, tags: list[Tag] | None = None, cid: str = "plc1") -> LogixConnector:
    conn = _conn(server.connection.port or 0, cid)
    return LogixConnector(conn, server.tags if tags is None else tags)


def _set_all(server: LogixSimServer) -> None:
    for i, (_, _, value) in enumerate(SERVED):
        server.set(i, value)
    server.set(len(SERVED), 12.3)
    assert server.flush()


# -- addresses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag", "bit"),
    [
        ("Line1_Count", "Line1_Count", None),
        ("  _x9 ", "_x9", None),
        ("Program:MainProgram.Count", "Program:MainProgram.Count", None),
        ("program:Main.Sub.Field", "Program:Main.Sub.Field", None),
        ("Counts[3]", "Counts[3]", None),
        ("Grid[1,2]", "Grid[1,2]", None),
        ("Cube[1, 2, 3]", "Cube[1,2,3]", None),
        ("Filler.Status.Running", "Filler.Status.Running", None),
        ("Lanes[2].Count", "Lanes[2].Count", None),
        ("Word.5", "Word", 5),
        ("Filler.Flags.31", "Filler.Flags", 31),
        ("A" * 40, "A" * 40, None),
    ],
)
def test_addresses_parse(text: str, tag: str, bit: int | None) -> None:
    address = parse_address(text)
    assert address.tag == tag
    assert address.bit == bit


@pytest.mark.parametrize(
    ("text", "type_", "words"),
    [
        ("1abc", "int32", "starts with a digit"),
        ("Line-1", "int32", "letters, digits and underscores"),
        ("Line 1", "int32", "no spaces"),
        ("A..B", "int32", "empty name"),
        ("A.", "int32", "empty name"),
        ("A" * 41, "int32", "longer than 40"),
        ("Filler." + "B" * 41, "int32", "longer than 40"),
        ("Program:", "int32", "empty program name"),
        ("Program:Main", "int32", "needs a tag after the program"),
        ("Program:9Main.X", "int32", "starts with a digit"),
        ("Counts[", "int32", "not a name"),
        ("Counts[x]", "int32", "not a non-negative whole number"),
        ("Counts[-1]", "int32", "not a non-negative whole number"),
        ("Counts[]", "int32", "not a non-negative whole number"),
        ("Counts[1,2,3,4]", "int32", "at most 3"),
        ("Counts[99999999999]", "int32", "too large"),
        ("Word.64", "bool", "out of range"),
        ("Word.5", "int16", "needs type bool"),
        ("Text", "string", None),
    ],
)
def test_bad_addresses_are_one_line_value_errors(text: str, type_: str, words: str | None) -> None:
    kw = {"length": 100} if type_ == "string" else {}
    binding = _binding(text, type_, **kw)
    expected = words or "at most 82 characters"
    with pytest.raises(ValueError, match=expected) as info:
        LogixConnector.check_binding(binding)
    assert "\n" not in str(info.value)
    # The driver says the same when it is built.
    with pytest.raises(ValueError, match=expected):
        LogixConnector(_conn(1), [Tag("eq", binding)])


def test_empty_address() -> None:
    for text in ("", "   "):
        with pytest.raises(ValueError, match="empty tag name"):
            parse_address(text)


def test_registry_finds_driver_and_server() -> None:
    assert driver_class("logix") is LogixConnector
    assert sim_server_class("logix") is LogixSimServer


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"rack": 1}, "unknown Logix option 'rack'"),
        ({"slot": -1}, "slot must be"),
        ({"slot": "1"}, "slot must be"),
        ({"slot": True}, "slot must be"),
        ({"init_tags": "no"}, "init_tags must be true or false"),
        ({"connection_size": 5000}, "connection_size must be"),
        ({"connection_size": 100}, "connection_size must be"),
        ({"path": "bp"}, "not a CIP route"),
        ({"path": "foo/0"}, "not a CIP route"),
        ({"path": ""}, "path must be"),
        ({"path": "bp/0", "slot": 1}, "either slot or path"),
    ],
)
def test_bad_options(options: dict[str, object], words: str) -> None:
    conn = Connection(id="c", protocol="logix", host="10.0.0.5", options=options)
    with pytest.raises(ValueError, match=words) as info:
        LogixConnector.check_options(conn)
    assert "\n" not in str(info.value)


def test_options_and_path() -> None:
    conn = Connection(id="c", protocol="logix", host="10.0.0.5", options={"slot": 2, "connection_size": 4002})
    LogixConnector.check_options(conn)
    assert connection_path(conn) == "10.0.0.5:44818/2"
    routed = Connection(
        id="c", protocol="logix", host="10.0.0.5", port=2222, options={"path": "bp/0/enet/10.0.0.6/bp/1"}
    )
    LogixConnector.check_options(routed)
    assert connection_path(routed) == "10.0.0.5:2222/bp/0/enet/10.0.0.6/bp/1"
    with pytest.raises(ValueError, match="IPv4"):
        LogixConnector.check_options(Connection(id="c", protocol="logix", host="::1"))


# -- decoding --------------------------------------------------------------------------------------


def test_decode_strings() -> None:
    assert decode_string(b"\xd0\x00\x05\x00hello\x00") == "hello"  # cpppo pads odd lengths
    assert decode_string(b"\xd0\x00\x04\x00hell") == "hell"
    assert decode_string(b"\xda\x00\x03abc") == "abc"
    logix = b"\xa0\x02\xce\x0f" + struct.pack("<i", 5) + b"Jam 7".ljust(84, b"\x00")
    assert decode_string(logix) == "Jam 7"
    assert decode_string(b"\xd0\x00\x02\x00\xe9t") == "ét"  # Latin-1, never a decode error
    for garbled in (
        b"\xd0\x00\x09\x00abc",  # length beyond the data
        b"\xd0\x00\x01\x00abcd",  # trailing bytes beyond a pad byte
        b"\xa0\x02\xce\x0f" + struct.pack("<i", -1) + bytes(84),
        b"\xd0",
        b"\xc4\x00\x01\x00\x00\x00",
    ):
        with pytest.raises(ValueError):
            decode_string(garbled)


def test_decode_values() -> None:
    assert decode_value(b"\xc1\x00\xff") == ("BOOL", 255)
    assert decode_value(b"\xc3\x00" + struct.pack("<h", -2)) == ("INT", -2)
    assert decode_value(b"\xc7\x00" + struct.pack("<H", 65535)) == ("UINT", 65535)
    assert decode_value(b"\xc4\x00" + struct.pack("<i", -7)) == ("DINT", -7)
    assert decode_value(b"\xc8\x00" + struct.pack("<I", 2**32 - 1)) == ("UDINT", 2**32 - 1)
    assert decode_value(b"\xca\x00" + struct.pack("<f", 1.5)) == ("REAL", 1.5)
    assert decode_value(b"\xcb\x00" + struct.pack("<d", -0.25)) == ("LREAL", -0.25)
    assert decode_value(b"\xa0\x02\x34\x12\x01\x02\x03") == ("STRUCT", b"\x01\x02\x03")
    with pytest.raises(ValueError, match="garbled"):
        decode_value(b"\xc4\x00\x01\x02")  # a DINT of two bytes
    with pytest.raises(ValueError, match="unknown CIP data type"):
        decode_value(b"\x99\x99\x00")
    with pytest.raises(ValueError, match="too short"):
        decode_value(b"\xc4")


def _plan(address: str, type_: str) -> TagPlan:
    a = parse_address(address)
    return TagPlan(a.tag, a, type_, a.bit)


def test_readings_check_the_type_the_plc_sends() -> None:
    dint = b"\xc4\x00" + struct.pack("<i", 0x20)
    assert to_reading(_plan("A", "int32"), dint).value == 32.0
    wrong = to_reading(_plan("A", "int16"), dint)
    assert wrong.quality == Quality.BAD and wrong.value is None
    assert wrong.error == "wrong type: the PLC has DINT, bound as int16 (INT)"
    assert to_reading(_plan("A.5", "bool"), dint).value == 1.0
    assert to_reading(_plan("A.4", "bool"), dint).value == 0.0
    assert "beyond the 16-bit INT" in (to_reading(_plan("A.20", "bool"), b"\xc3\x00\x00\x00").error or "")
    assert "needs an integer" in (to_reading(_plan("A.1", "bool"), b"\xca\x00" + bytes(4)).error or "")
    nan = to_reading(_plan("R", "float32"), b"\xca\x00" + struct.pack("<f", math.nan))
    assert nan.quality == Quality.BAD and "finite" in (nan.error or "")
    assert to_reading(_plan("T", "string"), b"\xda\x00\x03 42").value == 42.0
    assert "not a number" in (to_reading(_plan("T", "string"), b"\xda\x00\x03abc").error or "")
    assert "wrong type" in (to_reading(_plan("T", "string"), dint).error or "")
    assert "STRUCT" in (to_reading(_plan("U", "int32"), b"\xa0\x02\x01\x02").error or "")
    assert to_reading(_plan("A", "int32"), None).quality == Quality.BAD


def _atomic(type_name: str) -> dict[str, object]:
    return {"tag_type": "atomic", "data_type": type_name, "data_type_name": type_name, "dim": 0}


def test_uploaded_tag_list_checks_bindings() -> None:
    # A tag list as pycomm3 uploads it from a controller (cpppo cannot serve one): the checks
    # and the BOOL array plan, without a controller.
    string = {"tag_type": "struct", "data_type_name": "STRING", "data_type": {"name": "STRING", "string": 82}}
    uploaded = {
        "Packer_State": _atomic("REAL"),
        "Count": _atomic("DINT"),
        "Word": _atomic("INT"),
        "Speed": _atomic("REAL"),
        "Flags": {**_atomic("DWORD"), "dim": 1},
        "Text": string,
        "Program:Main.Count": _atomic("DINT"),
    }
    client = LogixClient("127.0.0.1", timeout=0.3, connection_size=500, on_send=lambda: None, init_tags=False)
    client._tags = uploaded
    bindings = [
        ("Packer_State", "int32"),
        ("Count", "int32"),
        ("Word.3", "bool"),
        ("Speed.3", "bool"),
        ("Flags[37]", "bool"),
        ("Text", "string"),
        ("Program:Main.Count", "int32"),
        ("Missing", "int32"),
    ]
    tags = [_tag(a, t) for a, t in bindings]
    driver = LogixConnector(_conn(1, init_tags=True), tags)
    plans = [driver._plan(t, a, client, uploaded) for t, a in zip(tags, driver.addresses, strict=True)]
    _quiet_close(client)
    assert plans[0].error == "Packer_State is REAL in the controller, bound as int32"
    assert plans[1].error is None and plans[1].request == "Count"
    assert plans[2].error is None and (plans[2].request, plans[2].bit) == ("Word", 3)
    assert plans[3].error == "Speed is REAL: a bit address needs an integer"
    assert plans[4].error is None and (plans[4].request, plans[4].bit) == ("Flags[1]", 5)
    assert plans[5].error is None
    assert plans[6].error is None and plans[6].request == "Program:Main.Count"
    assert plans[7].error == "Missing is not in the controller's tag list"


def test_simulator_encoding() -> None:
    assert encode("INT", 40000) == struct.pack("<h", 40000 - 65536)  # wraps as a PLC counter does
    assert encode("UDINT", -1) == struct.pack("<I", 2**32 - 1)
    assert encode("BOOL", 0.0) == b"\x00" and encode("BOOL", 3) == b"\x01"
    assert encode("STRING", "abc") == b"\x03\x00abc\x00"
    assert encode("STRING", 12.0) == b"\x02\x0012"
    for bad in (("REAL", 1e39), ("DINT", math.inf), ("STRING", "x" * 83), ("STRING", "€"), ("DINT", "7")):
        with pytest.raises(ValueError):
            encode(*bad)


def test_simulator_skips_what_cpppo_cannot_serve() -> None:
    tags = [_tag("Grid[1,2]"), _tag("Lanes[2].Count"), _tag("Ok"), _tag("W.1", "bool"), _tag("W", "float32")]
    server = LogixSimServer(_conn(1), tags)
    assert len(server.unserved) == 3  # the W bit: W is bound as a REAL
    with pytest.raises(ValueError, match="multi-dimensional"):
        server.set(0, 1)
    with pytest.raises(ValueError, match="array element"):
        server.set(1, 1)
    server.set(2, 1)  # served: kept until started
    wide = LogixSimServer(_conn(1), [_tag("W2.40", "bool")])
    with pytest.raises(ValueError, match="beyond the 32-bit DINT"):
        wide.set(0, 1)


# -- against cpppo ---------------------------------------------------------------------------------


def test_every_type_round_trips(plc: LogixSimServer) -> None:
    _set_all(plc)
    driver = _driver(plc)
    driver.connect()
    try:
        readings = driver.read()
    finally:
        driver.close()
    for (address, _, value), reading in zip(SERVED, readings, strict=False):
        assert reading.quality == Quality.GOOD, (address, reading.error)
        assert reading.value == pytest.approx(value), address
    scaled = readings[-1]
    assert scaled.value == 73.0  # (12.3 - 5) / 0.1 in the PLC
    assert plc.tags[-1].scaled(scaled.value) == pytest.approx(12.3)


def test_string_tags_decode_text(plc: LogixSimServer) -> None:
    index = [a for a, _, _ in SERVED].index("Line1_Text")
    driver = _driver(plc, [plc.tags[index]])
    driver.connect()
    try:
        plc.set_text(index, "Jam at infeed")
        assert plc.flush()
        reading = driver.read()[0]
        assert reading.quality == Quality.BAD and reading.error == "text 'Jam at infeed' is not a number"
        plc.set_text(index, "17")
        assert plc.flush()
        assert driver.read()[0].value == 17.0
    finally:
        driver.close()
        plc.set(index, 42.5)
        assert plc.flush()


def test_one_multi_tag_request_reads_every_tag(plc: LogixSimServer) -> None:
    _set_all(plc)
    driver = _driver(plc)
    driver.connect()
    try:
        before = driver.requests()
        readings = driver.read()
        assert driver.requests() - before == 1
        assert all(r.quality == Quality.GOOD for r in readings)
        assert len(readings) == len(plc.tags)
    finally:
        driver.close()


def test_unserved_and_mistyped_tags_are_bad_the_rest_good(plc: LogixSimServer) -> None:
    _set_all(plc)
    tags = [
        _tag("Line1_Count"),
        _tag("NotServed"),
        _tag("Counts[40]"),
        _tag("Line1_Count", "int16"),
        _tag("Line1_Real", "int32"),
        _tag("Line1_Running", "bool"),
    ]
    driver = _driver(plc, tags)
    driver.connect()
    try:
        readings = driver.read()
    finally:
        driver.close()
    assert [r.quality for r in readings] == [
        Quality.GOOD,
        Quality.BAD,
        Quality.BAD,
        Quality.BAD,
        Quality.BAD,
        Quality.GOOD,
    ]
    assert readings[0].value == -123456.0 and readings[5].value == 1.0
    assert readings[1].error == "no such tag in the PLC (CIP status 0x05)"
    assert "beyond the end" in (readings[2].error or "")
    assert readings[3].error == "wrong type: the PLC has DINT, bound as int16 (INT)"
    assert readings[4].error == "wrong type: the PLC has REAL, bound as int32 (DINT)"
    assert all(r.value is None for r in readings[1:5])


def test_tag_list_upload_fails_clearly_against_cpppo(plc: LogixSimServer) -> None:
    conn = _conn(plc.connection.port or 0, init_tags=True)
    driver = LogixConnector(conn, [_tag("Line1_Count")])
    with pytest.raises(ConnectorError, match="cannot upload the tag list") as info:
        driver.connect()
    assert str(info.value).endswith(
        "; set init_tags = false for a controller that cannot (simulators, gateways, other CIP controllers)"
    )
    assert "\n" not in str(info.value)
    driver.close()


def test_nobody_listening_is_a_connector_error() -> None:
    driver = LogixConnector(_conn(free_port()), [_tag("A")])
    with pytest.raises(ConnectorError) as info:
        driver.connect()
    assert "\n" not in str(info.value)
    with pytest.raises(ConnectorError, match="not connected"):
        driver.read()
    driver.close()
    driver.close()  # closing twice is fine


class _Listener:
    """A TCP server that runs `serve(conn)` on each connection in a thread."""

    def __init__(self, serve: Callable[[object], None]) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()


def _hang(conn: object) -> None:
    import socket

    assert isinstance(conn, socket.socket)
    with contextlib.suppress(OSError):
        while conn.recv(4096):
            pass


def _garbage(conn: object) -> None:
    import socket

    assert isinstance(conn, socket.socket)
    with contextlib.suppress(OSError):
        conn.recv(4096)
        # An encapsulation header promising 60000 bytes, a few of them, then goodbye.
        conn.sendall(b"\x65\x00\x60\xea" + bytes(20) + b"\x01\x02")
        conn.close()


def test_hung_and_garbled_peers_fail_connect_and_return() -> None:
    for serve in (_hang, _garbage):
        listener = _Listener(serve)
        try:
            driver = LogixConnector(_conn(listener.port), [_tag("A")])
            with pytest.raises(ConnectorError) as info:
                driver.connect()  # returns: pycomm3's socket times out, a closed peer is an error
            assert "\n" not in str(info.value)
            if serve is _hang:
                assert "timeout" in str(info.value) or "timed out" in str(info.value)
            driver.close()
        finally:
            listener.close()


@pytest.mark.asyncio
async def test_simulator_refuses_a_port_in_use() -> None:
    listener = _Listener(_hang)
    server = LogixSimServer(_conn(listener.port), [_tag("A")])
    try:
        with pytest.raises(RuntimeError, match="in use"):
            await server.start()
        assert not server.running
    finally:
        await server.stop()
        listener.close()


# -- through the runner ----------------------------------------------------------------------------


class _Sink:
    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def __call__(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)


async def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


@contextlib.asynccontextmanager
async def _running(runner: ConnectionRunner) -> AsyncIterator[ConnectionRunner]:
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _all(runner: ConnectionRunner, quality: Quality) -> bool:
    return all(q == quality for _, q in runner.latest)


@pytest.mark.asyncio
async def test_runner_delivers_scaled_samples(plc: LogixSimServer) -> None:
    _set_all(plc)
    sink = _Sink()
    runner = ConnectionRunner(_driver(plc), sink)
    async with _running(runner):
        await _until(lambda: _all(runner, Quality.GOOD))
        values = [v for v, _ in runner.latest]
        assert values[: len(SERVED)] == pytest.approx([v for _, _, v in SERVED])
        assert values[-1] == pytest.approx(12.3)  # scale and offset applied by the runner
        plc.set(1, 5.0)
        await _until(lambda: runner.latest[1][0] == 5.0)
    assert runner.diagnostics.state == "stopped"
    assert any(s.signal == "total_count" and s.value == 5.0 for s in sink.samples)
    plc.set(1, SERVED[1][2])


@pytest.mark.asyncio
async def test_outages_turn_tags_bad_and_back() -> None:
    tags = [_tag("Count"), _tag("Running", "bool"), _tag("Counts[2]")]
    server = LogixSimServer(_conn(free_port()), tags)
    await server.start()
    try:
        server.set(0, 10)
        server.set(1, 1)
        server.set(2, 2)
        sink = _Sink()
        runner = ConnectionRunner(_driver(server), sink)
        async with _running(runner):
            await _until(lambda: _all(runner, Quality.GOOD) and runner.latest[0][0] == 10.0)

            server.pause()  # hangs: reads time out
            await _until(lambda: _all(runner, Quality.BAD))
            assert all(v is None for v, _ in runner.latest)
            server.resume()
            await _until(lambda: _all(runner, Quality.GOOD))

            server.kill()  # gone: the connection breaks
            await _until(lambda: _all(runner, Quality.BAD))
            assert runner.diagnostics.state == "failed"
            await server.start()  # a new controller, loaded with the values set so far
            await _until(lambda: [v for v, _ in runner.latest] == [10.0, 1.0, 2.0])
            assert _all(runner, Quality.GOOD)
            assert runner.diagnostics.reconnects > 0
            assert runner.diagnostics.state == "connected"
        bad = [s for s in sink.samples if s.quality == Quality.BAD]
        assert bad and all(s.value is None for s in bad)
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_hung_server_does_not_stall_another_connection(plc: LogixSimServer) -> None:
    _set_all(plc)
    listener = _Listener(_hang)
    try:
        hung = ConnectionRunner(LogixConnector(_conn(listener.port, "hung"), [_tag("A")]), _Sink())
        healthy = ConnectionRunner(_driver(plc, cid="healthy"), _Sink())
        async with _running(hung), _running(healthy):
            await _until(lambda: healthy.diagnostics.polls >= 20 and hung.diagnostics.reconnects >= 2)
            assert hung.diagnostics.polls == 0
            assert hung.diagnostics.state == "failed"
            assert "timeout" in (hung.diagnostics.last_error or "")
            assert _all(hung, Quality.BAD)
            assert _all(healthy, Quality.GOOD)
            polls = healthy.diagnostics.polls
            await _until(lambda: healthy.diagnostics.polls >= polls + 10)
    finally:
        listener.close()
