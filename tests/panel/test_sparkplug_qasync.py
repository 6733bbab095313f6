"""The panel hosts the station in Qt's loop (qasync): the edge node's aiomqtt client, which needs
the loop's add_reader/add_writer, must run there too. A real Mosquitto, a real station."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import qasync

from core.samples import Sample
from hmi.station.runtime import Station
from sparkplug.payload import Metric
from tests.sparkplug.broker import Mosquitto, subscriber
from tests.sparkplug.test_edge_node import by_name, sparkplug_config

pytestmark = pytest.mark.slow


def test_the_edge_node_publishes_from_the_qt_loop(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()

    async def run() -> None:
        async with subscriber(broker.port) as sub:
            station = Station(sparkplug_config(broker.url), tmp_path / "s.db")
            station.open()
            await station.start()
            try:
                await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
                filler = next(m for m in sub.of("DBIRTH") if m.topic.device_id == "FILLER")
                alias = by_name(filler)["State/FaultCode"].alias
                station.ingest([Sample(time.time(), "FILLER", "fault_code", 101.0)])

                def data() -> list[Metric]:
                    return [m for d in sub.of("DDATA") for m in d.payload.metrics]

                await sub.wait_for(lambda _: any(m.alias == alias and m.value == 101 for m in data()))
            finally:
                await station.stop()

    try:
        qloop.run_until_complete(run())
    finally:
        broker.kill()
