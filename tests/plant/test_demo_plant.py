"""`ms5 demo --plant`: the demo line's station and the plant console on a private Mosquitto, in one
command; the broker gone on every way out; refusals in one line."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_config
from core.config_sparkplug import broker_address
from hmi import mosquitto
from hmi.cli.demo_plant import demo_station
from hmi.cli.main import demo_on_broker
from hmi.mosquitto import Mosquitto, MosquittoMissing, find_mosquitto
from hmi.plant.app import PlantApp
from hmi.plant.host import PlantHost
from hmi.plant.model import PlantModel
from tests.cli_runs import ROOT, run_in_process
from tests.plant.test_plant_console import WAIT_S, rows, until

PID = re.compile(r"^plant: private mosquitto \(pid (\d+)\) on mqtt://127\.0\.0\.1:\d+$", re.MULTILINE)
# The demo line's row: its id, its state, then OEE and A P Q as whole percentages.
ROW = re.compile(r"^plant: L1 +\S+ +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)/(\d+)", re.MULTILINE)


def line_on_free_ports(tmp_path: Path) -> Path:
    from scripts.bench_panel import demo_config_on_free_ports

    config = tmp_path / "line.toml"
    config.write_text(demo_config_on_free_ports(), encoding="utf-8")
    return config


def demo_argv(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hmi.cli", "demo", str(config), "--plant", "--face", "text", *extra]


def env_for(tmp_path: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "MS5_DATA_DIR": str(tmp_path / "data"), **more}


def gone(pid: int) -> bool:
    """The broker's process neither runs nor lingers as a zombie: ms5 reaped it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow  # the demo's four simulated PLCs, a broker and `ms5` as a process
def test_the_plant_rows_show_the_demo_line_with_its_oee_and_the_broker_goes_with_it(tmp_path: Path) -> None:
    config = line_on_free_ports(tmp_path)
    argv = demo_argv(config, "--seconds", "4", "--every", "1")
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env_for(tmp_path), timeout=300)
    assert r.returncode == 0, r.stderr
    pid = PID.search(r.stdout)
    assert pid is not None, r.stdout
    rows_seen = ROW.findall(r.stdout)
    assert rows_seen, r.stdout  # the station's birth reached the plant console through the broker
    oee, a, p, q, good, target = (int(x) for x in rows_seen[-1])
    assert 0 < oee <= 100 and 0 < a <= 100 and 0 < p <= 100 and 0 < q <= 100
    assert good > 0 and target > 0
    assert r.stdout.rstrip().endswith("demo stopped")
    assert gone(int(pid.group(1)))


@pytest.mark.slow
def test_ctrl_c_mid_run_stops_the_demo_cleanly_and_leaves_no_broker(tmp_path: Path) -> None:
    config = line_on_free_ports(tmp_path)
    proc = subprocess.Popen(
        demo_argv(config, "--every", "1"),
        cwd=ROOT,
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    pid = None
    try:
        for text in proc.stdout:  # until the plant console shows the line: the demo runs
            if (m := PID.match(text.rstrip("\n"))) is not None:
                pid = int(m.group(1))
            if ROW.match(text):
                break
        assert pid is not None and not gone(pid)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert rest.rstrip().endswith("demo stopped")
    assert gone(pid)


def test_without_mosquitto_one_line_says_how_to_install_it_and_nothing_starts(tmp_path: Path) -> None:
    config = line_on_free_ports(tmp_path)
    env = env_for(tmp_path, MS5_MOSQUITTO=str(tmp_path / "no-mosquitto"), PATH=str(tmp_path))
    r = subprocess.run(demo_argv(config), cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "apt-get install mosquitto" in r.stderr, r.stderr
    assert not (tmp_path / "data" / "demo-plant.db").exists()


def test_no_mosquitto_anywhere_is_said_with_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MS5_MOSQUITTO", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(mosquitto, "DEBIAN_PATH", str(tmp_path / "sbin" / "mosquitto"))
    with pytest.raises(MosquittoMissing, match="apt-get install mosquitto"):
        find_mosquitto()
    fake = tmp_path / "mosquitto"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    assert find_mosquitto() == str(fake)  # the PATH's, when there is one


@pytest.mark.parametrize("face", ["panel", "console"])
def test_plant_with_the_panel_or_console_face_is_refused(
    face: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS5_DATA_DIR", str(tmp_path))  # were it not refused, the demo's record goes here
    outcome = run_in_process("demo", "--plant", "--face", face)
    assert outcome.returncode == 2
    assert outcome.stderr.count("\n") == 1 and "--plant" in outcome.stderr and face in outcome.stderr


@pytest.mark.slow
def test_the_plant_console_sees_the_demo_station_through_the_private_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS5_DATA_DIR", str(tmp_path / "data"))
    broker = Mosquitto(tmp_path)
    broker.start()
    config = demo_on_broker(load_config(line_on_free_ports(tmp_path)), broker.url, "demo")

    async def scenario() -> None:
        plant = PlantModel()
        app = PlantApp(plant, PlantHost(plant, broker_address(broker.url)))
        station = demo_station(config, speed=1.0, seed=1, on_event=lambda _: None)
        async with station, app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: "demo/L1" in rows(pilot), "the demo line on the plant console")
            await until(pilot, lambda: rows(pilot)["demo/L1"][2] not in ("", "–"), "its OEE")
            cells = rows(pilot)["demo/L1"]
            assert cells[0] == "L1" and 0 < int(cells[2]) <= 100
            await pilot.press("enter")
            await until(pilot, lambda: len(rows(pilot)) == len(config.lines[0].equipment), "its machines")

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()


@pytest.mark.slow
def test_a_killed_demo_takes_its_broker_with_it(tmp_path: Path) -> None:
    config = line_on_free_ports(tmp_path)
    proc = subprocess.Popen(
        demo_argv(config, "--every", "1"), cwd=ROOT, env=env_for(tmp_path), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        m = PID.match(first.rstrip("\n"))
        assert m is not None, first
        broker = os.pidfd_open(int(m.group(1)))  # a handle on the broker, to wait for its end
        proc.kill()
        proc.wait()
        # Not its child: its end is awaited on the pidfd, which turns readable when it exits.
        readable, _, _ = select.select([broker], [], [], WAIT_S)  # a guard against a hang
        assert readable == [broker]
        os.close(broker)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
