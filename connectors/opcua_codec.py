"""OPC UA without a session: NodeId addresses, the connection options, DataValues as Readings,
and asyncua's failures as one line. The driver (opcua.py) and the simulated server share them.

Addresses are NodeId strings: `ns=2;s=Line1.Count`, `ns=2;i=1001`, `i=2258`, `ns=2;g=<guid>`,
`ns=2;b=<base64>`, or with the namespace's URI instead of its index, `nsu=urn:plant:line1;s=Count`
(looked up in the server's namespace table at every connect).
A value arrives typed, so `byte_order`, `word_order` and `length` of a binding
do not apply; the binding's `type` still says which values are valid (an int16 tag holding 70000
is out of range, a numeric tag holding a String is the wrong type).

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

import base64
import binascii
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from asyncua import ua
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from connectors.base import Reading
from core.config import Connection, SignalBinding
from core.samples import Quality

# ---------------------------------------------------------------------------------------------
# Addresses

_NODEID_HELP = (
    "expected ns=<index>;s=<name>, ns=<index>;i=<number>, ns=<index>;g=<guid>, ns=<index>;b=<base64> "
    "or nsu=<namespace URI>;s=<name>"
)
_MAX_NAMESPACE = 65535
_MAX_NUMERIC_ID = 2**32 - 1


def parse_node_id(address: str) -> ua.NodeId:
    """A NodeId string with a namespace index as OPC UA writes it; ValueError (one line) when it
    is not one. A namespace URI (`nsu=`) needs the server's namespace table: `parse_node_ref`."""
    if address.startswith("nsu="):
        raise ValueError(
            f"bad OPC UA NodeId {address!r}: a namespace URI (nsu=) is looked up on the server at connect"
        )
    return _node_id(address, address)


@dataclass(frozen=True)
class NodeRef:
    """A tag's node as the config names it: by namespace index, or by namespace URI (`nsu=`),
    whose index is the server's to give and may change when it restarts or its project changes."""

    node: ua.NodeId  # with namespace index 0 in place of the URI's, until resolved
    uri: str | None = None

    def resolve(self, namespaces: Sequence[str]) -> ua.NodeId:
        """The NodeId on a server with this namespace table; KeyError when it lacks the URI."""
        if self.uri is None:
            return self.node
        try:
            index = list(namespaces).index(self.uri)
        except ValueError:
            raise KeyError(self.uri) from None
        return ua.NodeId(self.node.Identifier, ua.Int16(index), self.node.NodeIdType)


def parse_node_ref(address: str) -> NodeRef:
    """`ns=...` or `nsu=<namespace URI>;s=...` (i=, g=, b= as well); ValueError (one line).

    A `;` inside the URI is written `%3B`, as OPC UA's string form wants (Part 6, 5.3.1.10)."""
    if not address.startswith("nsu="):
        return NodeRef(parse_node_id(address))
    uri_text, sep, rest = address[4:].partition(";")
    uri = unquote(uri_text)
    if not sep or not uri.strip() or rest.startswith("ns="):
        raise ValueError(
            f"bad OPC UA NodeId {address!r}: expected nsu=<namespace URI>;s=<name> (or i=, g=, b=)"
        )
    return NodeRef(_node_id(rest, address), uri)


def _node_id(text: str, address: str) -> ua.NodeId:
    if text != text.strip() or not text:
        raise ValueError(f"bad OPC UA NodeId {address!r}: {_NODEID_HELP}")
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
MIN_MESSAGE_SIZE = 8192  # the smallest buffer OPC UA allows (Part 6, 7.1.2.3)
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
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_MESSAGE_SIZE <= size < 2**31:
        raise ValueError(f"option max_message_size must be a whole number of bytes from {MIN_MESSAGE_SIZE}")
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
# Failures and endpoints


def describe_error(exc: BaseException) -> str:
    """One line for an asyncua or socket failure."""
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


def endpoint_url(connection: Connection) -> str:
    """opc.tcp://host:port (4840, OPC UA's registered port, when the config gives none)."""
    host = connection.host
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return f"opc.tcp://{host}:{connection.port or 4840}"
