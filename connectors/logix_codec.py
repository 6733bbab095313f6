"""Allen-Bradley Logix without a connection: tag addresses, the CIP data of a read answer, and
that data as a Reading for a binding. The driver (logix.py) and the simulated controller share them.

An answer is decoded from the CIP type code the PLC sends, so a tag of another type than its
binding says is a bad reading, never a misread value.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from connectors.base import Reading
from core.config import SignalBinding
from core.samples import Quality

MAX_NAME_LENGTH = 40
MAX_DIMENSIONS = 3
MAX_INDEX = 2**31 - 1
MAX_BIT = 63
LOGIX_STRING_CHARS = 82

# -- addresses -------------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SEGMENT = re.compile(r"(?P<name>[^\[\]]*)(?:\[(?P<index>[^\[\]]*)\])?\Z")


@dataclass(frozen=True)
class LogixAddress:
    """A parsed Logix tag reference: `[Program:P.]Name[i,j].Member[k]...[.bit]`."""

    program: str | None
    path: tuple[tuple[str, tuple[int, ...]], ...]  # (name, indices) per dotted segment
    bit: int | None = None

    @property
    def tag(self) -> str:
        """The tag pycomm3 reads: the address without its bit number, in canonical spelling."""
        text = ".".join(name + (f"[{','.join(map(str, idx))}]" if idx else "") for name, idx in self.path)
        return f"Program:{self.program}.{text}" if self.program else text

    @property
    def base(self) -> str:
        """The top-level tag: `Name`, or `Program:P.Name` for a program-scoped tag."""
        name = self.path[0][0]
        return f"Program:{self.program}.{name}" if self.program else name

    def __str__(self) -> str:
        return self.tag if self.bit is None else f"{self.tag}.{self.bit}"


def parse_address(text: str) -> LogixAddress:
    """Parse a Logix tag reference; ValueError (one line) when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Logix tag: empty tag name")
    where = f"Logix tag {text!r}"
    raw = text.strip()
    if any(c.isspace() for c in raw.replace(", ", ",")):
        raise ValueError(f"{where}: no spaces allowed in a tag name")
    parts = raw.replace(", ", ",").split(".")
    program: str | None = None
    if parts[0].lower().startswith("program:"):
        program = parts[0][len("program:") :]
        _check_name(program, where, "program name")
        parts = parts[1:]
        if not parts:
            raise ValueError(f"{where}: a program-scoped tag needs a tag after the program (Program:P.Tag)")
    bit: int | None = None
    if len(parts) > 1 and parts[-1].isdigit():
        bit = int(parts.pop())
        if bit > MAX_BIT:
            raise ValueError(f"{where}: bit {bit} is out of range 0-{MAX_BIT}")
    path: list[tuple[str, tuple[int, ...]]] = []
    for part in parts:
        if not part:
            raise ValueError(f"{where}: empty name between dots")
        m = _SEGMENT.match(part)
        if m is None:
            raise ValueError(f"{where}: {part!r} is not a name with an optional [index]")
        name = m.group("name")
        _check_name(name, where, "name")
        indices: tuple[int, ...] = ()
        if m.group("index") is not None:
            indices = _parse_indices(m.group("index"), where)
        path.append((name, indices))
    return LogixAddress(program, tuple(path), bit)


def _check_name(name: str, where: str, what: str) -> None:
    if not name:
        raise ValueError(f"{where}: empty {what}")
    if not _NAME.match(name):
        if name[0].isdigit():
            raise ValueError(f"{where}: {what} {name!r} starts with a digit")
        raise ValueError(f"{where}: {what} {name!r} may hold only letters, digits and underscores")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{where}: {what} {name[:12]}... is longer than {MAX_NAME_LENGTH} characters")


def _parse_indices(text: str, where: str) -> tuple[int, ...]:
    items = text.split(",")
    if len(items) > MAX_DIMENSIONS:
        raise ValueError(f"{where}: at most {MAX_DIMENSIONS} array dimensions")
    out = []
    for item in items:
        if not item.isdigit() or not item.isascii():
            raise ValueError(f"{where}: array index {item!r} is not a non-negative whole number")
        value = int(item)
        if value > MAX_INDEX:
            raise ValueError(f"{where}: array index {value} is too large")
        out.append(value)
    return tuple(out)


def check_address(binding: SignalBinding) -> LogixAddress:
    """Parse a binding's address and check that its data type fits it; ValueError (one line)."""
    address = parse_address(binding.address)
    if address.bit is not None and binding.type != "bool":
        raise ValueError(f"Logix tag {binding.address!r}: a bit address (.{address.bit}) needs type bool")
    if binding.type == "string" and binding.length > LOGIX_STRING_CHARS:
        raise ValueError(
            f"Logix tag {binding.address!r}: a Logix STRING holds at most {LOGIX_STRING_CHARS} characters"
        )
    return address


# -- the CIP data in a read answer ------------------------------------------------------------------

