"""Commissioning without a config: a PLC named by a URL, one address read once through the
protocol's own driver (the same address parsing, options and decoding a station uses).

URLs: `modbus://host[:port][?device_id=1]`, `opc.tcp://host[:port]`, `s7://host[:port]?rack=0&slot=1`,
`logix://host[:port][/slot or /CIP path][?init_tags=false]`. A query's keys are the protocol's
connection options (docs/CONNECTORS.md); numbers, `true` and `false` are read as such.

Two kinds of failure, told apart by the exception: `BadRequest` is the user's input (a URL, an
address or a type no driver takes: exit 2), `NoAnswer` is the PLC's or the network's (unreachable,
refused, no such address, a value of another type: exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from dataclasses import dataclass
from typing import Any, cast, get_args
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import ValidationError

from connectors.base import ConnectorError, Driver, Reading, Tag
from connectors.diagnostics import error_line
from connectors.registry import driver_class
from core.config import Connection, DataType, Protocol, SignalBinding
from core.samples import Quality

SCHEMES: dict[str, Protocol] = {"modbus": "modbus", "opc.tcp": "opcua", "s7": "s7", "logix": "logix"}
DATA_TYPES: tuple[str, ...] = get_args(DataType)


class BadRequest(ValueError):
    """A URL, address or type that no driver takes (one line)."""


class NoAnswer(Exception):
    """The PLC or the network said no (one line)."""


@dataclass(frozen=True)
class Probed:
    value: float | None
    quality: Quality
    source_ts: float | None


def _option(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def connection_from_url(url: str, timeout_s: float = 3.0) -> Connection:
    """The connection a URL names, its options checked by its driver; BadRequest when wrong."""
    parts = urlsplit(url)
    protocol = SCHEMES.get(parts.scheme.lower())
    if protocol is None:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise BadRequest(
            f"{url!r}: unknown scheme {parts.scheme + '://' if parts.scheme else '(none)'}; use {known}"
        )
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise BadRequest(f"{url!r}: the port is not a number 1-65535") from None
    if not host:
        raise BadRequest(f"{url!r}: no host")
    options: dict[str, Any] = {k: _option(v) for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    route = unquote(parts.path).strip("/")
    if route:
        if protocol != "logix":
            raise BadRequest(f"{url!r}: only logix:// takes a path (the slot or CIP route)")
        options["slot" if route.isdigit() else "path"] = int(route) if route.isdigit() else route
    if protocol == "opcua":
        options.setdefault("subscription", False)  # one read: no subscription to set up and tear down
    try:
        conn = Connection(
            id="probe", protocol=protocol, host=host, port=port, timeout_s=timeout_s, options=options
        )
        driver_class(protocol).check_options(conn)
    except ValidationError as exc:
        raise BadRequest(f"{url!r}: {exc.errors()[0]['msg']}") from None
    except ValueError as exc:
        raise BadRequest(f"{url!r}: {exc}") from None
    return conn


def binding_for(conn: Connection, address: str, data_type: str, length: int = 0) -> SignalBinding:
    if data_type not in DATA_TYPES:
        raise BadRequest(f"type {data_type!r} is not one of {', '.join(DATA_TYPES)}")
    try:
        binding = SignalBinding(
            signal="state", connection=conn.id, address=address, type=cast(DataType, data_type), length=length
        )
        driver_class(conn.protocol).check_binding(binding)
    except ValidationError as exc:
        raise BadRequest(f"{address!r}: {exc.errors()[0]['msg']}") from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return binding


async def _call(driver: Driver, method: Any) -> Any:
    """A blocking driver (S7, Logix) on a thread; an async one awaited."""
    if driver.blocking:
        return await asyncio.to_thread(method)
    result = method()
    return await result if inspect.isawaitable(result) else result


async def probe(url: str, address: str, data_type: str, *, timeout_s: float = 3.0, length: int = 0) -> Probed:
    """Read `address` once from the PLC at `url`. BadRequest for input no driver takes, NoAnswer
    when the PLC cannot be reached or refuses the address or its type."""
    conn = connection_from_url(url, timeout_s)
    binding = binding_for(conn, address, data_type, length)
    cls = driver_class(conn.protocol)
    driver = cls(conn, [Tag("probe", binding)])
    endpoint = driver.endpoint()
    where = f"{conn.protocol} PLC {conn.host}:{endpoint[1] if endpoint else '?'}"
    peer: tuple[type[Exception], ...] = (ConnectorError, OSError, TimeoutError, *cls.peer_errors)
    try:
        try:
            await asyncio.wait_for(_call(driver, driver.connect), timeout_s * 2)
        except peer as exc:
            raise NoAnswer(f"cannot reach the {where}: {error_line(exc)}") from None
        try:
            (reading,) = await asyncio.wait_for(_call(driver, driver.read), timeout_s * 2)
        except peer as exc:
            raise NoAnswer(f"{where} did not answer the read: {error_line(exc)}") from None
    finally:
        # Closing a dead connection may fail in any way; it is closed.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_call(driver, driver.close), timeout_s)
    return _result(address, reading)


def _result(address: str, reading: Reading) -> Probed:
    if reading.value is None:
        raise NoAnswer(f"{address}: {reading.error or 'no value (bad quality)'}")
    return Probed(reading.value, reading.quality, reading.source_ts)
