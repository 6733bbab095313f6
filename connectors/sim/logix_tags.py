"""What the simulated Logix controller serves for a connection's bindings, and the CIP bytes of a
value written to one. No process and no network here: logix_server runs cpppo and writes to it.

What cpppo can serve: BOOL, INT, UINT, DINT, UDINT, REAL, LREAL and STRING tags, controller- or
program-scoped (`Program:Main.Count` is served as a tag of that name), dotted member paths
(`Filler.Status.Running` is served as one tag of that name), one-dimensional array elements
(`Counts[3]`: `Counts` is served as an array long enough for every bound index) and bits of an
integer (`Word.5`: `Word` is served as the integer). It cannot serve multi-dimensional elements
(`Grid[1,2]`) nor members of array elements (`Lanes[2].Count`): those tags are not served.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycomm3.cip.data_types import DataTypes

from connectors.base import Tag
from connectors.logix_client import tag_definitions
from connectors.logix_codec import ENCODING, LOGIX_STRING_CHARS, LOGIX_TYPES, LogixAddress, check_address

MAX_ARRAY = 65536  # elements cpppo allocates for a bound index; more is a typo, not a line
INTEGERS = {"INT": (16, True), "UINT": (16, False), "DINT": (32, True), "UDINT": (32, False)}  # bits, signed
_FORMATS = {"INT": "<h", "UINT": "<H", "DINT": "<i", "UDINT": "<I", "REAL": "<f", "LREAL": "<d"}


@dataclass(frozen=True)
class Slot:
    """Where one tag lives in the simulator."""

    key: str  # the tag the writer writes (an element, a member, or the word of a bit)
    logix_type: str  # the type it is served as
    bit: int | None = None


@dataclass(frozen=True)
class Layout:
    """What cpppo serves for a connection's tags."""

    slots: list[Slot | None]  # per tag; None for a tag cpppo cannot serve
    why_not: list[str]  # per tag: why it is not served, "" when it is
    specs: list[str]  # cpppo's tag arguments, `Name=TYPE[elements]`
    write_tags: dict[str, Any]  # pycomm3 definitions of the tags the writer writes


def layout(tags: Sequence[Tag]) -> Layout:
    """Where cpppo serves each tag; ValueError (one line) for an address that is not Logix."""
    slots: list[Slot | None] = []
    why_not: list[str] = []
    # served tag (lower case: Logix names are case-insensitive) -> [spelling, type, elements]
    served: dict[str, list[Any]] = {}
    words: dict[str, str] = {}  # tag of a bit address -> its type, when a binding gives one
    addresses = [check_address(t.binding) for t in tags]
    for tag, address in zip(tags, addresses, strict=True):
        if address.bit is None and tag.binding.type not in ("bool", "string"):
            words.setdefault(address.tag.lower(), LOGIX_TYPES[tag.binding.type])
    for tag, address in zip(tags, addresses, strict=True):
        try:
            name, index = _served_name(address)
        except ValueError as exc:
            slots.append(None)
            why_not.append(f"{tag.binding.address}: {exc}")
            continue
        ltype = LOGIX_TYPES[tag.binding.type]
        if address.bit is not None:
            ltype = words.get(address.tag.lower(), "DINT")
            if ltype not in INTEGERS:
                slots.append(None)
                why_not.append(f"{tag.binding.address}: {address.tag} is bound as {ltype}")
                continue
        entry = served.setdefault(name.lower(), [name, ltype, 1])
        entry[2] = max(entry[2], (index or 0) + 1)
        # A tag bound twice with different types is served as the first says; the other
        # binding then reads as BAD (wrong type), as it would from a real controller.
        slots.append(Slot(address.tag, entry[1], address.bit))
        why_not.append("")
    specs = [f"{name}={ltype}[{size}]" for name, ltype, size in served.values()]
    write_tags = tag_definitions([(s.key, _write_leaf(s.logix_type)) for s in slots if s is not None])
    return Layout(slots, why_not, specs, write_tags)


def encode(logix_type: str, raw: float | str) -> bytes:
    """The CIP bytes of a value for a write. Integers wrap as a PLC's do (a counter past 32767
    in an INT reads -32768); a value a REAL cannot hold, or not a number for an integer, is a
    ValueError."""
    if logix_type == "STRING":
        text = raw if isinstance(raw, str) else _number_text(raw)
        try:
            data = text.encode(ENCODING)
        except UnicodeEncodeError:
            raise ValueError(f"{text[:20]!r} has characters a Logix STRING cannot hold") from None
        if len(data) > LOGIX_STRING_CHARS:
            raise ValueError(f"text of {len(data)} characters: a STRING holds {LOGIX_STRING_CHARS}")
        # cpppo takes a STRING of odd length only with a pad byte.
        return struct.pack("<H", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    if isinstance(raw, str):
        raise ValueError(f"a {logix_type} takes a number, not text")
    if logix_type == "BOOL":
        return b"\x01" if raw else b"\x00"
    if logix_type in INTEGERS:
        if not math.isfinite(raw):
            raise ValueError(f"{raw} does not fit a {logix_type}")
        bits, signed = INTEGERS[logix_type]
        n = round(raw) % (1 << bits)
        if signed and n >= 1 << (bits - 1):
            n -= 1 << bits
        return struct.pack(_FORMATS[logix_type], n)
    try:
        return struct.pack(_FORMATS[logix_type], raw)
    except (OverflowError, struct.error):
        raise ValueError(f"{raw} does not fit a {logix_type}") from None


def _number_text(value: float) -> str:
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _served_name(address: LogixAddress) -> tuple[str, int | None]:
    """The tag cpppo serves for an address, and the element index in it; ValueError if cpppo
    cannot serve it."""
    for name, indices in address.path[:-1]:
        if indices:
            raise ValueError(f"cpppo cannot serve a member of an array element ({name}[...].)")
    name, indices = address.path[-1]
    if len(indices) > 1:
        raise ValueError("cpppo cannot serve multi-dimensional array elements")
    if indices and indices[0] >= MAX_ARRAY:
        raise ValueError(f"the simulator serves arrays of at most {MAX_ARRAY} elements")
    path = ".".join(n for n, _ in address.path)
    served = f"Program:{address.program}.{path}" if address.program else path
    return served, (indices[0] if indices else None)


def _write_leaf(logix_type: str) -> dict[str, Any]:
    return {
        "tag_type": "atomic",
        "data_type": logix_type,
        "data_type_name": logix_type,
        "type_class": DataTypes[logix_type],
        "dim": 0,
    }
