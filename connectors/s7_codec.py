"""S7 addresses, options and value coding, free of any network library (read planning is in
s7_plan).

Address syntax (case-insensitive; the canonical form is upper case, German E/A become I/Q):

    DB<n>.DBX<byte>.<bit>   bool
    DB<n>.DBB<byte>         a BYTE: uint16 (0..255) or int16 (SINT, -128..127), or the start of an
                            S7 STRING (type "string" with a length)
    DB<n>.DBW<byte>         int16, uint16
    DB<n>.DBD<byte>         int32, uint32, float32 (REAL); float64 (LREAL) reads 8 bytes here
    DB<n>.DBL<byte>         float64 (LREAL), the explicit 8-byte form
    M<byte>.<bit>  MB MW MD ML   merkers (flags)
    I<byte>.<bit>  IB IW ID IL   inputs  (also E, EB, EW, ED, EL)
    Q<byte>.<bit>  QB QW QD QL   outputs (also A, AB, AW, AD, AL)

S7 data is big-endian: byte_order/word_order other than "big" are refused (they are almost
always a Modbus tag copied over).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.config import SignalBinding

# S7 area codes on the wire (S7-Any pointers).
AREA_PE = 0x81  # process inputs (I/E)
AREA_PA = 0x82  # process outputs (Q/A)
AREA_MK = 0x83  # merkers (M)
AREA_DB = 0x84  # data blocks

_AREA_CODES = {"I": AREA_PE, "Q": AREA_PA, "M": AREA_MK, "DB": AREA_DB}
_AREA_NAMES = {AREA_PE: "I", AREA_PA: "Q", AREA_MK: "M", AREA_DB: "DB"}

MAX_DB = 65535
MAX_BYTE = 65535  # S7 classic areas and DBs end at 64 KiB
MAX_STRING = 254  # the S7 STRING length limit
DEFAULT_MAX_GAP = 16


_WIDTH_BYTES = {"X": 1, "B": 1, "W": 2, "D": 4, "L": 8}
_WIDTH_NAMES = {
    "X": "a bit",
    "B": "a byte",
    "W": "a 16-bit word",
    "D": "a 32-bit double word",
    "L": "a 64-bit LREAL",
}
_TYPES_FOR_WIDTH: dict[str, tuple[str, ...]] = {
    "X": ("bool",),
    "B": ("uint16", "int16", "string"),
    "W": ("int16", "uint16"),
    "D": ("int32", "uint32", "float32", "float64"),
    "L": ("float64",),
}
_TYPE_SIZE = {"bool": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "float32": 4, "float64": 8}
_STRUCT = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f", "float64": ">d"}
_INT_RANGE = {
    "int16": (-(2**15), 2**15),
    "uint16": (0, 2**16),
    "int32": (-(2**31), 2**31),
    "uint32": (0, 2**32),
}

_DB_RE = re.compile(r"^DB(\d+)\.DB([XBWDL])(\d+)(?:\.(\d+))?$")
_AREA_RE = re.compile(r"^([MIEQA])([BWDL]?)(\d+)(?:\.(\d+))?$")

SYNTAX = (
    "expected DB<n>.DBX<byte>.<bit>, DB<n>.DBB/DBW/DBD/DBL<byte>, M/I/Q<byte>.<bit> "
    "or MB/MW/MD, IB/IW/ID, QB/QW/QD<byte>"
)


@dataclass(frozen=True)
class S7Address:
    """One parsed tag address with its data type."""

    area: int  # AREA_* code
    db: int  # the DB number; 0 outside DBs
    byte: int
    bit: int | None
    width: str  # X, B, W, D or L
    type: str
    length: int = 0  # characters, for strings
    canonical: str = ""

    @property
    def size(self) -> int:
        """Bytes this tag occupies (an S7 STRING has a 2-byte header before its characters)."""
        if self.type == "string":
            return self.length + 2
        if self.width == "B":
            return 1
        return _TYPE_SIZE[self.type]

    @property
    def end(self) -> int:
        return self.byte + self.size

    def decode(self, data: bytes) -> float | str:
        """The raw value from this tag's bytes; ValueError when they make no sense."""
        if len(data) != self.size:
            raise ValueError(f"expected {self.size} bytes, got {len(data)}")
        t = self.type
        if t == "string":
            return decode_s7_string(data, self.length)
        if t == "bool":
            assert self.bit is not None
            return float((data[0] >> self.bit) & 1)
        if self.width == "B":
            return float(data[0] - 256 if t == "int16" and data[0] >= 128 else data[0])
        value = float(struct.unpack(_STRUCT[t], data)[0])
        if not math.isfinite(value):
            raise ValueError(f"the {'REAL' if t == 'float32' else 'LREAL'} holds {value} (not a number)")
        return value

    def encode(self, value: float | str, current: bytes) -> bytes:
        """This tag's bytes holding `value` (a raw value); `current` gives the neighbouring bits
        of a bool. Integers wrap around like a PLC counter; NaN or a too large REAL is an error."""
        if self.type == "string":
            return encode_s7_string(value if isinstance(value, str) else f"{value:g}", self.length)
        if isinstance(value, str):
            raise ValueError(f"{self.canonical} is {self.type}: a text value does not fit")
        if self.type == "bool":
            assert self.bit is not None
            mask = 1 << self.bit
            byte = current[0] if current else 0
            return bytes([(byte | mask) if value else (byte & ~mask & 0xFF)])
        if self.type in ("float32", "float64"):
            try:
                return struct.pack(_STRUCT[self.type], value)
            except OverflowError:
                raise ValueError(f"{value} is too large for {self.type}") from None
        if not math.isfinite(value):
            raise ValueError(f"{self.canonical} is {self.type}: {value} is not a number")
        bits = 8 if self.width == "B" else 8 * _TYPE_SIZE[self.type]
        low = -(2 ** (bits - 1)) if self.type.startswith("int") else 0
        wrapped = (round(value) - low) % (2**bits) + low
        if self.width == "B":
            return bytes([wrapped & 0xFF])
        return struct.pack(_STRUCT[self.type], wrapped)


