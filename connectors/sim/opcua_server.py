"""A simulated OPC UA PLC: an asyncua Server with one variable per tag, at the tag's NodeId.

Each variable has the VariantType of its binding (Boolean, Int16, UInt16, Int32, UInt32, Float,
Double, String), so a client sees what a PLC would serve. Tags in namespace 0 are refused (it
belongs to the OPC UA standard); namespaces 2..n are registered as needed (1 is the server's own),
then the namespace URIs of `nsu=` addresses, in the order the tags name them.

Options read from connection.options (the same table the station's driver reads):
  security_policy "Basic256Sha256"  serve only Basic256Sha256 endpoints (Sign and SignAndEncrypt),
                                    with the certificate `server_certificate` and the key
                                    `server_private_key` (PEM or DER paths; both required);
                                    any client certificate is accepted
  security_policy "None" (default)  serve one endpoint without security
  username, password                require this user name login (anonymous is refused)

`set()` may be called from the server's event loop or from another thread; the write reaches the
address space on the loop's next turn, before any request that arrives after it is served.
Values set while the server is stopped are served when it starts again.
"""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from asyncua import ua
from asyncua.common.callback import CallbackType, ServerItemCallback
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager

from connectors.base import Tag
from connectors.opcua import tame_library_logs
from connectors.opcua_codec import INT_RANGES, NodeRef, endpoint_url, parse_node_ref, parse_options
from connectors.opcua_security import read_certificate_der, read_private_key
from connectors.sim import opcua_aspace
from connectors.sim.server import SimServer
from core.config import Connection, SignalBinding

tame_library_logs()

VARIANT_TYPES: dict[str, ua.VariantType] = {
    "bool": ua.VariantType.Boolean,
    "int16": ua.VariantType.Int16,
    "uint16": ua.VariantType.UInt16,
    "int32": ua.VariantType.Int32,
    "uint32": ua.VariantType.UInt32,
    "float32": ua.VariantType.Float,
    "float64": ua.VariantType.Double,
    "string": ua.VariantType.String,
}
_FLOAT32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]


def _format_number(raw: float) -> str:
    return str(int(raw)) if raw.is_integer() else repr(raw)


def encode(binding: SignalBinding, value: float) -> ua.Variant:
    """An engineering value as the Variant the PLC would hold: scaling undone, integers rounded
    and wrapped into their type's range (a counter rolls over as in a PLC)."""
    if binding.scale == 0:
        raise ValueError("cannot undo a scale of 0")
    raw = (
        (value - binding.offset) / binding.scale if (binding.scale != 1.0 or binding.offset != 0.0) else value
    )
    vtype = VARIANT_TYPES[binding.type]
    kind = binding.type
    if kind == "bool":
        return ua.Variant(bool(raw), vtype)
    if kind == "string":
        text = _format_number(float(raw))
        return ua.Variant(text[: binding.length] if binding.length > 0 else text, vtype)
    if kind in INT_RANGES:
        if not math.isfinite(raw):
            raise ValueError(f"cannot store {raw} in {kind}")
        low, high = INT_RANGES[kind]
        span = high - low + 1
        return ua.Variant((round(raw) - low) % span + low, vtype)
    if kind == "float32" and math.isfinite(raw) and abs(raw) > _FLOAT32_MAX:
        raise ValueError(f"{raw} does not fit a float32")
    return ua.Variant(float(raw), vtype)


def _zero(binding: SignalBinding) -> ua.Variant:
    vtype = VARIANT_TYPES[binding.type]
    if binding.type == "string":
        return ua.Variant("", vtype)
    if binding.type == "bool":
        return ua.Variant(False, vtype)
    return ua.Variant(0 if binding.type in INT_RANGES else 0.0, vtype)


class _OneUser(UserManager):
    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username == self.username and password == self.password:
            return User(role=UserRole.User)
        return None


async def _init(server: Server) -> None:
    """`Server.init()` with the standard address space from the cache (connectors.sim.opcua_aspace)."""
    ready = opcua_aspace.ready_shelf()
    if ready is not None:
        await server.init(ready)
        return
    made = opcua_aspace.new_shelf()
    if made is None:
        await server.init()
        return
    try:
        await server.init(made)
    except BaseException:
        opcua_aspace.drop(made)
        raise
    opcua_aspace.keep(made)


