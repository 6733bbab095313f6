"""The Sparkplug B Payload (Sparkplug 3.0, `sparkplug_b.proto`) built at import time, no protoc.

The schema is declared with protobuf's runtime (a `FileDescriptorProto` and the message factory)
from the specification's field numbers, so there is no generated code to keep in step. Only what
MS5 publishes and reads is declared: Payload, Metric, MetaData, PropertyValue, PropertySet and
PropertySetList. DataSet, Template and the extension values are left out; a peer's field of those
kinds decodes as an unknown field and its metric as a value of `None`.

API (stable; the edge node and the plant console use only this):

- `DataType`: the specification's data type numbers (`Int8` = 1 … `Text` = 14).
- `Metric(name, value, datatype, alias=None, timestamp_ms=None, is_historical=False,
  is_transient=False, is_null=False, properties={})`: one metric. In a BIRTH a metric has its name
  and its alias; in DATA only its alias. `value` is a Python `bool | int | float | str | None`;
  signed integers are carried in two's complement as the specification says. `properties` maps a
  property name to `str | bool | int | float` (e.g. `{"engUnit": "s"}`, which Ignition reads).
- `Payload(timestamp_ms, metrics, seq=None, uuid=None, body=None)`.
- `encode(payload) -> bytes`; `decode(data) -> Payload`, which raises `PayloadError` on bytes that
  are no Payload.
- `BDSEQ = "bdSeq"`, `REBIRTH = "Node Control/Rebirth"`: the metric names the specification fixes.
- `now_ms()`: milliseconds since the epoch (UTC), the unit of every Sparkplug timestamp.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

BDSEQ = "bdSeq"
REBIRTH = "Node Control/Rebirth"

Value = bool | int | float | str | None
PropertyValue = str | bool | int | float


class DataType(IntEnum):
    """The data type numbers of the specification (section "Data Types")."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    Bytes = 17


class PayloadError(ValueError):
    """The bytes are no Sparkplug B payload (or carry a value that does not fit its data type)."""


_LABEL_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_LABEL_REPEATED = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
_T = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "uint32": _T.TYPE_UINT32,
    "uint64": _T.TYPE_UINT64,
    "float": _T.TYPE_FLOAT,
    "double": _T.TYPE_DOUBLE,
    "bool": _T.TYPE_BOOL,
    "string": _T.TYPE_STRING,
    "bytes": _T.TYPE_BYTES,
}
_PACKAGE = "org.eclipse.tahu.protobuf"

# (name, number, type, repeated, oneof index or None); a type not in _SCALARS is a message of Payload.
_Fields = list[tuple[str, int, str, bool, int | None]]
_MESSAGES: dict[str, tuple[_Fields, list[str]]] = {
    "MetaData": (
        [
            ("is_multi_part", 1, "bool", False, None),
            ("content_type", 2, "string", False, None),
            ("size", 3, "uint64", False, None),
            ("seq", 4, "uint64", False, None),
            ("file_name", 5, "string", False, None),
            ("file_type", 6, "string", False, None),
            ("md5", 7, "string", False, None),
            ("description", 8, "string", False, None),
        ],
        [],
    ),
    "PropertyValue": (
        [
            ("type", 1, "uint32", False, None),
            ("is_null", 2, "bool", False, None),
            ("int_value", 3, "uint32", False, 0),
            ("long_value", 4, "uint64", False, 0),
            ("float_value", 5, "float", False, 0),
            ("double_value", 6, "double", False, 0),
            ("boolean_value", 7, "bool", False, 0),
            ("string_value", 8, "string", False, 0),
            ("propertyset_value", 9, "PropertySet", False, 0),
            ("propertysets_value", 10, "PropertySetList", False, 0),
        ],
        ["value"],
    ),
    "PropertySet": (
        [("keys", 1, "string", True, None), ("values", 2, "PropertyValue", True, None)],
        [],
    ),
    "PropertySetList": ([("propertyset", 1, "PropertySet", True, None)], []),
    "Metric": (
        [
            ("name", 1, "string", False, None),
            ("alias", 2, "uint64", False, None),
            ("timestamp", 3, "uint64", False, None),
            ("datatype", 4, "uint32", False, None),
            ("is_historical", 5, "bool", False, None),
            ("is_transient", 6, "bool", False, None),
            ("is_null", 7, "bool", False, None),
            ("metadata", 8, "MetaData", False, None),
            ("properties", 9, "PropertySet", False, None),
            ("int_value", 10, "uint32", False, 0),
            ("long_value", 11, "uint64", False, 0),
            ("float_value", 12, "float", False, 0),
            ("double_value", 13, "double", False, 0),
            ("boolean_value", 14, "bool", False, 0),
            ("string_value", 15, "string", False, 0),
            ("bytes_value", 16, "bytes", False, 0),
        ],
        ["value"],
    ),
}
_PAYLOAD_FIELDS: _Fields = [
    ("timestamp", 1, "uint64", False, None),
    ("metrics", 2, "Metric", True, None),
    ("seq", 3, "uint64", False, None),
    ("uuid", 4, "string", False, None),
    ("body", 5, "bytes", False, None),
]


