"""Allen-Bradley ControlLogix/CompactLogix over EtherNet/IP, through pycomm3's `LogixDriver`.

pycomm3 is synchronous, so this driver is `blocking`: the runner calls it in the connection's
own thread. Every poll is one `LogixDriver.read(*tags)` call, which pycomm3 packs into as few
Multiple Service Packets as the connection size allows.

pycomm3 needs a definition (type, size) of every tag it reads. It normally gets them by uploading
the controller's tag list (`init_tags`, on by default), which the cpppo simulator cannot serve.
This driver therefore always hands pycomm3 definitions of its own, built from the bindings, whose
decoder keeps the raw reply; the driver decodes the reply itself from the CIP type code the PLC
sends, so a tag of another type than its binding says is a bad reading, never a misread value.
With `init_tags` the uploaded list is used to check each tag before the first poll (a missing tag
or a tag of another type is reported once, clearly) and to read BOOL array elements as the 32-bit
words the controller stores them in. Tags are always addressed by name (symbolic segments), never
by symbol instance id, so a program download that renumbers symbols cannot make us read the wrong tag.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, ClassVar

from pycomm3 import LogixDriver
from pycomm3.cip.data_types import PADDED_EPATH, StringDataType
from pycomm3.cip_driver import parse_cip_route, with_forward_open
from pycomm3.exceptions import CommError
from pycomm3.packets.logix import (
    MultiServiceResponsePacket,
    ReadTagFragmentedResponsePacket,
    ReadTagResponsePacket,
)
from pycomm3.socket_ import Socket

from connectors.base import ConnectorError, Driver, Reading, Tag
from core.config import Connection, SignalBinding
from core.samples import Quality

log = logging.getLogger("ms5.connectors.logix")

# pycomm3 logs a traceback (`log.exception`) for every tag it cannot read and every failed
# request: one per poll during an outage. The driver reports those itself, once.
_lib_log = logging.getLogger("pycomm3")
if _lib_log.level == logging.NOTSET:
    _lib_log.setLevel(logging.CRITICAL)

DEFAULT_PORT = 44818
DEFAULT_CONNECTION_SIZE = 500
MIN_CONNECTION_SIZE = 256  # the largest single answer (a STRING, 88 bytes) plus request overhead
MAX_CONNECTION_SIZE = 4002  # Large Forward Open limit
STANDARD_FORWARD_OPEN_MAX = 511  # a plain Forward Open encodes the size in 9 bits
MAX_NAME_LENGTH = 40
MAX_DIMENSIONS = 3
MAX_INDEX = 2**31 - 1
MAX_BIT = 63
LOGIX_STRING_CHARS = 82
OPTIONS = ("slot", "init_tags", "connection_size", "path")

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
_STRING_SIZE = 88  # Logix STRING structure size (4 + 82, padded)
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
class _Plan:
    """How one tag is read: the tag pycomm3 asks for, and what comes back."""

    request: str  # tag name sent to the PLC (no bit number)
    address: LogixAddress
    binding_type: str
    bit: int | None = None  # a bit of an integer (Word.5), or of a BOOL array's DWORD
    error: str | None = None  # known bad before reading (not in the tag list, wrong type)


def to_reading(plan: _Plan, data: Any) -> Reading:
    """A Reading from one read answer (the raw reply bytes)."""
    if not isinstance(data, bytes | bytearray):
        return _bad("no data in the answer")
    try:
        name, value = decode_value(bytes(data))
    except ValueError as exc:
        return _bad(str(exc))
    if plan.bit is not None:
        if name not in INTEGER_TYPES or not isinstance(value, int):
            return _bad(f"wrong type: the PLC has {name}, a bit address needs an integer")
        if plan.bit >= _BITS[name]:
            return _bad(f"bit {plan.bit} is beyond the {_BITS[name]}-bit {name}")
        return Reading(float((value >> plan.bit) & 1))
    expected = LOGIX_TYPES[plan.binding_type]
    if plan.binding_type == "string":
        if not isinstance(value, str):
            return _bad(f"wrong type: the PLC has {name}, bound as string (STRING)")
        try:
            number = float(value.strip())
        except ValueError:
            return _bad(f"text {value[:40]!r} is not a number")
        if not math.isfinite(number):
            return _bad(f"text {value[:40]!r} is not a finite number")
        return Reading(number)
    if name != expected or isinstance(value, str | bytes):
        return _bad(f"wrong type: the PLC has {name}, bound as {plan.binding_type} ({expected})")
    if name == "BOOL":
        return Reading(1.0 if value else 0.0)
    number = float(value)
    if not math.isfinite(number):
        return _bad(f"{name} value {number} is not a finite number")
    return Reading(number)


def _bad(error: str) -> Reading:
    return Reading(None, Quality.BAD, error=error)


class _Raw(StringDataType):
    """pycomm3 decodes a reply with the tag definition's type class; this one never fails and
    keeps nothing: the driver takes the whole reply, type code included, from the response."""

    @classmethod
    def _decode(cls, stream: BytesIO) -> bytes:  # type: ignore[override]
        return stream.read()


def _leaf(binding_type: str, bit: bool) -> dict[str, Any]:
    """A minimal pycomm3 tag definition: enough to build the request and size the answer."""
    if binding_type == "string" and not bit:
        return {
            "tag_type": "struct",
            "data_type": {
                "name": "STRING",
                "internal_tags": {},
                "template": {"structure_size": _STRING_SIZE},
            },
            "data_type_name": "STRING",
            "type_class": _Raw,
            "dim": 0,
        }
    # Sizing only; LINT is the largest integer a bit address can live in.
    size_type = "LINT" if bit else LOGIX_TYPES[binding_type]
    return {
        "tag_type": "atomic",
        "data_type": size_type,
        "data_type_name": size_type,
        "type_class": _Raw,
        "dim": 0,
    }


def tag_definitions(entries: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """pycomm3 `_tags` holding the given (tag, definition) pairs. pycomm3 looks a tag up by its base
    name (indices stripped), then member by member through `data_type.internal_tags`."""
    tags: dict[str, Any] = {}
    for request, leaf in entries:
        names = [_strip_index(n) for n in request.split(".")]
        if names[0].startswith("Program:"):
            names = [f"{names[0]}.{names[1]}", *names[2:]]
        node = tags
        for name in names[:-1]:
            entry = node.setdefault(name, {"tag_type": "struct", "data_type": {"internal_tags": {}}})
            data_type = entry.get("data_type")
            if not isinstance(data_type, dict):  # bound both as a value and as a structure
                break
            node = data_type.setdefault("internal_tags", {})
        else:
            node.setdefault(names[-1], leaf)
    return tags


def _strip_index(name: str) -> str:
    return name.split("[", 1)[0]


class _Socket(Socket):
    """pycomm3's socket loops for ever when the peer closes in the middle of a frame (recv keeps
    returning b""): read exactly one encapsulation frame, and fail on a closed connection."""

    HEADER = 24

    def receive(self, timeout: float = 0) -> bytes:
        try:
            if timeout:
                self.sock.settimeout(timeout)
            head = self._exactly(self.HEADER)
            length = int.from_bytes(head[2:4], "little")
            return head + self._exactly(length)
        except OSError as err:
            raise CommError(f"connection broken: {err}") from err

    def _exactly(self, count: int) -> bytes:
        buf = bytearray()
        while len(buf) < count:
            chunk = self.sock.recv(count - len(buf))
            if not chunk:
                raise CommError("connection closed by the PLC")
            buf += chunk
        return bytes(buf)


class _Client(LogixDriver):
    """LogixDriver that counts what it sends and hands over raw read answers (see `_Raw`)."""

    def __init__(
        self, path: str, *, timeout: float, connection_size: int, on_send: Callable[[], None], **kw: Any
    ):
        super().__init__(path, **kw)
        self.socket_timeout = timeout
        self._cfg["extended forward open"] = connection_size > STANDARD_FORWARD_OPEN_MAX
        self._cfg["connection_size"] = connection_size
        socket_class: Any = _Socket  # pycomm3's Socket.__init__ is untyped
        self._sock = socket_class(timeout)
        self._on_send = on_send

    def send(self, request: Any) -> Any:
        self._on_send()
        response = super().send(request)
        subs = response.responses if isinstance(response, MultiServiceResponsePacket) else (response,)
        for sub in subs:
            if isinstance(sub, ReadTagResponsePacket) and not isinstance(
                sub, ReadTagFragmentedResponsePacket
            ):
                _keep_raw(sub)
        return response


def _keep_raw(sub: Any) -> None:
    if sub.tag_info.get("type_class") is not _Raw:
        return
    if sub:
        sub.value = bytes(sub.data)
    else:
        sub._error = _status_text(sub)


# The answers a Logix controller (or cpppo) gives for a tag it will not read, in words.
_STATUS = {
    0x04: "the PLC does not understand the tag path",
    0x05: "no such tag in the PLC",
    0x06: "answer too large for the connection",
    0x08: "the PLC does not support reading it",
    0x0F: "the PLC refuses access to it",
    0x13: "not enough data in the request",
    0x1E: "the PLC refused part of a multiple request",
}
_EXTENDED = {0x2105: "array index beyond the end of the tag", 0x2107: "data type does not match"}


def _status_text(sub: Any) -> str:
    status = sub.service_status
    if not isinstance(status, int):
        return str(sub.error or "no answer")
    raw = sub.raw or b""
    extended = None
    # Extended status: a size byte (in words) at 49, then the words.
    if len(raw) >= 52 and raw[49] >= 1:
        extended = int.from_bytes(raw[50:52], "little") or None
    text = _EXTENDED.get(extended or -1) or _STATUS.get(status)
    code = f"CIP status 0x{status:02X}" + (f"/0x{extended:04X}" if extended is not None else "")
    if text is None:
        text = " ".join(str(sub.error or "error").split())[:100]
    return f"{text} ({code})"


def _why(exc: BaseException) -> str:
    """One line from an exception and its causes (pycomm3 nests them)."""
    seen: list[str] = []
    e: BaseException | None = exc
    while e is not None and len(seen) < 4:
        if isinstance(e, TimeoutError | socket.timeout):
            text = "no answer (timeout)"
        else:
            lines = str(e).strip().splitlines()
            text = (lines[0] if lines else type(e).__name__).rstrip(" -:")
        if text and text not in seen:
            seen.append(text)
        e = e.__cause__ or e.__context__
    return ": ".join(seen) or type(exc).__name__


def connection_path(connection: Connection) -> str:
    """The pycomm3 CIP path: `host:port/slot`, or `host:port/<path option>`."""
    opts = connection.options
    route = str(opts["path"]).strip("/") if opts.get("path") else str(opts.get("slot", 0))
    return f"{connection.host}:{connection.port or DEFAULT_PORT}/{route}"


class LogixConnector(Driver):
    """Reads a connection's tags from a Logix controller in one multi-tag read per poll.

    `requests()` counts the EtherNet/IP requests sent (session, identity and Forward Open while
    connecting, then one per Multiple Service Packet of a poll)."""

    blocking: ClassVar[bool] = True

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.check_options(connection)
        opts = connection.options
        self.init_tags: bool = opts.get("init_tags", True)
        self.connection_size: int = opts.get("connection_size", DEFAULT_CONNECTION_SIZE)
        self.path = connection_path(connection)
        self.addresses = [check_address(t.binding) for t in self.tags]
        self._plc: _Client | None = None
        self._plans: list[_Plan] = []
        self._requests: list[str] = []
        self._sent = 0
        self._tag_errors: list[str | None] = [None] * len(self.tags)

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        opts = connection.options
        unknown = sorted(set(opts) - set(OPTIONS))
        if unknown:
            raise ValueError(f"unknown Logix option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
        slot = opts.get("slot", 0)
        if not isinstance(slot, int) or isinstance(slot, bool) or not 0 <= slot <= 255:
            raise ValueError(f"slot must be a whole number 0-255, not {slot!r}")
        init_tags = opts.get("init_tags", True)
        if not isinstance(init_tags, bool):
            raise ValueError(f"init_tags must be true or false, not {init_tags!r}")
        size = opts.get("connection_size", DEFAULT_CONNECTION_SIZE)
        if (
            not isinstance(size, int)
            or isinstance(size, bool)
            or not MIN_CONNECTION_SIZE <= size <= MAX_CONNECTION_SIZE
        ):
            raise ValueError(
                f"connection_size must be a whole number {MIN_CONNECTION_SIZE}-{MAX_CONNECTION_SIZE},"
                f" not {size!r}"
            )
        if "path" in opts:
            path = opts["path"]
            if "slot" in opts:
                raise ValueError("give either slot or path, not both")
            if not isinstance(path, str) or not path.strip("/"):
                raise ValueError(f"path must be a CIP route such as 'bp/0' or '1/0', not {path!r}")
            try:
                epath: Any = PADDED_EPATH  # pycomm3 checks port names only when encoding
                epath.encode(parse_cip_route(path.strip("/")), length=True)
            except Exception:
                raise ValueError(
                    f"path {path!r} is not a CIP route (port/link pairs such as 'bp/0/enet/10.0.0.5/bp/2')"
                ) from None
        if ":" in connection.host:
            raise ValueError(f"host {connection.host!r}: pycomm3 takes an IPv4 address or a host name")

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        check_address(binding)

    def requests(self) -> int:
        return self._sent

    def _count(self) -> None:
        self._sent += 1

    # -- connect ---------------------------------------------------------------------------------

    def connect(self) -> None:
        self.close()
        program_tags = any(a.program for a in self.addresses)
        plc = _Client(
            self.path,
            timeout=self.connection.timeout_s,
            connection_size=self.connection_size,
            on_send=self._count,
            init_tags=False,  # uploaded below, to say clearly when that is what fails
            init_program_tags=False,
        )
        lib: Any = plc  # pycomm3's methods are untyped
        try:
            if not lib.open():
                raise ConnectorError(f"{self.path}: the PLC refused the session")
            opener: Any = with_forward_open
            opener(lambda _: None)(plc)
            uploaded: dict[str, Any] | None = None
            if self.init_tags:
                try:
                    lib.get_tag_list(program="*" if program_tags else None)
                except Exception as exc:
                    raise ConnectorError(
                        f"{self.path}: cannot upload the tag list ({_why(exc)});"
                        " set init_tags = false for a PLC that cannot serve it (the cpppo simulator)"
                    ) from None
                uploaded = plc._tags
            self._plans = [
                self._plan(tag, address, plc, uploaded)
                for tag, address in zip(self.tags, self.addresses, strict=True)
            ]
            self._requests = list(dict.fromkeys(p.request for p in self._plans if p.error is None))
            plc._tags = tag_definitions(
                [
                    (p.request, _leaf(p.binding_type, p.bit is not None))
                    for p in self._plans
                    if p.error is None
                ]
            )
        except ConnectorError:
            _quiet_close(plc)
            raise
        except Exception as exc:
            _quiet_close(plc)
            raise ConnectorError(f"cannot connect to {self.path}: {_why(exc)}") from None
        self._plc = plc
        for i, p in enumerate(self._plans):
            if p.error is not None:
                self._note(i, p.error)

    def _plan(self, tag: Tag, address: LogixAddress, plc: _Client, uploaded: dict[str, Any] | None) -> _Plan:
        btype = tag.binding.type
        plan = _Plan(address.tag, address, btype, address.bit)
        if uploaded is None:
            return plan
        try:
            info = plc.get_tag_info(address.tag)
        except Exception:
            info = None
        if not isinstance(info, dict):
            return _Plan(
                address.tag, address, btype, error=f"{address.tag} is not in the controller's tag list"
            )
        type_name = str(info.get("data_type_name"))
        if address.bit is not None:
            if type_name not in INTEGER_TYPES:
                return _Plan(
                    address.tag,
                    address,
                    btype,
                    error=f"{address.tag} is {type_name}: a bit address needs an integer",
                )
            return plan
        if btype == "bool" and type_name == "DWORD":
            # A BOOL array element: the controller keeps BOOL arrays in 32-bit words.
            name, indices = address.path[-1]
            if len(indices) == 1:
                word = (*address.path[:-1], (name, (indices[0] // 32,)))
                request = LogixAddress(address.program, word).tag
                return _Plan(request, address, btype, bit=indices[0] % 32)
        if btype == "string":
            data_type = info.get("data_type")
            if type_name == "STRING" or (isinstance(data_type, dict) and "string" in data_type):
                return plan
        elif type_name == LOGIX_TYPES[btype]:
            return plan
        return _Plan(
            address.tag,
            address,
            btype,
            error=f"{address.tag} is {type_name} in the controller, bound as {btype}",
        )

    # -- read ------------------------------------------------------------------------------------

    def read(self) -> list[Reading]:
        plc = self._plc
        if plc is None:
            raise ConnectorError("not connected")
        answers: dict[str, Any] = {}
        if self._requests:
            try:
                result = plc.read(*self._requests)
            except Exception as exc:  # CommError, a garbled frame, a refused Forward Open: the link
                raise ConnectorError(f"{self.path}: {_why(exc)}") from None
            tags = result if isinstance(result, list) else [result]
            answers = {request: tag for request, tag in zip(self._requests, tags, strict=False)}
        readings = []
        for i, plan in enumerate(self._plans):
            if plan.error is not None:
                reading = _bad(plan.error)
            else:
                answer = answers.get(plan.request)
                if answer is None:
                    reading = _bad("no answer for this tag")
                elif answer.error:
                    reading = _bad(str(answer.error))
                else:
                    reading = to_reading(plan, answer.value)
            self._note(i, reading.error)
            readings.append(reading)
        return readings

    def _note(self, i: int, error: str | None) -> None:
        """Log a tag's trouble when it starts and when it ends, not on every poll."""
        before = self._tag_errors[i]
        if error == before:
            return
        self._tag_errors[i] = error
        tag = self.tags[i]
        where = f"{self.connection.id}: {tag.equipment}.{tag.signal} at {tag.binding.address}"
        if error is not None:
            log.warning("%s: %s", where, error)
        else:
            log.info("%s: good again", where)

    def close(self) -> None:
        plc, self._plc = self._plc, None
        if plc is not None:
            _quiet_close(plc)


def _quiet_close(plc: Any) -> None:
    try:
        plc.close()
    except Exception as exc:  # a dead connection fails to say goodbye; it is closed all the same
        log.debug("close: %s", _why(exc))


DRIVER = LogixConnector
