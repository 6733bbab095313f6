"""S7: addresses, read planning and S7 STRING coding without a network; then the driver against
python-snap7's real server on 127.0.0.1 (through `connectors.sim.s7_server`)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from connectors import s7
from connectors.base import ConnectionRunner, ConnectorError, Tag
from connectors.s7 import S7Driver
from connectors.s7_codec import (
    AREA_DB,
    AREA_MK,
    AREA_PA,
    AREA_PE,
    decode_s7_string,
    encode_s7_string,
    parse_address,
    parse_options,
)
from connectors.s7_plan import MAX_ITEMS, ReadItem, max_payload, parse_read_items, plan_reads
from connectors.sim import s7_server
from connectors.sim.s7_server import S7SimServer
from core.config import Connection, SignalBinding
from core.samples import Quality, Sample

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

# --- helpers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def binding(address: str, type_: str = "int16", **kw: Any) -> SignalBinding:
    return SignalBinding(signal="total_count", connection="plc", address=address, type=type_, **kw)  # type: ignore[arg-type]


def tag(address: str, type_: str = "int16", equipment: str = "eq", **kw: Any) -> Tag:
    return Tag(equipment, binding(address, type_, **kw))


def conn(port: int, **kw: Any) -> Connection:
    options = kw.pop("options", {})
    defaults: dict[str, Any] = {"poll_interval_s": 0.05, "timeout_s": 0.5, "reconnect_max_s": 0.3}
    defaults.update(kw)
    return Connection(
        id=f"s7-{port}", protocol="s7", host="127.0.0.1", port=port, options=options, **defaults
    )


@contextlib.asynccontextmanager
async def serving(tags: list[Tag], port: int | None = None) -> AsyncIterator[S7SimServer]:
    server = S7SimServer(conn(port or free_port()), tags)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.contextmanager
def connected(connection: Connection, tags: list[Tag]) -> Iterator[S7Driver]:
    driver = S7Driver(connection, tags)
    driver.connect()
    try:
        yield driver
    finally:
        driver.close()


async def wait_for(condition: Callable[[], bool], limit_s: float = 15.0) -> None:
    """Wait until `condition` holds; the limit only keeps a broken test from hanging."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def in_thread(fn: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(fn)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "type_", "canonical", "area", "db", "byte", "bit", "size"),
    [
        ("DB1.DBX0.0", "bool", "DB1.DBX0.0", AREA_DB, 1, 0, 0, 1),
        ("db12.dbx3.7", "bool", "DB12.DBX3.7", AREA_DB, 12, 3, 7, 1),
        (" DB1.DBB4 ", "uint16", "DB1.DBB4", AREA_DB, 1, 4, None, 1),
        ("DB1.DBW2", "int16", "DB1.DBW2", AREA_DB, 1, 2, None, 2),
        ("DB1.DBD4", "float32", "DB1.DBD4", AREA_DB, 1, 4, None, 4),
        ("DB1.DBD4", "uint32", "DB1.DBD4", AREA_DB, 1, 4, None, 4),
        ("DB1.DBD8", "float64", "DB1.DBD8", AREA_DB, 1, 8, None, 8),
        ("DB1.DBL8", "float64", "DB1.DBL8", AREA_DB, 1, 8, None, 8),
        ("M10.3", "bool", "M10.3", AREA_MK, 0, 10, 3, 1),
        ("mw20", "uint16", "MW20", AREA_MK, 0, 20, None, 2),
        ("MD4", "int32", "MD4", AREA_MK, 0, 4, None, 4),
        ("I0.1", "bool", "I0.1", AREA_PE, 0, 0, 1, 1),
        ("E0.1", "bool", "I0.1", AREA_PE, 0, 0, 1, 1),
        ("EW2", "int16", "IW2", AREA_PE, 0, 2, None, 2),
        ("ID8", "float32", "ID8", AREA_PE, 0, 8, None, 4),
        ("Q1.0", "bool", "Q1.0", AREA_PA, 0, 1, 0, 1),
        ("A1.0", "bool", "Q1.0", AREA_PA, 0, 1, 0, 1),
        ("AB3", "int16", "QB3", AREA_PA, 0, 3, None, 1),
        ("QD0", "uint32", "QD0", AREA_PA, 0, 0, None, 4),
    ],
)
def test_addresses_parse_to_canonical_form(
    address: str, type_: str, canonical: str, area: int, db: int, byte: int, bit: int | None, size: int
) -> None:
    a = parse_address(address, type_)
    assert (a.canonical, a.area, a.db, a.byte, a.bit, a.size) == (canonical, area, db, byte, bit, size)


