"""OPC UA connector (asyncua): subscriptions (monitored items) by default, polling as fallback.

Addresses are NodeId strings: `ns=2;s=Line1.Count`, `ns=2;i=1001`, `i=2258`, `ns=2;g=<guid>`,
`ns=2;b=<base64>`. A value arrives typed, so `byte_order`, `word_order` and `length` of a binding
do not apply; the binding's `type` still says which values are valid (an int16 tag holding 70000
is out of range, a numeric tag holding a String is the wrong type).

How a session runs:
- `connect()` opens a session, reads every node once (one ReadRequest) so that `read()` has a
  value from the first poll on, then creates one subscription with a monitored item per node. The
  data-change handler keeps the latest Reading per tag in memory and `read()` returns those (no
  network traffic). Nodes the server refuses to monitor are read by `read()` itself, and if the
  server refuses subscriptions altogether every node is (one ReadRequest per poll). Option
  `subscription = false` asks for polling from the start.
- A dead server is noticed by `read()`: the socket closed (client state), the subscription ended
  (a StatusChangeNotification), or no publish response - data or keep-alive - for longer than two
  keep-alive periods (keep-alives are requested about once per poll interval), at least timeout_s.
- asyncua's own auto-reconnect is off: the ConnectionRunner owns reconnecting (close, backoff,
  connect), and `connect()` creates the subscription afresh each time.

Options (connection.options):
  security_policy         "None" (default) or "Basic256Sha256"
  security_mode           "None", "Sign" or "SignAndEncrypt" (default: SignAndEncrypt with
                          Basic256Sha256, None otherwise)
  certificate, private_key  the client's certificate and key (PEM or DER paths), needed for
                          Basic256Sha256; the application URI sent to the server is taken from the
                          certificate's subjectAltName URI, as servers check that they match
  server_certificate      the server's certificate (path): pins it; without it the certificate the
                          server presents is accepted (trust on first use, on every connect)
  server_private_key      read only by the simulator (connectors/sim/opcua_server.py)
  username, password      user name login (both or neither)
  subscription            true (default): monitored items; false: polling reads
  publishing_interval_ms  default poll_interval_s * 1000
  max_message_size        largest message accepted from the server, bytes (default 16 MiB;
                          asyncua accepts any size by default, which lets a broken or hostile
                          server make the station allocate without bound)
  source_timestamps       true (default): a Reading carries the DataValue's SourceTimestamp (else
                          ServerTimestamp); false: the station's receive time is used, for PLCs
                          whose clocks are not synchronised
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState, UASocketState
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeNotif, Subscription
from asyncua.crypto import security_policies
from asyncua.crypto.uacrypto import CertProperties
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from connectors.base import ConnectorError, Driver, Reading, Tag
from core.config import Connection, SignalBinding
from core.samples import Quality

log = logging.getLogger("ms5.connectors.opcua")


def tame_library_logs() -> None:
    """asyncua logs a full traceback every second while a server is down ("Publish iteration
    crashed", "close_session raised during disconnect") and warns on every connect about session
    timeouts and certificates. The runner already logs an outage once when it starts and once when
    it ends, and the driver turns every failure into a one-line ConnectorError, so asyncua's own
    records are noise: keep only CRITICAL. A level the application set explicitly is left alone."""
    lib = logging.getLogger("asyncua")
    if lib.level == logging.NOTSET:
        lib.setLevel(logging.CRITICAL)


tame_library_logs()

# ---------------------------------------------------------------------------------------------
# Addresses

_NODEID_HELP = (
    "expected ns=<index>;s=<name>, ns=<index>;i=<number>, ns=<index>;g=<guid> or ns=<index>;b=<base64>"
)
_MAX_NAMESPACE = 65535
_MAX_NUMERIC_ID = 2**32 - 1


def parse_node_id(address: str) -> ua.NodeId:
    """A NodeId string as OPC UA writes it; ValueError (one line) when it is not one."""
    text = address
    if text != text.strip() or not text:
        raise ValueError(f"bad OPC UA NodeId {address!r}: {_NODEID_HELP}")
    if text.startswith("nsu="):
        raise ValueError(
            f"bad OPC UA NodeId {address!r}: namespace URIs (nsu=) are not supported, use ns=<index>"
        )
    ns = 0
    if text.startswith("ns="):
        ns_text, sep, text = text[3:].partition(";")
        if not sep or not ns_text.isascii() or not ns_text.isdigit():
            raise ValueError(f"bad OPC UA NodeId {address!r}: {_NODEID_HELP}")
        ns = int(ns_text)
        if ns > _MAX_NAMESPACE:
            raise ValueError(f"bad OPC UA NodeId {address!r}: namespace index {ns} is over {_MAX_NAMESPACE}")
    kind, sep, ident = text.partition("=")
    if not sep or kind not in ("i", "s", "g", "b"):
        raise ValueError(f"bad OPC UA NodeId {address!r}: {_NODEID_HELP}")
    if not ident:
        raise ValueError(f"bad OPC UA NodeId {address!r}: empty identifier")
    if kind == "i":
        if not ident.isascii() or not ident.isdigit() or int(ident) > _MAX_NUMERIC_ID:
            raise ValueError(f"bad OPC UA NodeId {address!r}: i= takes a number from 0 to {_MAX_NUMERIC_ID}")
    elif kind == "g":
        try:
            uuid.UUID(ident)
        except ValueError:
            raise ValueError(f"bad OPC UA NodeId {address!r}: g= takes a GUID") from None
    elif kind == "b":
        try:
            raw = base64.b64decode(ident, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"bad OPC UA NodeId {address!r}: b= takes base64 text") from None
        if not raw:
            raise ValueError(f"bad OPC UA NodeId {address!r}: empty identifier")
    try:
        # Checked above: asyncua's own parser accepts much (ns=2;b=!! becomes an empty ByteString).
        node = ua.NodeId.from_string(f"ns={ns};{kind}={ident}")
    except (UaError, ValueError) as exc:
        raise ValueError(f"bad OPC UA NodeId {address!r}: {exc}") from None
    if type(node) is not ua.NodeId:
        raise ValueError(f"bad OPC UA NodeId {address!r}: {_NODEID_HELP}")
    return node


# ---------------------------------------------------------------------------------------------
# Options

_POLICIES = ("None", "Basic256Sha256")
_MODES = ("None", "Sign", "SignAndEncrypt")
_DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_MIN_MESSAGE_SIZE = 8192  # the smallest buffer OPC UA allows (Part 6, 7.1.2.3)
_KNOWN_OPTIONS = (
    "security_policy",
    "security_mode",
    "certificate",
    "private_key",
    "server_certificate",
    "server_private_key",
    "username",
    "password",
    "subscription",
    "publishing_interval_ms",
    "max_message_size",
    "source_timestamps",
)


@dataclass(frozen=True)
class OpcUaOptions:
    security_policy: str = "None"
    security_mode: str = "None"
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None
    server_private_key: str | None = None
    username: str | None = None
    password: str | None = None
    subscription: bool = True
    publishing_interval_ms: float = 1000.0
    max_message_size: int = _DEFAULT_MAX_MESSAGE_SIZE
    source_timestamps: bool = True

    @property
    def secure(self) -> bool:
        return self.security_policy != "None"


def _opt_str(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"option {name} must be a non-empty string")
    return value


def _opt_bool(options: dict[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"option {name} must be true or false, not {value!r}")
    return value


def parse_options(connection: Connection) -> OpcUaOptions:
    """The connection's OPC UA options, checked; ValueError (one line) when they are wrong."""
    options = connection.options
    unknown = sorted(set(options) - set(_KNOWN_OPTIONS))
    if unknown:
        raise ValueError(f"unknown OPC UA option {unknown[0]!r} (known: {', '.join(_KNOWN_OPTIONS)})")
    policy = _opt_str(options, "security_policy") or "None"
    if policy not in _POLICIES:
        raise ValueError(f"security_policy must be one of {', '.join(_POLICIES)}, not {policy!r}")
    mode = _opt_str(options, "security_mode") or ("None" if policy == "None" else "SignAndEncrypt")
    if mode not in _MODES:
        raise ValueError(f"security_mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if policy == "None" and mode != "None":
        raise ValueError(f"security_mode {mode} needs security_policy Basic256Sha256")
    if policy != "None" and mode == "None":
        raise ValueError(f"security_policy {policy} needs security_mode Sign or SignAndEncrypt")
    certificate = _opt_str(options, "certificate")
    private_key = _opt_str(options, "private_key")
    if policy != "None" and (certificate is None or private_key is None):
        raise ValueError(f"security_policy {policy} needs the options certificate and private_key")
    if policy == "None" and (certificate is not None or private_key is not None):
        raise ValueError("options certificate and private_key need security_policy Basic256Sha256")
    username = _opt_str(options, "username")
    password = options.get("password")
    if password is not None and not isinstance(password, str):
        raise ValueError("option password must be a string")
    if (username is None) != (password is None):
        raise ValueError("options username and password go together")
    interval = options.get("publishing_interval_ms", connection.poll_interval_s * 1000.0)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not 0 < interval < math.inf:
        raise ValueError(f"option publishing_interval_ms must be a positive number, not {interval!r}")
    size = options.get("max_message_size", _DEFAULT_MAX_MESSAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not _MIN_MESSAGE_SIZE <= size < 2**31:
        raise ValueError(f"option max_message_size must be a whole number of bytes from {_MIN_MESSAGE_SIZE}")
    return OpcUaOptions(
        security_policy=policy,
        security_mode=mode,
        certificate=certificate,
        private_key=private_key,
        server_certificate=_opt_str(options, "server_certificate"),
        server_private_key=_opt_str(options, "server_private_key"),
        username=username,
        password=password,
        subscription=_opt_bool(options, "subscription", True),
        publishing_interval_ms=float(interval),
        max_message_size=size,
        source_timestamps=_opt_bool(options, "source_timestamps", True),
    )


# ---------------------------------------------------------------------------------------------
# Values

_NUMERIC_VARIANTS = frozenset(
    {
        ua.VariantType.Boolean,
        ua.VariantType.SByte,
        ua.VariantType.Byte,
        ua.VariantType.Int16,
        ua.VariantType.UInt16,
        ua.VariantType.Int32,
        ua.VariantType.UInt32,
        ua.VariantType.Int64,
        ua.VariantType.UInt64,
        ua.VariantType.Float,
        ua.VariantType.Double,
    }
)
INT_RANGES: dict[str, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}


def decode_string(value: object, length: int = 0) -> str:
    """The text of a String, ByteString (UTF-8) or LocalizedText value, cut to `length` characters
    when the binding gives one (as a fixed-size PLC string would be); trailing NULs dropped."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, ua.LocalizedText):
        text = value.Text or ""
    elif isinstance(value, str):
        text = value
    else:
        raise TypeError(f"not a string value: {type(value).__name__}")
    text = text.rstrip("\x00")
    return text[:length] if length > 0 else text


def _epoch(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    if dt.tzinfo is None:  # OPC UA times are UTC; asyncua hands some over naive
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _type_name(variant: ua.Variant | None) -> str:
    if variant is None:
        return "Null"
    name = variant.VariantType.name
    return f"array of {name}" if variant.is_array else name


def to_reading(dv: ua.DataValue, binding: SignalBinding, source_timestamps: bool = True) -> Reading:
    """One DataValue as a Reading for `binding`: Bad status -> bad; Uncertain -> UNCERTAIN; a value
    of the wrong type or out of the binding type's range -> bad, with the reason."""
    ts = _epoch(dv.SourceTimestamp or dv.ServerTimestamp) if source_timestamps else None
    status = dv.StatusCode if dv.StatusCode is not None else ua.StatusCode()
    if status.is_bad():
        return Reading(None, Quality.BAD, ts, error=status.name)
    quality = Quality.UNCERTAIN if status.is_uncertain() else Quality.GOOD
    variant = dv.Value
    raw = None if variant is None else variant.Value
    if binding.type == "string":
        if variant is not None and not variant.is_array and isinstance(raw, str | bytes | ua.LocalizedText):
            text = decode_string(raw, binding.length)
            return Reading(None, Quality.BAD, ts, error=f"string value {text[:40]!r} is not a numeric signal")
        return Reading(None, Quality.BAD, ts, error=f"wrong type ({_type_name(variant)})")
    if variant is None or variant.is_array or variant.VariantType not in _NUMERIC_VARIANTS or raw is None:
        return Reading(None, Quality.BAD, ts, error=f"wrong type ({_type_name(variant)})")
    if binding.type == "bool":
        return Reading(1.0 if raw else 0.0, quality, ts)
    value = float(raw)
    limits = INT_RANGES.get(binding.type)
    if limits is not None and not limits[0] <= value <= limits[1]:
        return Reading(None, Quality.BAD, ts, error=f"value {raw} out of range for {binding.type}")
    return Reading(value, quality, ts)


# ---------------------------------------------------------------------------------------------
# Driver

_NO_VALUE = Reading(None, Quality.BAD, error="no value yet")
_SESSION_TIMEOUT_MS = 60_000  # an orphaned session (station gone) ties up the PLC for this long


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, UaStatusCodeError):
        return f"server refused: {ua.StatusCode(exc.code).name}"
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


def read_certificate_der(path: str) -> bytes:
    """A PEM or DER certificate file, as DER."""
    data = Path(path).read_bytes()
    cert = (
        x509.load_pem_x509_certificate(data)
        if b"-----BEGIN" in data
        else x509.load_der_x509_certificate(data)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def read_private_key(path: str) -> tuple[bytes, str]:
    """A PEM or DER private key file (checked to be one), with its format."""
    data = Path(path).read_bytes()
    if b"-----BEGIN" in data:
        serialization.load_pem_private_key(data, password=None)
        return data, "pem"
    serialization.load_der_private_key(data, password=None)
    return data, "der"


def _first_certificate(der: bytes) -> bytes:
    """The leading certificate of a DER chain (servers may send theirs with its issuers)."""
    if len(der) < 2 or not der[1] & 0x80:
        return der
    n = der[1] & 0x7F
    return der[: 2 + n + int.from_bytes(der[2 : 2 + n], "big")]


def _certificate_uri(der: bytes) -> str | None:
    """The application URI in the certificate's subjectAltName (OPC UA servers check that the
    client's ApplicationUri matches it)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def endpoint_url(connection: Connection) -> str:
    """opc.tcp://host:port (4840, OPC UA's registered port, when the config gives none)."""
    host = connection.host
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return f"opc.tcp://{host}:{connection.port or 4840}"


class _Handler:
    """Receives data changes for one session's subscription (asyncua calls it from a task)."""

    def __init__(self, driver: OpcUaDriver) -> None:
        self.driver = driver

    def datachange_notification(self, node: Node, val: Any, data: DataChangeNotif) -> None:
        self.driver._on_change(self, node.nodeid, data.monitored_item.Value)

    def status_change_notification(self, status: ua.StatusChangeNotification) -> None:
        self.driver._on_status(self, status.Status)


class OpcUaDriver(Driver):
    blocking = False

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.options = parse_options(connection)
        self.url = endpoint_url(connection)
        # Several tags may bind one node: each node is read and monitored once.
        self._nodes: list[ua.NodeId] = []
        self._tags_of: dict[ua.NodeId, list[int]] = {}
        for i, tag in enumerate(self.tags):
            node = parse_node_id(tag.binding.address)
            if node not in self._tags_of:
                self._tags_of[node] = []
                self._nodes.append(node)
            self._tags_of[node].append(i)
        self._readings: list[Reading] = [_NO_VALUE] * len(self.tags)
        self._client: Client | None = None
        self._subscription: Subscription | None = None
        self._handler: _Handler | None = None
        self._polled: list[ua.NodeId] = []  # nodes read by read() itself
        self._subscription_error: str | None = None
        self._silence_limit = math.inf
        self._subscribed_at = 0.0
        self._max_nodes_per_read = 0
        self._max_items_per_call = 0
        self._requests = 0

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        parse_options(connection)

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        parse_node_id(binding.address)

    def requests(self) -> int:
        """Service requests this driver sent itself (reads, subscription and monitored-item
        creation); the publish requests asyncua keeps outstanding for a subscription are not counted."""
        return self._requests

    @property
    def mode(self) -> str:
        """How values arrive: by "subscription", by "polling", or not at all ("closed")."""
        if self._client is None:
            return "closed"
        return "subscription" if self._subscription is not None else "polling"

    async def connect(self) -> None:
        await self.close()
        conn, opts = self.connection, self.options
        client = Client(
            self.url,
            timeout=conn.timeout_s,
            # asyncua's supervisor probes the server this often (it cannot be turned off); with
            # auto_reconnect off it only marks the client disconnected, which read() notices.
            watchdog_intervall=max(conn.poll_interval_s, conn.timeout_s),
        )
        client.name = client.description = "MS5 Floor station"
        client.session_timeout = _SESSION_TIMEOUT_MS
        client.max_messagesize = opts.max_message_size
        client.max_chunkcount = opts.max_message_size // _MIN_MESSAGE_SIZE + 1
        self._client = client  # before connecting, so that close() can tear a half-open one down
        try:
            if opts.username is not None:
                client.set_user(opts.username)
                client.set_password(opts.password or "")
            if opts.secure:
                await self._set_security(client)
            await client.connect()
            await self._read_limits(client)
            await self._poll(self._nodes)  # a value for every tag before the first read()
            self._polled = list(self._nodes)
            if opts.subscription and self._nodes:
                await self._subscribe(client)
        except ConnectorError:
            raise
        except (OSError, UaError) as exc:
            if str(exc).startswith("No matching endpoints"):  # from CreateSession
                wanted = f"{opts.security_policy} {opts.security_mode}" if opts.secure else "unsecured"
                raise ConnectorError(f"{self.url}: the server offers no {wanted} endpoint") from None
            raise ConnectorError(f"{self.url}: {_describe(exc)}") from None

    async def _set_security(self, client: Client) -> None:
        opts = self.options
        assert opts.certificate is not None and opts.private_key is not None
        policy = security_policies.SecurityPolicyBasic256Sha256
        mode = getattr(ua.MessageSecurityMode, opts.security_mode)
        # Read here rather than by asyncua, which takes a file for DER unless its name ends in .pem.
        path = opts.certificate
        try:
            own = await asyncio.to_thread(read_certificate_der, path)
            path = opts.private_key
            key, key_format = await asyncio.to_thread(read_private_key, path)
            path = opts.server_certificate or ""
            pinned = await asyncio.to_thread(read_certificate_der, path) if path else None
        except (OSError, ValueError, TypeError) as exc:
            raise ConnectorError(f"cannot load {path!r}: {_describe(exc)}") from None
        uri = _certificate_uri(own)
        if uri:
            client.application_uri = uri
        # GetEndpoints over an unsecured channel (which OPC UA allows for discovery) says which
        # certificate the server presents: compared with the pinned one here, as a mismatch would
        # otherwise only show as a server that never answers.
        self._requests += 1
        endpoints = await client.connect_and_get_server_endpoints()
        try:
            endpoint = Client.find_endpoint(endpoints, mode, policy.URI)
        except UaError:
            raise ConnectorError(
                f"{self.url}: the server offers no {opts.security_policy} {opts.security_mode} endpoint"
            ) from None
        presented = _first_certificate(endpoint.ServerCertificate or b"")
        if pinned is not None and presented != pinned:
            raise ConnectorError(f"{self.url}: the server's certificate is not the one in server_certificate")
        await client.set_security(
            policy,
            CertProperties(own, extension="der"),
            CertProperties(key, extension=key_format),
            server_certificate=CertProperties(presented, extension="der"),
            mode=mode,
        )

    async def _read_limits(self, client: Client) -> None:
        """Servers cap the nodes per Read and the monitored items per call (a Siemens S7-1500
        takes a few hundred); larger requests fail as a whole, so split them."""
        limits = [
            ua.NodeId(ua.Int32(ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead)),
            ua.NodeId(ua.Int32(ObjectIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall)),
        ]
        self._requests += 1
        values = await client.uaclient.read_attributes(limits, AttributeIds.Value)

        def limit(dv: ua.DataValue) -> int:
            raw = dv.Value.Value if dv.Value is not None else None
            ok = dv.StatusCode is None or dv.StatusCode.is_good()
            return int(raw) if ok and isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 0

        self._max_nodes_per_read = limit(values[0])
        self._max_items_per_call = limit(values[1])

    @staticmethod
    def _chunks(nodes: list[ua.NodeId], size: int) -> list[list[ua.NodeId]]:
        if size <= 0:
            return [nodes]
        return [nodes[i : i + size] for i in range(0, len(nodes), size)]

    async def _subscribe(self, client: Client) -> None:
        conn, opts = self.connection, self.options
        interval = opts.publishing_interval_ms
        # A keep-alive (an empty publish response) about once per poll interval when nothing
        # changes: it is what tells read() that the server is still there.
        keepalive = max(1, math.ceil(conn.poll_interval_s * 1000.0 / interval))
        lifetime = max(3 * keepalive, math.ceil(_SESSION_TIMEOUT_MS / interval))
        params = ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=interval,
            RequestedLifetimeCount=lifetime,
            RequestedMaxKeepAliveCount=keepalive,
            MaxNotificationsPerPublish=0,
            PublishingEnabled=True,
            Priority=0,
        )
        handler = _Handler(self)
        # Built directly rather than through Client.create_subscription, which would register it
        # with asyncua's reconnect machinery and, when the server revises the interval, replace our
        # keep-alive count by one derived from the session timeout (minutes of silence).
        subscription = Subscription(client.uaclient.session, params, handler)
        self._handler = handler
        self._subscription_error = None
        try:
            self._requests += 1
            result = await subscription.init()
            failed: list[ua.NodeId] = []
            for chunk in self._chunks(self._nodes, self._max_items_per_call):
                self._requests += 1
                results = await subscription.subscribe_data_change(
                    [client.get_node(n) for n in chunk],
                    queuesize=1,
                    # Sampling at half the publishing interval catches a change within the interval
                    # after it happens without asking a PLC to sample as fast as it can.
                    sampling_interval=ua.Double(interval / 2),
                )
                for node, res in zip(chunk, results, strict=True):
                    if isinstance(res, ua.StatusCode):
                        failed.append(node)
                        log.info(
                            "%s: cannot monitor %s (%s): reading it", conn.id, node.to_string(), res.name
                        )
        except UaStatusCodeError as exc:
            # The server has no subscriptions for us (not supported, too many, ...): poll instead.
            log.info("%s: no subscription (%s): polling instead", conn.id, _describe(exc))
            self._handler = None
            if subscription.subscription_id is not None:
                await self._delete_quietly(subscription)
            return
        self._subscription = subscription
        keepalive_s = result.RevisedPublishingInterval * max(result.RevisedMaxKeepAliveCount, 1) / 1000.0
        self._silence_limit = max(2 * keepalive_s, conn.timeout_s)
        self._subscribed_at = time.monotonic()
        self._polled = failed

    async def _delete_quietly(self, subscription: Subscription) -> None:
        try:
            await subscription.delete()
        except (OSError, UaError) as exc:
            log.debug("%s: delete subscription: %r", self.connection.id, exc)

    def _on_change(self, handler: _Handler, node: ua.NodeId, dv: ua.DataValue) -> None:
        if handler is not self._handler:  # a late notification from a closed session
            return
        self._store(node, dv)
        if self.wake is not None:  # a change is news now, not at the next poll
            self.wake()

    def _on_status(self, handler: _Handler, status: ua.StatusCode) -> None:
        if handler is self._handler and not status.is_good():
            self._subscription_error = status.name

    def _store(self, node: ua.NodeId, dv: ua.DataValue) -> None:
        use_ts = self.options.source_timestamps
        for i in self._tags_of.get(node, ()):
            self._readings[i] = to_reading(dv, self.tags[i].binding, use_ts)

    async def _poll(self, nodes: list[ua.NodeId]) -> None:
        client = self._client
        if client is None:
            raise ConnectorError("not connected")
        for chunk in self._chunks(nodes, self._max_nodes_per_read):
            self._requests += 1
            values = await client.uaclient.read_attributes(chunk, AttributeIds.Value)
            if len(values) != len(chunk):
                raise ConnectorError(f"server answered {len(values)} values for {len(chunk)} nodes")
            for node, dv in zip(chunk, values, strict=True):
                self._store(node, dv)

    def _check_alive(self) -> None:
        client = self._client
        if client is None:
            raise ConnectorError("not connected")
        if client.state is not UaClientState.CONNECTED:
            raise ConnectorError("connection lost")
        if self._subscription is None:
            return
        if self._subscription_error is not None:
            raise ConnectorError(f"subscription ended: {self._subscription_error}")
        last = self._subscription.last_publish_at or self._subscribed_at
        silent = time.monotonic() - last
        if silent > self._silence_limit:
            raise ConnectorError(f"no publish response for {silent:.1f} s")

    async def read(self) -> list[Reading]:
        self._check_alive()
        if self._polled:
            try:
                await self._poll(self._polled)
            except ConnectorError:
                raise
            except (OSError, UaError) as exc:
                raise ConnectorError(_describe(exc)) from None
        return list(self._readings)

    async def close(self) -> None:
        client, self._client = self._client, None
        self._subscription = None
        self._handler = None
        self._polled = []
        self._silence_limit = math.inf
        if client is None:
            return
        try:
            # CloseSession (deleting the subscription) spares the PLC an orphaned session; a server
            # that does not answer gets half the runner's close budget.
            if client.state is UaClientState.CONNECTED:
                await asyncio.wait_for(client.disconnect(), self.connection.timeout_s / 2)
            else:
                await asyncio.wait_for(client.close_session(), self.connection.timeout_s / 2)
        except Exception as exc:  # closing a dead session fails in many ways
            log.debug("%s: close: %r", self.connection.id, exc)
        finally:
            protocol = client.uaclient.protocol
            client.disconnect_socket()
            # disconnect_socket() does nothing once asyncua's watchdog has marked the client
            # disconnected, though the socket of a server that stopped answering is still open.
            if protocol is not None and protocol.state is not UASocketState.CLOSED:
                protocol.disconnect_socket()


DRIVER = OpcUaDriver
