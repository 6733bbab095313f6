"""The Sparkplug B topic namespace and the primary host's STATE message (Sparkplug 3.0).

API (stable):

- `NAMESPACE = "spBv1.0"`; `MessageType`: NBIRTH, NDATA, NDEATH, NCMD, DBIRTH, DDATA, DDEATH, DCMD.
- `topic(group_id, message_type, edge_node_id, device_id=None) -> str`:
  `spBv1.0/<group>/<type>/<node>[/<device>]`; a device id is required for the D* types and refused
  for the N* types. Raises `TopicError` on an id that MQTT or Sparkplug does not allow.
- `parse_topic(text) -> Topic` (group_id, message_type, edge_node_id, device_id); `TopicError` when
  it is no edge node or device topic (STATE included: see `parse_state_topic`).
- `check_id(text) -> str`: the id itself, or `TopicError` (empty, or holds `/`, `+` or `#`).
- `state_topic(host_id) -> str`: `spBv1.0/STATE/<host_id>`; `parse_state_topic(text) -> host id`.
- `State(online, timestamp_ms)`; `encode_state(state) -> bytes` (the JSON body
  `{"online": true, "timestamp": 1700000000000}`) and `decode_state(data) -> State` (`TopicError`
  when the body is not that JSON).
- `node_subscription(group_id, edge_node_id)`: the filters an edge node subscribes to (its NCMD,
  its devices' DCMD).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

NAMESPACE = "spBv1.0"


class MessageType(StrEnum):
    NBIRTH = "NBIRTH"
    NDATA = "NDATA"
    NDEATH = "NDEATH"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDATA = "DDATA"
    DDEATH = "DDEATH"
    DCMD = "DCMD"

    @property
    def is_device(self) -> bool:
        return self.value.startswith("D")


class TopicError(ValueError):
    """A topic, an id or a STATE body that Sparkplug does not allow."""


@dataclass(frozen=True)
class Topic:
    group_id: str
    message_type: MessageType
    edge_node_id: str
    device_id: str | None = None

    def __str__(self) -> str:
        return topic(self.group_id, self.message_type, self.edge_node_id, self.device_id)


@dataclass(frozen=True)
class State:
    online: bool
    timestamp_ms: int


def check_id(text: str) -> str:
    if not text or any(c in text for c in "/+#"):
        raise TopicError(f"{text!r} is no Sparkplug id (empty, or holds '/', '+' or '#')")
    return text


def topic(group_id: str, message_type: MessageType, edge_node_id: str, device_id: str | None = None) -> str:
    parts = [NAMESPACE, check_id(group_id), message_type.value, check_id(edge_node_id)]
    if message_type.is_device:
        if device_id is None:
            raise TopicError(f"{message_type.value} needs a device id")
        parts.append(check_id(device_id))
    elif device_id is not None:
        raise TopicError(f"{message_type.value} takes no device id")
    return "/".join(parts)


def parse_topic(text: str) -> Topic:
    parts = text.split("/")
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE:
        raise TopicError(f"{text!r} is no Sparkplug B edge node or device topic")
    try:
        kind = MessageType(parts[2])
    except ValueError:
        raise TopicError(f"{text!r}: unknown message type {parts[2]!r}") from None
    if kind.is_device != (len(parts) == 5) or not all(parts[1:]):
        raise TopicError(f"{text!r} is no Sparkplug B edge node or device topic")
    return Topic(parts[1], kind, parts[3], parts[4] if len(parts) == 5 else None)


def state_topic(host_id: str) -> str:
    return f"{NAMESPACE}/STATE/{check_id(host_id)}"


def parse_state_topic(text: str) -> str:
    parts = text.split("/")
    if len(parts) != 3 or parts[0] != NAMESPACE or parts[1] != "STATE" or not parts[2]:
        raise TopicError(f"{text!r} is no STATE topic")
    return parts[2]


def encode_state(state: State) -> bytes:
    return json.dumps({"online": state.online, "timestamp": state.timestamp_ms}).encode()


def decode_state(data: bytes) -> State:
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TopicError("the STATE body is not JSON") from None
    if not isinstance(body, dict):
        raise TopicError("the STATE body is not a JSON object")
    online, stamp = body.get("online"), body.get("timestamp")
    if not isinstance(online, bool) or isinstance(stamp, bool) or not isinstance(stamp, int):
        raise TopicError('the STATE body needs "online" (true/false) and "timestamp" (ms)')
    return State(online, stamp)


def node_subscription(group_id: str, edge_node_id: str) -> list[str]:
    g, n = check_id(group_id), check_id(edge_node_id)
    return [f"{NAMESPACE}/{g}/NCMD/{n}", f"{NAMESPACE}/{g}/DCMD/{n}/+"]