def _add_fields(msg: descriptor_pb2.DescriptorProto, fields: _Fields, oneofs: list[str]) -> None:
    for oneof in oneofs:
        msg.oneof_decl.add(name=oneof)
    for name, number, kind, repeated, oneof_index in fields:
        f = msg.field.add(name=name, number=number, label=_LABEL_REPEATED if repeated else _LABEL_OPTIONAL)
        if kind in _SCALARS:
            f.type = _SCALARS[kind]
        else:
            f.type = _T.TYPE_MESSAGE
            f.type_name = f".{_PACKAGE}.Payload.{kind}"
        if oneof_index is not None:
            f.oneof_index = oneof_index


def _build() -> Any:
    file = descriptor_pb2.FileDescriptorProto(name="ms5_sparkplug_b.proto", package=_PACKAGE, syntax="proto2")
    payload = file.message_type.add(name="Payload")
    _add_fields(payload, _PAYLOAD_FIELDS, [])
    payload.extension_range.add(start=6, end=536870912)
    for name, (fields, oneofs) in _MESSAGES.items():
        nested = payload.nested_type.add(name=name)
        _add_fields(nested, fields, oneofs)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.Payload"))


_Payload: Any = _build()

_SIGNED_BITS = {DataType.Int8: 8, DataType.Int16: 16, DataType.Int32: 32, DataType.Int64: 64}
_UNSIGNED_BITS = {DataType.UInt8: 8, DataType.UInt16: 16, DataType.UInt32: 32, DataType.UInt64: 64}
_LONG = {DataType.Int64, DataType.UInt64, DataType.DateTime}


@dataclass(frozen=True)
class Metric:
    name: str | None
    value: Value
    datatype: DataType
    alias: int | None = None
    timestamp_ms: int | None = None
    is_historical: bool = False
    is_transient: bool = False
    is_null: bool = False
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Payload:
    timestamp_ms: int | None
    metrics: tuple[Metric, ...]
    seq: int | None = None
    uuid: str | None = None
    body: bytes | None = None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _set_value(pb: Any, datatype: DataType, value: Value) -> None:
    """Puts `value` in the oneof field the specification gives its data type."""
    if datatype in _SIGNED_BITS or datatype in _UNSIGNED_BITS or datatype == DataType.DateTime:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(f"{datatype.name} needs an integer, got {value!r}")
        bits = _SIGNED_BITS.get(datatype) or _UNSIGNED_BITS.get(datatype, 64)
        signed = datatype in _SIGNED_BITS
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if not low <= value <= high:
            raise PayloadError(f"{value} does not fit {datatype.name}")
        wire_bits = 64 if datatype in _LONG else 32
        raw = value & ((1 << wire_bits) - 1)  # two's complement on the wire
        if wire_bits == 64:
            pb.long_value = raw
        else:
            pb.int_value = raw
    elif datatype == DataType.Float:
        pb.float_value = _number(datatype, value)
    elif datatype == DataType.Double:
        pb.double_value = _number(datatype, value)
    elif datatype == DataType.Boolean:
        if not isinstance(value, bool):
            raise PayloadError(f"Boolean needs a bool, got {value!r}")
        pb.boolean_value = value
    elif datatype in (DataType.String, DataType.Text, DataType.UUID):
        if not isinstance(value, str):
            raise PayloadError(f"{datatype.name} needs a string, got {value!r}")
        pb.string_value = value
    else:
        raise PayloadError(f"data type {datatype.name} is not supported")


