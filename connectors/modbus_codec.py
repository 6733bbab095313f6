"""Modbus TCP without the client library: address syntax, value encoding, options and answer-frame
checks (block planning is in modbus_plan). Pure functions and plain data, so the driver, the
simulated PLC and the tests share one definition of what `hr:100` float32 with little word order
means.

Addresses (0-based): `coil:N`, `di:N`, `hr:N`, `ir:N`, and `hr:N.B` / `ir:N.B` for bit B (0 = least
significant) of a register. Register values are big-endian; `byte_order = "little"` swaps the two
bytes inside each register, `word_order = "little"` reverses the register order of 32/64-bit values.
Strings hold two characters per register, first character in the high byte.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from core.config import SignalBinding

Area = Literal["coil", "di", "hr", "ir"]
AREAS: Final[tuple[Area, ...]] = ("coil", "di", "hr", "ir")
BIT_AREAS: Final = frozenset({"coil", "di"})
READ_FUNCTION: Final[dict[Area, int]] = {"coil": 1, "di": 2, "hr": 3, "ir": 4}
AREA_NAMES: Final[dict[Area, str]] = {
    "coil": "coils",
    "di": "discrete inputs",
    "hr": "holding registers",
    "ir": "input registers",
}

MAX_REGISTERS: Final = 125  # per read (Modbus application protocol, function 3/4)
MAX_BITS: Final = 2000  # per read (function 1/2)
MAX_ADDRESS: Final = 65535
MAX_STRING_CHARS: Final = 2 * MAX_REGISTERS  # a string is read whole, in one request

_WIDTH: Final[dict[str, int]] = {
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
    "float64": 4,
}
_STRUCT: Final[dict[str, str]] = {
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "float32": ">f",
    "float64": ">d",
}
_STRUCTS: Final = {kind: struct.Struct(fmt) for kind, fmt in _STRUCT.items()}
_INT_RANGE: Final[dict[str, tuple[int, int]]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}

_ADDRESS_RE: Final = re.compile(r"^(coil|di|hr|ir):(\d{1,5})(?:\.(\d{1,2}))?$")
_SYNTAX = "a Modbus address looks like hr:100, ir:7, coil:3, di:12 or hr:100.3 (a bit of a register)"

EXCEPTION_NAMES: Final[dict[int, str]] = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
# Codes that say "this range is wrong" rather than "the device is unwell": splitting the block
# finds the tags that cause them. Busy or failing devices are not split (it would not help).
SPLIT_CODES: Final = frozenset({2, 3})


# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True, slots=True)
class Point:
    """Where one tag lives and how its value is encoded."""

    area: Area
    address: int
    width: int  # registers, or 1 bit for coils and discrete inputs
    type: str
    bit: int | None = None
    byte_order: str = "big"
    word_order: str = "big"
    length: int = 0  # characters, for strings

    @property
    def end(self) -> int:
        return self.address + self.width

    @property
    def is_bit_area(self) -> bool:
        return self.area in BIT_AREAS

    def __str__(self) -> str:
        return f"{self.area}:{self.address}" + ("" if self.bit is None else f".{self.bit}")


def parse_point(binding: SignalBinding) -> Point:
    """The binding's address and type as a Point; ValueError (one line) when they do not fit."""
    text = binding.address.strip()
    m = _ADDRESS_RE.match(text.lower())
    if m is None:
        raise ValueError(f"bad Modbus address {binding.address!r}: {_SYNTAX}")
    area: Area = m.group(1)  # type: ignore[assignment]  # the regex admits only the four names
    address = int(m.group(2))
    bit = None if m.group(3) is None else int(m.group(3))
    kind = binding.type
    if address > MAX_ADDRESS:
        raise ValueError(f"bad Modbus address {text!r}: the register number must be 0..{MAX_ADDRESS}")
    if area in BIT_AREAS:
        if bit is not None:
            raise ValueError(f"bad Modbus address {text!r}: {AREA_NAMES[area]} have no bit numbers")
        if kind != "bool":
            raise ValueError(f"{text} holds one bit: its type must be bool, not {kind}")
        return Point(area, address, 1, kind)
    if bit is not None:
        if bit > 15:
            raise ValueError(f"bad Modbus address {text!r}: a register has bits 0..15")
        if kind != "bool":
            raise ValueError(f"{text} is one bit of a register: its type must be bool, not {kind}")
        return Point(area, address, 1, kind, bit, binding.byte_order, binding.word_order)
    if kind == "bool":
        raise ValueError(f"type bool on {text} needs a bit number (like {text}.0) or a coil/di address")
    if kind == "string":
        if binding.length <= 0:
            raise ValueError(f"string at {text} needs a length (characters) greater than 0")
        if binding.length > MAX_STRING_CHARS:
            raise ValueError(
                f"string at {text} of {binding.length} characters does not fit one Modbus read "
                f"(at most {MAX_STRING_CHARS} characters)"
            )
        width = (binding.length + 1) // 2
    else:
        width = _WIDTH[kind]
    if address + width - 1 > MAX_ADDRESS:
        raise ValueError(f"{kind} at {text} needs {width} registers and runs past register {MAX_ADDRESS}")
    return Point(area, address, width, kind, None, binding.byte_order, binding.word_order, binding.length)