def test_a_string_occupies_its_header_and_its_characters() -> None:
    a = parse_address("DB3.DBB10", "string", length=20)
    assert (a.byte, a.size, a.length) == (10, 22, 20)


@pytest.mark.parametrize(
    ("address", "type_", "kw", "message"),
    [
        ("", "int16", {}, "bad S7 address ''"),
        ("DB1", "int16", {}, "bad S7 address 'DB1'"),
        ("DB1.DBQ0", "int16", {}, "bad S7 address"),
        ("DB1.DBW", "int16", {}, "bad S7 address"),
        ("hr:100", "int16", {}, "bad S7 address"),
        ("X1.0", "bool", {}, "bad S7 address"),
        ("DB0.DBW0", "int16", {}, "DB number must be 1..65535"),
        ("DB70000.DBW0", "int16", {}, "DB number must be 1..65535"),
        ("DB1.DBW70000", "int16", {}, "byte offset must be 0..65535"),
        ("DB1.DBX0", "bool", {}, "needs a bit number"),
        ("M3", "bool", {}, "needs a bit number"),
        ("DB1.DBX0.8", "bool", {}, "bit number must be 0..7"),
        ("DB1.DBW0.1", "int16", {}, "only bit addresses"),
        ("DB1.DBW0", "float32", {}, "DB1.DBW0 is a 16-bit word: type float32 does not fit"),
        ("DB1.DBX0.0", "int16", {}, "DB1.DBX0.0 is a bit: type int16 does not fit"),
        ("MB0", "int32", {}, "MB0 is a byte: type int32 does not fit"),
        ("DB1.DBD0", "int16", {}, "DB1.DBD0 is a 32-bit double word: type int16 does not fit"),
        ("DB1.DBW0", "string", {"length": 4}, "type string does not fit"),
        ("DB1.DBB0", "string", {}, "a string needs a length of 1..254"),
        ("DB1.DBB0", "string", {"length": 255}, "a string needs a length of 1..254"),
        ("DB1.DBW0", "int16", {"byte_order": "little"}, "S7 data is big-endian"),
        ("DB1.DBD0", "int32", {"word_order": "little"}, "S7 data is big-endian"),
        ("DB1.DBD65534", "int32", {}, "runs past byte 65535"),
    ],
)
def test_bad_addresses_give_one_line_reasons(
    address: str, type_: str, kw: dict[str, Any], message: str
) -> None:
    b = binding(address, type_, **kw)
    with pytest.raises(ValueError) as checked:
        S7Driver.check_binding(b)
    text = str(checked.value)
    assert message in text
    assert "\n" not in text
    # The driver refuses the same binding with the same words.
    with pytest.raises(ValueError) as built:
        S7Driver(conn(102), [Tag("eq", b)])
    assert str(built.value) == text


def test_options_are_checked() -> None:
    assert parse_options({}) == parse_options({"rack": 0, "slot": 1})
    assert parse_options({"rack": 1, "slot": 2, "max_gap": 0}).slot == 2
    S7Driver.check_options(conn(102, options={"rack": 0, "slot": 2}))
    for options, message in [
        ({"rak": 0}, "unknown S7 option 'rak'"),
        ({"rack": "0"}, "rack must be a whole number 0..7"),
        ({"rack": 8}, "rack must be a whole number 0..7"),
        ({"slot": True}, "slot must be a whole number 0..31"),
        ({"slot": 1.5}, "slot must be a whole number 0..31"),
        ({"max_gap": -1}, "max_gap must be a whole number"),
    ]:
        with pytest.raises(ValueError, match=message):
            S7Driver.check_options(conn(102, options=options))
        with pytest.raises(ValueError, match=message):
            S7Driver(conn(102, options=options), [])


