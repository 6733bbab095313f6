"""A real Mosquitto on a free port of 127.0.0.1, and a Sparkplug subscriber written with aiomqtt and
the project's codec: what the tests of the edge node read the broker with."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiomqtt

from sparkplug.payload import Payload, decode
from sparkplug.topics import Topic, parse_topic
from tests.ports import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
WAIT_S = 30.0  # generous: the machine is shared


class Mosquitto:
    """`start()` it, `kill()` it, `start()` it again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        # Started as root it drops to its own user; nothing here needs a file it would own.
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n",
            encoding="utf-8",
        )
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + WAIT_S
        while True:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", self.port))
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start: {self.log.read_text(errors='replace')[-500:]}")
            time.sleep(0.05)  # polling the port until it listens, not a wait for an effect

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


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
