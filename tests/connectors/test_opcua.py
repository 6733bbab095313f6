"""OPC UA connector against a real asyncua server on 127.0.0.1 (connectors/sim/opcua_server.py).

asyncua's Server().init() takes over a second, so most tests share one server (module-scoped,
on a module-scoped event loop); the tests that stop, freeze or secure a server start their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import math
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from connectors.base import ConnectionRunner, ConnectorError, Tag
from connectors.opcua import OpcUaDriver
from connectors.opcua_codec import decode_string, parse_node_id, parse_node_ref, parse_options, to_reading
from connectors.sim.opcua_server import OpcUaSimServer, encode
from core.config import Connection, SignalBinding
from core.samples import Quality, Sample

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

module_loop = pytest.mark.asyncio(loop_scope="module")
DER = serialization.Encoding.DER

TYPES = ("bool", "int16", "uint16", "int32", "uint32", "float32", "float64", "string")
# Values at the edges of each type (float32 ones exactly representable).
EDGE_VALUES: dict[str, list[float]] = {
    "bool": [1.0, 0.0],
    "int16": [-32768.0, 32767.0],
    "uint16": [65535.0, 0.0],
    "int32": [-(2.0**31), 2.0**31 - 1],
    "uint32": [2.0**32 - 1, 12345.0],
    "float32": [1.5, -1.5 * 2.0**40],
    "float64": [math.pi, -1e300],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def conn(port: int, **options: Any) -> Connection:
    return Connection(
        id=f"ua{port}",
        protocol="opcua",
        host="127.0.0.1",
        port=port,
        poll_interval_s=0.1,
        timeout_s=0.3,
        reconnect_max_s=0.3,
        options=options,
    )


def tag(address: str, type_: str = "int16", name: str = "filler", **kw: Any) -> Tag:
    """A tag of equipment `name` (the sink tells tags apart by equipment)."""
    binding = SignalBinding(signal="total_count", connection="ua", address=address, type=type_, **kw)  # type: ignore[arg-type]
    return Tag(name, binding)


def binding(type_: str = "int16", length: int = 0) -> SignalBinding:
    return tag("ns=2;s=X", type_, length=length).binding


async def wait_until(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    """Generous bounds: these are shared 2-core machines; a failure is a wait that never ends."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def read_until(driver: OpcUaDriver, pred: Callable[[list[Any]], bool]) -> list[Any]:
    got: list[Any] = []

    def check() -> bool:
        return pred(got)

    deadline = time.monotonic() + 10.0
    while True:
        got = await driver.read()
        if check():
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"driver never read the expected values: {got}")
        await asyncio.sleep(0.02)


