"""What the plant console knows of every edge node on the broker: a host application's bookkeeping.

It takes decoded Sparkplug B messages (sparkplug.topics, sparkplug.payload) and keeps, per edge
node, its birth (bdSeq, aliases, metric values), the seq of the last message and when it last
spoke, and per device the same from its DBIRTH. It computes no figure: a row shows the values the
station published under the names of docs/SPARKPLUG.md. No MQTT and no screen here: the host
(hmi/plant/host.py) feeds it and sends what it asks for; the app (hmi/plant/app.py) reads it.

A host must ask for a rebirth (NCMD `Node Control/Rebirth`) when it cannot trust what it holds:
a seq that is not the last one + 1 (mod 256), data from a node or device it saw no birth of, or an
alias its birth did not name. It asks once per node and then waits for the birth, asking again
only after `REBIRTH_AGAIN_S`, so a broken node is not flooded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sparkplug.payload import BDSEQ, Metric, Payload, Value
from sparkplug.topics import MessageType, Topic

SILENT_S = 30.0  # a node that publishes nothing this long is stale (its figures come every 5 s)
REBIRTH_AGAIN_S = 10.0

# The metric names the stations publish (docs/SPARKPLUG.md), read here and nowhere else.
LINE_ID, LINE_CONDITION = "Line/Id", "Line/Condition"
LINE_RATIOS = ("Line/OEE", "Line/Availability", "Line/Performance", "Line/Quality")
LINE_GOOD, TARGET_SO_FAR, SHIFT_NAME = "Line/Good", "Shift/TargetSoFar", "Shift/Name"
ANDON_OPEN, ANDON_LEVEL, ANDON_AGE = "Andon/OpenCalls", "Andon/HighestLevel", "Andon/OldestAge"
STATE_NAME, STATE_CONDITION, RUNNING = "State/PackMLName", "State/Condition", "State/Running"
FAULT_CODE, REASON = "State/FaultCode", "State/Reason"
DEVICE_RATIOS = ("Shift/OEE", "Shift/Availability", "Shift/Performance", "Shift/Quality")
DEVICE_GOOD, DEVICE_TOTAL = "Shift/Good", "Shift/Total"


@dataclass(frozen=True)
class Rebirth:
    """An NCMD `Node Control/Rebirth` the host should send, and why."""

    group_id: str
    edge_node_id: str
    reason: str


@dataclass
class Device:
    id: str
    values: dict[str, Value] = field(default_factory=dict)
    aliases: dict[int, str] = field(default_factory=dict)
    dead: bool = False  # DDEATH: its PLC connection is lost


@dataclass
class Node:
    group_id: str
    edge_node_id: str
    last_seen: float
    bd_seq: int | None = None
    seq: int | None = None
    born: bool = False
    dead: bool = False  # NDEATH with the birth's bdSeq
    values: dict[str, Value] = field(default_factory=dict)
    aliases: dict[int, str] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    rebirth_asked: float | None = None
    rebirth_reason: str | None = None  # why the last rebirth was asked for (shown until the birth)

    @property
    def key(self) -> tuple[str, str]:
        return self.group_id, self.edge_node_id


class PlantModel:
    def __init__(self, *, silent_s: float = SILENT_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.silent_s = silent_s
        self.clock = clock
        self.nodes: dict[tuple[str, str], Node] = {}
        self.rebirths_asked = 0
        self.bad_messages = 0  # payloads that did not decode, topics that are no Sparkplug B
        self.changes = 0  # bumped on every message taken: the app redraws when it moved

    def stale(self, node: Node) -> str | None:
        """Why `node`'s values may no longer be true, in a few words; None while it is live."""
        if node.dead:
            return "dead (NDEATH)"
        if not node.born:
            return "no birth yet"
        quiet = self.clock() - node.last_seen
        if quiet > self.silent_s:
            return f"silent {quiet:.0f} s"
        return None

    def receive(self, topic: Topic, payload: Payload) -> Rebirth | None:
        """Take one message; returns the rebirth to ask for, if any."""
        now = self.clock()
        node = self.nodes.get((topic.group_id, topic.edge_node_id))
        if node is None:
            node = self.nodes[topic.group_id, topic.edge_node_id] = Node(
                topic.group_id, topic.edge_node_id, now
            )
        self.changes += 1
        kind = topic.message_type
        if kind == MessageType.NDEATH:
            self._death(node, payload)
            return None
        if kind in (MessageType.NCMD, MessageType.DCMD):
            return None  # another host's command: not a message of the node
        node.last_seen = now
        if kind == MessageType.NBIRTH:
            self._birth(node, payload)
            return None
        why = self._check_seq(node, payload) if node.born else "data before its birth"
        if why is None:
            why = self._apply(node, kind, topic.device_id, payload)
        if why is None:
            return None
        return self._ask(node, why, now)

    def _birth(self, node: Node, payload: Payload) -> None:
        node.born, node.dead = True, False
        node.seq = payload.seq
        node.values, node.aliases, node.devices = {}, {}, {}  # the devices are born after it
        node.rebirth_asked = node.rebirth_reason = None
        for m in payload.metrics:
            if m.name is None:
                continue
            if m.alias is not None:
                node.aliases[m.alias] = m.name
            if not m.is_historical:
                node.values[m.name] = m.value
        bd = node.values.get(BDSEQ)
        node.bd_seq = bd if isinstance(bd, int) and not isinstance(bd, bool) else None

    def _death(self, node: Node, payload: Payload) -> None:
        bd = next((m.value for m in payload.metrics if m.name == BDSEQ), None)
        # The will of an older session (a bdSeq of before the last birth) says nothing of this one.
        if node.bd_seq is None or bd == node.bd_seq:
            node.dead = True

    def _check_seq(self, node: Node, payload: Payload) -> str | None:
        last, seq = node.seq, payload.seq
        node.seq = seq
        if seq is None:
            return "a message without seq"
        if last is not None and seq != (last + 1) % 256:
            return f"seq {seq} after {last}"
        return None

    def _apply(self, node: Node, kind: MessageType, device_id: str | None, payload: Payload) -> str | None:
        if kind == MessageType.NDATA:
            return _take(node.values, node.aliases, payload.metrics)
        assert device_id is not None  # parse_topic gives D* types their device
        if kind == MessageType.DBIRTH:
            device = node.devices[device_id] = Device(device_id)
            for m in payload.metrics:
                if m.name is not None and m.alias is not None:
                    device.aliases[m.alias] = m.name
            return _take(device.values, device.aliases, payload.metrics)
        known = node.devices.get(device_id)
        if known is None:
            return f"{kind.value} of {device_id} before its DBIRTH"
        if kind == MessageType.DDEATH:
            known.dead = True
            return None
        known.dead = False
        return _take(known.values, known.aliases, payload.metrics)

    def _ask(self, node: Node, why: str, now: float) -> Rebirth | None:
        if node.rebirth_asked is not None and now - node.rebirth_asked < REBIRTH_AGAIN_S:
            return None
        node.rebirth_asked, node.rebirth_reason = now, why
        self.rebirths_asked += 1
        return Rebirth(node.group_id, node.edge_node_id, why)


def _take(values: dict[str, Value], aliases: Mapping[int, str], metrics: tuple[Metric, ...]) -> str | None:
    """Store the metrics' current values; historical ones (store-and-forward) are the past, not now."""
    for m in metrics:
        name = m.name if m.name is not None else aliases.get(m.alias) if m.alias is not None else None
        if name is None:
            return f"unknown alias {m.alias}"
        if not m.is_historical:
            values[name] = m.value
    return None
