"""Failures told apart, against a real Mosquitto: a broker that refuses the node is a state (one
line when it starts, one when it is over, nothing per retry); our own bug (a metric that raises, a
command whose handling raises) is told once with its traceback and keeps the session: no NDEATH,
no new NBIRTH, the other values still sent."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.engine_state import PrunedWindow
from core.samples import Sample
from hmi.sparkplug import connect, edge
from hmi.station.views import health_view
from sparkplug.payload import REBIRTH, DataType, Metric, Payload, Value, encode
from tests.sparkplug.broker import Mosquitto, Subscriber
from tests.sparkplug.test_edge_node import broker, by_name, sparkplug_config, started, sub

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]
__all__ = ["broker", "sub"]  # the fixtures, shared with the edge node's tests

LOG = "ms5.sparkplug"


async def until(predicate: Callable[[], bool]) -> None:
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0.02)  # polls the effect itself

    await asyncio.wait_for(loop(), 30)


def records(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOG and r.levelno == level and text in r.getMessage()]


def has_value(sub: Subscriber, kind: str, device: str, alias: int | None, value: Value) -> bool:
    return any(m.alias == alias and m.value == value for d in sub.of(kind, device) for m in d.payload.metrics)


async def test_a_metric_that_raises_is_told_once_and_the_session_goes_on(
    tmp_path: Path,
    broker: Mosquitto,
    sub: Subscriber,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, LOG)
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        uplink = station.uplink
        assert uplink is not None
        real = uplink.reader.device
        raised = [0]
        broken = [True]

        def device(eq: str, now: float, *, figures: bool) -> dict[str, Value]:
            if eq == "FILLER" and broken[0]:
                raised[0] += 1  # the bug of old: a ValueError of ours, once taken for a broker fault
                raise PrunedWindow("a window before what the engine keeps")
            return real(eq, now, figures=figures)

        monkeypatch.setattr(uplink.reader, "device", device)  # before its task first runs
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        (filler,) = (by_name(m) for m in sub.of("DBIRTH", "FILLER"))
        assert filler["State/Running"].value is None  # born all the same, its values unknown
        capper = by_name(sub.of("DBIRTH", "CAPPER")[0])
        await until(lambda: raised[0] >= 5)  # every scan meets it
        problem = health_view(station)["uplink_problem"]
        assert "internal error reading FILLER: PrunedWindow" in str(problem)
        errors = records(caplog, logging.ERROR, "internal error")
        assert len(errors) == 1 and errors[0].exc_info is not None  # once, with the traceback

        station.ingest([Sample(time.time(), "CAPPER", "state", 6.0)])  # the others still go
        await sub.wait_for(lambda _: has_value(sub, "DDATA", "CAPPER", capper["State/PackML"].alias, 6))
        broken[0] = False
        station.ingest([Sample(time.time(), "FILLER", "running", 1.0)])
        await sub.wait_for(lambda _: has_value(sub, "DDATA", "FILLER", filler["State/Running"].alias, True))
        assert uplink.online and health_view(station)["uplink_problem"] is None
        assert len(sub.of("NBIRTH")) == 1 and sub.of("NDEATH") == []  # one session throughout
        assert len(records(caplog, logging.WARNING, "reading FILLER works again")) == 1
        assert records(caplog, logging.WARNING, "no session") == []
    finally:
        await station.stop()


async def test_a_command_whose_handling_raises_loses_that_command_not_the_session(
    tmp_path: Path,
    broker: Mosquitto,
    sub: Subscriber,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: object) -> None:
        raise KeyError("audit")  # a bug of ours in the refusal

    monkeypatch.setattr(connect, "refuse", refuse)
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        assert sub.client is not None
        write = Payload(int(time.time() * 1000), (Metric("Counts/Good", 0, DataType.Int64),))
        await sub.client.publish("spBv1.0/Plant1/DCMD/L1/FILLER", encode(write), qos=1)
        rebirth = Payload(int(time.time() * 1000), (Metric(REBIRTH, True, DataType.Boolean),))
        await sub.client.publish("spBv1.0/Plant1/NCMD/L1", encode(rebirth), qos=1)
        await sub.wait_for(lambda _: len(sub.of("NBIRTH")) == 2)  # the next command is answered
        assert sub.of("NDEATH") == [] and by_name(sub.of("NBIRTH")[1])["bdSeq"].value == 0
        errors = records(caplog, logging.ERROR, "internal error (a bug, not the broker) answering a command")
        assert len(errors) == 1 and errors[0].exc_info is not None
    finally:
        await station.stop()


async def test_a_broker_that_refuses_is_a_state_told_when_it_starts_and_when_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOG)
    b = Mosquitto(tmp_path)
    anonymous = b.conf.read_text(encoding="utf-8")
    b.conf.write_text(anonymous.replace("allow_anonymous true", "allow_anonymous false"), encoding="utf-8")
    b.start()
    station = await started(sparkplug_config(b.url), tmp_path / "s.db")
    try:
        uplink = station.uplink
        assert uplink is not None
        # Three tries refused (each takes the next bdSeq, 0, 1, 2):
        await until(lambda: (uplink.bd_seq or 0) >= 2 and uplink.state.startswith("offline"))
        assert "not authori" in uplink.state.lower()
        assert str(health_view(station)["uplink_problem"]).startswith("Sparkplug: plant broker offline (")
        told = records(caplog, logging.WARNING, "no session with the plant broker")
        assert len(told) == 1 and told[0].exc_info is None  # a state: once, no traceback
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

        b.kill()  # the broker's admin lets the node in
        b.conf.write_text(anonymous, encoding="utf-8")
        b.start()
        await until(lambda: uplink.online)
        back = records(caplog, logging.WARNING, "online again")
        assert len(back) == 1
        # Once per reason: the refusal, maybe the port closed while the broker restarted, never
        # the same line twice in a row.
        lines = [r.getMessage() for r in records(caplog, logging.WARNING, "no session with the plant broker")]
        assert "not authori" in lines[0].lower() and all(a != b for a, b in itertools.pairwise(lines))
    finally:
        await station.stop()
        b.kill()


async def test_a_value_that_cannot_be_encoded_is_skipped_with_no_gap_in_seq(
    tmp_path: Path,
    broker: Mosquitto,
    sub: Subscriber,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        uplink = station.uplink
        assert uplink is not None
        real = uplink.reader.device
        bad = [False]

        def device(eq: str, now: float, *, figures: bool) -> dict[str, Value]:
            values = real(eq, now, figures=figures)
            if eq == "FILLER" and bad[0]:
                values["State/FaultCode"] = 2**40  # no Int32: a bug of ours in a metric
            return values

        monkeypatch.setattr(uplink.reader, "device", device)
        await sub.wait_for(lambda _: len(sub.of("DBIRTH")) == 2)
        filler = by_name(sub.of("DBIRTH", "FILLER")[0])
        bad[0] = True
        await until(lambda: "sending FILLER" in uplink.trouble.bugs)
        bad[0] = False
        station.ingest([Sample(time.time(), "FILLER", "fault_code", 7.0)])
        await sub.wait_for(lambda _: has_value(sub, "DDATA", "FILLER", filler["State/FaultCode"].alias, 7))
        seqs = [m.payload.seq for m in sub.messages if m.topic.message_type.value != "NDEATH"]
        assert seqs == list(range(len(seqs)))  # the skipped DDATA took no seq: no rebirth asked
        assert len(sub.of("NBIRTH")) == 1 and sub.of("NDEATH") == []
        errors = records(caplog, logging.ERROR, "sending FILLER: PayloadError")
        assert len(errors) == 1 and errors[0].exc_info is not None
        await until(lambda: uplink.trouble.bugs == {})  # once its PUBACK came: over
        assert uplink.online
    finally:
        await station.stop()


async def test_a_bug_in_the_session_ends_it_with_its_ndeath_and_no_quick_rebirth(
    tmp_path: Path,
    broker: Mosquitto,
    sub: Subscriber,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def flush(*_: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'oldest'")  # a bug of ours

    monkeypatch.setattr(edge, "flush", flush)
    station = await started(sparkplug_config(broker.url), tmp_path / "s.db")
    try:
        uplink = station.uplink
        assert uplink is not None
        await sub.wait_for(lambda _: len(sub.of("NDEATH")) == 1)  # said, not left to the will
        assert by_name(sub.of("NDEATH")[0])["bdSeq"].value == by_name(sub.of("NBIRTH")[0])["bdSeq"].value
        await until(lambda: uplink.phase == "error")
        assert f"tried again in {edge.BUG_RETRY_S:.0f} s" in uplink.state  # not in 1 s: no rebirth storm
        assert "internal error in the session: AttributeError" in str(health_view(station)["uplink_problem"])
        errors = records(caplog, logging.ERROR, "in the session: AttributeError")
        assert len(errors) == 1 and errors[0].exc_info is not None
        assert records(caplog, logging.WARNING, "no session with the plant broker") == []  # no broker fault
    finally:
        await station.stop()
