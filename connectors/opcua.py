"""OPC UA connector (asyncua): subscriptions (monitored items) by default, polling as fallback.

Addresses, options and values are in opcua_codec; certificates and the secure channel in
opcua_security.

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
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState, UASocketState
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeNotif, Subscription
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from connectors.base import ConnectorError, Driver, Reading, Tag
from connectors.opcua_codec import (
    MIN_MESSAGE_SIZE,
    describe_error,
    endpoint_url,
    parse_node_ref,
    parse_options,
    to_reading,
)
from connectors.opcua_security import apply_security, certificate_rejected
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


_NO_VALUE = Reading(None, Quality.BAD, error="no value yet")
_SESSION_TIMEOUT_MS = 60_000  # an orphaned session (station gone) ties up the PLC for this long


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
    peer_errors = (UaError,)  # asyncua's status codes (the server refuses) and protocol errors
    default_port = 4840  # OPC UA's registered port, as in endpoint_url

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.options = parse_options(connection)
        self.url = endpoint_url(connection)
        self._refs = [parse_node_ref(tag.binding.address) for tag in self.tags]
        self._by_uri = any(ref.uri is not None for ref in self._refs)
        self._nodes: list[ua.NodeId] = []
        self._tags_of: dict[ua.NodeId, list[int]] = {}
        self._resolve([])
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

    def _resolve(self, namespaces: Sequence[str]) -> None:
        """The NodeIds of this server (a namespace URI's index is its own); several tags may bind
        one node, and each node is read and monitored once."""
        self._nodes, self._tags_of = [], {}
        for i, ref in enumerate(self._refs):
            try:
                node = ref.resolve(namespaces)
            except KeyError:
                if not namespaces:  # before the first connect: resolved then
                    continue
                known = ", ".join(namespaces)
                raise ConnectorError(
                    f"{self.url}: the server has no namespace {ref.uri!r} ({self.tags[i].binding.address}); "
                    f"it has: {known}"
                ) from None
            if node not in self._tags_of:
                self._tags_of[node] = []
                self._nodes.append(node)
            self._tags_of[node].append(i)

    @classmethod
    def check_options(cls, connection: Connection) -> None:
        parse_options(connection)

    @classmethod
    def check_binding(cls, binding: SignalBinding) -> None:
        parse_node_ref(binding.address)

    def requests(self) -> int:
        """Service requests this driver sent itself (reads, subscription and monitored-item
        creation); the publish requests asyncua keeps outstanding for a subscription are not counted."""
        return self._requests

    def _count(self) -> None:
        self._requests += 1

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
        client.max_chunkcount = opts.max_message_size // MIN_MESSAGE_SIZE + 1
        self._client = client  # before connecting, so that close() can tear a half-open one down
        try:
            if opts.username is not None:
                client.set_user(opts.username)
                client.set_password(opts.password or "")
            if opts.secure:
                await apply_security(client, opts, self.url, self._count)
            await client.connect()
            if self._by_uri:  # its namespace table of today: a restart may have renumbered it
                self._requests += 1
                self._resolve(await client.get_namespace_array())
            await self._read_limits(client)
            await self._poll(self._nodes)  # a value for every tag before the first read()
            self._polled = list(self._nodes)
            if opts.subscription and self._nodes:
                await self._subscribe(client)
        except ConnectorError:
            raise
        except (OSError, UaError, AssertionError) as exc:
            rejected = certificate_rejected(exc, opts)
            if rejected is not None:
                raise ConnectorError(f"{self.url}: {rejected}") from None
            if isinstance(exc, AssertionError):  # not the server's refusal: a bug, told as one
                raise
            if str(exc).startswith("No matching endpoints"):  # from CreateSession
                wanted = f"{opts.security_policy} {opts.security_mode}" if opts.secure else "unsecured"
                raise ConnectorError(f"{self.url}: the server offers no {wanted} endpoint") from None
            raise ConnectorError(f"{self.url}: {describe_error(exc)}") from None

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
            log.info("%s: no subscription (%s): polling instead", conn.id, describe_error(exc))
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
                raise ConnectorError(describe_error(exc)) from None
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
