"""A station as the plant console meets it on the broker (for tests/plant/ and
scripts/bench_plant.py): an aiomqtt client publishing NBIRTH, DBIRTH, DDATA and NDEATH with the
project's codec, under the metric names of docs/SPARKPLUG.md, and keeping the NCMDs it is sent.
The broker itself is hmi/mosquitto.py."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Mapping

import aiomqtt

from sparkplug.payload import BDSEQ, REBIRTH, DataType, Metric, Payload, Value, decode, encode, now_ms
from sparkplug.topics import MessageType, topic


def _datatype(value: Value) -> DataType:
    if isinstance(value, bool):
        return DataType.Boolean
    if isinstance(value, int):
        return DataType.Int64
    if isinstance(value, float):
        return DataType.Double
    return DataType.String


class StationPublisher:
    """One station as an edge node: its line's metrics and its machines' (devices)."""

    def __init__(
        self,
        port: int,
        group: str,
        node: str,
        line: Mapping[str, Value],
        devices: Mapping[str, Mapping[str, Value]],
        bd_seq: int = 0,
        *,
        answer_rebirths: bool = False,
    ) -> None:
        self.port, self.group, self.node = port, group, node
        self.line, self.devices = dict(line), {d: dict(v) for d, v in devices.items()}
        self.bd_seq = bd_seq
        self.seq = -1
        self.aliases: dict[tuple[str | None, str], int] = {}
        self.commands: list[Payload] = []  # the NCMDs the broker delivered
        self.command = asyncio.Event()
        self.answer_rebirths = answer_rebirths  # as an edge node does: a new birth for an NCMD rebirth
        self._lock = asyncio.Lock()  # a birth's messages are not interleaved with data
        self._births: set[asyncio.Task[None]] = set()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None

    def _death(self) -> bytes:
        return encode(Payload(now_ms(), (Metric(BDSEQ, self.bd_seq, DataType.Int64),)))

    async def connect(self) -> None:
        will = aiomqtt.Will(topic(self.group, MessageType.NDEATH, self.node), self._death(), qos=1)
        self._client = aiomqtt.Client("127.0.0.1", self.port, identifier=f"station-{self.node}", will=will)
        await self._client.__aenter__()
        await self._client.subscribe(topic(self.group, MessageType.NCMD, self.node), qos=1)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._client is not None
        async for message in self._client.messages:
            assert isinstance(message.payload, bytes)
            self.commands.append(decode(message.payload))
            self.command.set()
            if self.answer_rebirths:
                task = asyncio.create_task(self.birth())
                self._births.add(task)
                task.add_done_callback(self._births.discard)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):  # killed: gone already
                await self._reader
        if self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.__aexit__(None, None, None)

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    async def _publish(self, kind: MessageType, metrics: list[Metric], device: str | None = None) -> None:
        assert self._client is not None
        seq = None if kind == MessageType.NDEATH else self._next_seq()
        payload = Payload(now_ms(), tuple(metrics), seq=seq)
        await self._client.publish(topic(self.group, kind, self.node, device), encode(payload), qos=1)

    def _birth_metrics(self, device: str | None, values: Mapping[str, Value]) -> list[Metric]:
        out = []
        for name, value in values.items():
            alias = self.aliases.setdefault((device, name), len(self.aliases) + 1)
            out.append(Metric(name, value, _datatype(value), alias=alias))
        return out

    async def birth(self) -> None:
        """NBIRTH (seq 0, bdSeq, Node Control/Rebirth) and a DBIRTH per machine."""
        async with self._lock:
            self.seq = -1
            metrics = [Metric(BDSEQ, self.bd_seq, DataType.Int64), Metric(REBIRTH, False, DataType.Boolean)]
            await self._publish(MessageType.NBIRTH, metrics + self._birth_metrics(None, self.line))
            for device, values in self.devices.items():
                await self._publish(MessageType.DBIRTH, self._birth_metrics(device, values), device)

    async def data(self, device: str, values: Mapping[str, Value]) -> None:
        """DDATA by alias, as a station sends it."""
        self.devices[device].update(values)
        metrics = [
            Metric(None, v, _datatype(v), alias=self.aliases[device, name]) for name, v in values.items()
        ]
        async with self._lock:
            await self._publish(MessageType.DDATA, metrics, device)

    async def node_data(self, values: Mapping[str, Value]) -> None:
        """NDATA by alias: the line's figures."""
        self.line.update(values)
        metrics = [
            Metric(None, v, _datatype(v), alias=self.aliases[None, name]) for name, v in values.items()
        ]
        async with self._lock:
            await self._publish(MessageType.NDATA, metrics)

    def lose(self, messages: int) -> None:
        """As if `messages` of this node's messages never reached the console: a gap in seq."""
        self.seq = (self.seq + messages) % 256

    def kill(self) -> None:
        """The station's connection drops without a DISCONNECT (a killed process, a pulled cable):
        the broker then publishes its will, the NDEATH."""
        assert self._client is not None
        sock = self._client._client.socket()  # paho's socket: aiomqtt has no way to drop it
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
