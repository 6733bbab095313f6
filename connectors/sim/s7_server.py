"""A simulated S7 PLC: python-snap7's pure-Python `Server`, serving one bytearray per DB the tags
use (sized to cover them) and the M, I and Q areas where tags live.

The bytearrays outlive restarts (each `start` builds a fresh snap7 server over the same memory),
and `set` writes straight into them: snap7 serves the registered bytearrays live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Sequence

from snap7.server import Server
from snap7.type import SrvArea

from connectors.base import Tag
from connectors.s7_codec import AREA_DB, AREA_MK, AREA_PA, AREA_PE, parse_binding
from connectors.sim.server import SimServer
from core.config import Connection

log = logging.getLogger("ms5.connectors.s7")

# snap7's server logs a warning for every read of a missing DB and an error for every client that
# leaves: for a simulator that is log spam, not news.
logging.getLogger("snap7.server").setLevel(logging.CRITICAL)

_SRV_AREAS = {AREA_DB: SrvArea.DB, AREA_MK: SrvArea.MK, AREA_PE: SrvArea.PE, AREA_PA: SrvArea.PA}
_READ_AREA, _WRITE_AREA = 0x04, 0x05


class _Server(Server):
    """snap7's server, counting the read and write requests it serves and able to drop its clients
    at once (snap7's own stop waits up to a second for each connected client)."""

    def __init__(self) -> None:
        super().__init__(log=False)
        self.served = 0
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()

    def _handle_client(self, client_socket: socket.socket, address: tuple[str, int]) -> None:
        with self._sockets_lock:
            self._sockets.add(client_socket)
        try:
            super()._handle_client(client_socket, address)
        finally:
            with self._sockets_lock:
                self._sockets.discard(client_socket)

    def _process_request(self, request_data: bytes, client_address: tuple[str, int]) -> bytes | None:
        # A job PDU has a 10-byte header; its parameters start with the function code.
        if (
            len(request_data) > 10
            and request_data[1] == 0x01
            and request_data[10] in (_READ_AREA, _WRITE_AREA)
        ):
            self.served += 1
        response: bytes | None = super()._process_request(request_data, client_address)
        return response

    def shutdown(self) -> None:
        self.max_clients = 0  # refuse whoever connects while the clients are dropped
        with self._sockets_lock:
            sockets = list(self._sockets)
        for s in sockets:
            with contextlib.suppress(OSError):  # already gone
                s.shutdown(socket.SHUT_RDWR)
        self.stop()


class S7SimServer(SimServer):
    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.addresses = [parse_binding(t.binding) for t in self.tags]
        sizes: dict[tuple[int, int], int] = {}
        for a in self.addresses:
            key = (a.area, a.db)
            sizes[key] = max(sizes.get(key, 0), a.end)
        self.memory: dict[tuple[int, int], bytearray] = {key: bytearray(size) for key, size in sizes.items()}
        self._server: _Server | None = None
        self._served_before = 0

    async def start(self) -> None:
        if self._server is not None:
            return
        c = self.connection
        port = c.port or 102
        try:
            ip = socket.gethostbyname(c.host)
            _check_free(ip, port)
            server = _Server()
            for (area, db), memory in self.memory.items():
                server.register_area(_SRV_AREAS[area], db, memory)
            server.start_to(ip, port)
        except Exception as exc:  # snap7 wraps socket errors in its own exception type
            raise OSError(f"S7 simulator {c.id}: cannot listen on {c.host}:{port}: {exc}") from None
        self._server = server
        log.debug("S7 simulator %s listening on %s:%d", c.id, ip, port)

    def set(self, index: int, value: float | str) -> None:
        a = self.addresses[index]
        b = self.tags[index].binding
        raw: float | str = value
        if not isinstance(value, str) and (b.scale != 1.0 or b.offset != 0.0):
            raw = (value - b.offset) / b.scale
        memory = self.memory[(a.area, a.db)]
        # One slice assignment: the server's thread never sees half a value.
        memory[a.byte : a.end] = a.encode(raw, bytes(memory[a.byte : a.end]))

    def get(self, index: int) -> bytes:
        """The bytes tag `index` holds now (for tests)."""
        a = self.addresses[index]
        return bytes(self.memory[(a.area, a.db)][a.byte : a.end])

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._served_before += server.served
        await asyncio.to_thread(server.shutdown)

    def requests(self) -> int:
        """Read and write requests served (a multi-item read is one request)."""
        return self._served_before + (self._server.served if self._server is not None else 0)


def _check_free(ip: str, port: int) -> None:
    """snap7 binds with SO_REUSEPORT, so a second server on a busy port would start and silently
    share the port; a plain bind first turns that into a clear error."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((ip, port))
    finally:
        probe.close()


SERVER = S7SimServer
