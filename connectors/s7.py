"""Siemens S7 (S7-300/400/1200/1500 over ISO-on-TCP, PUT/GET) through python-snap7's pure-Python
transport and protocol layers.

Why not `snap7.Client` itself: in python-snap7 3.3 its `connect()` waits a fixed 5 s (a hung PLC
would hold the connection's thread far longer than `timeout_s`), and its `read_multi_vars` re-plans
the items with its own optimizer and raises for the whole request when one item fails, so one bad
address would blind every tag sharing its request. The driver therefore opens the connection with
`ISOTCPConnection` (socket timeouts = `timeout_s`), negotiates the PDU with `S7Protocol`, and sends
its own multi-item read requests (`S7Protocol.build_multi_read_request`), whose answers it splits
per item: a refused item turns only its tags bad.

Options: `rack` (0..7, default 0), `slot` (0..31, default 1), `max_gap` (bytes, default 16: two
tags of one area closer than this are read as one range). Port 102 unless the connection names one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from snap7.connection import ISOTCPConnection
from snap7.error import S7Error, S7ProtocolError
from snap7.s7protocol import S7Protocol

from connectors.base import ConnectorError, Driver, Reading, Tag
from connectors.s7_codec import S7Address, parse_binding, parse_options
from connectors.s7_plan import ReadPlan, Refused, assemble, parse_read_items, plan_reads, tag_bytes
from core.config import Connection, SignalBinding
from core.samples import Quality

log = logging.getLogger("ms5.connectors.s7")

# The transport logs every connect and disconnect at INFO: a PLC that is down for an hour would fill
# the log at every reconnect attempt, and the runner already logs the outage once.
for _name in ("snap7.connection", "snap7.s7protocol"):
    logging.getLogger(_name).setLevel(logging.WARNING)

DEFAULT_PORT = 102
PDU_REQUEST = 960  # the largest S7-1500 PDU; the PLC answers with what it can do
_MIN_PDU = 64
_READ_AREA = 0x04


class S7Driver(Driver):
    blocking = True
    peer_errors = (S7Error,)  # python-snap7's connection, protocol and timeout errors
    default_port = DEFAULT_PORT

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.options = parse_options(connection.options)
        self.addresses: list[S7Address] = [parse_binding(t.binding) for t in self.tags]
        self._conn: ISOTCPConnection | None = None
        self._protocol = S7Protocol()
        self._pdu = 0
        self._plan: ReadPlan | None = None
        # Tags that failed inside a merged range; read on their own until the next connect.
        self._isolated: set[int] = set()
        self._bad: dict[int, str] = {}
        self._requests = 0

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        parse_options(connection.options)

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        parse_binding(binding)

    def requests(self) -> int:
        return self._requests

    @property
    def pdu_size(self) -> int:
        """The PDU size the PLC agreed to (0 before the first connect)."""
        return self._pdu

    @property
    def plan(self) -> ReadPlan | None:
        """How a poll reads the tags (after connect)."""
        return self._plan

    def _where(self) -> str:
        c = self.connection
        return f"S7 PLC {c.host}:{c.port or DEFAULT_PORT}"

    def connect(self) -> None:
        self.close()
        c, o = self.connection, self.options
        port = c.port or DEFAULT_PORT
        # Remote TSAP: connection type PG (1), then rack and slot.
        conn = ISOTCPConnection(
            host=c.host, port=port, local_tsap=0x0100, remote_tsap=(1 << 8) | (o.rack << 5) | o.slot
        )
        self._protocol = S7Protocol()
        try:
            conn.connect(timeout=c.timeout_s)
            self._conn = conn
            request = self._protocol.build_setup_communication_request(pdu_length=PDU_REQUEST)
            params = self._exchange(request).get("parameters") or {}
            pdu = int(params.get("pdu_length", 0))
        except (S7Error, OSError) as exc:
            self.close()
            raise ConnectorError(
                f"cannot connect to {self._where()} (rack {o.rack}, slot {o.slot}): {_reason(exc)}"
            ) from None
        except ConnectorError as exc:
            self.close()
            raise ConnectorError(f"cannot connect to {self._where()}: {exc}") from None
        if pdu < _MIN_PDU:
            self.close()
            raise ConnectorError(f"{self._where()} offered an unusable PDU size ({pdu})")
        self._pdu = min(pdu, PDU_REQUEST)
        self._isolated.clear()
        self._plan = self._make_plan()
        log.debug(
            "%s: connected, PDU %d, %d tags in %d request(s)",
            self.connection.id,
            self._pdu,
            len(self.tags),
            len(self._plan.requests),
        )

    def _make_plan(self, only: Sequence[int] | None = None) -> ReadPlan:
        return plan_reads(
            self.addresses,
            self._pdu,
            max_gap=self.options.max_gap,
            isolated=frozenset(self._isolated),
            only=only,
        )

    def _exchange(self, request: bytes) -> dict[str, Any]:
        """Send one request and return its parsed answer. A broken or out-of-step connection raises
        ConnectorError; an answer that arrives but makes no sense raises S7ProtocolError."""
        conn = self._conn
        if conn is None:
            raise ConnectorError("not connected")
        try:
            conn.send_data(request)
            answer = conn.receive_data()
        except (S7Error, OSError) as exc:
            raise ConnectorError(f"{self._where()}: {_reason(exc)}") from None
        if answer[4:6] != request[4:6]:
            # Not the answer to this request: the stream is out of step, only a new connection helps.
            raise ConnectorError(f"{self._where()}: answer out of sequence")
        try:
            response: dict[str, Any] = self._protocol.parse_response(answer)
        except S7ProtocolError:
            raise
        except Exception as exc:  # a garbled PDU can trip the parser in any way
            raise S7ProtocolError(f"garbled answer ({type(exc).__name__})") from None
        return response

    def _read_requests(self, plan: ReadPlan) -> list[list[bytes | str]]:
        answers: list[list[bytes | str]] = []
        for items in plan.requests:
            request = self._protocol.build_multi_read_request(
                [(i.area, i.db, i.start, i.size) for i in items]
            )
            self._requests += 1
            try:
                response = self._exchange(request)
                params = response.get("parameters") or {}
                if params.get("function_code") != _READ_AREA or params.get("item_count") != len(items):
                    raise S7ProtocolError("the answer does not match the request")
                answers.append(parse_read_items(response.get("raw_data", b""), items))
            except S7ProtocolError as exc:
                answers.append([f"bad answer from the PLC: {_reason(exc)}"] * len(items))
        return answers

    def read(self) -> list[Reading]:
        plan = self._plan
        if self._conn is None or plan is None:
            raise ConnectorError("not connected")
        data = tag_bytes(plan, assemble(plan, self._read_requests(plan)), self.addresses)
        # A merged range the PLC refused is read again tag by tag, so one bad address (a DB too
        # short, a DB missing) turns only its own tags bad; those tags stay on their own from now on.
        # A garbled answer says nothing about the addresses: its tags are just bad for this poll.
        retry = [
            i for r in plan.ranges if len(r.tags) > 1 and isinstance(data[r.tags[0]], Refused) for i in r.tags
        ]
        if retry:
            alone = frozenset(self._isolated | set(retry))
            single = plan_reads(self.addresses, self._pdu, isolated=alone, only=retry)
            again = tag_bytes(single, assemble(single, self._read_requests(single)), self.addresses)
            data.update(again)
            failed = [i for i in retry if isinstance(again[i], Refused)]
            self._isolated.update(failed)
            self._plan = self._make_plan()
            log.debug("%s: %d tag(s) now read on their own", self.connection.id, len(failed))
        return [self._reading(i, data[i]) for i in range(len(self.tags))]

    def _reading(self, i: int, data: bytes | str) -> Reading:
        address = self.addresses[i]
        error: str | None = None
        value: float | None = None
        if isinstance(data, str):
            error = data
        else:
            try:
                decoded = address.decode(data)
            except ValueError as exc:
                error = f"{address.canonical}: {exc}"
            else:
                if isinstance(decoded, str):
                    error = f"{address.canonical}: the STRING {decoded!r} is not a numeric value"
                else:
                    value = decoded
        self._note(i, error)
        if error is not None:
            return Reading(None, Quality.BAD, error=error)
        return Reading(value)

    def _note(self, i: int, error: str | None) -> None:
        """Log a tag's trouble once when it starts and once when it ends, never per poll."""
        before = self._bad.get(i)
        if error == before:
            return
        tag = self.tags[i]
        if error is None:
            del self._bad[i]
            log.info("%s: %s.%s reads again", self.connection.id, tag.equipment, tag.signal)
        else:
            self._bad[i] = error
            if before is None:
                log.warning("%s: %s.%s: %s", self.connection.id, tag.equipment, tag.signal, error)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.disconnect()
        except Exception as exc:  # a dead socket may fail in any way while closing; it is closed
            log.debug("%s: close: %s", self.connection.id, exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return "no answer (timeout)"
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


DRIVER = S7Driver