# --- S7 STRING ----------------------------------------------------------------------------


def test_s7_string_decoding() -> None:
    assert decode_s7_string(bytes([10, 5]) + b"Hello" + bytes(5)) == "Hello"
    assert decode_s7_string(bytes([10, 0]) + bytes(10)) == ""
    assert decode_s7_string(bytes(12)) == ""  # a DB nobody wrote yet
    assert decode_s7_string(bytes([4, 4]) + b"\xc4\xd6\xdc\xdf") == "ÄÖÜß"  # one byte per character
    assert decode_s7_string(bytes([254, 3]) + b"abc", length=3) == "abc"
    with pytest.raises(ValueError, match="inconsistent: 6 characters in a STRING\\[4\\]"):
        decode_s7_string(bytes([4, 6]) + b"abcdef")
    with pytest.raises(ValueError, match="holds 8 characters but the tag reads only 4"):
        decode_s7_string(bytes([20, 8]) + b"abcd", length=4)
    with pytest.raises(ValueError, match="2-byte header"):
        decode_s7_string(b"\x01")


def test_s7_string_encoding() -> None:
    assert encode_s7_string("OK", 4) == bytes([4, 2]) + b"OK\x00\x00"
    assert encode_s7_string("too long", 3) == bytes([3, 3]) + b"too"
    assert encode_s7_string("π=3", 3) == bytes([3, 3]) + b"?=3"
    for text in ("", "A", "Line 1 / Jam", "x" * 254):
        assert decode_s7_string(encode_s7_string(text, 254)) == text


# --- planning -----------------------------------------------------------------------------


def forty_tags() -> list[Tag]:
    """40 tags spread over DB1, DB2 and the merkers."""
    tags = [tag(f"DB1.DBW{2 * i}") for i in range(15)]
    tags += [tag(f"DB2.DBD{4 * i}", "int32") for i in range(10)]
    tags += [tag(f"DB2.DBX44.{b}", "bool") for b in range(5)]
    tags += [tag(f"M{i}.{i % 8}", "bool") for i in range(5)]
    tags += [tag(f"MW{20 + 2 * i}", "uint16") for i in range(5)]
    return tags


def test_forty_tags_over_two_dbs_and_merkers_fit_one_request() -> None:
    addresses = [parse_address(t.binding.address, t.binding.type) for t in forty_tags()]
    plan = plan_reads(addresses, 480)
    assert len(plan.requests) == 1
    assert [(i.area, i.db, i.start, i.size) for i in plan.requests[0]] == [
        (AREA_MK, 0, 0, 30),  # M0..M4 and MW20..MW28 merge: the gap is under max_gap
        (AREA_DB, 1, 0, 30),
        (AREA_DB, 2, 0, 45),
    ]
    separate = plan_reads(addresses, 480, max_gap=0)
    assert len(separate.requests) == 1 and len(separate.requests[0]) == 5


def test_plans_respect_the_pdu_and_the_item_limit() -> None:
    # 50 tags far apart: 50 items, at most 20 per request.
    spread = [parse_address(f"DB1.DBW{100 * i}") for i in range(50)]
    plan = plan_reads(spread, 960)
    assert [len(r) for r in plan.requests] == [MAX_ITEMS, MAX_ITEMS, 10]
    # A small PDU: neither the request (12 bytes per item) nor the answer may exceed it.
    for pdu in (240, 480, 960):
        words = [parse_address(f"DB{1 + i % 3}.DBD{400 * i}", "float32") for i in range(60)]
        for req in plan_reads(words, pdu).requests:
            assert 14 + 12 * len(req) <= pdu
            assert 14 + sum(4 + i.size + (i.size & 1) for i in req) <= pdu


