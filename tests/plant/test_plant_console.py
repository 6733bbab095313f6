"""`ms5 plant` against a real Mosquitto: three stations publishing as Sparkplug B edge nodes, the
plant console under Textual's pilot at 80x24 showing all three, one going stale on its NDEATH,
and a rebirth asked for (an NCMD at the broker) when a station's seq breaks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from core.config_sparkplug import broker_address
from hmi.mosquitto import Mosquitto
from hmi.plant.app import MachinesScreen, PlantApp
from hmi.plant.host import PlantHost
from hmi.plant.model import PlantModel
from scripts.plant_stations import StationPublisher
from sparkplug.payload import REBIRTH, Value

pytestmark = pytest.mark.slow  # a broker and a Textual app

GROUP = "Plant1"
WAIT_S = 60.0  # a guard against a hang, not a limit on speed


def line(name: str, oee: float, good: int, target: int, calls: int = 0, level: int = 0) -> dict[str, Value]:
    return {
        "Line/Id": name,
        "Line/Condition": "running",
        "Line/OEE": oee,
        "Line/Availability": 0.9,
        "Line/Performance": 0.95,
        "Line/Quality": 0.99,
        "Line/Good": good,
        "Shift/TargetSoFar": target,
        "Shift/Name": "Early",
        "Andon/OpenCalls": calls,
        "Andon/HighestLevel": level,
    }


def machine(condition: str, oee: float, good: int, calls: int = 0, age: float = 0.0) -> dict[str, Value]:
    return {
        "State/Condition": condition,
        "State/FaultCode": 0,
        "State/Reason": "",
        "Shift/OEE": oee,
        "Shift/Good": good,
        "Andon/OpenCalls": calls,
        "Andon/HighestLevel": 1 if calls else 0,
        "Andon/OldestAge": age,
    }


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never: {what}")
        await pilot.pause(0.05)


def rows(pilot: Pilot[None]) -> dict[str, list[str]]:
    table: DataTable[object] = pilot.app.screen.query_one(DataTable)
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


def test_three_stations_one_dead_one_reborn_after_a_seq_gap(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()

    async def scenario() -> None:
        stations = [
            StationPublisher(
                broker.port,
                GROUP,
                "L1",
                line("Bottling 1", 0.83, 480, 500),
                {"FILLER": machine("running", 0.85, 490), "CAPPER": machine("running", 0.83, 480)},
            ),
            StationPublisher(
                broker.port,
                GROUP,
                "L2",
                line("Bottling 2", 0.41, 200, 500, calls=2, level=3),
                {"MIXER": machine("down", 0.41, 200, calls=2, age=725.0)},
                bd_seq=4,
            ),
            StationPublisher(
                broker.port,
                GROUP,
                "L3",
                line("Canning", 0.7, 300, 320),
                {"SEAMER": machine("running", 0.7, 300)},
            ),
        ]
        plant = PlantModel()
        host = PlantHost(plant, broker_address(broker.url), group=GROUP)
        app = PlantApp(plant, host)
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(host.connected.wait(), WAIT_S)
            for station in stations:
                await station.connect()
                await station.birth()
            await until(
                pilot,
                lambda: len(rows(pilot)) == 3 and all(r[6] == "Early" for r in rows(pilot).values()),
                "three lines",
            )
            shown = rows(pilot)
            assert shown["Plant1/L1"] == ["Bottling 1", "running", "83", "90 95 99", "480/500", "", "Early"]
            # Two open calls at level 3 on the line, the oldest 725 s old on its mixer: 12 min.
            assert shown["Plant1/L2"][5] == "2 L3 12m"
            assert shown["Plant1/L3"][6] == "Early"
            table: DataTable[object] = app.screen.query_one(DataTable)
            assert table.virtual_size.width <= 80  # every column fits 80 columns

            # Canning's station dies: its connection drops, the broker delivers its will, the NDEATH.
            stations[2].kill()
            await until(pilot, lambda: rows(pilot)["Plant1/L3"][6] == "STALE dead (NDEATH)", "L3 stale")
            assert rows(pilot)["Plant1/L3"][2] == "70"  # its last values stay, dimmed
            assert rows(pilot)["Plant1/L1"][6] == "Early"

            # Two of Bottling 1's messages are lost (after NBIRTH 0 and DBIRTHs 1, 2): the next says so.
            stations[0].lose(2)
            await stations[0].data("FILLER", {"Shift/Good": 495})
            await asyncio.wait_for(stations[0].command.wait(), WAIT_S)
            [ncmd] = stations[0].commands
            assert [(m.name, m.value) for m in ncmd.metrics] == [(REBIRTH, True)]
            await until(
                pilot, lambda: rows(pilot)["Plant1/L1"][6] == "rebirth: seq 5 after 2", "rebirth shown"
            )
            # The station answers with a new birth; the console trusts it again.
            await stations[0].birth()
            await until(pilot, lambda: rows(pilot)["Plant1/L1"][6] == "Early", "L1 reborn")
            assert plant.rebirths_asked == 1

            # Enter: Bottling 1's machines.
            table.move_cursor(row=table.get_row_index("Plant1/L1"))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, MachinesScreen), "the machines screen")
            await until(pilot, lambda: len(rows(pilot)) == 2, "two machines")
            assert rows(pilot)["FILLER"][:5] == ["FILLER", "running", "", "85", "495"]  # as reborn
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, MachinesScreen), "back to the lines")
        for station in stations:
            await station.close()

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()


def test_a_broken_broker_address_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from hmi.cli.main import main

    assert main(["plant", "--broker", "tcp://127.0.0.1:1883"]) == 2
    assert (
        capsys.readouterr().err
        == "ms5 plant: 'tcp://127.0.0.1:1883': the address starts mqtt:// or mqtts://\n"
    )
    assert main(["plant", "--broker", "mqtt://127.0.0.1", "--group", "a/b"]) == 2
    assert "is no Sparkplug id" in capsys.readouterr().err


STATION = """
[site]
name = "Plant"

[[lines]]
id = "L1"
name = "Bottling 1"
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

[sparkplug]
broker = "{url}"
group_id = "Plant1"
figures_interval_s = 0.5
"""


def test_a_real_station_as_its_edge_node_publishes_it_and_its_death(tmp_path: Path) -> None:
    """The station's own edge node (hmi/sparkplug/), not a stand-in: the names agree."""
    from core.config import parse_config
    from core.samples import Sample
    from hmi.station.runtime import Station

    broker = Mosquitto(tmp_path)
    broker.start()

    async def scenario() -> None:
        cfg = parse_config(STATION.format(url=broker.url), tmp_path / "line.toml")
        station = Station(cfg, tmp_path / "station.db")
        plant = PlantModel()
        host = PlantHost(plant, broker_address(broker.url), group=GROUP)
        app = PlantApp(plant, host)
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(host.connected.wait(), WAIT_S)
            await station.start()
            now = station.clock()
            station.ingest([Sample(now, "FILLER", "running", 1.0), Sample(now, "FILLER", "total_count", 0.0)])
            await until(pilot, lambda: rows(pilot).get("Plant1/L1", [""])[0] == "L1", "the station's line")
            await until(pilot, lambda: rows(pilot)["Plant1/L1"][1] == "running", "its state")
            await station.stop()  # a clean stop publishes the NDEATH
            await until(pilot, lambda: rows(pilot)["Plant1/L1"][6] == "STALE dead (NDEATH)", "its death")

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()