class OpcUaSimServer(SimServer):
    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        if connection.port is None:
            raise ValueError(f"connection {connection.id}: the simulator needs a port")
        self.options = parse_options(connection)
        if self.options.secure and (
            self.options.server_certificate is None or self.options.server_private_key is None
        ):
            raise ValueError(
                f"connection {connection.id}: a Basic256Sha256 simulator needs the options "
                "server_certificate and server_private_key"
            )
        self.url = endpoint_url(connection)
        self._refs: list[NodeRef] = []
        self._nodes: list[ua.NodeId] = []  # the refs resolved, once the namespaces are registered
        self._bindings: list[SignalBinding] = []  # per node: the first tag's binding gives its type
        self._node_of: list[int] = []  # per tag
        index: dict[NodeRef, int] = {}
        for tag in self.tags:
            ref = parse_node_ref(tag.binding.address)
            if ref.uri is None and ref.node.NamespaceIndex == 0:
                raise ValueError(f"{tag.binding.address}: namespace 0 belongs to the OPC UA standard")
            if ref not in index:
                index[ref] = len(self._refs)
                self._refs.append(ref)
                self._bindings.append(tag.binding)
            self._node_of.append(index[ref])
        self._values: list[ua.DataValue] = [ua.DataValue(_zero(b)) for b in self._bindings]
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, ua.DataValue] = {}
        self._flush_task: asyncio.Task[None] | None = None
        self._reads = 0

    @property
    def server(self) -> Server | None:
        """The running asyncua Server (for tests that need more than `set`)."""
        return self._server

    def requests(self) -> int:
        """Read requests served (subscriptions' publish responses are not requests)."""
        return self._reads

    async def start(self) -> None:
        if self._server is not None:
            return
        opts = self.options
        users = _OneUser(opts.username, opts.password or "") if opts.username is not None else None
        server = Server(user_manager=users)
        await _init(server)
        server.set_endpoint(self.url)
        server.set_server_name(f"MS5 simulated PLC {self.connection.id}")
        if users is not None:
            server.set_identity_tokens([ua.UserNameIdentityToken])
        if opts.secure:
            assert opts.server_certificate is not None and opts.server_private_key is not None
            # Loaded here: asyncua takes a file for DER unless its name ends in .pem.
            await server.load_certificate(read_certificate_der(opts.server_certificate), "der")
            key, key_format = read_private_key(opts.server_private_key)
            await server.load_private_key(key, format=key_format)
            policies = [
                ua.SecurityPolicyType.Basic256Sha256_Sign,
                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
            ]
        else:
            policies = [ua.SecurityPolicyType.NoSecurity]
        server.set_security_policy(policies)
        top = max((r.node.NamespaceIndex for r in self._refs if r.uri is None), default=1)
        for ns in range(2, top + 1):
            await server.register_namespace(f"urn:ms5-floor:sim:{self.connection.id}:{ns}")
        # Namespace URIs (nsu=) after those, in the order the tags name them.
        for uri in dict.fromkeys(r.uri for r in self._refs if r.uri is not None):
            await server.register_namespace(uri)
        namespaces = await server.get_namespace_array()
        self._nodes = [ref.resolve(namespaces) for ref in self._refs]
        objects = server.nodes.objects
        for node, binding, dv in zip(self._nodes, self._bindings, self._values, strict=True):
            name = ua.QualifiedName(str(node.Identifier), node.NamespaceIndex)
            value = (
                dv.Value.Value
                if dv.Value is not None and dv.Value.Value is not None
                else _zero(binding).Value
            )
            await objects.add_variable(node, name, value, VARIANT_TYPES[binding.type])
        server.subscribe_server_callback(CallbackType.PreRead, self._count_read)
        await server.start()
        self._loop = asyncio.get_running_loop()
        self._server = server
        self._pending = {i: dv for i, dv in enumerate(self._values) if dv.SourceTimestamp is not None}
        if self._pending:
            self._schedule_flush()

    def _count_read(self, event: ServerItemCallback, dispatcher: Any) -> None:
        if event.is_external:
            self._reads += 1

    def set(self, index: int, value: float) -> None:
        node = self._node_of[index]
        self._write(node, ua.DataValue(encode(self._bindings[node], value), **_stamps()))

    def set_status(self, index: int, status: int) -> None:
        """Serve tag `index` with OPC UA status code `status` (e.g. ua.StatusCodes.UncertainLastUsableValue);
        a Bad status drops the value, as OPC UA requires."""
        node = self._node_of[index]
        current = self._values[node].Value
        self._write(node, ua.DataValue(current, ua.StatusCode(ua.UInt32(status)), **_stamps()))

    def _write(self, node: int, dv: ua.DataValue) -> None:
        self._values[node] = dv
        loop = self._loop
        if self._server is None or loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._queue(node, dv)
        else:  # from the line simulator's thread, say
            loop.call_soon_threadsafe(self._queue, node, dv)

    def _queue(self, node: int, dv: ua.DataValue) -> None:
        self._pending[node] = dv
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        # One task writes everything set since its last turn: a simulator setting hundreds of
        # tags per tick makes one task, not hundreds.
        while self._pending and self._server is not None:
            batch, self._pending = self._pending, {}
            for node, dv in batch.items():
                await self._server.write_attribute_value(self._nodes[node], dv)

    async def stop(self) -> None:
        server, self._server = self._server, None
        task, self._flush_task = self._flush_task, None
        self._pending = {}
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if server is not None:
            await server.stop()


def _stamps() -> dict[str, Any]:
    now = cast(ua.DateTime, datetime.now(UTC))  # asyncua annotates with its own datetime subclass
    return {"SourceTimestamp": now, "ServerTimestamp": now}


SERVER = OpcUaSimServer