def test_ranges_stop_at_a_pdu_and_a_bigger_tag_is_split_into_chunks() -> None:
    words = [parse_address(f"DB5.DBW{2 * i}") for i in range(400)]  # 800 contiguous bytes
    plan = plan_reads(words, 240)
    payload = max_payload(240)
    # Ranges end at tag boundaries before they outgrow one answer.
    assert [(r.start, r.end) for r in plan.ranges] == [(0, 222), (222, 444), (444, 666), (666, 800)]
    assert all(len(req) == 1 for req in plan.requests)
    # A STRING[254] does not fit a 240-byte PDU: it is one range in two chunks.
    text = plan_reads([parse_address("DB1.DBB0", "string", 254)], 240)
    assert [i.size for req in text.requests for i in req] == [payload, 256 - payload]
    assert len(text.ranges) == 1 and len(text.ranges[0].chunks) == 2


def test_isolated_tags_are_never_merged() -> None:
    words = [parse_address(f"DB1.DBW{2 * i}") for i in range(4)]
    plan = plan_reads(words, 480, isolated=frozenset({2}))
    assert [r.tags for r in plan.ranges] == [[0, 1], [2], [3]]


def test_answers_are_split_per_item_with_fill_bytes() -> None:
    items = [ReadItem(AREA_DB, 1, 0, 3), ReadItem(AREA_DB, 2, 0, 2), ReadItem(AREA_MK, 0, 0, 1)]
    raw = (
        bytes([0xFF, 0x04, 0, 24]) + b"abc" + b"\x00"  # 3 bytes, then a fill byte
        + bytes([0x0A, 0x00, 0, 0])  # DB2 does not exist
        + bytes([0xFF, 0x04, 0, 8]) + b"z"  # last item: no fill
    )  # fmt: skip
    assert parse_read_items(raw, items) == [
        b"abc",
        "PLC refused DB2 bytes 0..1: object does not exist (0x0a)",
        b"z",
    ]
    truncated = parse_read_items(raw[:6], items)
    assert truncated == ["the answer is truncated"] * 3
    wrong = parse_read_items(bytes([0xFF, 0x04, 0, 16]) + b"ab", [ReadItem(AREA_DB, 1, 0, 4)])
    assert wrong == ["PLC answered 2 bytes for DB1 bytes 0..3"]


def test_values_decode_and_encode() -> None:
    real = parse_address("DB1.DBD0", "float32")
    assert real.decode(struct.pack(">f", -1.5)) == -1.5
    with pytest.raises(ValueError, match="not a number"):
        real.decode(struct.pack(">f", math.nan))
    dint = parse_address("MD0", "int32")
    assert dint.decode(dint.encode(-123456, b"")) == -123456
    assert dint.decode(dint.encode(2**31, b"")) == -(2**31)  # wraps like a PLC counter
    word = parse_address("MW0", "uint16")
    assert word.decode(word.encode(65536 + 7, b"")) == 7
    sint = parse_address("MB0", "int16")
    assert sint.decode(bytes([0xFE])) == -2
    byte = parse_address("MB0", "uint16")
    assert byte.decode(bytes([0xFE])) == 254
    bit = parse_address("M0.5", "bool")
    assert bit.encode(1, b"\x01") == b"\x21"
    assert bit.encode(0, b"\xff") == b"\xdf"
    with pytest.raises(ValueError, match="not a number"):
        word.encode(math.nan, b"")


# --- against the real server --------------------------------------------------------------

ALL_TYPES: list[tuple[Tag, float | str]] = [
    (tag("DB1.DBX0.0", "bool"), 1),
    (tag("DB1.DBX0.1", "bool"), 0),
    (tag("DB1.DBX0.7", "bool"), 1),
    (tag("DB1.DBB1", "uint16"), 250),
    (tag("DB1.DBB2", "int16"), -100),
    (tag("DB1.DBW4", "int16"), -32768),
    (tag("DB1.DBW6", "uint16"), 65535),
    (tag("DB1.DBD8", "int32"), -2_000_000_000),
    (tag("DB1.DBD12", "uint32"), 4_000_000_000),
    (tag("DB1.DBD16", "float32"), -12.375),
    (tag("DB1.DBD20", "float64"), 1e300),
    (tag("DB1.DBL28", "float64"), -0.1),
    (tag("DB2.DBD0", "int32"), -1),
    (tag("M5.3", "bool"), 1),
    (tag("MW10", "int16"), -2),
    (tag("MD12", "float32"), 0.5),
    (tag("I0.2", "bool"), 1),
    (tag("EW2", "uint16"), 1234),
    (tag("Q3.0", "bool"), 1),
    (tag("AD4", "int32"), 77),
]


