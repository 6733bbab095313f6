"""Browsing an OPC UA server for commissioning: its variables under a node, each with its node id
in both forms (`ns=<index>;...`, which the config takes, and `nsu=<namespace URI>;...`, which
stays right when the server renumbers its namespaces), its data type, and the binding type a
config would read it as.

A walk over the hierarchical references from the Objects folder (or the node given), listed by
browse path, at most `MAX_DEPTH` levels and `MAX_NODES` nodes. The standard's
own nodes (namespace 0, the Server object's hundreds of diagnostics) are left out unless the
walk starts inside them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from connectors.commissioning import BadRequest, NoAnswer, connection_from_url
from connectors.opcua_codec import describe_error, endpoint_url, parse_node_id

MAX_DEPTH = 12
MAX_NODES = 5000

# The binding type a config reads each OPC UA type as; types with no entry cannot be bound
# (an Int64 counter is read as float64: exact up to 2^53).
BINDING_TYPES = {
    "Boolean": "bool",
    "SByte": "int16",
    "Byte": "uint16",
    "Int16": "int16",
    "UInt16": "uint16",
    "Int32": "int32",
    "UInt32": "uint32",
    "Int64": "float64",
    "UInt64": "float64",
    "Float": "float32",
    "Double": "float64",
    "String": "string",
}


@dataclass(frozen=True)
class Variable:
    node_id: str  # ns=2;s=Capper.Running
    nsu_id: str  # nsu=urn:example;s=Capper.Running
    path: str  # browse names from the start node, dot-joined: Capper.Running
    data_type: str  # the OPC UA type: Boolean, UInt32, ... (or the data type's node id)
    binding_type: str | None  # what a config's `type` would be; None when it cannot be bound


def nsu_form(node: ua.NodeId, namespaces: list[str]) -> str:
    """`nsu=<URI>;<identifier>`: the namespace by its URI instead of its index."""
    text = node.to_string()
    ident = text.split(";", 1)[1] if text.startswith("ns=") else text
    uri = namespaces[node.NamespaceIndex] if node.NamespaceIndex < len(namespaces) else "?"
    return f"nsu={uri};{ident}"


async def _data_type(node: Node) -> str:
    try:
        variant = await node.read_data_type_as_variant_type()
    except (UaError, ValueError, KeyError):
        # A structure or an enumeration: its data type node says which.
        return (await node.read_data_type()).to_string()
    return str(variant.name)


async def _walk(
    node: Node, prefix: str, depth: int, in_ns0: bool, namespaces: list[str], out: list[Variable]
) -> None:
    if depth > MAX_DEPTH or len(out) >= MAX_NODES:
        return
    for child in await node.get_children():
        if len(out) >= MAX_NODES:
            return
        nodeid = child.nodeid
        if nodeid.NamespaceIndex == 0 and not in_ns0:
            continue
        name = (await child.read_browse_name()).Name
        path = f"{prefix}.{name}" if prefix else name
        node_class = await child.read_node_class()
        if node_class == ua.NodeClass.Variable:
            data_type = await _data_type(child)
            out.append(
                Variable(
                    nodeid.to_string(),
                    nsu_form(nodeid, namespaces),
                    path,
                    data_type,
                    BINDING_TYPES.get(data_type),
                )
            )
        if node_class in (ua.NodeClass.Object, ua.NodeClass.Variable):
            await _walk(child, path, depth + 1, in_ns0, namespaces, out)


async def browse(url: str, start: str | None = None, *, timeout_s: float = 3.0) -> list[Variable]:
    """The variables under `start` (default: the Objects folder). BadRequest for a URL or a node
    id no config takes; NoAnswer when the server cannot be reached or has no such node."""
    conn = connection_from_url(url, timeout_s)
    if conn.protocol != "opcua":
        raise BadRequest(f"{url!r}: browse reads OPC UA servers (opc.tcp://host:port)")
    start_id = None
    if start is not None:
        try:
            start_id = parse_node_id(start)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    endpoint = endpoint_url(conn)
    client = Client(endpoint, timeout=timeout_s)
    client.name = client.description = "MS5 Floor commissioning"
    try:
        await asyncio.wait_for(client.connect(), timeout_s * 2)
    except (OSError, TimeoutError, UaError) as exc:
        raise NoAnswer(f"cannot reach the OPC UA server {endpoint}: {describe_error(exc)}") from None
    try:
        namespaces = list(await client.get_namespace_array())
        root = client.get_node(start_id) if start_id is not None else client.nodes.objects
        try:
            await root.read_browse_name()
        except UaStatusCodeError as exc:
            raise NoAnswer(f"{start}: {describe_error(exc)}") from None
        out: list[Variable] = []
        await asyncio.wait_for(
            _walk(root, "", 0, start_id is not None and start_id.NamespaceIndex == 0, namespaces, out),
            timeout_s * 20,
        )
        return sorted(out, key=lambda v: v.path)
    except (OSError, TimeoutError, UaError) as exc:
        raise NoAnswer(f"{endpoint}: {describe_error(exc)}") from None
    finally:
        # A server gone mid-browse: the connection is closed either way.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), timeout_s)


# Which signal a variable's name suggests (its last browse name, lower case): the first match
# wins, most specific first (a "RejectCount" is a reject counter before it is a counter).
_SIGNAL_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("state", ("statecurrent", "packmlstate", "state")),
    ("reject_count", ("defective", "reject", "scrap", "bad")),
    ("good_count", ("good",)),
    ("total_count", ("processed", "total", "count", "produced")),
    ("fault_code", ("stopreason", "fault", "alarm", "error")),
    ("changeover", ("changeover",)),
    ("andon", ("andon",)),
    ("running", ("running", "run")),
)


def guess_signal(path: str) -> str | None:
    parts = path.lower().split(".")
    # A PackTags member named by its parent: Admin.StopReason.ID is the stop reason's ID.
    name = "".join(parts[-2:]) if parts[-1] in ("id", "value") and len(parts) > 1 else parts[-1]
    for signal, hints in _SIGNAL_HINTS:
        if any(h in name for h in hints):
            return signal
    return None


def binding_lines(equipment: str, connection: str, variables: list[Variable]) -> list[str]:
    """A `signals = [...]` array for [[lines.equipment]] id = EQUIPMENT (docs/CONFIG.md): one
    binding per signal the names suggest; the rest commented out with `signal = "?"` to pick."""
    lines = [
        f"# [[lines.equipment]] id = {_toml(equipment)}: the variables of connection {_toml(connection)}"
    ]
    lines.append("signals = [")
    taken: set[str] = set()
    for v in variables:
        if v.binding_type is None or v.binding_type == "string":
            continue  # strings are no signal, structures no value
        signal = guess_signal(v.path)
        binding = (
            f"{{ signal = {_toml(signal if signal and signal not in taken else '?')}, "
            f"connection = {_toml(connection)}, address = {_toml(v.node_id)}, "
            f"type = {_toml(v.binding_type)} }},"
        )
        if signal is not None and signal not in taken:
            taken.add(signal)
            lines.append(f"    {binding}  # {v.path}")
        else:
            lines.append(f"    # {binding}  # {v.path}")
    lines.append("]")
    return lines


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
