"""`ms5 demo --broker URL`: the demo line published as an edge node on a real Mosquitto."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_config
from hmi.paths import DEMO_CONFIG
from tests.cli_runs import run_in_process
from tests.sparkplug.broker import Mosquitto, subscriber
from tests.sparkplug.test_edge_node import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.asyncio
async def test_the_demo_line_is_born_on_the_broker_and_sends_data(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    from scripts.bench_panel import demo_config_on_free_ports

    config = tmp_path / "line.toml"  # the demo's usual PLC ports may be held by another run
    config.write_text(demo_config_on_free_ports(), encoding="utf-8")
    env = {**os.environ, "MS5_DATA_DIR": str(tmp_path / "data")}
    argv = [
        sys.executable,
        "-m",
        "hmi.cli",
        "demo",
        str(config),
        "--face",
        "text",
        "--broker",
        broker.url,
        "--group",
        "Site9",
    ]
    machines = {eq.id for line in load_config(DEMO_CONFIG).lines for eq in line.equipment}
    proc: subprocess.Popen[bytes] | None = None
    try:
        async with subscriber(broker.port) as sub:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            await sub.wait_for(
                lambda _: {m.topic.device_id for m in sub.of("DBIRTH")} == machines, timeout=90
            )
            assert {m.topic.group_id for m in sub.messages} == {"Site9"}
            await sub.wait_for(lambda _: len(sub.of("DDATA")) > 0, timeout=90)  # the simulated line runs
    finally:
        if proc is not None:
            proc.terminate()
            await asyncio.to_thread(proc.wait, 60)
        broker.kill()


def test_a_broker_that_is_no_mqtt_address_is_a_usage_error() -> None:
    outcome = run_in_process("demo", "--face", "text", "--broker", "http://broker:80")
    assert outcome.returncode == 2 and "mqtt://" in outcome.stderr