# Logix type names per binding type: the only type a binding accepts.
LOGIX_TYPES: dict[str, str] = {
    "bool": "BOOL",
    "int16": "INT",
    "uint16": "UINT",
    "int32": "DINT",
    "uint32": "UDINT",
    "float32": "REAL",
    "float64": "LREAL",
    "string": "STRING",
}
_ATOMIC: dict[int, tuple[str, str]] = {
    0xC1: ("BOOL", "<B"),
    0xC2: ("SINT", "<b"),
    0xC3: ("INT", "<h"),
    0xC4: ("DINT", "<i"),
    0xC5: ("LINT", "<q"),
    0xC6: ("USINT", "<B"),
    0xC7: ("UINT", "<H"),
    0xC8: ("UDINT", "<I"),
    0xC9: ("ULINT", "<Q"),
    0xCA: ("REAL", "<f"),
    0xCB: ("LREAL", "<d"),
    0xD1: ("BYTE", "<B"),
    0xD2: ("WORD", "<H"),
    0xD3: ("DWORD", "<I"),
    0xD4: ("LWORD", "<Q"),
}
INTEGER_TYPES = frozenset(
    {"SINT", "INT", "DINT", "LINT", "USINT", "UINT", "UDINT", "ULINT", "BYTE", "WORD", "DWORD", "LWORD"}
)
_BITS = {name: struct.calcsize(fmt) * 8 for name, fmt in _ATOMIC.values()}
_STRING = 0xD0  # CIP STRING: UINT length, characters (cpppo pads odd lengths with a byte)
_SHORT_STRING = 0xDA  # USINT length, characters
_STRUCT = 0x02A0  # A0 02 + structure handle; Logix STRING is {LEN: DINT, DATA: SINT[82]}
ENCODING = "latin-1"  # Logix strings are bytes; Latin-1 maps each to one character, never fails


def decode_string(data: bytes) -> str:
    """The text of a string read answer (type code and data): CIP STRING (0xD0), SHORT_STRING
    (0xDA), or a Logix STRING structure (A0 02 handle, DINT LEN, SINT DATA[n]); ValueError else."""
    if len(data) < 2:
        raise ValueError("answer too short")
    code = int.from_bytes(data[:2], "little")
    if code == _STRING:
        return _counted(data[2:], 2, pad=1)
    if code == _SHORT_STRING:
        return _counted(data[2:], 1, pad=0)
    if code == _STRUCT:
        if len(data) < 4:
            raise ValueError("answer too short")
        return _counted(data[4:], 4, pad=None)
    raise ValueError(f"type code 0x{code:04X} is not a string")


def _counted(payload: bytes, width: int, pad: int | None) -> str:
    if len(payload) < width:
        raise ValueError("string answer too short")
    count = int.from_bytes(payload[:width], "little", signed=width == 4)
    chars = payload[width:]
    # A structure carries its whole DATA array; a counted string at most `pad` bytes of padding.
    if count < 0 or count > len(chars) or (pad is not None and len(chars) > count + pad):
        raise ValueError(f"garbled string: length {count} with {len(chars)} bytes of characters")
    return chars[:count].decode(ENCODING)


def decode_value(data: bytes) -> tuple[str, int | float | str | bytes]:
    """The Logix type name and value of a read answer (2-byte CIP type code, then the value).
    Non-string structures come back as ("STRUCT", raw bytes). ValueError when it is garbled."""
    if len(data) < 2:
        raise ValueError("answer too short")
    code = int.from_bytes(data[:2], "little")
    atomic = _ATOMIC.get(code)
    if atomic is not None:
        name, fmt = atomic
        size = struct.calcsize(fmt)
        if len(data) - 2 != size:
            raise ValueError(f"garbled answer: {len(data) - 2} bytes for a {name}")
        value: int | float = struct.unpack(fmt, data[2:])[0]
        return name, value
    if code in (_STRING, _SHORT_STRING):
        return ("STRING" if code == _STRING else "SHORT_STRING"), decode_string(data)
    if code == _STRUCT:
        try:
            return "STRING", decode_string(data)
        except ValueError:
            return "STRUCT", data[4:]
    raise ValueError(f"unknown CIP data type 0x{code:04X}")


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagPlan:
    """How one tag is read: the tag pycomm3 asks for, and what comes back."""

    request: str  # tag name sent to the PLC (no bit number)
    address: LogixAddress
    binding_type: str
    bit: int | None = None  # a bit of an integer (Word.5), or of a BOOL array's DWORD
    error: str | None = None  # known bad before reading (not in the tag list, wrong type)


def to_reading(plan: TagPlan, data: Any) -> Reading:
    """A Reading from one read answer (the raw reply bytes)."""
    if not isinstance(data, bytes | bytearray):
        return bad_reading("no data in the answer")
    try:
        name, value = decode_value(bytes(data))
    except ValueError as exc:
        return bad_reading(str(exc))
    if plan.bit is not None:
        if name not in INTEGER_TYPES or not isinstance(value, int):
            return bad_reading(f"wrong type: the PLC has {name}, a bit address needs an integer")
        if plan.bit >= _BITS[name]:
            return bad_reading(f"bit {plan.bit} is beyond the {_BITS[name]}-bit {name}")
        return Reading(float((value >> plan.bit) & 1))
    expected = LOGIX_TYPES[plan.binding_type]
    if plan.binding_type == "string":
        if not isinstance(value, str):
            return bad_reading(f"wrong type: the PLC has {name}, bound as string (STRING)")
        try:
            number = float(value.strip())
        except ValueError:
            return bad_reading(f"text {value[:40]!r} is not a number")
        if not math.isfinite(number):
            return bad_reading(f"text {value[:40]!r} is not a finite number")
        return Reading(number)
    if name != expected or isinstance(value, str | bytes):
        return bad_reading(f"wrong type: the PLC has {name}, bound as {plan.binding_type} ({expected})")
    if name == "BOOL":
        return Reading(1.0 if value else 0.0)
    number = float(value)
    if not math.isfinite(number):
        return bad_reading(f"{name} value {number} is not a finite number")
    return Reading(number)


def bad_reading(error: str) -> Reading:
    return Reading(None, Quality.BAD, error=error)