class Sink:
    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def __call__(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    def latest(self, n_tags: int, tags: list[Tag]) -> list[Sample | None]:
        out: list[Sample | None] = [None] * n_tags
        keys = [t.equipment for t in tags]
        for s in self.samples:
            out[keys.index(s.equipment)] = s
        return out


@contextlib.asynccontextmanager
async def running(runner: ConnectionRunner) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---------------------------------------------------------------------------------------------
# Addresses, options, values (no server)


@pytest.mark.parametrize(
    ("address", "ns", "identifier"),
    [
        ("ns=2;s=Line1.Count", 2, "Line1.Count"),
        ("ns=2;i=1001", 2, 1001),
        ("i=2258", 0, 2258),
        ("s=Plain", 0, "Plain"),
        ("ns=3;s=Has;Semicolon=and equals", 3, "Has;Semicolon=and equals"),
        ("ns=2;g=09087e75-8e5e-499b-954f-f2a9603db28a", 2, None),
        ("ns=2;b=YWJj", 2, b"abc"),
        ("ns=65535;i=4294967295", 65535, 4294967295),
    ],
)
def test_node_ids_parse(address: str, ns: int, identifier: object) -> None:
    node = parse_node_id(address)
    assert node.NamespaceIndex == ns
    if identifier is not None:
        assert node.Identifier == identifier
    OpcUaDriver.check_binding(tag(address).binding)


def test_namespace_uri_ids_parse_and_resolve_by_the_servers_table() -> None:
    ref = parse_node_ref("nsu=urn:plant:line%3B1;s=Filler.Count")
    assert ref.uri == "urn:plant:line;1"  # a ';' in the URI is written %3B
    namespaces = ["http://opcfoundation.org/UA/", "urn:server", "urn:plant:line;1"]
    assert ref.resolve(namespaces) == parse_node_id("ns=2;s=Filler.Count")
    assert parse_node_ref("nsu=urn:x;i=7").resolve(["a", "urn:x"]) == parse_node_id("ns=1;i=7")
    with pytest.raises(KeyError):
        ref.resolve(["http://opcfoundation.org/UA/"])
    OpcUaDriver.check_binding(tag("nsu=urn:plant;s=A").binding)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "expected ns=<index>;s=<name>"),
        ("Line1.Count", "expected ns=<index>;s=<name>"),
        ("ns=2;x=1", "expected ns=<index>;s=<name>"),
        ("ns=two;s=A", "expected ns=<index>;s=<name>"),
        ("ns=2", "expected ns=<index>;s=<name>"),
        ("ns=70000;i=1", "namespace index 70000 is over 65535"),
        ("ns=2;i=abc", "i= takes a number"),
        ("ns=2;i=-1", "i= takes a number"),
        ("ns=2;i=4294967296", "i= takes a number"),
        ("ns=2;s=", "empty identifier"),
        ("ns=2;g=not-a-guid", "g= takes a GUID"),
        ("ns=2;b=!!", "b= takes base64"),
        (" ns=2;s=A", "expected ns=<index>;s=<name>"),
        ("nsu=;s=A", "expected nsu=<namespace URI>;s=<name>"),
        ("nsu=urn:plant", "expected nsu=<namespace URI>;s=<name>"),
        ("nsu=urn:plant;ns=2;s=A", "expected nsu=<namespace URI>;s=<name>"),
        ("nsu=urn:plant;s=", "empty identifier"),
        ("nsu=urn:plant;x=1", "expected ns=<index>;s=<name>"),
    ],
)
def test_bad_addresses_are_one_line_value_errors(address: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        OpcUaDriver.check_binding(tag(address).binding)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
    assert repr(address) in message
    # The driver says the same, without a connection.
    with pytest.raises(ValueError, match="bad OPC UA NodeId"):
        OpcUaDriver(conn(4840), [tag("ns=2;s=Good"), tag(address)])


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"colour": "red"}, "unknown OPC UA option 'colour'"),
        ({"security_policy": "Basic128Rsa15"}, "security_policy must be one of"),
        ({"security_mode": "Sign"}, "security_mode Sign needs security_policy Basic256Sha256"),
        (
            {
                "security_policy": "Basic256Sha256",
                "security_mode": "None",
                "certificate": "c",
                "private_key": "k",
            },
            "needs security_mode Sign or SignAndEncrypt",
        ),
        ({"security_policy": "Basic256Sha256"}, "needs the options certificate and private_key"),
        ({"certificate": "c.pem", "private_key": "k.pem"}, "need security_policy Basic256Sha256"),
        ({"username": "op"}, "username and password go together"),
        ({"password": "secret"}, "username and password go together"),
        ({"subscription": "yes"}, "subscription must be true or false"),
        ({"publishing_interval_ms": 0}, "publishing_interval_ms must be a positive number"),
        ({"publishing_interval_ms": "fast"}, "publishing_interval_ms must be a positive number"),
        ({"max_message_size": 100}, "max_message_size must be a whole number"),
        ({"certificate": ""}, "certificate must be a non-empty string"),
    ],
)
def test_bad_options_are_one_line_value_errors(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError) as info:
        OpcUaDriver.check_options(conn(4840, **options))
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_option_defaults_and_good_combinations() -> None:
    plain = parse_options(conn(4840))
    assert (plain.security_policy, plain.security_mode, plain.subscription) == ("None", "None", True)
    assert plain.publishing_interval_ms == 100.0  # poll_interval_s * 1000
    assert plain.max_message_size == 16 * 1024 * 1024
    secure = parse_options(
        conn(
            4840,
            security_policy="Basic256Sha256",
            certificate="c.pem",
            private_key="k.pem",
            server_certificate="s.der",
            server_private_key="s.pem",
            username="op",
            password="pw",
            subscription=False,
            publishing_interval_ms=50,
            max_message_size=1 << 20,
            source_timestamps=False,
        )
    )
    assert secure.security_mode == "SignAndEncrypt"
    assert secure.secure and not secure.subscription and secure.publishing_interval_ms == 50.0
    sign = parse_options(
        conn(4840, security_policy="Basic256Sha256", security_mode="Sign", certificate="c", private_key="k")
    )
    assert sign.security_mode == "Sign"


