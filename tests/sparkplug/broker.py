"""A real Mosquitto on a free port of 127.0.0.1, and a Sparkplug subscriber written with aiomqtt and
the project's codec: what the tests of the edge node read the broker with."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiomqtt

from hmi import mosquitto
from sparkplug.payload import Payload, decode
from sparkplug.topics import Topic, parse_topic

WAIT_S = 30.0  # generous: the machine is shared


class Mosquitto(mosquitto.Mosquitto):
    """`start()` it, `kill()` it, `start()` it again on the same port."""

    def kill(self) -> None:
        self.stop()


@dataclass(frozen=True)
class Received:
    topic: Topic
    payload: Payload
    at: float  # time.time() when it arrived


class Subscriber:
    """Everything under spBv1.0/ that the broker delivers, decoded, in the order it came."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._changed = asyncio.Event()
        self.client: aiomqtt.Client | None = None

    async def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = WAIT_S) -> None:
        async def loop() -> None:
            while not predicate(self.messages):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    def of(self, kind: str, device: str | None = None) -> list[Received]:
        return [
            m
            for m in self.messages
            if m.topic.message_type.value == kind and (device is None or m.topic.device_id == device)
        ]

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            text = str(message.topic)
            if "/STATE/" in text:
                continue
            assert isinstance(message.payload, bytes)
            self.messages.append(Received(parse_topic(text), decode(message.payload), time.time()))
            self._changed.set()


@contextlib.asynccontextmanager
async def subscriber(port: int) -> AsyncIterator[Subscriber]:
    sub = Subscriber()
    async with aiomqtt.Client("127.0.0.1", port, identifier=f"test-sub-{port}") as client:
        sub.client = client
        await client.subscribe("spBv1.0/#", qos=1)
        task = asyncio.create_task(sub._read(client))
        try:
            yield sub
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await task
