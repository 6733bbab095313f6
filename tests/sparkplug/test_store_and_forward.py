"""Store-and-forward against a real Mosquitto: the broker killed and restarted, the values of the
outage flushed after the births, oldest first, historical, nothing lost against the journal."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from core.samples import Sample
from hmi.station.runtime import Station
from hmi.station.views import health_view
from tests.sparkplug.broker import Mosquitto, Subscriber, subscriber
from tests.sparkplug.test_edge_node import by_name, sparkplug_config, started

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

WAIT_S = 60.0


async def until(predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0.02)  # polls the condition itself

    await asyncio.wait_for(loop(), timeout)


def journal_faults(db: Path) -> list[float]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT value FROM journal WHERE equipment = 'FILLER' AND signal = 'fault_code' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [float(v) for (v,) in rows]


def faults_seen(sub: Subscriber, alias: int) -> list[tuple[int, bool, int]]:
    """(value, is_historical, timestamp) of FILLER's fault code in every DDATA, in arrival order."""
    return [
        (int(m.value), m.is_historical, m.timestamp_ms or 0)  # type: ignore[arg-type]
        for d in sub.of("DDATA", "FILLER")
        for m in d.payload.metrics
        if m.alias == alias
    ]


async def test_an_outage_is_flushed_in_order_after_the_births_with_nothing_lost(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    db = tmp_path / "s.db"
    station: Station | None = None
    try:
        async with subscriber(broker.port) as sub:
            station = await started(sparkplug_config(broker.url), db)
            uplink = station.uplink
            assert uplink is not None
            await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
            alias = by_name(next(m for m in sub.of("DBIRTH") if m.topic.device_id == "FILLER"))[
                "State/FaultCode"
            ].alias
            assert alias is not None
            for code in (101, 0):  # live, before the outage
                station.ingest([Sample(time.time(), "FILLER", "fault_code", float(code))])
                await until(partial(lambda c: any(v == c for v, _h, _t in faults_seen(sub, alias)), code))
            before = faults_seen(sub, alias)
        broker.kill()

        outage = [205, 0, 101, 205, 0, 101, 0]
        for code in outage:
            station.ingest([Sample(time.time(), "FILLER", "fault_code", float(code))])
            # Each change seen by a scan before the next: a scan sends the value it sees.
            await until(partial(lambda c: uplink.last_sent("FILLER", "State/FaultCode") == c, code))
        await until(lambda: not uplink.online)
        health = health_view(station)
        assert health["uplink_buffered"] >= len(outage) and "buffered" in str(health["uplink_problem"])

        broker.start()
        async with subscriber(broker.port) as sub:
            await sub.wait_for(lambda _: len(faults_seen(sub, alias)) >= len(outage))
            kinds = [m.topic.message_type.value for m in sub.messages]
            # Births first, then the history.
            assert kinds[:3] == ["NBIRTH", "DBIRTH", "DBIRTH"]
            flushed = faults_seen(sub, alias)[: len(outage)]
            assert [v for v, _h, _t in flushed] == outage
            assert all(h for _v, h, _t in flushed)
            stamps = [t for _v, _h, t in flushed]
            assert stamps == sorted(stamps) and stamps[0] > before[-1][2]
            await until(lambda: uplink.online)  # the buffer flushed: then live again
            station.ingest([Sample(time.time(), "FILLER", "fault_code", 205.0)])
            await sub.wait_for(lambda _: len(faults_seen(sub, alias)) == len(outage) + 1)
            assert faults_seen(sub, alias)[-1][:2] == (205, False)
            assert station.store is not None
            station.store.flush()  # the journal commits once a second
            everything = [v for v, _h, _t in before + faults_seen(sub, alias)]
            assert everything == [int(v) for v in journal_faults(db)]  # nothing lost
            await until(lambda: uplink.buffer is not None and uplink.buffer.count == 0)
            assert health_view(station)["uplink_problem"] is None
    finally:
        if station is not None:
            await station.stop()
        broker.kill()
