"""Allen-Bradley ControlLogix/CompactLogix over EtherNet/IP, through pycomm3's `LogixDriver`.

pycomm3 is synchronous, so this driver is `blocking`: the runner calls it in the connection's
own thread. Every poll is one `LogixDriver.read(*tags)` call, which pycomm3 packs into as few
Multiple Service Packets as the connection size allows.

pycomm3 needs a definition (type, size) of every tag it reads. It normally gets them by uploading
the controller's tag list (`init_tags`, on by default), which not every controller can serve
(the cpppo simulator, gateways and other CIP devices that take Logix tag names).
This driver therefore always hands pycomm3 definitions of its own, built from the bindings, whose
decoder keeps the raw reply; the driver decodes the reply itself from the CIP type code the PLC
sends, so a tag of another type than its binding says is a bad reading, never a misread value.
With `init_tags` the uploaded list is used to check each tag before the first poll (a missing tag
or a tag of another type is reported once, clearly) and to read BOOL array elements as the 32-bit
words the controller stores them in. Tags are always addressed by name (symbolic segments), never
by symbol instance id, so a program download that renumbers symbols cannot make us read the wrong tag.

Addresses and the decoding of answers are in logix_codec; what is bent in pycomm3 (tag definitions,
socket, request counting) is in logix_client.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from typing import Any, ClassVar

from pycomm3.cip.data_types import PADDED_EPATH
from pycomm3.cip_driver import parse_cip_route, with_forward_open
from pycomm3.exceptions import CommError, ResponseError

from connectors.base import ConnectorError, Driver, Reading, Tag
from connectors.logix_client import LogixClient, tag_definitions, tag_leaf
from connectors.logix_codec import (
    INTEGER_TYPES,
    LOGIX_TYPES,
    LogixAddress,
    TagPlan,
    bad_reading,
    check_address,
    to_reading,
)
from core.config import Connection, SignalBinding

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
OPTIONS = ("slot", "init_tags", "connection_size", "path")


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
    # pycomm3's link failures and answers it cannot use (the driver maps them already: a backstop).
    peer_errors = (CommError, ResponseError)
    default_port = DEFAULT_PORT

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.check_options(connection)
        opts = connection.options
        self.init_tags: bool = opts.get("init_tags", True)
        self.connection_size: int = opts.get("connection_size", DEFAULT_CONNECTION_SIZE)
        self.path = connection_path(connection)
        self.addresses = [check_address(t.binding) for t in self.tags]
        self._plc: LogixClient | None = None
        self._plans: list[TagPlan] = []
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
        plc = LogixClient(
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
                        f"{self.path}: cannot upload the tag list ({_why(exc)}); set init_tags = false"
                        " for a controller that cannot (simulators, gateways, other CIP controllers)"
                    ) from None
                uploaded = plc._tags
            self._plans = [
                self._plan(tag, address, plc, uploaded)
                for tag, address in zip(self.tags, self.addresses, strict=True)
            ]
            self._requests = list(dict.fromkeys(p.request for p in self._plans if p.error is None))
            plc._tags = tag_definitions(
                [
                    (p.request, tag_leaf(p.binding_type, p.bit is not None))
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

    def _plan(
        self, tag: Tag, address: LogixAddress, plc: LogixClient, uploaded: dict[str, Any] | None
    ) -> TagPlan:
        btype = tag.binding.type
        plan = TagPlan(address.tag, address, btype, address.bit)
        if uploaded is None:
            return plan
        try:
            info = plc.get_tag_info(address.tag)
        except Exception:
            info = None
        if not isinstance(info, dict):
            return TagPlan(
                address.tag, address, btype, error=f"{address.tag} is not in the controller's tag list"
            )
        type_name = str(info.get("data_type_name"))
        if address.bit is not None:
            if type_name not in INTEGER_TYPES:
                return TagPlan(
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
                return TagPlan(request, address, btype, bit=indices[0] % 32)
        if btype == "string":
            data_type = info.get("data_type")
            if type_name == "STRING" or (isinstance(data_type, dict) and "string" in data_type):
                return plan
        elif type_name == LOGIX_TYPES[btype]:
            return plan
        return TagPlan(
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
                reading = bad_reading(plan.error)
            else:
                answer = answers.get(plan.request)
                if answer is None:
                    reading = bad_reading("no answer for this tag")
                elif answer.error:
                    reading = bad_reading(str(answer.error))
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