@pytest.mark.asyncio
async def test_every_type_round_trips_through_the_server() -> None:
    tags = [t for t, _ in ALL_TYPES]
    async with serving(tags) as server:
        for i, (_, value) in enumerate(ALL_TYPES):
            server.set(i, value)
        with connected(server.connection, tags) as driver:
            readings = await in_thread(driver.read)
            for (t, value), r in zip(ALL_TYPES, readings, strict=True):
                assert r.quality == Quality.GOOD, (t.binding.address, r.error)
                assert r.value == pytest.approx(float(value), rel=1e-12), t.binding.address
            # Changing one bit leaves its neighbours alone.
            server.set(1, 1)
            server.set(0, 0)
            values = [r.value for r in await in_thread(driver.read)]
            assert values[:3] == [0.0, 1.0, 1.0]
            assert server.get(0) == bytes([0b1000_0010])
            assert driver.requests() == 2  # everything in one request per poll


@pytest.mark.asyncio
async def test_strings_decode_but_are_not_numeric_signals() -> None:
    tags = [tag("DB4.DBB0", "string", length=16), tag("DB4.DBW18")]
    async with serving(tags) as server:
        server.set(0, "Jam at infeed")
        server.set(1, 42)
        assert decode_s7_string(server.get(0)) == "Jam at infeed"
        with connected(server.connection, tags) as driver:
            text, number = await in_thread(driver.read)
            assert text.quality == Quality.BAD and text.value is None
            assert text.error == "DB4.DBB0: the STRING 'Jam at infeed' is not a numeric value"
            assert number.value == 42.0
            # A STRING whose header lies is garbage, reported as such.
            server.memory[(AREA_DB, 4)][0:2] = bytes([4, 9])
            text, number = await in_thread(driver.read)
            assert text.error is not None and "inconsistent" in text.error
            assert number.value == 42.0


@pytest.mark.asyncio
async def test_forty_tags_take_the_planned_number_of_requests() -> None:
    tags = forty_tags()
    async with serving(tags) as server:
        for i in range(len(tags)):
            server.set(i, i % 2 if tags[i].binding.type == "bool" else 100 + i)
        with connected(server.connection, tags) as driver:
            assert driver.plan is not None
            planned = len(driver.plan.requests)
            assert planned == 1
            before, served = driver.requests(), server.requests()
            for _ in range(3):
                readings = await in_thread(driver.read)
            assert driver.requests() - before == 3 * planned
            assert server.requests() - served == 3 * planned
            for i, r in enumerate(readings):
                expected = i % 2 if tags[i].binding.type == "bool" else 100 + i
                assert r.value == expected


@pytest.mark.asyncio
async def test_a_small_pdu_splits_ranges_and_chunks_a_long_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s7, "PDU_REQUEST", 240)  # an S7-300's PDU
    tags = [tag(f"DB7.DBW{2 * i}") for i in range(300)] + [tag("DB7.DBB600", "string", length=254)]
    async with serving(tags) as server:
        for i in range(300):
            server.set(i, i - 150)
        server.set(300, "z" * 254)
        with connected(server.connection, tags) as driver:
            assert driver.pdu_size == 240
            readings = await in_thread(driver.read)
            assert [r.value for r in readings[:300]] == [float(i - 150) for i in range(300)]
            assert readings[300].error is not None and "'" + "z" * 254 + "'" in readings[300].error
            assert driver.plan is not None
            assert len(driver.plan.ranges[-1].chunks) == 2
            assert driver.requests() == len(driver.plan.requests) > 1


