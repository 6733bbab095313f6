"""pycomm3 bent to the driver's needs: tag definitions made from the bindings (so no tag-list
upload is needed) whose decoder keeps the raw reply, a socket that reads exactly one frame, and a
LogixDriver that counts its requests and hands raw answers (or the CIP status in words) over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO
from typing import Any

from pycomm3 import LogixDriver
from pycomm3.cip.data_types import StringDataType
from pycomm3.exceptions import CommError
from pycomm3.packets.logix import (
    MultiServiceResponsePacket,
    ReadTagFragmentedResponsePacket,
    ReadTagResponsePacket,
)
from pycomm3.socket_ import Socket

from connectors.logix_codec import LOGIX_TYPES

STANDARD_FORWARD_OPEN_MAX = 511  # a plain Forward Open encodes the size in 9 bits
_STRING_SIZE = 88  # Logix STRING structure size (4 + 82, padded)


class _Raw(StringDataType):
    """pycomm3 decodes a reply with the tag definition's type class; this one never fails and
    keeps nothing: the driver takes the whole reply, type code included, from the response."""

    @classmethod
    def _decode(cls, stream: BytesIO) -> bytes:  # type: ignore[override]
        return stream.read()


def tag_leaf(binding_type: str, bit: bool) -> dict[str, Any]:
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


class LogixClient(LogixDriver):
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
