"""Modbus TCP driver (pymodbus's asyncio client).

Addresses: `coil:N`, `di:N`, `hr:N`, `ir:N` and `hr:N.B` / `ir:N.B` for one bit of a register
(N 0-based, 0..65535; B 0..15). Types: bool on coils, discrete inputs and register bits;
int16/uint16 (1 register), int32/uint32/float32 (2), float64 (4), string (length/2 registers).

Options (`[[connections]] options`): `device_id` (0..255, default 1), `max_block` (largest read:
registers are capped at 125 and bits at 2000; default 125 registers / 2000 bits), `max_gap` (the
widest run of unused registers bridged to merge two reads, default 16; 16 bits per register for
coils and discrete inputs).

A poll reads the fewest blocks (modbus_plan.plan_blocks). A block the PLC refuses with exception
2 or 3 (illegal address or value) is halved until the culprit tags stand alone; the split plan and
the refused tags are remembered, so later polls cost no extra requests, and every RETRY_EVERY polls
the full plan is tried again in case the PLC program changed.

Answers are checked frame by frame before pymodbus parses them: an exception code or a well-framed
answer that does not fit (short, wrong function) makes that block's tags bad; bytes out of step with
the request (wrong transaction id, not Modbus, data nobody asked for) mean the stream cannot be
trusted, so the connection is dropped (ConnectorError) and the runner reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Sequence

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from connectors.base import ConnectorError, Driver, Reading, Tag
from connectors.modbus_codec import (
    CONTENT,
    OK,
    PARTIAL,
    SPLIT_CODES,
    BadAnswer,
    Expect,
    ModbusRefusal,
    Point,
    check_answer,
    decode_bytes,
    expect_for,
    parse_options,
    parse_point,
    registers_to_bytes,
)
from connectors.modbus_plan import Block, plan_blocks
from core.config import Connection, SignalBinding
from core.samples import Quality

log = logging.getLogger("ms5.connectors.modbus")

DEFAULT_PORT = 502
RETRY_EVERY = 10  # polls between retries of refused tags (and re-merging a split plan)
_MAX_CHUNK = 512 * 1024  # above asyncio's largest single read (256 KiB)


def tame_library_logs() -> None:
    """pymodbus logs every failed connect and timeout (some with tracebacks); the runner already
    logs a failure once when it starts and once when it ends. A level set by the user stays."""
    lib = logging.getLogger("pymodbus")
    if lib.level == logging.NOTSET:
        lib.setLevel(logging.CRITICAL)


tame_library_logs()


class ModbusDriver(Driver):
    blocking = False
    peer_errors = (ModbusException,)  # pymodbus's connection, timeout and answer errors
    default_port = DEFAULT_PORT

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.options = parse_options(connection.options)
        self.points: list[Point] = [parse_point(tag.binding) for tag in self.tags]
        self._optimal = plan_blocks(self.points, self.options)
        self._plan = list(self._optimal)
        self._refused: dict[Block, str] = {}  # single-span blocks the PLC refused
        self._degraded_since: int | None = None  # poll at which the plan was first split
        self._polls = 0
        self._sent = 0
        self._client: AsyncModbusTcpClient | None = None
        self._expect: Expect | None = None
        self._pending: asyncio.Future[None] | None = None
        self._partial = 0  # bytes of an incomplete answer received so far
        self._broken: str | None = None  # why the stream was dropped

    # ------------------------------------------------------------------ contract

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        parse_options(connection.options)

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        parse_point(binding)

    def requests(self) -> int:
        return self._sent

    def blocks(self) -> list[Block]:
        """The reads one poll makes now (for diagnostics and tests)."""
        return list(self._plan)

    async def connect(self) -> None:
        await self.close()
        conn = self.connection
        port = conn.port or DEFAULT_PORT
        self._broken = None
        # Created here, inside the running loop. retries=0 and no automatic reconnect: the
        # runner owns retrying and backoff, pymodbus must not reconnect behind its back.
        client = AsyncModbusTcpClient(
            conn.host,
            port=port,
            name=f"ms5-{conn.id}",
            timeout=conn.timeout_s,
            retries=0,
            reconnect_delay=0,
            reconnect_delay_max=0,
            trace_packet=self._on_packet,
            trace_connect=self._on_connect,
        )
        # pymodbus silently drops a received chunk larger than one frame, and the request then
        # waits for its timeout; let such chunks reach the frame check, which rejects them at
        # once. Still bounded: the check passes on at most one partial frame (< 261 bytes).
        client.ctx.max_buffer_size = _MAX_CHUNK
        self._client = client
        try:
            connected = await client.connect()
        except Exception as exc:  # pymodbus catches OSError itself; anything else is the same failure
            log.debug("%s: connect: %r", conn.id, exc)
            connected = False
        if not connected:
            self._client = None
            client.close()
            raise ConnectorError(f"cannot connect to {conn.host}:{port}")

    async def read(self) -> list[Reading]:
        self._polls += 1
        if self._degraded_since is not None and self._polls - self._degraded_since >= RETRY_EVERY:
            self._plan, self._refused, self._degraded_since = list(self._optimal), {}, None
        out: list[Reading] = [Reading(None, Quality.BAD, error="not read")] * len(self.points)
        plan: list[Block] = []
        for block in self._plan:
            await self._read_block(block, out, plan)
        self._plan = plan
        return out

    async def close(self) -> None:
        client, self._client = self._client, None
        self._expect = None
        if client is None:
            return
        try:
            client.close()
        except Exception as exc:  # closing a broken transport may fail in any way; it is closed
            log.debug("%s: close: %r", self.connection.id, exc)

    # ------------------------------------------------------------------ polling

    async def _read_block(self, block: Block, out: list[Reading], plan: list[Block]) -> None:
        known = self._refused.get(block)
        if known is not None:
            self._fill_bad(block, known, out)
            plan.append(block)
            return
        try:
            values = await self._transact(block)
        except ModbusRefusal as exc:
            if exc.code in SPLIT_CODES:
                if self._degraded_since is None:
                    self._degraded_since = self._polls
                halves = block.halves()
                if halves is not None:
                    log.debug("%s: %s refused (%s): split", self.connection.id, block, exc)
                    for half in halves:
                        await self._read_block(half, out, plan)
                    return
                self._refused[block] = f"{exc} at {block}"
            self._fill_bad(block, f"{exc} at {block}", out)
            plan.append(block)
            return
        except BadAnswer as exc:
            self._fill_bad(block, str(exc), out)
            plan.append(block)
            return
        self._decode(block, values, out)
        plan.append(block)

    def _decode(self, block: Block, values: Sequence[int] | Sequence[bool], out: list[Reading]) -> None:
        if block.area in ("coil", "di"):
            for span in block.spans:
                reading = Reading(1.0 if values[span.start - block.start] else 0.0)
                for i in span.tags:
                    out[i] = reading
            return
        wire = registers_to_bytes([int(v) for v in values])
        for span in block.spans:
            data = wire[2 * (span.start - block.start) : 2 * (span.end - block.start)]
            for i in span.tags:
                p = self.points[i]
                value = decode_bytes(p, data)
                if isinstance(value, str):
                    out[i] = Reading(None, Quality.BAD, error=f"string {value!r} at {p} is not a number")
                elif not math.isfinite(value):
                    out[i] = Reading(None, Quality.BAD, error=f"{p.type} at {p} holds {value}")
                else:
                    out[i] = Reading(value)

    @staticmethod
    def _fill_bad(block: Block, error: str, out: list[Reading]) -> None:
        bad = Reading(None, Quality.BAD, error=error)
        for i in block.tags:
            out[i] = bad

    async def _transact(self, block: Block) -> Sequence[int] | Sequence[bool]:
        client = self._client
        if client is None or not client.connected:
            raise ConnectorError(self._broken or "connection lost")
        pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending = pending
        self._partial = 0
        task = asyncio.ensure_future(self._request(client, block))
        try:
            # The answer, or an earlier verdict from the frame check / a dropped connection.
            await asyncio.wait((task, pending), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._pending = None
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # an answer that lost the race is dropped without a warning
        if pending.done():
            exc = pending.exception()
            assert exc is not None
            raise exc
        try:
            response = task.result()
        except ModbusIOException:
            if self._partial:
                raise ConnectorError(f"truncated answer ({self._partial} bytes, then nothing)") from None
            raise ConnectorError("no answer (timeout)") from None
        except ModbusException as exc:
            raise ConnectorError(_library_text(exc)) from None
        if response.isError():
            raise ModbusRefusal(response.exception_code)
        values = response.bits if block.area in ("coil", "di") else response.registers
        if len(values) < block.count:
            raise BadAnswer(f"short answer ({len(values)} of {block.count} values)")
        return values[: block.count]

    def _request(self, client: AsyncModbusTcpClient, block: Block) -> Awaitable[ModbusPDU]:
        start, count, device = block.start, block.count, self.options.device_id
        if block.area == "hr":
            return client.read_holding_registers(start, count=count, device_id=device)
        if block.area == "ir":
            return client.read_input_registers(start, count=count, device_id=device)
        if block.area == "coil":
            return client.read_coils(start, count=count, device_id=device)
        return client.read_discrete_inputs(start, count=count, device_id=device)

    # ------------------------------------------------------------------ pymodbus hooks

    def _on_packet(self, sending: bool, data: bytes) -> bytes:
        """Every frame out and every received buffer before pymodbus parses it: count requests
        and keep a hostile or broken peer's bytes away from pymodbus's parser (which would raise
        inside asyncio's data callback and wait for the timeout)."""
        if sending:
            self._sent += 1
            self._expect = expect_for(data)
            return data
        verdict, reason = check_answer(data, self._expect)
        if verdict == OK:
            self._expect = None
            return data
        if verdict == PARTIAL:
            self._partial = len(data)
            return data
        self._expect = None
        if verdict == CONTENT:
            self._fail(BadAnswer(reason))
            return b""
        self._broken = reason
        self._fail(ConnectorError(reason))
        client = self._client
        if client is not None:
            client.close()  # out of step: nothing later on this stream can be trusted
        return b""

    def _on_connect(self, connected: bool) -> None:
        if not connected:
            self._broken = self._broken or "connection closed by the PLC"
            self._fail(ConnectorError(self._broken))

    def _fail(self, exc: Exception) -> None:
        pending = self._pending
        if pending is not None and not pending.done():
            pending.set_exception(exc)


def _library_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first.removeprefix("Modbus Error: ").strip() or type(exc).__name__


DRIVER = ModbusDriver
