"""An equipment's PLC connection lost: its DDEATH; back: its DBIRTH again. A Modbus simulator, a
real Mosquitto, a real station."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.registry import tags_by_connection
from connectors.sim.modbus_server import ModbusSimServer
from core.config import parse_config
from hmi.station.runtime import Station
from tests.ports import free_port
from tests.sparkplug.broker import Mosquitto, subscriber

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

CONFIG = """
[site]
name = "Device death"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 1
signals = [{{ signal = "running", connection = "filler-plc", address = "coil:0", type = "bool" }}]

[[lines.equipment]]
id = "CAPPER"
ideal_cycle_time_s = 1

[[connections]]
id = "filler-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {port}
poll_interval_s = 0.2
timeout_s = 0.3
reconnect_max_s = 0.5

[sparkplug]
broker = "{broker}"
group_id = "Plant1"
"""


async def test_a_lost_plc_brings_ddeath_and_its_return_a_dbirth(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    config = parse_config(CONFIG.format(port=free_port(), broker=broker.url), tmp_path / "line.toml")
    plc = ModbusSimServer(config.connections[0], tags_by_connection(config)["filler-plc"])
    plc.set(0, 1.0)
    await plc.start()
    station = Station(config, tmp_path / "s.db")
    try:
        async with subscriber(broker.port) as sub:
            await station.start()
            await sub.wait_for(lambda _: len(sub.of("DBIRTH", "FILLER")) == 1)
            await plc.stop()
            await sub.wait_for(lambda _: len(sub.of("DDEATH", "FILLER")) == 1, timeout=60)
            assert sub.of("DDEATH", "CAPPER") == []  # its PLC is not the filler's
            plc = ModbusSimServer(config.connections[0], tags_by_connection(config)["filler-plc"])
            plc.set(0, 1.0)
            await plc.start()
            await sub.wait_for(lambda _: len(sub.of("DBIRTH", "FILLER")) == 2, timeout=60)
            kinds = [m.topic.message_type.value for m in sub.messages if m.topic.device_id == "FILLER"]
            assert kinds[kinds.index("DDEATH") :] == ["DDEATH", "DBIRTH"]  # no data while dead
            seqs = [m.payload.seq for m in sub.messages]
            assert seqs == [i % 256 for i in range(len(seqs))]
    finally:
        await station.stop()
        await plc.stop()
        broker.kill()
