"""The simulated OPC UA server's standard address space from the cache (connectors/sim/opcua_aspace.py):
made by the first start, loaded by the next, and the server serves the same either way."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest
from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.object_ids import ObjectIds

from connectors import registry
from connectors.sim import opcua_aspace
from connectors.sim.runner import SimLine
from core.config import Config, load_config

pytestmark = pytest.mark.slow  # OPC UA servers on 127.0.0.1

DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo-line.toml"
T0 = 1_772_430_000.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _opcua_line() -> Config:
    config = load_config(DEMO)
    conn = next(c for c in config.connections if c.protocol == "opcua")
    return config.model_copy(update={"connections": [conn.model_copy(update={"port": _free_port()})]})


async def _serve_and_read(config: Config) -> tuple[list[float], list[float], ua.ServerState]:
    """What the simulator serves, what the station's driver reads, and a standard node's value."""
    conn = config.connections[0]
    tags = registry.tags_by_connection(config)[conn.id]
    async with SimLine(config, 3, clock=lambda: T0, tick_s=0.02) as sim:
        assert sim.model is not None
        want = [sim.model.step(T0)[(tag.equipment, tag.signal)] for tag in tags]
        driver = registry.driver_class(conn.protocol)(conn, tags)
        try:
            await asyncio.wait_for(driver.connect(), 20)
            readings = await asyncio.wait_for(driver.read(), 20)
        finally:
            with contextlib.suppress(Exception):
                await driver.close()
        async with Client(f"opc.tcp://127.0.0.1:{conn.port}/") as client:
            state = await client.get_node(ObjectIds.Server_ServerStatus_State).read_value()
    got = [tag.scaled(r.value) for tag, r in zip(tags, readings, strict=True)]
    return want, got, ua.ServerState(state)


@pytest.mark.asyncio
async def test_the_first_start_keeps_the_address_space_and_the_next_serves_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS5_CACHE_DIR", str(tmp_path / "cache"))
    assert opcua_aspace.ready_shelf() is None
    want, got, state = await _serve_and_read(_opcua_line())
    assert got == pytest.approx(want)
    assert state == ua.ServerState.Running
    shelf = opcua_aspace.ready_shelf()
    assert shelf is not None, "the first start left no shelf for the next"
    # Only the finished shelf stays: no half-made temporary folder beside it.
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [shelf.parent.name]

    loads: list[Path | None] = []
    real_init = opcua_aspace.ready_shelf

    def spy() -> Path | None:
        found = real_init()
        loads.append(found)
        return found

    monkeypatch.setattr(opcua_aspace, "ready_shelf", spy)
    want, got, state = await _serve_and_read(_opcua_line())
    assert loads == [shelf]  # this start loaded the shelf
    assert got == pytest.approx(want)  # and serves the line's values as a fresh build does
    assert state == ua.ServerState.Running  # and the standard nodes, read from the shelf


@pytest.mark.asyncio
async def test_an_unwritable_cache_folder_only_costs_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("MS5_CACHE_DIR", str(blocked / "cache"))
    want, got, state = await _serve_and_read(_opcua_line())
    assert got == pytest.approx(want)
    assert state == ua.ServerState.Running
    assert opcua_aspace.ready_shelf() is None