def _number(datatype: DataType, value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{datatype.name} needs a number, got {value!r}")
    return float(value)


def _get_value(pb: Any, datatype: DataType) -> Value:
    kind = pb.WhichOneof("value")
    if kind is None:
        return None
    raw = getattr(pb, kind)
    if kind in ("int_value", "long_value") and datatype in _SIGNED_BITS:
        bits = _SIGNED_BITS[datatype]
        raw &= (1 << bits) - 1
        return int(raw - (1 << bits) if raw >> (bits - 1) else raw)
    if kind == "bytes_value":
        return None
    return raw  # type: ignore[no-any-return]


def _property_type(value: PropertyValue) -> DataType:
    if isinstance(value, bool):
        return DataType.Boolean
    if isinstance(value, int):
        return DataType.Int64
    if isinstance(value, float):
        return DataType.Double
    return DataType.String


def encode(payload: Payload) -> bytes:
    """The payload's bytes; raises `PayloadError` when a value does not fit its data type."""
    pb = _Payload()
    if payload.timestamp_ms is not None:
        pb.timestamp = payload.timestamp_ms
    if payload.seq is not None:
        pb.seq = payload.seq
    if payload.uuid is not None:
        pb.uuid = payload.uuid
    if payload.body is not None:
        pb.body = payload.body
    for metric in payload.metrics:
        m = pb.metrics.add()
        if metric.name is not None:
            m.name = metric.name
        if metric.alias is not None:
            m.alias = metric.alias
        if metric.timestamp_ms is not None:
            m.timestamp = metric.timestamp_ms
        m.datatype = int(metric.datatype)
        if metric.is_historical:
            m.is_historical = True
        if metric.is_transient:
            m.is_transient = True
        if metric.is_null or metric.value is None:
            m.is_null = True
        else:
            _set_value(m, metric.datatype, metric.value)
        for key, value in metric.properties.items():
            m.properties.keys.append(key)
            prop = m.properties.values.add()
            kind = _property_type(value)
            prop.type = int(kind)
            _set_value(prop, kind, value)
    return pb.SerializeToString()  # type: ignore[no-any-return]


def decode(data: bytes) -> Payload:
    """The payload in `data`; raises `PayloadError` when the bytes are no Sparkplug B payload."""
    pb = _Payload()
    try:
        pb.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise PayloadError(f"not a Sparkplug B payload: {exc}") from None
    metrics = []
    for m in pb.metrics:
        try:
            datatype = DataType(m.datatype)
        except ValueError:
            datatype = DataType.Unknown
        props: dict[str, PropertyValue] = {}
        for key, prop in zip(m.properties.keys, m.properties.values, strict=False):
            try:
                value = _get_value(prop, DataType(prop.type))
            except ValueError:
                continue
            if value is not None:
                props[key] = value
        metrics.append(
            Metric(
                name=m.name if m.HasField("name") else None,
                value=None if m.is_null else _get_value(m, datatype),
                datatype=datatype,
                alias=m.alias if m.HasField("alias") else None,
                timestamp_ms=m.timestamp if m.HasField("timestamp") else None,
                is_historical=m.is_historical,
                is_transient=m.is_transient,
                is_null=m.is_null,
                properties=props,
            )
        )
    return Payload(
        timestamp_ms=pb.timestamp if pb.HasField("timestamp") else None,
        metrics=tuple(metrics),
        seq=pb.seq if pb.HasField("seq") else None,
        uuid=pb.uuid if pb.HasField("uuid") else None,
        body=pb.body if pb.HasField("body") else None,
    )
