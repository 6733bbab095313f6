"""The edge node: the station's Sparkplug B 3.0 session with the plant broker, a task of the station.

Per MQTT connection: a new `bdSeq` (kept in the store, `core.uplink_buffer`), the NDEATH with it
as the will (QoS 1); the subscriptions to the node's NCMD and its devices' DCMD (and to the
primary host's STATE, whose online the node waits for); NBIRTH (seq 0) and a DBIRTH per
equipment whose PLC connections are up; then the buffered values, oldest first, as historical
DDATA in batches, each row deleted once the broker acknowledged it; then live DDATA by exception,
aliases only. Every message but NDEATH carries `seq`, 0-255.

DDATA is published with QoS 1 (Sparkplug asks for 0) so that the broker's PUBACK says when a value
may be forgotten: a value whose publish is not acknowledged goes to the buffer, and while there is
no session everything does. An equipment whose PLC connection is lost gets its DDEATH, and its
DBIRTH when the connection is back. NCMD `Node Control/Rebirth` is answered with a new birth
sequence; every other command is refused and audited, since a command from the broker would
bypass the PINs of the gate.

Failures are told apart (hmi.sparkplug.trouble): the broker, the network and the config are a
state that ends the session and is tried again; our own bug reading a metric, sending a value or
answering a command skips that one thing and keeps the session; one in the session itself ends it,
tried again after BUG_RETRY_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import TYPE_CHECKING

import aiomqtt

from core.config_sparkplug import SparkplugConfig, edge_node_id
from core.uplink_buffer import UplinkBuffer
from hmi.sparkplug.connect import SetupError, make_client, read_commands
from hmi.sparkplug.history import flush, keep
from hmi.sparkplug.items import Data, EndSession, Item, Life, raise_if_cancelled, until
from hmi.sparkplug.metrics import DEVICE_METRICS, NODE_METRICS, Reader, Spec, birth_metrics
from hmi.sparkplug.status import Status, problem_line, state_words
from hmi.sparkplug.trouble import Trouble
from sparkplug.payload import BDSEQ, REBIRTH, Metric, Payload, Value, encode, now_ms
from sparkplug.topics import (
    MessageType,
    node_subscription,
    state_topic,
    topic,
)

if TYPE_CHECKING:
    from hmi.station.runtime import Station

log = logging.getLogger("ms5.sparkplug")

RECONNECT_MAX_S = 5.0  # a plant broker back is used within seconds; one attempt per 5 s costs nothing
BUG_RETRY_S = 60.0  # a session ended by our bug is tried again this late: no rebirth storm
EXPECTED = (aiomqtt.MqttError, OSError, SetupError)  # the broker, the network, the config: states


class EdgeNode:
    def __init__(self, station: Station, sp: SparkplugConfig) -> None:
        self.station = station
        self.sp = sp
        self.group = sp.group_id
        self.node = edge_node_id(sp, [line.id for line in station.config.lines])
        self.devices = [eq.id for line in station.config.lines for eq in line.equipment]
        self.reader = Reader(station)
        self.buffer: UplinkBuffer | None = None
        self.bd_seq: int | None = None
        # starting, connecting, waiting (for the primary host), sending (the buffer), online,
        # offline (`why`: the broker's or the network's words), error (our bug ended the session)
        self.phase = "starting"
        self.why: str | None = None
        self.trouble = Trouble()
        self._seq = 0
        self._live = False
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._sent: dict[str | None, dict[str, Value]] = {}  # what the broker (or buffer) has of each
        self._alive: dict[str, bool] = {}  # each device's PLC connections up, at the last scan
        self._born: set[str] = set()  # devices with a DBIRTH in this session
        self._figures_at = float("-inf")
        self._woken = asyncio.Event()  # the engine took new values: scan now (see wake())
        aliases = iter(range(1, 1 + len(NODE_METRICS) + len(DEVICE_METRICS) * len(self.devices)))
        # Unique across the node, and the same for a given config: a host may keep them.
        self.node_alias = {s.name: next(aliases) for s in NODE_METRICS}
        self.device_alias = {d: {s.name: next(aliases) for s in DEVICE_METRICS} for d in self.devices}

    # -- what the faces say ---------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The phase in words, as the console and the log say it."""
        return state_words(self.status())

    def _phase(self, phase: str, why: str | None = None) -> None:
        self.phase, self.why = phase, why

    def status(self) -> Status:
        """The session, the buffer and our first bug, in parts (the panel words them itself)."""
        buf = self.buffer
        where, bug = next(iter(self.trouble.bugs.items()), (None, None))
        return {
            "online": self._live,
            "phase": self.phase,
            "why": self.why,
            "primary_host": self.sp.primary_host_id,
            "retry_s": BUG_RETRY_S,
            "buffered": buf.count if buf else 0,
            "buffer_mb": round(buf.size_bytes / 1e6, 1) if buf else 0.0,
            "dropped": buf.dropped if buf else 0,
            "max_buffer_mb": self.sp.max_buffer_mb,
            "bug": bug,
            "bug_where": where,
            "bugs": len(self.trouble.bugs),
        }

    def problem(self) -> str | None:
        """One line for the faces' health while values wait or were dropped; None when all is sent."""
        return None if self.buffer is None else problem_line(self.status())

    @property
    def online(self) -> bool:
        """Births sent and the buffer flushed: values go to the broker as they change."""
        return self._live

    def last_sent(self, device: str | None, name: str) -> Value:
        """The value of a metric as the broker (or the buffer) last got it."""
        return self._sent.get(device, {}).get(name)

    # -- the task ---------------------------------------------------------------------------------

    async def run(self) -> None:
        store = self.station.store
        assert store is not None
        self.buffer = UplinkBuffer(store.conn, int(self.sp.max_buffer_mb * 1_000_000))
        await self.station.live.wait()
        scanner = asyncio.create_task(self._scan_loop(), name="sparkplug scan")
        delay = 1.0
        try:
            while True:
                try:
                    await self._session()
                    delay = 1.0
                except (*EXPECTED, EndSession) as exc:
                    raise_if_cancelled(exc)
                    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    self.trouble.failed(why)
                    self._phase("offline", why)
                except Exception as exc:  # our bug: said once with its traceback, tried again late
                    raise_if_cancelled(exc)
                    self.trouble.bug("in the session", exc)
                    self._phase("error")
                    delay = BUG_RETRY_S
                finally:
                    self._end_session()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
        finally:
            scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scanner

    def _rebirth(self) -> None:
        self._queue.put_nowait(None)

    def _end_session(self) -> None:
        self._live = False
        self._born.clear()
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, Data):
                self._keep(item)

    # -- scanning ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """The engine took new values from a PLC (the station's ingest calls this): scan at the next
        turn of the loop instead of at the end of the interval. Several calls of one turn make one
        scan; the sink is called only with changed values, so this is at most one scan per change."""
        self._woken.set()

    async def _scan_loop(self) -> None:
        failing = False
        while True:
            self._woken.clear()
            try:
                self.scan()
                failing = False
            except (sqlite3.Error, RuntimeError) as exc:
                # A full or read-only disk stops the buffer, not the station nor the live data.
                if not failing:
                    log.error("sparkplug: cannot keep values for later: %s", exc)
                failing = True
            except Exception as exc:  # our bug: the scans go on (a dead scan would send nothing)
                self.trouble.bug("in the scan", exc)
            else:
                self.trouble.fine("in the scan")
            await self._pause()

    async def _pause(self) -> None:
        """Until woken, or `scan_interval_s` at most: what no sample announces (Andon calls, jobs,
        the health, the figures' interval, counts the station released at its tick) is compared
        that often. (A PLC change used to wait for the interval's end here: up to 100 ms on top
        of the poll.) A timer rather than wait_for, whose 3.11 version can swallow the
        cancellation that stops the scan."""
        timer = asyncio.get_running_loop().call_later(self.sp.scan_interval_s, self._woken.set)
        try:
            await self._woken.wait()
        finally:
            timer.cancel()

    def scan(self) -> None:
        """Compare every metric with what was sent; queue (or buffer) what changed."""
        now = self.station.clock()
        figures = now - self._figures_at >= self.sp.figures_interval_s
        if figures:
            self._figures_at = now
        ts = round(now * 1000)
        lost = {d.connection for d in self.station.diagnostics() if d.state == "failed"}
        eq_of = self.station.config.equipment_by_id()
        for device in self.devices:
            alive = not any(b.connection in lost for b in eq_of[device][1].signals)
            if self._alive.get(device, True) != alive:
                self._alive[device] = alive
                self._send(Life(device, alive))
            if alive and (values := self._values(device, now, figures)) is not None:
                self._diff(device, values, DEVICE_METRICS, ts, figures)
        if (node := self._values(None, now, figures)) is not None:
            self._diff(None, node, NODE_METRICS, ts, figures)

    def _values(self, device: str | None, now: float, figures: bool) -> dict[str, Value] | None:
        """A device's (None: the node's) metrics now; None when reading them raised (our bug: told
        once, the health says it, and what the broker has stands until they read again)."""
        where = f"reading {device or 'the node'}"
        buf = self.buffer
        assert buf is not None
        try:
            if device is None:
                values = self.reader.node(now, figures=figures, buffered=buf.count, dropped=buf.dropped)
            else:
                values = self.reader.device(device, now, figures=figures)
        except Exception as exc:
            self.trouble.bug(where, exc)
            return None
        self.trouble.fine(where)
        return values

    def _diff(
        self, device: str | None, values: dict[str, Value], specs: tuple[Spec, ...], ts: int, figures: bool
    ) -> None:
        sent = self._sent.get(device)
        if sent is None:  # the first look: a birth carries these, they are no change
            self._sent[device] = dict(values)
            return
        changed = tuple(
            (s.name, values[s.name])
            for s in specs
            if s.name in values
            and (s.fast or figures)
            and (s.name not in sent or sent[s.name] != values[s.name])
        )
        if changed:
            sent.update(changed)
            self._send(Data(device, ts, changed))

    def _send(self, item: Item) -> None:
        if self._live:
            self._queue.put_nowait(item)
        elif isinstance(item, Data):
            self._keep(item)

    def _keep(self, item: Data) -> None:
        if item.device is None:
            return  # node figures are the line's now; the devices' history is what a historian wants
        assert self.buffer is not None
        keep(self.buffer, item.device, item.ts_ms, item.values)

    # -- the session ------------------------------------------------------------------------------

    def _client(self) -> aiomqtt.Client:
        assert self.buffer is not None
        self.bd_seq = self.buffer.next_session(256)
        will_topic = topic(self.group, MessageType.NDEATH, self.node)
        return make_client(self.sp, f"ms5-{self.group}-{self.node}", will_topic, self._death_payload())

    async def _session(self) -> None:
        self._phase("connecting")
        host_online = asyncio.Event()
        async with self._client() as client:
            for filt in node_subscription(self.group, self.node):
                await client.subscribe(filt, qos=1)
            if self.sp.primary_host_id is not None:
                await client.subscribe(state_topic(self.sp.primary_host_id), qos=1)
            else:
                host_online.set()
            host, rebirth = self.sp.primary_host_id, self.node_alias[REBIRTH]
            commands = read_commands(
                client, self.station, host, rebirth, host_online, self.trouble, self._rebirth
            )
            reader = asyncio.create_task(commands, name="sparkplug commands")
            try:
                if not host_online.is_set():
                    self._phase("waiting")
                await until(host_online.wait(), reader)
                await self._births(client)
                await self._flush(client)
                self._live = True
                self._phase("online")
                self.trouble.online(f"{self.sp.broker} as {self.group}/{self.node}, bdSeq {self.bd_seq}")
                self.trouble.fine("in the session")
                while True:
                    item = await until(self._queue.get(), reader)
                    await self._publish_item(client, item)
                    raise_if_cancelled()
            except aiomqtt.MqttError:
                raise  # the connection is gone: the broker sends the will
            except BaseException:
                # The station stops, the primary host went away, or our bug ends the session: a
                # clean DISCONNECT sends no will, so the death is said here.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._death(client), 2.0)
                raise
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError, EndSession):
                    await reader

    async def _publish_item(self, client: aiomqtt.Client, item: Item) -> None:
        if item is None:
            await self._births(client)
        elif isinstance(item, Life):
            if item.alive:
                await self._device_birth(client, item.device)
            elif item.device in self._born:
                self._born.discard(item.device)
                await self._publish(client, MessageType.DDEATH, item.device, ())
        else:
            try:
                await self._publish_data(client, item)
            except aiomqtt.MqttError:
                self._keep(item)  # not acknowledged: it stays to be sent as history
                raise
            except Exception as exc:  # our bug (a value its type cannot hold): skipped, session kept
                self.trouble.bug(f"sending {item.device or 'the node'}", exc)
                sent = self._sent.get(item.device, {})
                for name, _ in item.values:  # not sent: compared afresh, sent once it encodes
                    sent.pop(name, None)
            else:
                self.trouble.fine(f"sending {item.device or 'the node'}")

    async def _publish_data(self, client: aiomqtt.Client, item: Data) -> None:
        if item.device is None:
            aliases, specs, kind = self.node_alias, NODE_METRICS, MessageType.NDATA
        elif item.device in self._born:
            aliases, specs, kind = self.device_alias[item.device], DEVICE_METRICS, MessageType.DDATA
        else:
            return  # a dead device's values: its next DBIRTH carries them
        types = {s.name: s.datatype for s in specs}
        metrics = tuple(
            Metric(None, value, types[name], alias=aliases[name], timestamp_ms=item.ts_ms)
            for name, value in item.values
        )
        await self._publish(client, kind, item.device, metrics, ts_ms=item.ts_ms)

    async def _publish(
        self,
        client: aiomqtt.Client,
        kind: MessageType,
        device: str | None,
        metrics: tuple[Metric, ...],
        *,
        ts_ms: int | None = None,
    ) -> None:
        # Encoded before seq moves on: a value that cannot be encoded (our bug) leaves no gap in
        # seq, which a host would answer with a rebirth.
        body = encode(Payload(ts_ms if ts_ms is not None else now_ms(), metrics, seq=self._seq))
        self._seq = (self._seq + 1) % 256
        await client.publish(topic(self.group, kind, self.node, device), body, qos=1)
        raise_if_cancelled()

    def _death_payload(self) -> bytes:
        assert self.bd_seq is not None
        return encode(Payload(now_ms(), (Metric(BDSEQ, self.bd_seq, NODE_METRICS[0].datatype),)))

    async def _death(self, client: aiomqtt.Client) -> None:
        await client.publish(topic(self.group, MessageType.NDEATH, self.node), self._death_payload(), qos=1)

    async def _births(self, client: aiomqtt.Client) -> None:
        """NBIRTH (seq 0) with every node metric, then a DBIRTH per device whose PLC is up."""
        now = self.station.clock()
        self._seq, self._born = 0, set()
        buf = self.buffer
        assert buf is not None and self.bd_seq is not None
        values = self._values(None, now, True) or {}  # unreadable: born with nulls, sent once readable
        values |= {BDSEQ: self.bd_seq, REBIRTH: False}
        self._sent[None] = dict(values)
        await self._publish(
            client, MessageType.NBIRTH, None, birth_metrics(values, NODE_METRICS, self.node_alias)
        )
        for device in self.devices:
            if self._alive.get(device, True):
                await self._device_birth(client, device)

    async def _device_birth(self, client: aiomqtt.Client, device: str) -> None:
        values = self._values(device, self.station.clock(), True)
        if values is None:  # born with nulls: the next scan that reads them sends the values
            values = dict.fromkeys((s.name for s in DEVICE_METRICS), None)
        self._sent[device] = dict(values)
        await self._publish(
            client,
            MessageType.DBIRTH,
            device,
            birth_metrics(values, DEVICE_METRICS, self.device_alias[device]),
        )
        self._born.add(device)

    async def _flush(self, client: aiomqtt.Client) -> None:
        """The buffered values of born devices, oldest first, as historical DDATA (hmi.sparkplug.history)."""
        assert self.buffer is not None
        self._phase("sending")

        async def publish(device: str, metrics: tuple[Metric, ...]) -> None:
            await self._publish(client, MessageType.DDATA, device, metrics)

        await flush(self.buffer, self._born, self.device_alias, self.sp.batch_size, publish)