def parse_address(
    address: str,
    type_: str = "int16",
    length: int = 0,
    byte_order: str = "big",
    word_order: str = "big",
) -> S7Address:
    """Parse an S7 address for a data type; ValueError with a one-line reason when wrong."""
    text = address.strip().upper().replace(" ", "")
    m = _DB_RE.match(text)
    if m:
        area, db = AREA_DB, int(m.group(1))
        width, byte_s, bit_s = m.group(2), m.group(3), m.group(4)
        if not 1 <= db <= MAX_DB:
            raise ValueError(f"S7 address {address!r}: DB number must be 1..{MAX_DB}")
    else:
        m = _AREA_RE.match(text)
        if not m:
            raise ValueError(f"bad S7 address {address!r}: {SYNTAX}")
        letter = {"E": "I", "A": "Q"}.get(m.group(1), m.group(1))
        area, db = _AREA_CODES[letter], 0
        width, byte_s, bit_s = m.group(2) or "X", m.group(3), m.group(4)
    byte = int(byte_s)
    if byte > MAX_BYTE:
        raise ValueError(f"S7 address {address!r}: byte offset must be 0..{MAX_BYTE}")
    bit: int | None = None
    if width == "X":
        if bit_s is None:
            raise ValueError(f"S7 address {address!r} is a bit address: it needs a bit number (<byte>.0-7)")
        bit = int(bit_s)
        if bit > 7:
            raise ValueError(f"S7 address {address!r}: bit number must be 0..7")
    elif bit_s is not None:
        raise ValueError(
            f"S7 address {address!r}: only bit addresses (DBX, M/I/Q<byte>.<bit>) take a bit number"
        )
    canonical = _canonical(area, db, width, byte, bit)
    if type_ not in _TYPES_FOR_WIDTH[width]:
        *rest, last = _TYPES_FOR_WIDTH[width]
        allowed = f"{', '.join(rest)} or {last}" if rest else last
        raise ValueError(
            f"S7 address {canonical} is {_WIDTH_NAMES[width]}: type {type_} does not fit (use {allowed})"
        )
    if byte_order != "big" or word_order != "big":
        raise ValueError(
            f"S7 address {canonical}: S7 data is big-endian; byte_order and word_order must be 'big'"
        )
    if type_ == "string":
        if not 1 <= length <= MAX_STRING:
            raise ValueError(f"S7 address {canonical}: a string needs a length of 1..{MAX_STRING} characters")
    else:
        length = 0
    parsed = S7Address(area, db, byte, bit, width, type_, length, canonical)
    if parsed.end > MAX_BYTE + 1:
        raise ValueError(f"S7 address {canonical}: {type_} runs past byte {MAX_BYTE}")
    return parsed


def parse_binding(binding: SignalBinding) -> S7Address:
    return parse_address(
        binding.address, binding.type, binding.length, binding.byte_order, binding.word_order
    )


def _canonical(area: int, db: int, width: str, byte: int, bit: int | None) -> str:
    if area == AREA_DB:
        base = f"DB{db}.DB{width}{byte}"
    else:
        base = f"{_AREA_NAMES[area]}{'' if width == 'X' else width}{byte}"
    return f"{base}.{bit}" if bit is not None else base


def area_name(area: int, db: int) -> str:
    return f"DB{db}" if area == AREA_DB else _AREA_NAMES.get(area, f"area 0x{area:02x}")


# --- S7 STRING -----------------------------------------------------------------------------


def decode_s7_string(data: bytes, length: int | None = None) -> str:
    """Decode an S7 STRING: byte 0 is its declared maximum, byte 1 its current length, then the
    characters (one byte each, Latin-1). ValueError when the header contradicts the data."""
    if len(data) < 2:
        raise ValueError("an S7 STRING needs its 2-byte header")
    declared, actual = data[0], data[1]
    available = len(data) - 2 if length is None else min(length, len(data) - 2)
    if actual > declared:
        raise ValueError(f"S7 STRING header is inconsistent: {actual} characters in a STRING[{declared}]")
    if actual > available:
        raise ValueError(f"S7 STRING holds {actual} characters but the tag reads only {available}")
    return data[2 : 2 + actual].decode("latin-1")


def encode_s7_string(text: str, length: int) -> bytes:
    """`text` as an S7 STRING[length] (cut to length; characters outside Latin-1 become '?')."""
    raw = text.encode("latin-1", errors="replace")[:length]
    return bytes([length, len(raw)]) + raw + bytes(length - len(raw))


# --- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class S7Options:
    rack: int = 0
    slot: int = 1
    max_gap: int = DEFAULT_MAX_GAP


_OPTION_LIMITS = {"rack": (0, 7), "slot": (0, 31), "max_gap": (0, 1024)}


def parse_options(options: Mapping[str, Any]) -> S7Options:
    unknown = sorted(set(options) - set(_OPTION_LIMITS))
    if unknown:
        raise ValueError(f"unknown S7 option {unknown[0]!r} (known: rack, slot, max_gap)")
    values: dict[str, int] = {}
    for name, (low, high) in _OPTION_LIMITS.items():
        if name not in options:
            continue
        value = options[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"S7 option {name} must be a whole number {low}..{high}, not {value!r}")
        values[name] = value
    return S7Options(**values)
