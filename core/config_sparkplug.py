"""`[sparkplug]` of the config: the station as a Sparkplug B edge node on the plant's MQTT broker.

The model (`SparkplugConfig`) and the checks it alone cannot make (`sparkplug_errors`): a broker
address that is one, ids that are valid in a topic, a password never in the file itself, TLS files
only for `mqtts://`. Parsing the address is here too (`broker_address`), so `ms5 check` and the
edge node (hmi/sparkplug/) read it alike. Nothing here speaks MQTT.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

Loc = tuple[int | str, ...]

BROKER_PORTS = {"mqtt": 1883, "mqtts": 8883}


class SparkplugConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker: str  # mqtt://host:1883 or mqtts://host:8883
    group_id: str  # the site or area (ISA-95)
    edge_node_id: str | None = None  # default: the (first) line's id
    primary_host_id: str | None = None  # publish only while this host's STATE says online
    username: str | None = None
    password_file: str | None = None  # the password is never in the config itself
    password_env: str | None = None
    ca: str | None = None  # mqtts:// only: the plant's CA; default: the system's certificates
    cert: str | None = None  # mqtts:// only: a client certificate, with `key`
    key: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    scan_interval_s: float = Field(default=0.1, gt=0, le=10)  # states, counts compared at least this often
    figures_interval_s: float = Field(default=5.0, gt=0, le=3600)  # how often ratios and times are sent
    max_buffer_mb: float = Field(default=64, gt=0, le=10_000)  # store-and-forward, in the station's file
    batch_size: int = Field(default=100, ge=1, le=10_000)  # buffered values per historical DDATA


@dataclass(frozen=True)
class Broker:
    tls: bool
    host: str
    port: int


def broker_address(url: str) -> Broker:
    """`mqtt://host[:port]` or `mqtts://host[:port]`; ValueError with the reason otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a broker address ({exc})") from None
    if parts.scheme not in BROKER_PORTS:
        raise ValueError(f"{url!r}: the address starts mqtt:// or mqtts://")
    if parts.password is not None:
        raise ValueError("a password does not belong in the config: use password_file or password_env")
    if parts.username is not None:
        raise ValueError("put the user in username, not in the address")
    if not parts.hostname:
        raise ValueError(f"{url!r}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: a broker address is mqtt://host:port and nothing after it")
    return Broker(parts.scheme == "mqtts", parts.hostname, port or BROKER_PORTS[parts.scheme])


def _id_error(text: str) -> str | None:
    if not text or any(c in text for c in "/+#"):
        return f"{text!r} cannot be part of a topic (empty, or holds '/', '+' or '#')"
    return None


def edge_node_id(sp: SparkplugConfig, line_ids: list[str]) -> str:
    """The edge node's id: as configured, or the first line's id."""
    return sp.edge_node_id if sp.edge_node_id is not None else line_ids[0]


def sparkplug_errors(
    sp: SparkplugConfig | None, line_ids: list[str], device_ids: list[str]
) -> Iterator[tuple[Loc, str]]:
    if sp is None:
        return
    at: Loc = ("sparkplug",)
    broker = None
    try:
        broker = broker_address(sp.broker)
    except ValueError as exc:
        yield (*at, "broker"), str(exc)
    for key in ("group_id", "edge_node_id", "primary_host_id"):
        value = getattr(sp, key)
        if value is not None and (why := _id_error(value)):
            yield (*at, key), why
    if sp.edge_node_id is None and (why := _id_error(line_ids[0])):
        yield (*at, "edge_node_id"), f"the default, line {line_ids[0]!r}, {why}: set edge_node_id"
    for eq in device_ids:
        if why := _id_error(eq):
            yield (*at,), f"equipment {eq!r} is a Sparkplug device and {why}"
    if sp.password_file is not None and sp.password_env is not None:
        yield (*at, "password_env"), "one of password_file and password_env, not both"
    has_password = sp.password_file is not None or sp.password_env is not None
    if has_password and sp.username is None:
        yield (*at, "password_file" if sp.password_file else "password_env"), "a password needs a username"
    if broker is not None and not broker.tls:
        for key in ("ca", "cert", "key"):
            if getattr(sp, key) is not None:
                yield (*at, key), f"{key} is for TLS: use mqtts://"
    if (sp.cert is None) != (sp.key is None):
        yield (*at, "cert" if sp.cert is None else "key"), "a client certificate needs both cert and key"