@pytest.mark.asyncio
async def test_a_refused_address_turns_only_its_own_tags_bad() -> None:
    served = [tag("DB1.DBW0"), tag("DB1.DBW2"), tag("MW0")]
    extra = [tag("DB1.DBW4"), tag("DB9.DBW0"), tag("DB1.DBX40.0", "bool")]  # past DB1's end; DB9 is missing
    async with serving(served) as server:
        for i, v in enumerate((11, 22, 33)):
            server.set(i, v)
        with connected(server.connection, served + extra) as driver:
            for _ in range(2):
                readings = await in_thread(driver.read)
                assert [r.value for r in readings[:3]] == [11.0, 22.0, 33.0]
                assert all(r.quality == Quality.BAD and r.value is None for r in readings[3:])
                assert readings[3].error == "PLC refused DB1 bytes 4..5: address out of range (0x05)"
                assert readings[4].error == "PLC refused DB9 bytes 0..1: object does not exist (0x0a)"
                assert readings[5].error is not None and "address out of range" in readings[5].error
            # The bad tags now have items of their own; the good ones still share one.
            assert driver.plan is not None
            assert [r.tags for r in driver.plan.ranges if r.db == 1] == [[0, 1], [3], [5]]
            before = driver.requests()
            await in_thread(driver.read)
            assert driver.requests() - before == len(driver.plan.requests) == 1


@pytest.mark.asyncio
async def test_connecting_to_nothing_is_a_one_line_connector_error() -> None:
    driver = S7Driver(conn(free_port()), [tag("DB1.DBW0")])
    with pytest.raises(ConnectorError) as failed:
        await in_thread(driver.connect)
    assert "cannot connect to S7 PLC 127.0.0.1:" in str(failed.value)
    assert "\n" not in str(failed.value)
    with pytest.raises(ConnectorError, match="not connected"):
        driver.read()
    driver.close()
    driver.close()


def test_the_port_defaults_to_102() -> None:
    c = Connection(id="plc", protocol="s7", host="127.0.0.1")
    driver = S7Driver(c, [])
    assert "127.0.0.1:102" in driver._where()


@pytest.mark.asyncio
async def test_several_servers_in_one_process_and_a_busy_port() -> None:
    tags = [tag("DB1.DBW0")]
    async with serving(tags) as one, serving(tags) as two:
        one.set(0, 1)
        two.set(0, 2)
        with connected(one.connection, tags) as d1, connected(two.connection, tags) as d2:
            assert (await in_thread(d1.read))[0].value == 1.0
            assert (await in_thread(d2.read))[0].value == 2.0
        clash = S7SimServer(one.connection, tags)
        with pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1"):
            await clash.start()


class _Hostile(s7_server._Server):
    """The simulator's server, answering reads wrongly while `mode` says so."""

    mode = ""

    def _process_request(self, request_data: bytes, client_address: tuple[str, int]) -> bytes | None:
        answer = super()._process_request(request_data, client_address)
        if answer is None or len(request_data) <= 10 or request_data[10] != 0x04 or not _Hostile.mode:
            return answer
        if _Hostile.mode == "error_class":  # the PLC refuses the whole request
            return answer[:10] + bytes([0x85, 0x00]) + answer[12:]
        if _Hostile.mode == "truncated":
            return answer[:-3]
        if _Hostile.mode == "item_count":
            return answer[:13] + bytes([answer[13] + 1]) + answer[14:]
        return b"\x32\x03"  # garbage too short to belong to any request


@pytest.mark.asyncio
async def test_garbled_answers_turn_tags_bad_and_never_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s7_server, "_Server", _Hostile)
    tags = [tag("DB1.DBW0"), tag("DB1.DBW2"), tag("MW0")]
    async with serving(tags) as server:
        for i in range(3):
            server.set(i, i + 1)
        with connected(server.connection, tags) as driver:
            try:
                for mode, words in [
                    ("error_class", "bad answer from the PLC: S7 protocol error"),
                    ("truncated", "bad answer from the PLC"),
                    ("item_count", "the answer does not match the request"),
                ]:
                    _Hostile.mode = mode
                    readings = await in_thread(driver.read)
                    assert all(r.quality == Quality.BAD and r.error and words in r.error for r in readings), (
                        mode
                    )
                    _Hostile.mode = ""
                    assert [r.value for r in await in_thread(driver.read)] == [1.0, 2.0, 3.0]
                _Hostile.mode = "garbage"
                # Garbled answers say nothing about the addresses: the tags still share one item.
                assert driver.plan is not None and [r.tags for r in driver.plan.ranges] == [[2], [0, 1]]
                with pytest.raises(ConnectorError, match="out of sequence"):
                    await in_thread(driver.read)
            finally:
                _Hostile.mode = ""
            await in_thread(driver.connect)
            assert [r.value for r in await in_thread(driver.read)] == [1.0, 2.0, 3.0]


