"""The simulated line and a real station, end to end over Modbus TCP and S7 on 127.0.0.1: the
station counts exactly the parts the simulator made, and keeps counting through a PLC outage."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.sim.runner import SimLine
from connectors.sim.script import parse_script
from core.config import Config, parse_config
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store
from hmi.paths import socket_path
from hmi.station.runtime import Station
from scripts import loopback_line
from tests.ports import free_port

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

CONFIG = loopback_line.line(
    site="E2E",
    small_stop_threshold_s=1,
    filler_plc="filler-plc",
    connections=(
        loopback_line.modbus_connection(
            "filler-plc", "modbus", poll_s=0.1, timeout_s=0.5, reconnect_max_s=0.5
        )
        + loopback_line.s7_connection("labeller-plc", "s7", poll_s=0.1, timeout_s=0.5, reconnect_max_s=0.5)
    ),
    second="""
[[lines.equipment]]
id = "LABELLER"
ideal_cycle_time_s = 0.4
counter_max = 2147483647
signals = [
  {{ signal = "running", connection = "labeller-plc", address = "DB1.DBX0.0", type = "bool" }},
  {{ signal = "total_count", connection = "labeller-plc", address = "DB1.DBD2", type = "int32" }},
  {{ signal = "reject_count", connection = "labeller-plc", address = "DB1.DBD6", type = "int32" }},
]
""",
)

# Both machines stand still while the station connects and at the end, so the station's first
# and last reads see counters that do not move: the comparison can be exact.
SCRIPT = """
0    stop FILLER for 3
0    stop LABELLER for 3
5    down filler-plc for 2
12   stop FILLER for 60
12   stop LABELLER for 60
"""


@pytest.fixture
def config() -> Config:
    return parse_config(CONFIG.format(modbus=free_port(), s7=free_port()), Path("e2e.toml"))


async def _run(config: Config, db: Path) -> tuple[SimLine, Station, float]:
    sim = SimLine(config, seed=7, script=parse_script(SCRIPT, "e2e.txt", config), speed=20)
    await sim.start()
    station = Station(config, db)
    station.open()
    await station.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 16:
            await asyncio.sleep(0.2)
    finally:
        await station.stop()
        await sim.stop()
    assert sim.started_at is not None
    return sim, station, sim.started_at


def test_the_station_counts_exactly_what_the_simulator_made(tmp_path: Path, config: Config) -> None:
    db = tmp_path / "station.db"
    sim, _, started = asyncio.run(_run(config, db))
    assert sim.model is not None
    with Store.open(db) as store:
        engine = rebuild(config, store)
        end = engine.now
        assert end is not None
        for eq in ("FILLER", "LABELLER"):
            made = sim.model.truth()[eq]
            before = sim.model.counts_at(eq, started + 2.5)  # what the station's first read saw
            m = engine.metrics(eq, started - 10, end)
            assert made.total - before.total > 100, eq  # it really produced while we watched
            assert m.total_count == made.total - before.total, eq
            assert m.reject_count == made.reject - before.reject, eq
        # The Modbus PLC was down for two seconds while the filler ran on: communication loss,
        # but its counter, back, shows the parts made meanwhile, so that part of it is inferred
        # run time (docs/OEE.md, "Parts across a communication loss").
        filler = engine.metrics("FILLER", started, end)
        lost = filler.comms_loss_time_s + filler.inferred_run_time_s
        assert lost >= 1.0
        assert filler.inferred_run_time_s > 0
        labeller = engine.metrics("LABELLER", started, end)
        assert labeller.comms_loss_time_s + labeller.inferred_run_time_s < lost


def _tags_with_a_value(sock: Path) -> set[tuple[str, str]]:
    """The (equipment, signal) pairs the running station has a value for, asked over its socket."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(sock))
            s.sendall(b'{"id":1,"op":"view","name":"tags"}\n')
            answer = json.loads(s.makefile(encoding="utf-8").readline())
    except (FileNotFoundError, ConnectionRefusedError):  # not serving yet
        return set()
    return {(t["equipment"], t["signal"]) for t in answer["result"] if t["value"] is not None}


def test_ms5_engine_prints_connection_changes_and_stops_cleanly_on_sigterm(
    tmp_path: Path, config: Config
) -> None:

    root = Path(__file__).resolve().parent.parent
    cfg = tmp_path / "e2e.toml"
    ports = [c.port for c in config.connections]
    cfg.write_text(CONFIG.format(modbus=ports[0], s7=ports[1]))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sim = subprocess.Popen(
        [sys.executable, "-m", "hmi.cli", "sim", str(cfg), "--speed", "10"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        served = [sim.stdout.readline() for _ in range(2)]
        assert all(line.startswith("serving") for line in served), served
        db = tmp_path / "station.db"
        station = subprocess.Popen(
            [sys.executable, "-m", "hmi.cli", "engine", str(cfg), "--db", str(db)],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert station.stdout is not None
        lines = [station.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("station: 2 connection(s)")
        assert sorted(lines[1:]) == ["filler-plc [modbus]: connected", "labeller-plc [s7]: connected"]
        bound = {(eq.id, str(b.signal)) for line in config.lines for eq in line.equipment for b in eq.signals}
        deadline = time.monotonic() + 60  # only stops a hung test
        while (seen := _tags_with_a_value(socket_path(db))) != bound:
            assert time.monotonic() < deadline, sorted(bound - seen)
            time.sleep(0.05)
        station.send_signal(signal.SIGTERM)
        out, err = station.communicate(timeout=30)
        assert station.returncode == 0, err
        assert "station: stopped, store closed" in out
        assert "Traceback" not in err
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.communicate(timeout=30)
    with Store.open(db) as store:
        journaled = {(r.equipment, r.signal) for _id, r in store.journal() if isinstance(r, Sample)}
    assert journaled >= bound  # every value the station had shown was committed on the way out
