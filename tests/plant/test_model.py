"""The plant console's host bookkeeping (hmi/plant/model.py), message by message: when it trusts
what it holds, when it asks a node for a rebirth, when a line is stale."""

from __future__ import annotations

from hmi.plant.model import REBIRTH_AGAIN_S, PlantModel, Rebirth
from sparkplug.payload import BDSEQ, DataType, Metric, Payload
from sparkplug.topics import MessageType, Topic

G, N = "Plant1", "L1"


def msg(
    kind: MessageType, seq: int | None, *metrics: Metric, device: str | None = None
) -> tuple[Topic, Payload]:
    return Topic(G, kind, N, device), Payload(1, metrics, seq=seq)


def birth(plant: PlantModel, bd_seq: int = 7) -> None:
    """NBIRTH 0 with Line/OEE as alias 1, DBIRTH 1 of FILLER with Shift/Good as alias 2."""
    assert (
        plant.receive(
            *msg(
                MessageType.NBIRTH,
                0,
                Metric(BDSEQ, bd_seq, DataType.Int64),
                Metric("Line/OEE", 0.5, DataType.Double, alias=1),
            )
        )
        is None
    )
    dbirth = msg(MessageType.DBIRTH, 1, Metric("Shift/Good", 10, DataType.Int64, alias=2), device="FILLER")
    assert plant.receive(*dbirth) is None


def good(value: int, *, historical: bool = False) -> Metric:
    return Metric(None, value, DataType.Int64, alias=2, is_historical=historical)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_data_in_sequence_by_alias_is_shown_historical_values_are_not() -> None:
    plant = PlantModel()
    birth(plant)
    assert plant.receive(*msg(MessageType.DDATA, 2, good(12), device="FILLER")) is None
    assert plant.receive(*msg(MessageType.DDATA, 3, good(5, historical=True), device="FILLER")) is None
    node = plant.nodes[G, N]
    assert node.devices["FILLER"].values["Shift/Good"] == 12
    assert node.values["Line/OEE"] == 0.5 and node.bd_seq == 7
    assert plant.stale(node) is None


def test_seq_wraps_from_255_to_0() -> None:
    plant = PlantModel()
    birth(plant)
    for seq in [*range(2, 256), 0, 1]:
        assert plant.receive(*msg(MessageType.DDATA, seq, good(seq), device="FILLER")) is None
    assert plant.rebirths_asked == 0


def test_a_seq_gap_an_unknown_alias_and_data_before_a_birth_ask_for_a_rebirth() -> None:
    plant = PlantModel()
    asked = plant.receive(*msg(MessageType.DDATA, 9, good(1), device="FILLER"))
    assert asked == Rebirth(G, N, "data before its birth")

    plant, clock = PlantModel(clock=(clock := Clock())), clock
    birth(plant)
    assert plant.receive(*msg(MessageType.DDATA, 4, good(1), device="FILLER")) == Rebirth(
        G, N, "seq 4 after 1"
    )
    # Asked once, then the birth is waited for: no NCMD per message of a broken node.
    assert plant.receive(*msg(MessageType.DDATA, 9, good(1), device="FILLER")) is None
    clock.t += REBIRTH_AGAIN_S
    assert plant.receive(*msg(MessageType.DDATA, 20, good(1), device="FILLER")) == Rebirth(
        G, N, "seq 20 after 9"
    )
    birth(plant)
    unknown = Metric(None, 3, DataType.Int64, alias=99)
    assert plant.receive(*msg(MessageType.DDATA, 2, unknown, device="FILLER")) == Rebirth(
        G, N, "unknown alias 99"
    )
    clock.t += REBIRTH_AGAIN_S
    assert plant.receive(*msg(MessageType.DDATA, 3, good(1), device="CAPPER")) == Rebirth(
        G, N, "DDATA of CAPPER before its DBIRTH"
    )
    assert plant.rebirths_asked == 4


def test_stale_on_its_death_not_on_an_older_sessions_and_when_silent() -> None:
    clock = Clock()
    plant = PlantModel(silent_s=30, clock=clock)
    birth(plant, bd_seq=7)
    node = plant.nodes[G, N]
    # The will of the session before (bdSeq 6) arrives late: this session lives on.
    plant.receive(*msg(MessageType.NDEATH, None, Metric(BDSEQ, 6, DataType.Int64)))
    assert plant.stale(node) is None
    plant.receive(*msg(MessageType.NDEATH, None, Metric(BDSEQ, 7, DataType.Int64)))
    assert plant.stale(node) == "dead (NDEATH)"
    birth(plant, bd_seq=8)
    assert plant.stale(node) is None
    clock.t += 31
    assert plant.stale(node) == "silent 31 s"
    plant.receive(*msg(MessageType.DDATA, 2, good(1), device="FILLER"))
    assert plant.stale(node) is None


def test_a_device_that_lost_its_plc_and_came_back() -> None:
    plant = PlantModel()
    birth(plant)
    plant.receive(*msg(MessageType.DDEATH, 2, device="FILLER"))
    assert plant.nodes[G, N].devices["FILLER"].dead
    plant.receive(
        *msg(MessageType.DBIRTH, 3, Metric("Shift/Good", 11, DataType.Int64, alias=2), device="FILLER")
    )
    assert not plant.nodes[G, N].devices["FILLER"].dead
