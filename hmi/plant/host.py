"""The plant console's MQTT side: subscribe to the group's Sparkplug B messages, feed the model,
send the rebirths it asks for; reconnect with backoff while the broker is away.

aiomqtt (paho-mqtt 2) in the app's own asyncio loop: the model is only touched from that loop.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid

import aiomqtt

from core.config_sparkplug import Broker
from hmi.plant.model import PlantModel, Rebirth
from sparkplug.payload import REBIRTH, DataType, Metric, Payload, PayloadError, decode, encode, now_ms
from sparkplug.topics import NAMESPACE, MessageType, TopicError, parse_topic, topic

log = logging.getLogger("ms5.plant")

RECONNECT_MAX_S = 10.0


def rebirth_payload() -> bytes:
    return encode(Payload(now_ms(), (Metric(REBIRTH, True, DataType.Boolean),)))


class PlantHost:
    def __init__(
        self, model: PlantModel, broker: Broker, *, group: str | None = None, ca: str | None = None
    ) -> None:
        self.model = model
        self.broker = broker
        self.group = group
        self.ca = ca
        # Said in the app's footer: connected to the broker, or why not.
        self.status = f"connecting to {broker.host}:{broker.port}"
        self.connected = asyncio.Event()
        self._identifier = f"ms5-plant-{uuid.uuid4().hex[:12]}"

    @property
    def subscription(self) -> str:
        return f"{NAMESPACE}/{self.group or '+'}/#"

    def _client(self) -> aiomqtt.Client:
        tls: ssl.SSLContext | None = None
        if self.broker.tls:
            tls = ssl.create_default_context(cafile=self.ca)
        return aiomqtt.Client(
            self.broker.host, self.broker.port, identifier=self._identifier, tls_context=tls, keepalive=30
        )

    async def run(self) -> None:
        """Until cancelled."""
        wait = 0.5
        while True:
            try:
                async with self._client() as client:
                    await client.subscribe(self.subscription, qos=0)
                    self.status = f"broker {self.broker.host}:{self.broker.port}"
                    self.connected.set()
                    wait = 0.5
                    async for message in client.messages:
                        rebirth = self.take(str(message.topic), message.payload)
                        if rebirth is not None:
                            await self.ask_rebirth(client, rebirth)
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                self.status = f"broker {self.broker.host}:{self.broker.port} away: {exc}"
                log.warning("plant: %s", self.status)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_MAX_S)

    def take(self, text: str, data: object) -> Rebirth | None:
        """One message off the broker; what is no Sparkplug B is counted and left."""
        if not isinstance(data, bytes | bytearray):
            self.model.bad_messages += 1
            return None
        try:
            where = parse_topic(text)
            payload = decode(bytes(data))
        except (TopicError, PayloadError):
            self.model.bad_messages += 1
            return None
        return self.model.receive(where, payload)

    async def ask_rebirth(self, client: aiomqtt.Client, rebirth: Rebirth) -> None:
        log.warning(
            "plant: rebirth of %s/%s asked: %s", rebirth.group_id, rebirth.edge_node_id, rebirth.reason
        )
        await client.publish(
            topic(rebirth.group_id, MessageType.NCMD, rebirth.edge_node_id), rebirth_payload(), qos=0
        )
