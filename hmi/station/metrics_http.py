"""`[metrics] listen`: the station's Prometheus text at /metrics and /healthz for a watchdog.

Served by an asyncio server in the station's own loop, not by prometheus_client's HTTP thread:
the collector (hmi/station/metrics_collector.py) reads the engine, which only the loop may touch
while it ingests. A loop that hangs therefore answers nothing at all, which is what a watchdog's
timeout is for; /healthz says what the loop itself can tell (docs/PACKAGING.md).

HTTP/1.0 style: one request a connection, answered and closed. Anything but GET or HEAD of the
two paths gets a short error; a request that is too long or too slow is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from typing import TYPE_CHECKING

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from hmi.errors import UsageError
from hmi.station.metrics_collector import SampleRate, StationCollector

if TYPE_CHECKING:
    from hmi.station.runtime import Station

log = logging.getLogger("ms5.metrics")

TICK_STALE_S = 5.0  # ten ticks missed: the engine's clock has stopped
REQUEST_TIMEOUT_S = 10.0
REQUEST_MAX_BYTES = 8192
HEADERS_MAX = 100
CLIENTS_MAX = 16  # a scraper and a watchdog or two; more at once is someone probing

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Error",
    503: "Service Unavailable",
}
_TEXT = "text/plain; charset=utf-8"


class MetricsError(UsageError):
    """The endpoint cannot listen where the config says (the port taken, an unknown host)."""


def health(station: Station) -> str | None:
    """Why the station is not healthy, in one line; None when the engine ticks and the store writes."""
    starting = station.starting()
    if station.store is not None and starting is not None:
        return f"the station is {starting}: its engine is restored from the store"
    if station.engine is None or station.store is None:
        return "the station is not open"
    if not station.live.is_set():
        return "waiting for the connections' first polls (the engine's clock has not started)"
    if station.ticked_at is None:
        return "the engine has not ticked yet"
    age = time.monotonic() - station.ticked_at
    if age > TICK_STALE_S:
        return f"the engine has not ticked for {age:.0f} s"
    if station.store_error is not None:
        return station.store_error
    return None


class MetricsServer:
    def __init__(self, station: Station, host: str, port: int) -> None:
        self.station = station
        self.address = (host, port)
        self.rate = SampleRate(station)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StationCollector(station, self.rate))
        self._server: asyncio.Server | None = None
        self._rate_task: asyncio.Task[None] | None = None
        self._clients = 0
        self._failed_once = False

    @property
    def port(self) -> int:
        """The port listened on (the config's, or the one the system chose for port 0)."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        host, port = self.address
        try:
            self._server = await asyncio.start_server(self._serve, host, port, limit=REQUEST_MAX_BYTES)
        except OSError as exc:
            # asyncio words a failed bind itself ("error while attempting to bind on address ..."):
            # the system's words for the errno say it in the config's terms.
            if isinstance(exc, socket.gaierror):  # a host name that does not resolve
                why = f"unknown host ({exc.strerror})"
            else:
                why = os.strerror(exc.errno) if exc.errno else str(exc)
            raise MetricsError(f"metrics.listen {host}:{port}: cannot listen: {why}") from None
        self.rate.look()
        self._rate_task = asyncio.create_task(self._watch_rate(), name="metrics rate")

    async def stop(self) -> None:
        if self._rate_task is not None:
            self._rate_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rate_task
            self._rate_task = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _watch_rate(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.rate.look()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients += 1
        try:
            if self._clients > CLIENTS_MAX:
                return
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    request = await _read_request(reader)
            except (TimeoutError, ValueError, ConnectionError, asyncio.IncompleteReadError):
                return  # too slow, too long or gone: nobody to answer
            status, content_type, body, head_only = self._answer(request)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode("ascii")
            writer.write(head if head_only else head + body)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        finally:
            self._clients -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, request: str | None) -> tuple[int, str, bytes, bool]:
        parts = (request or "").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, _TEXT, b"not an HTTP request\n", False
        method, target = parts[0], parts[1]
        if method not in ("GET", "HEAD"):
            return 405, _TEXT, b"only GET and HEAD\n", False
        head_only = method == "HEAD"
        path = target.split("?", 1)[0]
        if path == "/metrics":
            try:
                return 200, CONTENT_TYPE_LATEST, generate_latest(self.registry), head_only
            except Exception:  # our bug, not the scraper's: said once with its traceback
                if not self._failed_once:
                    log.exception("metrics: the scrape failed")
                    self._failed_once = True
                return 500, _TEXT, b"the scrape failed; the station's log says why\n", head_only
        if path == "/healthz":
            reason = health(self.station)
            if reason is None:
                return 200, _TEXT, b"ok\n", head_only
            return 503, _TEXT, (" ".join(reason.split()) + "\n").encode("utf-8"), head_only
        return 404, _TEXT, b"not found: /metrics or /healthz\n", head_only


async def _read_request(reader: asyncio.StreamReader) -> str | None:
    """The request line; the headers are read and ignored (nothing in them changes the answer)."""
    line = await reader.readline()
    if not line:
        return None
    for _ in range(HEADERS_MAX):
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
    else:
        raise ValueError("too many headers")
    return line.decode("latin-1")
