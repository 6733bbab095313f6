"""The edge node in a station against a real Mosquitto: births, data by exception with aliases,
rebirth on NCMD, commands refused and audited. Read back with a subscriber on the same broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from core.config import Config, parse_config
from core.samples import Sample
from hmi.station.runtime import Station
from sparkplug.payload import BDSEQ, REBIRTH, DataType, Metric, Payload, encode
from sparkplug.topics import State, encode_state
from tests.sparkplug.broker import Mosquitto, Received, Subscriber, subscriber

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "tests" / "data" / "reference.toml").read_text()


def sparkplug_config(url: str, extra: str = "") -> Config:
    text = (
        REFERENCE + f'\n[sparkplug]\nbroker = "{url}"\ngroup_id = "Plant1"\nfigures_interval_s = 0.5\n{extra}'
    )
    return parse_config(text, Path("line.toml"))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path)
    b.start()
    yield b
    b.kill()


@pytest_asyncio.fixture
async def sub(broker: Mosquitto) -> AsyncIterator[Subscriber]:
    async with subscriber(broker.port) as s:
        yield s


def by_name(message: Received) -> dict[str, Metric]:
    return {m.name: m for m in message.payload.metrics if m.name is not None}


async def started(config: Config, db: Path) -> Station:
    station = Station(config, db)
    station.open()
    await station.start()
    return station


async def test_births_then_data_by_exception_with_aliases_only(
    tmp_path: Path, broker: Mosquitto, sub: Subscriber
) -> None:
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        (nbirth,) = sub.of("NBIRTH")
        assert nbirth.topic.edge_node_id == "L1" and nbirth.topic.group_id == "Plant1"
        assert nbirth.payload.seq == 0
        node = by_name(nbirth)
        assert node[BDSEQ].value == 0 and node[REBIRTH].value is False
        assert node["Line/Constraint"].value == "FILLER"
        dbirths = {m.topic.device_id: m for m in sub.of("DBIRTH")}
        assert set(dbirths) == {"FILLER", "CAPPER"}
        assert sorted(m.payload.seq or 0 for m in dbirths.values()) == [1, 2]
        filler = by_name(dbirths["FILLER"])
        aliases = [m.alias for m in nbirth.payload.metrics] + [
            m.alias for d in dbirths.values() for m in d.payload.metrics
        ]
        assert None not in aliases and len(set(aliases)) == len(aliases)  # unique across the node
        assert filler["Counts/Good"].datatype == DataType.Int64 and filler["Counts/Good"].value == 0
        assert filler["Shift/OEE"].properties == {"engUnit": "ratio"}

        now = time.time()
        station.ingest([Sample(now, "FILLER", "running", 1.0), Sample(now, "FILLER", "good_count", 0.0)])
        station.ingest([Sample(now + 0.01, "CAPPER", "state", 6.0)])
        good_alias = filler["Counts/Good"].alias
        packml_alias = by_name(dbirths["CAPPER"])["State/PackML"].alias

        def data_has(device: str, alias: int | None, value: object) -> bool:
            return any(
                m.alias == alias and m.value == value
                for d in sub.of("DDATA", device)
                for m in d.payload.metrics
            )

        await sub.wait_for(lambda _: data_has("CAPPER", packml_alias, 6))
        for later in (1.5, 2.5):  # counters reach the engine at most once a second
            station.ingest([Sample(now + later, "FILLER", "good_count", 7.0 if later > 2 else 3.0)])
        await sub.wait_for(lambda _: data_has("FILLER", good_alias, 7))
        data = sub.of("DDATA")
        assert all(m.name is None and m.alias is not None for d in data for m in d.payload.metrics)
        seqs = [m.payload.seq for m in sub.messages if m.topic.message_type.value != "NDEATH"]
        assert seqs == [i % 256 for i in range(len(seqs))]  # 0, 1, 2 … on every message
        goods = [
            m.value for d in sub.of("DDATA", "FILLER") for m in d.payload.metrics if m.alias == good_alias
        ]
        assert goods == [3, 7]  # by exception: each value once
    finally:
        await station.stop()


async def test_rebirth_on_ncmd_and_every_other_command_refused_and_audited(
    tmp_path: Path, broker: Mosquitto, sub: Subscriber
) -> None:
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        assert sub.client is not None
        rebirth = Payload(int(time.time() * 1000), (Metric(REBIRTH, True, DataType.Boolean),))
        await sub.client.publish("spBv1.0/Plant1/NCMD/L1", encode(rebirth), qos=1)
        await sub.wait_for(lambda _: len(sub.of("NBIRTH")) == 2 and len(sub.of("DBIRTH")) == 4)
        second = sub.of("NBIRTH")[1]
        assert second.payload.seq == 0 and by_name(second)[BDSEQ].value == 0  # same session, same bdSeq

        write = Payload(int(time.time() * 1000), (Metric("Counts/Good", 0, DataType.Int64),))
        await sub.client.publish("spBv1.0/Plant1/DCMD/L1/FILLER", encode(write), qos=1)
        gate = station.gate
        assert gate is not None

        def refused() -> bool:
            return any(r.command == "sparkplug DCMD" and r.result == "refused" for r in gate.audit.rows())

        async def until_refused() -> None:
            while not refused():
                await asyncio.sleep(0.05)  # polls the audit table: the effect itself

        await asyncio.wait_for(until_refused(), 30)
        row = next(r for r in gate.audit.rows() if r.command == "sparkplug DCMD")
        assert row.target == "FILLER" and "Counts/Good" in str(row.detail) and "PIN" in str(row.detail)
        assert station.engine is not None and len(sub.of("NBIRTH")) == 2  # and nothing else happened
    finally:
        await station.stop()


async def test_with_a_primary_host_the_node_waits_for_its_state_online(
    tmp_path: Path, broker: Mosquitto, sub: Subscriber
) -> None:
    config = sparkplug_config(broker.url, 'primary_host_id = "scada"\n')
    station = await started(config, tmp_path / "s.db")
    try:
        uplink = station.uplink
        assert uplink is not None and sub.client is not None

        async def until_waiting() -> None:
            while uplink.state != "waiting for primary host scada":
                await asyncio.sleep(0.02)  # polls the state itself

        await asyncio.wait_for(until_waiting(), 30)
        assert sub.of("NBIRTH") == []  # subscribed, and silent until the host is there
        online = encode_state(State(True, int(time.time() * 1000)))
        await sub.client.publish("spBv1.0/STATE/scada", online, qos=1, retain=True)
        await sub.wait_for(lambda _: len(sub.of("NBIRTH")) == 1)
        offline = encode_state(State(False, int(time.time() * 1000)))
        await sub.client.publish("spBv1.0/STATE/scada", offline, qos=1, retain=True)
        await sub.wait_for(lambda _: len(sub.of("NDEATH")) == 1)  # the host went away: so does the node
        assert by_name(sub.of("NDEATH")[0])[BDSEQ].value == by_name(sub.of("NBIRTH")[0])[BDSEQ].value
    finally:
        await station.stop()


async def test_a_plc_change_goes_to_the_broker_at_once_not_at_the_next_scan(
    tmp_path: Path, broker: Mosquitto, sub: Subscriber
) -> None:
    config = sparkplug_config(broker.url)
    assert config.sparkplug is not None
    # A scan interval no change could wait for (past what the config allows): the change must be
    # sent because it came, as the station's ingest wakes the edge node.
    slow = config.sparkplug.model_copy(update={"scan_interval_s": 3600.0})
    station = await started(config.model_copy(update={"sparkplug": slow}), tmp_path / "s.db")
    try:
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        filler = by_name(next(m for m in sub.of("DBIRTH") if m.topic.device_id == "FILLER"))
        running = filler["State/Running"].alias
        assert filler["State/Running"].value is False
        station.ingest([Sample(time.time(), "FILLER", "running", 1.0)])

        def sent() -> bool:
            data = sub.of("DDATA", "FILLER")
            return any(m.alias == running and m.value is True for d in data for m in d.payload.metrics)

        await sub.wait_for(lambda _: sent())
    finally:
        await station.stop()
