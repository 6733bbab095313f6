"""The panel hosts the station in Qt's loop (qasync): the edge node's aiomqtt client, which needs
the loop's add_reader/add_writer, must run there too. A real Mosquitto, a real station."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import qasync

from core.config import parse_config
from core.samples import Sample
from hmi.panel import language
from hmi.panel.model import PanelModel
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.uplink import uplink_text
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station
from sparkplug.payload import Metric
from tests.sparkplug.broker import Mosquitto, subscriber
from tests.sparkplug.test_edge_node import REFERENCE, by_name, sparkplug_config

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


def test_the_overview_says_the_uplink_in_german(qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    """The health line's uplink part is worded by the panel: under German no English word of ours
    is left, only the broker's own reason (docs/PANEL.md, "Languages")."""
    broker = Mosquitto(tmp_path)
    anonymous = broker.conf.read_text(encoding="utf-8")
    broker.conf.write_text(
        anonymous.replace("allow_anonymous true", "allow_anonymous false"), encoding="utf-8"
    )
    broker.start()
    text = (
        REFERENCE
        + f'\n[panel]\nlanguage = "de"\n\n[sparkplug]\nbroker = "{broker.url}"\ngroup_id = "Plant1"\n'
    )
    config = parse_config(text, Path("line-de.toml"))

    async def until(predicate: Callable[[], bool]) -> None:
        while not predicate():
            await asyncio.sleep(0.02)  # polls the effect itself

    async def run() -> tuple[str, dict[str, Any]]:
        station = Station(config, tmp_path / "s.db")
        station.open()
        await station.start()
        try:
            uplink = station.uplink
            assert uplink is not None
            await asyncio.wait_for(until(lambda: uplink.phase == "offline" and uplink.buffer is not None), 30)
            await asyncio.wait_for(
                until(lambda: uplink.last_sent("FILLER", "State/Condition") is not None), 30
            )
            station.ingest([Sample(time.time(), "FILLER", "running", 1.0)])
            await asyncio.wait_for(until(lambda: uplink.status()["buffered"] >= 1), 30)
            window = PanelWindow(await PanelModel.attach(LocalLink(station)))
            try:
                window.show()
                window.refresh_now()
                overview = window.screens["overview"]
                assert isinstance(overview, OverviewScreen)
                await asyncio.wait_for(until(lambda: "Sparkplug" in overview.health.text()), 30)
                return overview.health.text(), uplink.status()
            finally:
                window.close()
        finally:
            await station.stop()

    try:
        german, status = qloop.run_until_complete(run())
    finally:
        language.install("")  # the application's translator: back to English for the next test
        broker.kill()
    assert (
        german.startswith("Sparkplug: Anlagen-Broker nicht erreichbar (")
        and "Nachrichten gepuffert" in german
    )
    english = uplink_text(status)
    assert english.startswith("Sparkplug: plant broker offline (")

    def words(line: str) -> set[str]:
        return set(re.findall(r"[^\W\d_]{2,}", line.replace(str(status["why"]), " ")))

    assert words(german) & words(english) == {"Sparkplug", "MB"}
