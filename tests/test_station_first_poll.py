"""No start-up blip: before a connection's first poll completes its tags are unknown, not comms
loss, so a machine whose PLC answers a moment after another's (OPC UA needs a session, Modbus
only a socket) is running from the station's start; a PLC that never answers is comms loss from
the start. A real station on a fresh SQLite file and real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from connectors.registry import tags_by_connection
from connectors.sim.modbus_server import ModbusSimServer
from connectors.sim.opcua_server import OpcUaSimServer
from core.config import parse_config
from hmi.station.runtime import Station
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

CONFIG = """
[site]
name = "First poll"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.shifts]]
name = "Day"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "12:00"

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "12:00"
end = "00:00"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 1
signals = [{{ signal = "running", connection = "filler-plc", address = "coil:0", type = "bool" }}]

[[lines.equipment]]
id = "CAPPER"
ideal_cycle_time_s = 1
signals = [
  {{ signal = "running", connection = "capper-plc", address = "ns=2;s=Capper.Running", type = "bool" }},
]

[[lines.equipment]]
id = "LABELLER"
ideal_cycle_time_s = 1
signals = [{{ signal = "running", connection = "labeller-plc", address = "coil:0", type = "bool" }}]

[[connections]]
id = "filler-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {filler}
poll_interval_s = 0.2

[[connections]]
id = "capper-plc"
protocol = "opcua"
host = "127.0.0.1"
port = {capper_proxy}
poll_interval_s = 0.2

# Nothing listens here: the labeller's PLC never answers.
[[connections]]
id = "labeller-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {labeller}
poll_interval_s = 0.2
timeout_s = 0.3
"""


def test_a_plc_that_answers_late_is_not_comms_loss_one_that_never_answers_is(tmp_path: Path) -> None:
    ports = {
        "filler": free_port(),
        "capper": free_port(),
        "capper_proxy": free_port(),
        "labeller": free_port(),
    }
    config = parse_config(CONFIG.format(**ports), tmp_path / "line.toml")
    tags = tags_by_connection(config)
    by_id = {c.id: c for c in config.connections}
    # The capper's OPC UA server listens on its own port, behind a slow link.
    capper_conn = by_id["capper-plc"].model_copy(update={"port": ports["capper"]})

    async def scenario() -> tuple[float, float, Station]:
        servers = [
            ModbusSimServer(by_id["filler-plc"], tags["filler-plc"]),
            OpcUaSimServer(capper_conn, tags["capper-plc"]),
        ]
        for server in servers:
            server.set(0, 1.0)  # both machines run
            await server.start()
        proxy = await asyncio.start_server(_late(ports["capper"]), "127.0.0.1", ports["capper_proxy"])
        station = Station(config, tmp_path / "station.db")
        try:
            await station.start()
            # Until the PLCs have been read a good while (the labeller's failed its first attempt).
            await asyncio.wait_for(_polled(station, 10), 60)  # a guard against a hang, not a limit
        finally:
            await station.stop()
            proxy.close()
            for server in servers:
                await server.stop()
        engine = station.engine
        assert engine is not None and station.started_at is not None and engine.now is not None
        return station.started_at, engine.now, station

    start, end, station = asyncio.run(scenario())
    engine = station.engine
    assert engine is not None
    whole = end - start  # the run, all of it scheduled (two twelve-hour shifts, no breaks)
    filler, capper, labeller = (engine.metrics(eq, start, end) for eq in ("FILLER", "CAPPER", "LABELLER"))
    # By hand: the filler and the capper ran from the start to the end, no second of comms loss,
    # though the capper's first value came LATE_S after the filler's (two ticks and more later).
    assert filler.comms_loss_time_s == 0.0
    assert filler.running_time_s == pytest.approx(whole)
    assert capper.comms_loss_time_s == 0.0
    assert capper.running_time_s == pytest.approx(whole)
    # The labeller's PLC never answered: comms loss from the start to the end, as before.
    assert labeller.comms_loss_time_s == pytest.approx(whole)
    assert labeller.running_time_s == 0.0
    # And nobody saw a comms-loss stop on the machines that answered.
    assert engine.downtime_events("FILLER", start, end) == []
    assert engine.downtime_events("CAPPER", start, end) == []


LATE_S = 1.2  # longer than a station tick (0.5 s) and several filler polls, within the timeouts


def _late(port: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A slow link to the capper's server: each connection is passed on LATE_S after it opened."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(LATE_S)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return serve


async def _polled(station: Station, polls: int) -> None:
    live = [r for r in station.runners if r.connection.id != "labeller-plc"]
    dead = next(r for r in station.runners if r.connection.id == "labeller-plc")
    while not (all(r.diagnostics.polls >= polls for r in live) and dead.first_poll.is_set()):
        await asyncio.sleep(0.02)