def test_decode_string() -> None:
    assert decode_string("Line 1") == "Line 1"
    assert decode_string("ABCDEF", 4) == "ABCD"
    assert decode_string(b"caf\xc3\xa9\x00\x00") == "café"
    assert decode_string(ua.LocalizedText("Hallo", "de")) == "Hallo"
    assert decode_string("pad\x00\x00", 0) == "pad"
    with pytest.raises(TypeError):
        decode_string(12)


def _dv(value: Any, vtype: ua.VariantType, status: int = 0, **ts: Any) -> ua.DataValue:
    return ua.DataValue(ua.Variant(value, vtype), ua.StatusCode(ua.UInt32(status)), **ts)


def test_values_become_readings() -> None:
    src = dt.datetime(2026, 3, 1, 8, 0, 0, tzinfo=dt.UTC)
    srv = dt.datetime(2026, 3, 1, 8, 0, 1, tzinfo=dt.UTC)
    # Numbers of any numeric variant become floats; booleans 0/1.
    r = to_reading(_dv(-5, ua.VariantType.Int16, SourceTimestamp=src), binding("int16"))
    assert (r.value, r.quality, r.source_ts) == (-5.0, Quality.GOOD, src.timestamp())
    assert to_reading(_dv(True, ua.VariantType.Boolean), binding("bool")).value == 1.0
    assert to_reading(_dv(7, ua.VariantType.Int32), binding("bool")).value == 1.0
    assert to_reading(_dv(2**40, ua.VariantType.Int64), binding("float64")).value == 2.0**40
    assert to_reading(_dv(True, ua.VariantType.Boolean), binding("int16")).value == 1.0
    # ServerTimestamp when there is no SourceTimestamp; none at all when asked.
    assert (
        to_reading(_dv(1, ua.VariantType.Int16, ServerTimestamp=srv), binding()).source_ts == srv.timestamp()
    )
    naive = src.replace(tzinfo=None)
    assert (
        to_reading(_dv(1, ua.VariantType.Int16, SourceTimestamp=naive), binding()).source_ts
        == src.timestamp()
    )
    assert to_reading(_dv(1, ua.VariantType.Int16, SourceTimestamp=src), binding(), False).source_ts is None
    # Wrong types.
    for value, vtype, name in [
        ("text", ua.VariantType.String, "String"),
        (None, ua.VariantType.Null, "Null"),
        (src, ua.VariantType.DateTime, "DateTime"),
    ]:
        r = to_reading(_dv(value, vtype), binding("int16"))
        assert (r.value, r.quality, r.error) == (None, Quality.BAD, f"wrong type ({name})")
    arr = ua.DataValue(ua.Variant([1, 2], ua.VariantType.Int16))
    assert to_reading(arr, binding()).error == "wrong type (array of Int16)"
    assert to_reading(ua.DataValue(), binding()).error == "wrong type (Null)"
    # Out of the binding type's range.
    r = to_reading(_dv(70000, ua.VariantType.Int32), binding("int16"))
    assert r.quality == Quality.BAD and r.error == "value 70000 out of range for int16"
    assert to_reading(_dv(-1, ua.VariantType.Int32), binding("uint32")).quality == Quality.BAD
    assert to_reading(_dv(float("nan"), ua.VariantType.Double), binding("int32")).quality == Quality.BAD
    # Strings are decoded but are not numeric signals.
    r = to_reading(_dv("RUNNING", ua.VariantType.String), binding("string", length=3))
    assert r.quality == Quality.BAD and r.error == "string value 'RUN' is not a numeric signal"
    assert to_reading(_dv(3, ua.VariantType.Int16), binding("string")).error == "wrong type (Int16)"
    # Status codes: Bad -> bad (with the DataValue's time), Uncertain -> uncertain with the value.
    bad = to_reading(
        _dv(None, ua.VariantType.Null, StatusCodes.BadNodeIdUnknown, SourceTimestamp=src), binding()
    )
    assert (bad.value, bad.quality, bad.error, bad.source_ts) == (
        None,
        Quality.BAD,
        "BadNodeIdUnknown",
        src.timestamp(),
    )
    unc = to_reading(
        _dv(9, ua.VariantType.Int16, StatusCodes.UncertainLastUsableValue, ServerTimestamp=srv), binding()
    )
    assert (unc.value, unc.quality, unc.source_ts) == (9.0, Quality.UNCERTAIN, srv.timestamp())
    assert (
        to_reading(_dv(9, ua.VariantType.Int16, StatusCodes.GoodClamped), binding()).quality == Quality.GOOD
    )


