"""The edge node's MQTT client as the config says (address, TLS, user, password from a file or the
environment, the will), and what it does with a command from the broker: a rebirth is answered,
anything else refused and audited (a command from the broker would bypass the gate's PINs)."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import aiomqtt

from core.config_sparkplug import SparkplugConfig, broker_address
from hmi.sparkplug.items import EndSession
from hmi.sparkplug.trouble import Trouble
from sparkplug.payload import REBIRTH, Payload, PayloadError, decode
from sparkplug.topics import MessageType, Topic, TopicError, decode_state, parse_state_topic, parse_topic

if TYPE_CHECKING:
    from hmi.station.runtime import Station

log = logging.getLogger("ms5.sparkplug")

PUBLISH_TIMEOUT_S = 10.0  # a publish not acknowledged by then counts as not sent
REFUSED_WHY = "commands from the broker would bypass the PINs: only Node Control/Rebirth is answered"


class SetupError(ValueError):
    """The client cannot be made as configured (the password's file or variable): a state the
    operator fixes, like a broker away, not a bug."""


def password_of(sp: SparkplugConfig) -> str | None:
    """The broker password from its file or environment variable; SetupError naming what is missing."""
    if sp.password_env is not None:
        value = os.environ.get(sp.password_env)
        if value is None:
            raise SetupError(f"the broker password: environment variable {sp.password_env} is not set")
        return value
    if sp.password_file is not None:
        try:
            return Path(sp.password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SetupError(f"the broker password: cannot read {sp.password_file}: {exc.strerror}") from None
    return None


def make_client(sp: SparkplugConfig, client_id: str, will_topic: str, will: bytes) -> aiomqtt.Client:
    """A client for one session (MQTT 3.1.1, clean session), its will the NDEATH (QoS 1)."""
    broker = broker_address(sp.broker)
    tls = None
    if broker.tls:
        tls = ssl.create_default_context(cafile=sp.ca)
        if sp.cert is not None and sp.key is not None:
            tls.load_cert_chain(sp.cert, sp.key)
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=client_id,
        username=sp.username,
        password=password_of(sp),
        keepalive=sp.keepalive_s,
        will=aiomqtt.Will(will_topic, will, qos=1),
        tls_context=tls,
        clean_session=True,
        timeout=PUBLISH_TIMEOUT_S,
    )


def is_rebirth(where: Topic, payload: Payload, rebirth_alias: int) -> bool:
    """NCMD `Node Control/Rebirth` = true (by name or by its alias), and nothing else in it."""
    return (
        where.message_type == MessageType.NCMD
        and bool(payload.metrics)
        and all((m.name == REBIRTH or m.alias == rebirth_alias) and m.value is True for m in payload.metrics)
    )


def refuse(station: Station, where: Topic, payload: Payload) -> None:
    """Log and audit a command that is not a rebirth; the station changes nothing."""
    if where.message_type not in (MessageType.NCMD, MessageType.DCMD):
        return
    names = ", ".join(m.name or f"alias {m.alias}" for m in payload.metrics) or "no metrics"
    target = where.device_id or where.edge_node_id
    log.warning("sparkplug: refused %s for %s (%s)", where.message_type.value, target, names)
    gate = station.gate
    if gate is not None:
        kind = f"sparkplug {where.message_type.value}"
        gate.audit.append(station.clock(), None, None, kind, target, "refused", f"{names}: {REFUSED_WHY}")


async def read_commands(
    client: aiomqtt.Client,
    station: Station,
    host: str | None,
    rebirth_alias: int,
    host_online: asyncio.Event,
    trouble: Trouble,
    rebirth: Callable[[], None],
) -> None:
    """The broker's messages to the node for the session: the primary `host`'s STATE (online sets
    `host_online`; offline after that ends the session), a rebirth (`rebirth()`), every other
    command refused and audited. Our bug with one message loses that one, not the session."""
    async for message in client.messages:
        text = str(message.topic)
        try:
            if host is not None and text.startswith("spBv1.0/STATE/"):
                if parse_state_topic(text) == host:
                    if decode_state(bytes(message.payload)).online:
                        host_online.set()
                    elif host_online.is_set():
                        raise EndSession(f"primary host {host} offline")
                continue
            where, payload = parse_topic(text), decode(bytes(message.payload))
            if is_rebirth(where, payload, rebirth_alias):
                log.info("sparkplug: rebirth asked for")
                rebirth()
            else:
                refuse(station, where, payload)
        except (TopicError, PayloadError) as exc:
            log.warning("sparkplug: ignored a message on %s: %s", text, exc)
        except EndSession:
            raise
        except Exception as exc:
            trouble.bug("answering a command", exc)
        else:
            trouble.fine("answering a command")