# --- through the runner -------------------------------------------------------------------


def runner_for(connection: Connection, tags: list[Tag]) -> tuple[ConnectionRunner, list[Sample]]:
    samples: list[Sample] = []
    return ConnectionRunner(S7Driver(connection, tags), samples.extend), samples


async def run_while(runner: ConnectionRunner, body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(runner.run())
    try:
        await body()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.asyncio
async def test_runner_outage_and_recovery() -> None:
    port = free_port()
    tags = [
        tag("DB1.DBW0", equipment="count"),
        tag("DB1.DBX2.0", "bool", equipment="running"),
        tag("MD0", "float32", equipment="speed", scale=0.5, offset=10.0),
    ]
    connection = conn(port)
    server = S7SimServer(connection, tags)
    await server.start()
    server.set(0, 5)
    server.set(1, 1)
    server.set(2, 30.0)  # engineering value: the server stores (30 - 10) / 0.5 = 40.0
    assert struct.unpack(">f", server.get(2))[0] == 40.0
    runner, samples = runner_for(connection, tags)

    def now() -> dict[str, Sample]:
        return {s.equipment: s for s in samples}

    async def body() -> None:
        await wait_for(lambda: len(now()) == 3 and all(s.valid for s in now().values()))
        assert {k: s.value for k, s in now().items()} == {"count": 5.0, "running": 1.0, "speed": 30.0}
        server.set(0, 6)
        await wait_for(lambda: now()["count"].value == 6.0)

        await server.stop()
        await wait_for(lambda: all(s.quality == Quality.BAD and s.value is None for s in now().values()))
        assert runner.diagnostics.state == "failed"

        await server.start()
        await wait_for(
            lambda: all(s.valid for s in now().values()) and runner.diagnostics.state == "connected"
        )
        assert now()["count"].value == 6.0
        assert runner.diagnostics.reconnects > 0

    try:
        await run_while(runner, body)
    finally:
        await server.stop()


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A PLC that accepts connections and never answers."""
    with contextlib.suppress(Exception):
        while await reader.read(1024):
            pass
    writer.close()


@pytest.mark.asyncio
async def test_a_hung_plc_does_not_slow_a_healthy_one() -> None:
    healthy_tags = [tag("DB1.DBW0")]
    hung = await asyncio.start_server(_hang, "127.0.0.1", 0)
    hung_port = hung.sockets[0].getsockname()[1]
    async with serving(healthy_tags) as server, hung:
        server.set(0, 9)
        good, good_samples = runner_for(conn(server.connection.port or 0, timeout_s=0.3), healthy_tags)
        bad, bad_samples = runner_for(conn(hung_port, timeout_s=0.3), [tag("DB1.DBW0")])

        async def alone() -> None:
            await wait_for(lambda: good.diagnostics.polls > 0)
            start = good.diagnostics.polls
            await asyncio.sleep(1.5)
            counts.append(good.diagnostics.polls - start)

        async def together() -> None:
            start = good.diagnostics.polls
            bad_task = asyncio.create_task(bad.run())
            try:
                await asyncio.sleep(1.5)
                counts.append(good.diagnostics.polls - start)
                await wait_for(lambda: bad.diagnostics.state == "failed")
            finally:
                bad_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bad_task

        counts: list[int] = []

        async def body() -> None:
            await alone()
            await together()

        await run_while(good, body)
        assert counts[0] > 0
        assert counts[1] >= counts[0] * 0.5, counts
        assert bad.diagnostics.polls == 0
        assert bad.diagnostics.last_error is not None and "timeout" in bad.diagnostics.last_error
        assert bad_samples and all(s.quality == Quality.BAD for s in bad_samples)
        assert good_samples[-1].value == 9.0