def test_simulator_encodes_like_a_plc() -> None:
    assert encode(binding("int16"), 32768).Value == -32768  # rolls over
    assert encode(binding("uint16"), -1).Value == 65535
    assert encode(binding("uint32"), 2**32 + 5).Value == 5
    assert encode(binding("int32"), 2.6).Value == 3
    scaled = tag("ns=2;s=X", "int16", scale=0.1, offset=5.0).binding
    assert encode(scaled, 12.5).Value == 75
    assert encode(binding("bool"), 2).Value is True
    assert encode(binding("string", length=3), 12345).Value == "123"
    assert encode(binding("float32"), 1.5).VariantType == ua.VariantType.Float
    with pytest.raises(ValueError):
        encode(binding("int16"), float("nan"))
    with pytest.raises(ValueError):
        encode(binding("float32"), 1e39)


# ---------------------------------------------------------------------------------------------
# Against the shared server

SHARED_TAGS = [tag(f"ns=2;s=Types.{t}", t, name=f"s_{t}") for t in TYPES] + [
    tag("ns=2;i=1001", "uint32", name="numeric_id"),
    tag("ns=3;s=Other.Namespace", "int32", name="ns3"),
    tag("ns=2;s=Scaled", "int16", name="scaled", scale=0.1, offset=5.0),
    tag("ns=2;s=Text", "string", name="text"),
    tag("ns=2;g=09087e75-8e5e-499b-954f-f2a9603db28a", "int16", name="guid"),
    tag("ns=2;b=AAEC", "int16", name="bytes"),
]
IDX = {t.equipment: i for i, t in enumerate(SHARED_TAGS)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared() -> AsyncIterator[OpcUaSimServer]:
    sim = OpcUaSimServer(conn(free_port()), SHARED_TAGS)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def connected(sim: OpcUaSimServer, tags: list[Tag], **options: Any) -> AsyncIterator[OpcUaDriver]:
    assert sim.connection.port is not None
    driver = OpcUaDriver(conn(sim.connection.port, **options), tags)
    await driver.connect()
    try:
        yield driver
    finally:
        await driver.close()


@module_loop
@pytest.mark.parametrize("subscription", [True, False])
async def test_every_type_round_trips(shared: OpcUaSimServer, subscription: bool) -> None:
    numeric = [t for t in SHARED_TAGS if t.binding.type != "string"]
    async with connected(shared, SHARED_TAGS, subscription=subscription) as driver:
        assert driver.mode == ("subscription" if subscription else "polling")
        for round_ in range(2):
            expected: dict[int, float] = {}
            for t in numeric:
                i = SHARED_TAGS.index(t)
                values = EDGE_VALUES.get(t.binding.type, [4242.0, 17.0])
                expected[i] = values[round_]
                shared.set(i, expected[i] if t.equipment != "scaled" else t.scaled(expected[i]))

            def arrived(got: list[Any], expected: dict[int, float] = expected) -> bool:
                return all(got[i].value == v for i, v in expected.items())

            readings = await read_until(driver, arrived)
            for i in expected:
                assert readings[i].quality == Quality.GOOD
                assert readings[i].source_ts is not None
        # A string tag is read and decoded, but it is no numeric signal.
        shared.set(IDX["s_string"], 42)
        readings = await read_until(driver, lambda got: "'42'" in (got[IDX["s_string"]].error or ""))
        assert readings[IDX["s_string"]].quality == Quality.BAD


@module_loop
@pytest.mark.parametrize("subscription", [True, False])
async def test_changes_arrive_as_samples_through_the_runner(
    shared: OpcUaSimServer, subscription: bool
) -> None:
    """Scale and offset are applied by the runner; both modes deliver a change."""
    tags = [SHARED_TAGS[IDX["scaled"]], SHARED_TAGS[IDX["s_int32"]]]
    sink = Sink()
    assert shared.connection.port is not None
    driver = OpcUaDriver(conn(shared.connection.port, subscription=subscription), tags)
    runner = ConnectionRunner(driver, sink)
    async with running(runner):
        await wait_until(lambda: runner.diagnostics.state == "connected")
        assert driver.mode == ("subscription" if subscription else "polling")
        for value in (12.5, 17.0, 5.0):
            shared.set(IDX["scaled"], value)
            shared.set(IDX["s_int32"], value * 2)

            def arrived(value: float = value) -> bool:
                a, b = sink.latest(2, tags)
                return (
                    a is not None
                    and b is not None
                    and a.value == pytest.approx(value)
                    and b.value == value * 2
                )

            await wait_until(arrived)
        last = sink.latest(2, tags)
        assert all(s is not None and s.quality == Quality.GOOD and s.received is not None for s in last)
    assert driver.mode == "closed"


@module_loop
@pytest.mark.parametrize("subscription", [True, False])
async def test_unknown_node_is_bad_and_the_others_good(shared: OpcUaSimServer, subscription: bool) -> None:
    tags = [SHARED_TAGS[IDX["s_int16"]], tag("ns=2;s=No.Such.Node"), SHARED_TAGS[IDX["s_float64"]]]
    async with connected(shared, tags, subscription=subscription) as driver:
        shared.set(IDX["s_int16"], 321)
        shared.set(IDX["s_float64"], 0.5)
        readings = await read_until(driver, lambda got: got[0].value == 321 and got[2].value == 0.5)
        assert readings[1].quality == Quality.BAD and readings[1].value is None
        assert readings[1].error == "BadNodeIdUnknown"
        assert readings[0].quality == readings[2].quality == Quality.GOOD


@module_loop
async def test_wrong_type_is_bad(shared: OpcUaSimServer) -> None:
    # The station thinks Text is an int16; the PLC holds a String there.
    tags = [tag("ns=2;s=Text", "int16"), SHARED_TAGS[IDX["s_uint16"]]]
    async with connected(shared, tags) as driver:
        readings = await read_until(driver, lambda got: got[0].error is not None and got[1].value is not None)
        assert (readings[0].value, readings[0].quality, readings[0].error) == (
            None,
            Quality.BAD,
            "wrong type (String)",
        )
        assert readings[1].quality == Quality.GOOD


@module_loop
@pytest.mark.parametrize("subscription", [True, False])
async def test_status_codes(shared: OpcUaSimServer, subscription: bool) -> None:
    i = IDX["guid"]
    async with connected(shared, [SHARED_TAGS[i]], subscription=subscription) as driver:
        shared.set(i, 77)
        await read_until(driver, lambda got: got[0].value == 77)
        shared.set_status(i, StatusCodes.UncertainLastUsableValue)
        readings = await read_until(driver, lambda got: got[0].quality == Quality.UNCERTAIN)
        assert readings[0].value == 77.0 and readings[0].source_ts is not None
        before = time.time()
        shared.set_status(i, StatusCodes.BadSensorFailure)
        readings = await read_until(driver, lambda got: got[0].quality == Quality.BAD)
        assert readings[0].value is None and readings[0].error == "BadSensorFailure"
        assert readings[0].source_ts is not None and readings[0].source_ts >= before - 1
        shared.set(i, 78)
        readings = await read_until(driver, lambda got: got[0].value == 78)
        assert readings[0].quality == Quality.GOOD


@module_loop
async def test_refused_subscription_falls_back_to_polling(shared: OpcUaSimServer) -> None:
    server = shared.server
    assert server is not None
    server.iserver.max_subscriptions = 0  # BadTooManySubscriptions, as a PLC with no slot left
    try:
        async with connected(shared, [SHARED_TAGS[IDX["bytes"]]]) as driver:
            assert driver.mode == "polling"
            shared.set(IDX["bytes"], -12)
            readings = await read_until(driver, lambda got: got[0].value == -12)
            assert readings[0].quality == Quality.GOOD
    finally:
        server.iserver.max_subscriptions = 1000


@module_loop
async def test_subscription_reads_nothing_per_poll(shared: OpcUaSimServer) -> None:
    async with connected(shared, SHARED_TAGS[:3]) as driver:
        sent = driver.requests()
        served = shared.requests()
        for _ in range(5):
            await driver.read()
        assert driver.requests() == sent
        assert shared.requests() == served
    async with connected(shared, SHARED_TAGS[:3], subscription=False) as driver:
        sent = driver.requests()
        for _ in range(5):
            await driver.read()
        assert driver.requests() == sent + 5  # one ReadRequest per poll for all nodes


@module_loop
async def test_connect_failure_is_a_connector_error() -> None:
    driver = OpcUaDriver(conn(free_port()), [tag("ns=2;s=A")])
    with pytest.raises(ConnectorError) as info:
        await driver.connect()
    assert "\n" not in str(info.value)
    await driver.close()
    await driver.close()  # twice is fine
    with pytest.raises(ConnectorError):
        await driver.read()


@module_loop
async def test_hung_server_does_not_stall_another_connection(shared: OpcUaSimServer) -> None:
    """A listener that accepts and never answers: its tags go bad; a healthy connection keeps polling."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    accepted: list[socket.socket] = []
    loop = asyncio.get_running_loop()

    async def accept_forever() -> None:
        while True:
            client, _ = await loop.sock_accept(hung)
            accepted.append(client)

    hung.setblocking(False)
    acceptor = asyncio.create_task(accept_forever())
    hung_tags = [tag("ns=2;s=A", name="a"), tag("ns=2;s=B", "bool", name="b")]
    hung_sink, healthy_sink = Sink(), Sink()
    hung_runner = ConnectionRunner(OpcUaDriver(conn(hung.getsockname()[1]), hung_tags), hung_sink)
    assert shared.connection.port is not None
    healthy_tags = [SHARED_TAGS[IDX["s_int32"]]]
    healthy_runner = ConnectionRunner(
        OpcUaDriver(conn(shared.connection.port, subscription=False), healthy_tags), healthy_sink
    )
    try:
        async with running(healthy_runner), running(hung_runner):
            await wait_until(lambda: healthy_runner.diagnostics.polls >= 2)
            start = healthy_runner.diagnostics.polls
            await wait_until(lambda: hung_runner.diagnostics.reconnects >= 2)
            # The hung connection's tags are bad, and the healthy one kept its rhythm meanwhile.
            assert [s.quality for s in hung_sink.latest(2, hung_tags) if s is not None] == [Quality.BAD] * 2
            assert hung_runner.diagnostics.state == "failed"
            assert hung_runner.diagnostics.last_error is not None
            assert "timeout" in hung_runner.diagnostics.last_error
            polled = healthy_runner.diagnostics.polls - start
            attempts = hung_runner.diagnostics.reconnects + 1
            # Each hung attempt costs at least timeout_s (3 poll periods): the healthy connection
            # must have polled at least about as often as the hung one spent whole timeouts.
            assert polled >= 2 * attempts
            assert healthy_runner.diagnostics.state == "connected"
    finally:
        acceptor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await acceptor
        for c in accepted:
            c.close()
        hung.close()


# ---------------------------------------------------------------------------------------------
# Servers of their own


@module_loop
async def test_stop_and_restart_bad_then_good_with_subscriptions_back() -> None:
    port = free_port()
    tags = [tag("ns=2;s=Count", "uint32", "count"), tag("ns=2;s=Run", "bool", "run")]
    sim = OpcUaSimServer(conn(port), tags)
    await sim.start()
    sink = Sink()
    driver = OpcUaDriver(conn(port), tags)
    runner = ConnectionRunner(driver, sink)
    try:
        async with running(runner):
            sim.set(0, 10)
            sim.set(1, 1)
            await wait_until(
                lambda: (
                    [s and (s.value, s.quality) for s in sink.latest(2, tags)]
                    == [
                        (10.0, Quality.GOOD),
                        (1.0, Quality.GOOD),
                    ]
                )
            )
            assert driver.mode == "subscription"
            await sim.stop()
            await wait_until(lambda: all(s and s.quality == Quality.BAD for s in sink.latest(2, tags)))
            assert all(s and s.value is None for s in sink.latest(2, tags))
            assert runner.diagnostics.state == "failed"
            # Values set while down are served when the server is back.
            sim.set(0, 11)
            await sim.start()
            await wait_until(
                lambda: (
                    [s and (s.value, s.quality) for s in sink.latest(2, tags)]
                    == [
                        (11.0, Quality.GOOD),
                        (1.0, Quality.GOOD),
                    ]
                )
            )
            assert runner.diagnostics.state == "connected"
            assert runner.diagnostics.reconnects > 0
            # The subscription is back: a change arrives without polling reads.
            assert driver.mode == "subscription"
            served = sim.requests()
            sim.set(0, 12)
            await wait_until(lambda: (s := sink.latest(2, tags)[0]) is not None and s.value == 12.0)
            assert sim.requests() == served
    finally:
        await sim.stop()


FROZEN_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from connectors.base import Tag
    from connectors.sim.opcua_server import OpcUaSimServer
    from core.config import Connection, SignalBinding

    async def main() -> None:
        conn = Connection(id="frozen", protocol="opcua", host="127.0.0.1", port=int(sys.argv[1]))
        tag = Tag("e", SignalBinding(signal="total_count", connection="frozen", address="ns=2;s=C"))
        sim = OpcUaSimServer(conn, [tag])
        await sim.start()
        sim.set(0, 5)
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


@pytest.fixture
def frozen_server() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", FROZEN_SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield port, proc
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@module_loop
async def test_a_server_that_freezes_after_subscribing_turns_bad(
    frozen_server: tuple[int, subprocess.Popen[str]],
) -> None:
    """SIGSTOP: the socket stays open, nothing answers; only the missing keep-alives tell."""
    port, proc = frozen_server
    tags = [tag("ns=2;s=C")]
    sink = Sink()
    driver = OpcUaDriver(conn(port), tags)
    runner = ConnectionRunner(driver, sink)
    async with running(runner):
        await wait_until(lambda: (s := sink.latest(1, tags)[0]) is not None and s.value == 5.0)
        assert driver.mode == "subscription"
        proc.send_signal(signal.SIGSTOP)
        await wait_until(lambda: (s := sink.latest(1, tags)[0]) is not None and s.quality == Quality.BAD)
        await wait_until(lambda: runner.diagnostics.state == "failed")
        proc.send_signal(signal.SIGCONT)
        await wait_until(lambda: (s := sink.latest(1, tags)[0]) is not None and s.quality == Quality.GOOD)
        assert runner.diagnostics.reconnects > 0


def make_certificate(directory: Path, name: str, uri: str) -> tuple[Path, Path]:
    """A self-signed OPC UA application instance certificate (PEM) and its key (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.UniformResourceIdentifier(uri),
                    x509.DNSName(socket.gethostname()),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@module_loop
async def test_basic256sha256_sign_and_encrypt_with_user_login(tmp_path: Path) -> None:
    server_cert, server_key = make_certificate(tmp_path, "plc", "urn:ms5-floor:test:plc")
    client_cert, client_key = make_certificate(tmp_path, "station", "urn:ms5-floor:test:station")
    port = free_port()
    secure = {
        "security_policy": "Basic256Sha256",
        "security_mode": "SignAndEncrypt",
        "certificate": str(client_cert),
        "private_key": str(client_key),
        "server_certificate": str(server_cert),
        "server_private_key": str(server_key),
        "username": "line1",
        "password": "s3cret",
    }
    tags = [tag("ns=2;s=Secure.Count", "int32")]
    sim = OpcUaSimServer(conn(port, **secure), tags)
    await sim.start()
    try:
        sim.set(0, 4711)
        # The same certificate and key as DER files, named as Windows tools name them.
        der_cert, der_key = tmp_path / "station.crt", tmp_path / "station.key"
        der_cert.write_bytes(x509.load_pem_x509_certificate(client_cert.read_bytes()).public_bytes(DER))
        key = serialization.load_pem_private_key(client_key.read_bytes(), password=None)
        der_key.write_bytes(
            key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        runs = [
            {"security_mode": "SignAndEncrypt"},
            {"security_mode": "Sign"},
            {"certificate": str(der_cert), "private_key": str(der_key)},
        ]
        for change in runs:
            driver = OpcUaDriver(conn(port, **{**secure, **change}), tags)
            try:
                await driver.connect()
                readings = await read_until(driver, lambda got: got[0].value == 4711)
                assert readings[0].quality == Quality.GOOD
                assert driver._client is not None
                assert driver._client.application_uri == "urn:ms5-floor:test:station"  # from the certificate
            finally:
                await driver.close()
        # Without the server certificate pinned, the one presented is taken.
        unpinned = {k: v for k, v in secure.items() if k != "server_certificate"}
        async with connected(sim, tags, **unpinned) as driver:
            await read_until(driver, lambda got: got[0].value == 4711)
        refused: list[tuple[dict[str, Any], str]] = [
            ({"password": "wrong"}, "server refused: BadUserAccessDenied"),
            ({"username": None, "password": None}, "server refused: BadIdentityTokenRejected"),
            (
                {"server_certificate": str(client_cert)},
                "the server's certificate is not the one in server_certificate",
            ),
            (
                {"security_policy": None, "security_mode": None, "certificate": None, "private_key": None},
                "the server offers no unsecured endpoint",
            ),
            ({"certificate": str(tmp_path / "missing.pem")}, "missing.pem': file not found"),
            ({"private_key": str(client_cert)}, "cannot load"),
        ]
        for change, reason in refused:
            options = {k: v for k, v in {**secure, **change}.items() if v is not None}
            driver = OpcUaDriver(conn(port, **options), tags)
            with pytest.raises(ConnectorError) as info:
                await driver.connect()
            assert reason in str(info.value)
            assert "\n" not in str(info.value)
            await driver.close()
    finally:
        await sim.stop()
