"""Which driver and which simulated PLC serve each protocol, and the address check `ms5 check`
runs. Protocol modules are imported only when a config uses them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from connectors.base import Driver, Tag
from core.config import Config, Connection

if TYPE_CHECKING:
    from connectors.sim.server import SimServer

_MODULES = {
    "modbus": "connectors.modbus",
    "opcua": "connectors.opcua",
    "s7": "connectors.s7",
    "logix": "connectors.logix",
}
_SIM_MODULES = {
    "modbus": "connectors.sim.modbus_server",
    "opcua": "connectors.sim.opcua_server",
    "s7": "connectors.sim.s7_server",
    "logix": "connectors.sim.logix_server",
}

Loc = tuple[int | str, ...]


def driver_class(protocol: str) -> type[Driver]:
    cls: type[Driver] = importlib.import_module(_MODULES[protocol]).DRIVER
    return cls


def sim_server_class(protocol: str) -> type[SimServer]:
    cls: type[SimServer] = importlib.import_module(_SIM_MODULES[protocol]).SERVER
    return cls


def tags_by_connection(config: Config) -> dict[str, list[Tag]]:
    out: dict[str, list[Tag]] = {c.id: [] for c in config.connections}
    for line in config.lines:
        for eq in line.equipment:
            for binding in eq.signals:
                out.setdefault(binding.connection, []).append(Tag(eq.id, binding))
    return out


def build_drivers(config: Config) -> list[Driver]:
    tags = tags_by_connection(config)
    return [driver_class(c.protocol)(c, tags[c.id]) for c in config.connections]


def check(config: Config) -> list[tuple[Loc, str]]:
    """Protocol-level problems of a structurally valid config: options and addresses."""
    errors: list[tuple[Loc, str]] = []
    by_id: dict[str, tuple[int, Connection]] = {c.id: (i, c) for i, c in enumerate(config.connections)}
    for i, conn in enumerate(config.connections):
        try:
            driver_class(conn.protocol).check_options(conn)
        except ValueError as exc:
            errors.append((("connections", i, "options"), str(exc)))
    for li, line in enumerate(config.lines):
        for ei, eq in enumerate(line.equipment):
            for bi, binding in enumerate(eq.signals):
                found = by_id.get(binding.connection)
                if found is None:
                    continue  # reported by core.config
                try:
                    driver_class(found[1].protocol).check_binding(binding)
                except ValueError as exc:
                    errors.append((("lines", li, "equipment", ei, "signals", bi, "address"), str(exc)))
    return errors
