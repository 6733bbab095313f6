"""A simulated Modbus TCP PLC: pymodbus's asyncio server with one device.

Each area (coils, discrete inputs, holding and input registers) is served from address 0 up to the
highest address any tag uses, so reads that bridge gaps between tags succeed as on a real PLC, and
addresses past the end are refused with exception 2 (illegal data address).

`set` writes into a shadow copy; a pymodbus device action copies what changed into the served
registers when a request reaches that area, so a value set before a request is what that request
reads. `requests` counts the request PDUs the server decoded (pymodbus's trace hook), including the
ones it refused.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Final

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from connectors.base import Tag
from connectors.modbus import tame_library_logs
from connectors.modbus_codec import (
    AREAS,
    BIT_AREAS,
    Area,
    Point,
    encode_registers,
    parse_options,
    parse_point,
    set_register_bit,
)
from connectors.sim.server import SimServer
from core.config import Connection

log = logging.getLogger("ms5.connectors.modbus")

_AREA_OF_FUNCTION: Final[dict[int, Area]] = {
    1: "coil",
    5: "coil",
    15: "coil",
    2: "di",
    3: "hr",
    6: "hr",
    16: "hr",
    22: "hr",
    23: "hr",
    4: "ir",
}

tame_library_logs()


class ModbusSimServer(SimServer):
    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.device_id = parse_options(connection.options).device_id
        self.points: list[Point] = [parse_point(tag.binding) for tag in self.tags]
        self.size: dict[Area, int] = {}
        for area in AREAS:
            end = max((p.end for p in self.points if p.area == area), default=1)
            # Bit areas are stored 16 to a register by pymodbus: whole registers only.
            self.size[area] = -(-end // 16) * 16 if area in BIT_AREAS else end
        self._shadow: dict[Area, list[int]] = {area: [0] * self.size[area] for area in AREAS}
        self._dirty: dict[Area, set[int]] = {area: set() for area in AREAS}
        self._lock = threading.Lock()  # `set` may come from another thread than the server's
        self._server: ModbusTcpServer | None = None
        self._requests = 0

    async def start(self) -> None:
        if self._server is not None:
            return
        conn = self.connection
        if not conn.port:
            raise ValueError(f"connection {conn.id}: the simulated PLC needs a port")
        device = SimDevice(
            id=self.device_id,
            simdata=(
                [SimData(0, values=[False] * self.size["coil"], datatype=DataType.BITS)],
                [SimData(0, values=[False] * self.size["di"], datatype=DataType.BITS)],
                [SimData(0, count=self.size["hr"], values=0, datatype=DataType.REGISTERS)],
                [SimData(0, count=self.size["ir"], values=0, datatype=DataType.REGISTERS)],
            ),
            action=self._apply,
        )
        with self._lock:
            # A fresh device starts at zero: replay everything set so far (a restart keeps values).
            for area in AREAS:
                self._dirty[area] = {a for a, v in enumerate(self._shadow[area]) if v}
        server = ModbusTcpServer(device, address=(conn.host, conn.port), trace_pdu=self._trace)
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            await server.shutdown()  # type: ignore[no-untyped-call]
            raise OSError(
                f"simulated Modbus PLC {conn.id}: cannot listen on {conn.host}:{conn.port}"
            ) from exc
        self._server = server
        log.debug("%s: simulated Modbus PLC on %s:%s", conn.id, conn.host, conn.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        await server.shutdown()  # type: ignore[no-untyped-call]
        await asyncio.sleep(0)  # let the closed client transports run their connection_lost

    def set(self, index: int, value: float | str) -> None:
        """Engineering value in; strings take a str (no scaling)."""
        point = self.points[index]
        binding = self.tags[index].binding
        raw: float | str = value
        if not isinstance(value, str):
            raw = (value - binding.offset) / binding.scale if binding.scale != 0 else value - binding.offset
        with self._lock:
            shadow, dirty = self._shadow[point.area], self._dirty[point.area]
            if point.area in BIT_AREAS or point.bit is not None:
                if isinstance(raw, str):
                    raise ValueError(f"{point} is bool: it needs a number, not a string")
                on = raw != 0
                if point.bit is None:
                    shadow[point.address] = int(on)
                else:
                    shadow[point.address] = set_register_bit(point, shadow[point.address], on)
                dirty.add(point.address)
                return
            words = encode_registers(point, raw)
            shadow[point.address : point.end] = words
            dirty.update(range(point.address, point.end))

    def requests(self) -> int:
        return self._requests

    @property
    def running(self) -> bool:
        return self._server is not None

    # ------------------------------------------------------------------ pymodbus hooks

    def _trace(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if not sending:
            self._requests += 1
        return pdu

    async def _apply(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus's device action: `registers` is the live store of the area the request
        reaches (bit areas packed 16 to a register, bit 0 first)."""
        area = _AREA_OF_FUNCTION.get(function_code)
        if area is None:
            return None
        with self._lock:
            dirty = self._dirty[area]
            if not dirty:
                return None
            shadow = self._shadow[area]
            if area in BIT_AREAS:
                for a in dirty:
                    i, mask = a // 16 - start_address, 1 << (a % 16)
                    registers[i] = registers[i] | mask if shadow[a] else registers[i] & ~mask
            else:
                for a in dirty:
                    registers[a - start_address] = shadow[a]
            dirty.clear()
        return None


SERVER = ModbusSimServer
