"""The Sparkplug B codec against bytes worked out by hand from the specification's field numbers."""

from __future__ import annotations

import pytest

from sparkplug.payload import DataType, Metric, Payload, PayloadError, decode, encode
from sparkplug.topics import (
    MessageType,
    State,
    TopicError,
    decode_state,
    encode_state,
    parse_state_topic,
    parse_topic,
    state_topic,
    topic,
)

# timestamp (1) = 1000, one metric (2) {alias (2) = 5, datatype (4) = Int32, int_value (10) = -2 in
# two's complement}, seq (3) = 7.
HAND_WORKED = bytes.fromhex("08e807120a1005200350feffffff0f1807")


def test_a_data_message_has_the_bytes_of_the_specification() -> None:
    payload = Payload(1000, (Metric(None, -2, DataType.Int32, alias=5),), seq=7)
    assert encode(payload) == HAND_WORKED


def test_the_hand_worked_bytes_decode_to_the_signed_value() -> None:
    payload = decode(HAND_WORKED)
    assert payload.timestamp_ms == 1000 and payload.seq == 7
    (metric,) = payload.metrics
    assert (metric.name, metric.alias, metric.datatype, metric.value) == (None, 5, DataType.Int32, -2)


def test_a_birth_metric_keeps_name_alias_properties_and_history_flag() -> None:
    metrics = (
        Metric("good_count", 12345678901, DataType.UInt64, alias=3, properties={"engUnit": "pcs"}),
        Metric("oee", 0.5, DataType.Double, alias=4, is_historical=True),
        Metric("state_name", "EXECUTE", DataType.String, alias=5),
        Metric("running", True, DataType.Boolean, alias=6),
        Metric("fault_code", None, DataType.Int64, alias=7),
        Metric("delta", -(1 << 63), DataType.Int64, alias=8),
        Metric("speed", 1.5, DataType.Float, alias=9),
    )
    back = decode(encode(Payload(99, metrics, seq=0)))
    assert back.metrics[0].properties == {"engUnit": "pcs"}
    assert [m.value for m in back.metrics] == [12345678901, 0.5, "EXECUTE", True, None, -(1 << 63), 1.5]
    assert back.metrics[1].is_historical and not back.metrics[0].is_historical
    assert back.metrics[4].is_null
    assert [m.alias for m in back.metrics] == [3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("datatype", "value"),
    [(DataType.Int8, 128), (DataType.UInt16, -1), (DataType.Boolean, 1), (DataType.Int32, 1.5)],
)
def test_a_value_that_does_not_fit_its_type_is_refused(datatype: DataType, value: int | float) -> None:
    with pytest.raises(PayloadError):
        encode(Payload(0, (Metric("x", value, datatype),)))


def test_bytes_that_are_no_payload_raise_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decode(b"\xff\xff\xff")


def test_topics_of_the_namespace() -> None:
    assert topic("Plant1", MessageType.DBIRTH, "Line2", "filler") == "spBv1.0/Plant1/DBIRTH/Line2/filler"
    assert topic("Plant1", MessageType.NDEATH, "Line2") == "spBv1.0/Plant1/NDEATH/Line2"
    parsed = parse_topic("spBv1.0/Plant1/DCMD/Line2/filler")
    assert (parsed.group_id, parsed.message_type, parsed.edge_node_id, parsed.device_id) == (
        "Plant1",
        MessageType.DCMD,
        "Line2",
        "filler",
    )
    assert str(parsed) == "spBv1.0/Plant1/DCMD/Line2/filler"
    assert state_topic("scada") == "spBv1.0/STATE/scada"
    assert parse_state_topic("spBv1.0/STATE/scada") == "scada"


@pytest.mark.parametrize(
    "bad", ["spBv1.0/P/NBIRTH/L/d", "spBv1.0/P/DDATA/L", "spBv1.0/P/XDATA/L", "spAv1.0/P/NDATA/L"]
)
def test_a_topic_outside_the_namespace_is_refused(bad: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(bad)


def test_an_id_with_a_wildcard_is_refused() -> None:
    with pytest.raises(TopicError):
        topic("Plant+1", MessageType.NDATA, "L")


def test_the_state_body_is_the_json_of_the_specification() -> None:
    assert encode_state(State(True, 1700000000000)) == b'{"online": true, "timestamp": 1700000000000}'
    assert decode_state(b'{"online": false, "timestamp": 3}') == State(False, 3)
    with pytest.raises(TopicError):
        decode_state(b'{"online": "yes", "timestamp": 3}')