# --------------------------------------------------------------------------- values


def _swap_pairs(raw: bytes) -> bytes:
    out = bytearray(raw)
    out[0::2], out[1::2] = raw[1::2], raw[0::2]
    return bytes(out)


def _words_of(point: Point, raw: bytes) -> list[int]:
    """The registers that hold a value's big-endian bytes in the point's byte and word order."""
    if point.byte_order == "little":
        raw = _swap_pairs(raw)
    ws = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    if point.word_order == "little" and point.type != "string":
        ws.reverse()
    return ws


def register_word(point: Point, word: int) -> int:
    """A register's 16-bit value after the point's byte order (what its bit numbers refer to)."""
    word &= 0xFFFF
    return ((word & 0xFF) << 8) | (word >> 8) if point.byte_order == "little" else word


def decode_string(words: Sequence[int], length: int, byte_order: str = "big") -> str:
    """Two characters per register; a NUL ends the text early (PLC strings are NUL padded)."""
    raw = registers_to_bytes(words)
    if byte_order == "little":
        raw = _swap_pairs(raw)
    raw = raw[:length].split(b"\x00", 1)[0]
    return raw.decode("latin-1")


def encode_string(text: str, length: int, byte_order: str = "big") -> list[int]:
    data = text.encode("latin-1")
    if len(data) > length:
        raise ValueError(f"string {text!r} is longer than its {length} characters")
    data = data.ljust(2 * ((length + 1) // 2), b"\x00")
    if byte_order == "little":
        data = _swap_pairs(data)
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def registers_to_bytes(words: Sequence[int]) -> bytes:
    """Registers as they travel on the wire: big-endian, two bytes each."""
    return struct.pack(f">{len(words)}H", *words)


def decode_bytes(point: Point, data: bytes) -> float | str:
    """The value of a register point (not a coil/di) from its registers' wire bytes; strings
    come back as str. A poll packs each block once and hands every tag its slice."""
    if len(data) != 2 * point.width:
        raise ValueError(f"{point} needs {point.width} registers, got {len(data) / 2:g}")
    if point.type == "string":
        if point.byte_order == "little":
            data = _swap_pairs(data)
        return data[: point.length].split(b"\x00", 1)[0].decode("latin-1")
    if point.bit is not None:
        word = data[1] << 8 | data[0] if point.byte_order == "little" else data[0] << 8 | data[1]
        return float((word >> point.bit) & 1)
    if point.width > 1 and point.word_order == "little":
        data = b"".join(data[i : i + 2] for i in range(len(data) - 2, -1, -2))
    if point.byte_order == "little":
        data = _swap_pairs(data)
    return float(_STRUCTS[point.type].unpack(data)[0])


def decode_registers(point: Point, words: Sequence[int]) -> float | str:
    """The value of a register point (not a coil/di) from its registers."""
    return decode_bytes(point, registers_to_bytes(words))


def encode_registers(point: Point, raw: float | str) -> list[int]:
    """The registers that make a register point (not a bit of one) read back `raw`."""
    if point.type == "string":
        return encode_string(str(raw), point.length, point.byte_order)
    if isinstance(raw, str):
        raise ValueError(f"{point} is {point.type}: it needs a number, not a string")
    if point.type in _INT_RANGE:
        if not math.isfinite(raw):
            raise ValueError(f"{raw} does not fit {point.type} at {point}")
        value = round(raw)
        lo, hi = _INT_RANGE[point.type]
        if not lo <= value <= hi:
            raise ValueError(f"{raw} does not fit {point.type} at {point} ({lo}..{hi})")
        data = struct.pack(_STRUCT[point.type], value)
    else:
        try:
            data = struct.pack(_STRUCT[point.type], raw)
        except (OverflowError, struct.error) as exc:
            raise ValueError(f"{raw} does not fit {point.type} at {point}") from exc
    return _words_of(point, data)


def set_register_bit(point: Point, word: int, on: bool) -> int:
    """`word` with the point's bit set or cleared (bit numbers count after the byte order)."""
    assert point.bit is not None
    value = register_word(point, word)
    value = value | (1 << point.bit) if on else value & ~(1 << point.bit)
    return register_word(point, value)  # swapping twice is the identity


# --------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class Options:
    device_id: int = 1
    max_registers: int = MAX_REGISTERS
    max_bits: int = MAX_BITS
    max_gap: int = 16

    def limit(self, area: Area) -> int:
        return self.max_bits if area in BIT_AREAS else self.max_registers

    def gap(self, area: Area) -> int:
        # A register's worth of bits per register of gap: bits are 16 times cheaper to carry.
        return self.max_gap * 16 if area in BIT_AREAS else self.max_gap


OPTION_NAMES: Final = ("device_id", "max_block", "max_gap")


def parse_options(options: Mapping[str, Any]) -> Options:
    """Modbus connection options; ValueError (one line) naming the first wrong one."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise ValueError(f"unknown Modbus option {unknown[0]!r} (known: {', '.join(OPTION_NAMES)})")
    device_id = _int_option(options, "device_id", 1, 0, 255)
    max_block = _int_option(options, "max_block", None, 1, MAX_BITS)
    max_gap = _int_option(options, "max_gap", 16, 0, MAX_BITS)
    assert device_id is not None and max_gap is not None
    if max_block is None:
        return Options(device_id, MAX_REGISTERS, MAX_BITS, max_gap)
    return Options(device_id, min(max_block, MAX_REGISTERS), max_block, max_gap)


def _int_option(options: Mapping[str, Any], name: str, default: int | None, lo: int, hi: int) -> int | None:
    if name not in options:
        return default
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"Modbus option {name} must be a whole number {lo}..{hi}, not {value!r}")
    return value


# --------------------------------------------------------------------------- answers


class ModbusRefusal(Exception):
    """The PLC answered a read with a Modbus exception code."""

    def __init__(self, code: int) -> None:
        super().__init__(exception_text(code))
        self.code = code


class BadAnswer(Exception):
    """A well-framed answer whose content does not fit the request (short, wrong function)."""


def exception_text(code: int) -> str:
    name = EXCEPTION_NAMES.get(code)
    return f"Modbus exception {code}" + (f" ({name})" if name else "")


@dataclass(frozen=True, slots=True)
class Expect:
    """What the answer to one read request must look like."""

    tid: int
    unit: int
    function: int
    byte_count: int


def expect_for(request: bytes) -> Expect | None:
    """The expectation for a Modbus TCP read request frame (function 1-4); None for others."""
    if len(request) < 12 or request[7] not in (1, 2, 3, 4):
        return None
    function = request[7]
    count = int.from_bytes(request[10:12], "big")
    byte_count = (count + 7) // 8 if function in (1, 2) else 2 * count
    return Expect(int.from_bytes(request[0:2], "big"), request[6], function, byte_count)


# Verdicts of `check_answer`.
PARTIAL: Final = "partial"  # a valid beginning: wait for the rest
OK: Final = "ok"  # one complete answer that fits the request
CONTENT: Final = "content"  # a complete frame whose content is wrong: the stream is still in step
STREAM: Final = "stream"  # not a frame in step with our request: the byte stream cannot be trusted


def check_answer(buf: bytes, expect: Expect | None) -> tuple[str, str]:
    """Judge the bytes received so far for the outstanding request (verdict, reason)."""
    n = len(buf)
    if expect is None:
        return STREAM, f"garbled answer ({n} bytes nobody asked for)"
    if n >= 2 and (tid := int.from_bytes(buf[0:2], "big")) != expect.tid:
        return STREAM, f"garbled answer (transaction id {tid}, expected {expect.tid})"
    if n >= 4 and (pid := int.from_bytes(buf[2:4], "big")) != 0:
        return STREAM, f"garbled answer (protocol id {pid}, not Modbus)"
    if n < 6:
        return PARTIAL, ""
    length = int.from_bytes(buf[4:6], "big")
    if not 3 <= length <= 254:
        return STREAM, f"garbled answer (frame length {length})"
    if n >= 7 and buf[6] != expect.unit:
        return STREAM, f"garbled answer (from device {buf[6]}, asked device {expect.unit})"
    if n < 6 + length:
        return PARTIAL, ""
    if n > 6 + length:
        return STREAM, f"garbled answer ({n - 6 - length} bytes after the frame)"
    function = buf[7]
    if function == expect.function | 0x80:
        return (OK, "") if length == 3 else (CONTENT, "malformed exception answer")
    if function != expect.function:
        return CONTENT, f"answer for function {function} to a request for function {expect.function}"
    byte_count = buf[8]
    if length != 3 + byte_count:
        return CONTENT, f"garbled answer (byte count {byte_count} in a frame of {length - 3} data bytes)"
    if byte_count != expect.byte_count:
        size = "short" if byte_count < expect.byte_count else "oversized"
        return CONTENT, f"{size} answer ({byte_count} bytes for {expect.byte_count} asked)"
    return OK, ""
