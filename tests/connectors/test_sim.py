"""The line simulator: its equipment model, its script files, the runner that serves a config over
the real protocol servers, and `ms5 sim` as a user runs it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors import registry
from connectors.base import ConnectionRunner, Tag
from connectors.sim import runner as runner_mod
from connectors.sim.behaviour import EXECUTE, HELD, STOPPED, SUSPENDED, EquipmentEvent
from connectors.sim.line import LineModel
from connectors.sim.runner import SimError, SimLine
from connectors.sim.script import ScriptError, load_script, parse_script
from connectors.sim.server import SimServer
from core.config import Config, Connection, load_config, parse_config
from core.samples import Sample

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "assets" / "demo-line.toml"
T0 = 1_772_430_000.0  # a Monday morning in March 2026
PROTOCOLS = ("modbus", "opcua", "s7", "logix")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


LINE = """
[site]
name = "Test"

[reasons]
"Jam" = "unplanned"
"Drive" = "unplanned"

[[lines]]
id = "L1"
timezone = "Europe/Berlin"
startup_window_s = 300

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 0.5
counter_max = {counter_max}
faults = {{ 101 = "Jam", 205 = "Drive" }}

[[lines.equipment]]
id = "CAPPER"
ideal_cycle_time_s = 0.4
state_model = "packml"
faults = {{ 205 = "Drive" }}
"""


def _config(counter_max: int = 65535, extra: str = "") -> Config:
    return parse_config(LINE.format(counter_max=counter_max) + extra, Path("test-line.toml"))


def _run(model: LineModel, seconds: float, every: float = 1.0) -> dict[tuple[str, str], float]:
    values = model.step(model.start)
    for k in range(1, int(seconds / every) + 1):
        values = model.step(model.start + k * every)
    return values


def _series(model: LineModel, eq: str, signal: str) -> list[tuple[float, float]]:
    return [(ts, v) for ts, e, s, v in model.history if (e, s) == (eq, signal)]


# -- the model -------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_line_and_another_seed_another() -> None:
    config = _config()
    a, b, c = (LineModel(config, seed, T0) for seed in (7, 7, 8))
    for m in (a, b, c):
        _run(m, 4 * 3600)
    assert list(a.history) == list(b.history)
    assert a.truth() == b.truth()
    assert list(a.history) != list(c.history)
    assert a.truth() != c.truth()


def test_the_values_do_not_depend_on_how_often_the_model_is_stepped() -> None:
    config = _config()
    fine, coarse = LineModel(config, 3, T0), LineModel(config, 3, T0)
    end = T0 + 3 * 3600
    _run(fine, 3 * 3600, every=0.25)
    for t in (T0, T0 + 10, T0 + 1234.5, T0 + 7200, end):
        coarse.step(t)
    assert fine.step(end) == coarse.step(end)
    assert fine.truth() == coarse.truth()


def test_counters_wrap_at_counter_max_and_still_count_every_part() -> None:
    model = LineModel(_config(counter_max=999), 5, T0, speed=10)
    _run(model, 1800, every=0.5)
    truth = model.truth()["FILLER"]
    assert truth.total > 5000  # several wraps of a 0..999 counter
    for name, expected in (
        ("total_count", truth.total),
        ("reject_count", truth.reject),
        ("good_count", truth.good),
    ):
        series = [v for _, v in _series(model, "FILLER", name)]
        assert all(0 <= v <= 999 and v == int(v) for v in series)
        wraps = sum(1 for x, y in itertools.pairwise(series) if y < x)
        if name != "reject_count":
            assert wraps >= 5, name
        counted = sum((y - x) % 1000 for x, y in itertools.pairwise(series))
        assert counted == expected, name


def test_machines_run_near_their_ideal_cycle_stop_fault_change_over_and_call_andon() -> None:
    config = _config()
    model = LineModel(config, 11, T0)
    _run(model, 12 * 3600, every=1.0)
    for eq in config.lines[0].equipment:
        running = _series(model, eq.id, "running")
        run_time = sum(
            t1 - t0 for (t0, v), (t1, _) in zip(running, [*running[1:], (model.now, 0.0)], strict=True) if v
        )
        made = model.truth()[eq.id].total
        # A few % slower than ideal (the 1 s step blurs each run's edges by up to a second).
        assert 1.0 < run_time / (made * eq.ideal_cycle_time_s) < 1.1, eq.id
        assert 0 < model.truth()[eq.id].reject < made * 0.05

        stops = [(t1 - t0) for (t0, v), (t1, _) in itertools.pairwise(running) if not v]
        assert any(20 <= s <= 101 for s in stops), "no small stop"
        assert any(120 <= s <= 1300 for s in stops), "no fault or changeover"

        codes = {v for _, v in _series(model, eq.id, "fault_code")}
        assert codes - {0.0} and codes - {0.0} <= {float(c) for c in eq.faults}
        # fault_code is back to 0 when the machine runs again.
        values = _replay_history(model, eq.id)
        for snapshot in values:
            if snapshot["running"] == 1.0:
                assert snapshot["fault_code"] == 0.0 and snapshot["changeover"] == 0.0
            if snapshot["fault_code"]:
                assert snapshot["state"] == HELD
        assert {v for _, v in _series(model, eq.id, "changeover")} == {0.0, 1.0}
        assert {v for _, v in _series(model, eq.id, "andon")} == {0.0, 1.0}
        states = {v for _, v in _series(model, eq.id, "state")}
        assert states == {EXECUTE, SUSPENDED, HELD, STOPPED}


def _replay_history(model: LineModel, eq: str) -> list[dict[str, float]]:
    """The equipment's full set of values after every change, in order."""
    current: dict[str, float] = {}
    out: list[dict[str, float]] = []
    last_ts = None
    for ts, e, s, v in model.history:
        if e != eq:
            continue
        if last_ts is not None and ts != last_ts:
            out.append(dict(current))
        current[s] = v
        last_ts = ts
    out.append(dict(current))
    return out


def test_speed_makes_the_line_faster() -> None:
    config = _config()
    slow, fast = LineModel(config, 2, T0), LineModel(config, 2, T0, speed=10)
    _run(slow, 3600)
    _run(fast, 360, every=0.1)
    ratio = fast.truth()["FILLER"].total / slow.truth()["FILLER"].total
    assert 0.7 < ratio < 1.3
    with pytest.raises(ValueError, match="speed"):
        LineModel(config, 2, T0, speed=0)


def test_scripted_events_happen_at_their_time() -> None:
    config = _config()
    events = [
        EquipmentEvent(T0 + 10, "fault", "FILLER", 60, 205),
        EquipmentEvent(T0 + 20, "andon", "CAPPER", 30),
        EquipmentEvent(T0 + 100, "changeover", "CAPPER", 50),
        EquipmentEvent(T0 + 200, "stop", "FILLER", 25),
    ]
    model = LineModel(config, 4, T0, events=events)

    def at(t: float) -> dict[tuple[str, str], float]:
        return model.step(T0 + t)

    at(9.5)
    v = at(10)
    assert (v["FILLER", "running"], v["FILLER", "state"], v["FILLER", "fault_code"]) == (0, HELD, 205)
    total = v["FILLER", "total_count"]
    v = at(49.9)
    assert v["CAPPER", "andon"] == 1.0
    v = at(69.9)
    assert v["FILLER", "fault_code"] == 205 and v["FILLER", "total_count"] == total
    assert v["CAPPER", "andon"] == 0.0
    v = at(70.1)
    assert (v["FILLER", "running"], v["FILLER", "fault_code"]) == (1.0, 0.0)
    v = at(100.5)
    assert (v["CAPPER", "changeover"], v["CAPPER", "state"], v["CAPPER", "running"]) == (1, STOPPED, 0)
    v = at(150.5)
    assert v["CAPPER", "changeover"] == 0.0
    v = at(210)
    assert (v["FILLER", "running"], v["FILLER", "state"], v["FILLER", "fault_code"]) == (0, STOPPED, 0)


def test_unknown_equipment_in_events_is_refused() -> None:
    with pytest.raises(ValueError, match="NOPE"):
        LineModel(_config(), 1, T0, events=[EquipmentEvent(T0, "stop", "NOPE", 5)])


# -- script files ------------------------------------------------------------------------------


SCRIPT = """\
# a morning of trouble
10 fault FILLER 101 for 2m
at 30s stop CAPPER for 45   # an operator stop
60 changeover FILLER for 0.5h
75 andon CAPPER for 20s
90 silence plc1 for 15
120 down plc1 for 10
150 restart plc1
"""


def _with_connection(port: int = 15020) -> Config:
    return _config(
        extra=f"""
[[connections]]
id = "plc1"
protocol = "modbus"
host = "127.0.0.1"
port = {port}
"""
    )


def test_a_script_file_parses_into_timed_events(tmp_path: Path) -> None:
    path = tmp_path / "trouble.txt"
    path.write_text(SCRIPT)
    script = load_script(path, _with_connection())
    got = [(e.at_s, e.action, e.target, e.duration_s, e.code, e.line) for e in script.events]
    assert got == [
        (10, "fault", "FILLER", 120, 101, 2),
        (30, "stop", "CAPPER", 45, 0, 3),
        (60, "changeover", "FILLER", 1800, 0, 4),
        (75, "andon", "CAPPER", 20, 0, 5),
        (90, "silence", "plc1", 15, 0, 6),
        (120, "down", "plc1", 10, 0, 7),
        (150, "restart", "plc1", 0, 0, 8),
    ]
    assert [e.action for e in script.connection_events] == ["silence", "down", "restart"]
    assert script.events[0].describe() == "fault FILLER 101 for 120 s"


def test_bad_script_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(
        "10 fault FILLER 101 for 60\n"
        "\n"
        "soon stop FILLER for 10\n"
        "20 explode FILLER\n"
        "30 fault FILLER jam for 10\n"
        "40 stop MIXER for 10\n"
        "50 silence plc9 for 5\n"
        "60 down plc1\n"
        "70 restart plc1 for 5\n"
        "80 andon CAPPER for -3\n"
        "90 stop FILLER for 0\n"
    )
    with pytest.raises(ScriptError) as info:
        load_script(path, _with_connection())
    lines = info.value.lines
    assert [line.split(":")[1] for line in lines] == ["3", "4", "5", "6", "7", "8", "9", "10", "11"]
    assert all(line.startswith("bad.txt:") and "\n" not in line for line in lines)
    assert "'soon' is not a time" in lines[0]
    assert "unknown action 'explode'" in lines[1]
    assert "fault code 'jam'" in lines[2]
    assert "unknown equipment 'MIXER'" in lines[3]
    assert "unknown connection 'plc9'" in lines[4]
    assert "down CONNECTION for DURATION" in lines[5]
    assert "restart takes no duration" in lines[6]
    with pytest.raises(ScriptError, match="cannot read script"):
        load_script(tmp_path / "missing.txt")


def test_a_script_without_config_checks_only_the_syntax() -> None:
    script = parse_script("5 down anything for 1\n", "x.txt")
    assert script.events[0].target == "anything"
    with pytest.raises(ValueError, match="unknown connection"):
        SimLine(_with_connection(), script=script)


# -- the runner, with a small test protocol --------------------------------------------------------


class JsonLineServer(SimServer):
    """A test PLC over TCP: every line received is answered with the tag values as JSON. It lets
    the runner's outages be checked without any protocol library."""

    instances: list[JsonLineServer] = []  # noqa: RUF012 - a test's registry of instances

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        self.values: list[float | None] = [None] * len(self.tags)
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        JsonLineServer.instances.append(self)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.connection.host, self.connection.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        with contextlib.suppress(Exception):
            while await reader.readline():
                writer.write(json.dumps(self.values).encode() + b"\n")
                await writer.drain()

    def set(self, index: int, value: float) -> None:
        self.values[index] = value

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in self._writers:
                w.close()
            await self._server.wait_closed()


async def _ask(port: int, timeout: float = 0.5) -> Any:
    """The test PLC's values, 'refused', 'no answer' or 'closed'."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (ConnectionRefusedError, OSError):
        return "refused"
    except TimeoutError:
        return "no answer"
    try:
        writer.write(b"?\n")
        line = await asyncio.wait_for(reader.readline(), timeout)
        return json.loads(line) if line else "closed"
    except TimeoutError:
        return "no answer"
    except ConnectionError:
        # The script took the server down while it was asked (a reset): closed, ask again.
        return "closed"
    finally:
        writer.close()


async def _until(check: Any, what: str, limit: float = 15.0) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        result = await check()
        if result is not None and result is not False:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _bound_config(port: int) -> Config:
    signals = (
        '{ signal = "running", connection = "plc1", address = "coil:0", type = "bool" }',
        '{ signal = "total_count", connection = "plc1", address = "hr:1", type = "uint16" }',
        '{ signal = "fault_code", connection = "plc1", address = "hr:2", type = "uint16" }',
    )
    text = LINE.format(counter_max=65535).replace(
        'faults = { 101 = "Jam", 205 = "Drive" }',
        'faults = { 101 = "Jam", 205 = "Drive" }\nsignals = [' + ", ".join(signals) + "]",
    )
    text += f'\n[[connections]]\nid = "plc1"\nprotocol = "modbus"\nhost = "127.0.0.1"\nport = {port}\n'
    return parse_config(text, Path("bound.toml"))


@pytest.fixture
def json_line_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[JsonLineServer]]:
    JsonLineServer.instances = []
    monkeypatch.setattr(runner_mod, "sim_server_class", lambda protocol: JsonLineServer)
    yield JsonLineServer.instances


@pytest.mark.asyncio
async def test_the_runner_serves_the_model_and_plays_the_outages_of_its_script(
    json_line_servers: list[JsonLineServer],
) -> None:
    port = _free_port()
    config = _bound_config(port)
    script = parse_script(
        "0.3 fault FILLER 205 for 30\n1 silence plc1 for 1.5\n3.5 down plc1 for 1.5\n6 restart plc1\n",
        "outages.txt",
        config,
    )
    said: list[str] = []
    sim = SimLine(config, 1, script, on_event=said.append, tick_s=0.02)
    await sim.start()
    try:
        assert sim.connections == [(config.connections[0], 3)]
        values = await _ask(port)
        assert isinstance(values, list) and values[0] == 1.0 and values[2] == 0.0
        # The scripted fault reaches the wire: stopped, code 205, the counter frozen.
        held = await _until(lambda: _when(port, lambda v: v[2] == 205.0), "fault 205 served")
        assert held[0] == 0.0
        # silence: the port accepts and never answers; down: refused; then served again.
        await _until(lambda: _when_raw(port, "no answer"), "silence")
        await _until(lambda: _when_raw(port, "refused"), "down")
        back = await _until(lambda: _when(port, lambda v: v[2] == 205.0), "served again after down")
        assert back[1] == held[1]  # a new server instance, loaded with the current values
        await _until(lambda: asyncio.sleep(0, len(json_line_servers) >= 4), "restart")
        await _until(lambda: _when(port, lambda v: v[2] == 205.0), "served after restart")
        assert [line.split(":", 1)[1].strip() for line in said if line.startswith("t+")] == [
            "fault FILLER 205 for 30 s",
            "silence plc1 for 1.5 s",
            "down plc1 for 1.5 s",
            "restart plc1",
        ]
    finally:
        await sim.stop()
    assert await _ask(port) == "refused"
    assert sim.model is not None
    assert any(s == "fault_code" and v == 205.0 for _, _, s, v in sim.model.history)


async def _when(port: int, wanted: Any) -> Any:
    values = await _ask(port)
    return values if isinstance(values, list) and wanted(values) else None


async def _when_raw(port: int, wanted: str) -> bool:
    return bool(await _ask(port, timeout=0.3) == wanted)


@pytest.mark.asyncio
async def test_a_port_in_use_is_one_line_and_nothing_keeps_running(
    json_line_servers: list[JsonLineServer],
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        sim = SimLine(_bound_config(port))
        with pytest.raises(SimError, match=f"port {port} on 127.0.0.1 is in use"):
            await sim.start()
    assert json_line_servers == []


# -- the runner with the real protocol servers and drivers ------------------------------------------


def _with_free_ports(path: Path) -> Config:
    """The demo config, served on free ports."""
    config = load_config(path)
    conns = [c.model_copy(update={"port": _free_port()}) for c in config.connections]
    return config.model_copy(update={"connections": conns})


async def _read_once(config: Config, conn: Connection) -> list[Any]:
    tags = registry.tags_by_connection(config)[conn.id]
    driver = registry.driver_class(conn.protocol)(conn, tags)
    call = (lambda f: asyncio.to_thread(f)) if driver.blocking else (lambda f: f())
    try:
        await asyncio.wait_for(call(driver.connect), 20)
        readings = await asyncio.wait_for(call(driver.read), 20)
    finally:
        with contextlib.suppress(Exception):
            await call(driver.close)
    return [None if r.value is None else tag.scaled(r.value) for tag, r in zip(tags, readings, strict=True)]


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_each_protocols_driver_reads_back_what_the_simulator_serves(protocol: str) -> None:
    config = _with_free_ports(DEMO)
    conn = next(c for c in config.connections if c.protocol == protocol)
    config = config.model_copy(update={"connections": [conn]})
    tags = registry.tags_by_connection(config)[conn.id]
    assert tags, f"the demo binds nothing to {conn.id}"
    now = [T0]
    # A clock that stands still while the driver reads: the served values are exact.
    async with SimLine(config, 9, clock=lambda: now[0], tick_s=0.02) as sim:
        assert sim.model is not None
        for t in (T0, T0 + 3600 * 3.3):
            now[0] = t
            want = [sim.model.step(t)[(tag.equipment, tag.signal)] for tag in tags]
            # Some servers apply a value a moment after set() (the Logix one writes over EtherNet/IP).
            deadline = time.monotonic() + 20
            while True:
                await asyncio.sleep(0.1)
                got = await _read_once(config, conn)
                if got == pytest.approx(want) or time.monotonic() > deadline:
                    break
            assert got == pytest.approx(want), [tag.binding.address for tag in tags]


def test_the_demo_binds_every_signal_of_every_equipment_and_uses_every_protocol() -> None:
    config = load_config(DEMO)
    assert sorted({c.protocol for c in config.connections}) == sorted(PROTOCOLS)
    ports = [c.port for c in config.connections]
    assert all(c.host == "127.0.0.1" for c in config.connections)
    assert all(p is not None and p > 10000 for p in ports) and len(set(ports)) == len(ports)
    for eq in config.lines[0].equipment:
        bound = {b.signal for b in eq.signals}
        state = "state" if eq.state_model == "packml" else "running"
        assert {state, "total_count", "reject_count", "fault_code", "changeover", "andon"} <= bound, eq.id
    assert any(eq.state_model == "packml" for eq in config.lines[0].equipment)


# -- ms5 sim ------------------------------------------------------------------------------------


def _sim_command() -> list[str]:
    return [sys.executable, "-m", "hmi.cli", "sim"]


def _run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_sim_command(), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_sim_help_exits_0() -> None:
    done = _run_cli("--help")
    assert done.returncode == 0, done.stderr
    for option in ("--seed", "--script", "--speed"):
        assert option in done.stdout


def test_sim_refuses_bad_input_with_one_line_and_exit_2(tmp_path: Path) -> None:
    bad_script = tmp_path / "bad.txt"
    bad_script.write_text("10 fault FILLER 101 for 60\n20 explode FILLER\n")
    done = _run_cli(str(DEMO), "--script", str(bad_script))
    assert done.returncode == 2
    assert done.stderr.startswith("bad.txt:2: unknown action 'explode'") and "Traceback" not in done.stderr

    bad_config = tmp_path / "bad.toml"
    bad_config.write_text(
        DEMO.read_text().replace('id = "FILLER"', 'id = "FILLER"\nideal_cycle_time_s = -1', 1)
    )
    done = _run_cli(str(bad_config))
    assert done.returncode == 2 and done.stderr.startswith("bad.toml:") and "Traceback" not in done.stderr

    done = _run_cli(str(DEMO), "--speed", "0")
    assert done.returncode == 2 and "--speed" in done.stderr

    no_connections = tmp_path / "plain.toml"
    no_connections.write_text(LINE.format(counter_max=999))
    done = _run_cli(str(no_connections))
    assert done.returncode == 2 and "no [[connections]]" in done.stderr


def _demo_on_free_ports(tmp_path: Path) -> tuple[Path, Config]:
    text = DEMO.read_text()
    config = load_config(DEMO)
    for conn in config.connections:
        text = text.replace(f"port = {conn.port}\n", f"port = {_free_port()}\n", 1)
    path = tmp_path / "demo-line.toml"
    path.write_text(text)
    return path, load_config(path)


def test_sim_serves_the_demo_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    path, config = _demo_on_free_ports(tmp_path)
    proc = subprocess.Popen(
        [*_sim_command(), str(path), "--seed", "3", "--speed", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while len(lines) < len(config.connections) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("serving "):
                lines.append(line.strip())
        for conn in config.connections:
            n_tags = len(registry.tags_by_connection(config)[conn.id])
            assert f"serving {conn.protocol} {conn.id} on 127.0.0.1:{conn.port} ({n_tags} tags)" in lines
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip().endswith("stopped")
    for conn in config.connections:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", conn.port or 0)) != 0, f"{conn.id} still listening"


def test_sim_says_which_port_is_in_use(tmp_path: Path) -> None:
    path, config = _demo_on_free_ports(tmp_path)
    with socket.socket() as busy:
        conn = config.connections[-1]
        busy.bind(("127.0.0.1", conn.port or 0))
        busy.listen()
        done = _run_cli(str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"ms5 sim: port {conn.port} on 127.0.0.1 is in use"


@pytest.mark.asyncio
async def test_a_station_sees_a_silent_plc_go_bad_and_come_back() -> None:
    port = _free_port()
    config = _bound_config(port)
    conn = config.connections[0].model_copy(update={"poll_interval_s": 0.1, "timeout_s": 0.3})
    config = config.model_copy(update={"connections": [conn]})
    script = parse_script("1 silence plc1 for 2\n", "hang.txt", config)
    samples: list[Sample] = []
    driver = registry.driver_class("modbus")(conn, registry.tags_by_connection(config)["plc1"])
    station = ConnectionRunner(driver, samples.extend)
    async with SimLine(config, 2, script, speed=20, tick_s=0.02) as sim:
        task = asyncio.create_task(station.run())
        try:

            def seen(good_bad_good: int) -> Any:
                async def check() -> bool:
                    changes = 0
                    want_good = True
                    for s in samples:
                        if (s.value is not None) == want_good:
                            changes += 1
                            want_good = not want_good
                    return changes >= good_bad_good

                return check

            await _until(seen(3), "good, then bad while silent, then good again", 40)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert sim.model is not None
        served = {(e, s, v) for _, e, s, v in sim.model.history}
    # Every value the station read is one the simulator served.
    for s in samples:
        if s.value is not None:
            assert (s.equipment, s.signal, s.value) in served, s
    assert station.diagnostics.reconnects > 0


def test_counts_at_gives_what_was_served_at_a_past_instant() -> None:
    model = LineModel(_config(counter_max=999), 6, T0, speed=5)
    seen: list[tuple[float, float]] = []
    for k in range(0, 600):
        values = model.step(T0 + k * 0.5)
        seen.append((T0 + k * 0.5, values["FILLER", "total_count"]))
    assert model.counts_at("FILLER", T0 - 1).total == 0
    first = model.counts_at("FILLER", T0)
    for ts, total in seen[::37]:
        at = model.counts_at("FILLER", ts + 0.25)  # between two steps: the earlier one's counts
        assert (seen[0][1] + at.total - first.total) % 1000 == total
    assert model.counts_at("FILLER", seen[-1][0]) == model.truth()["FILLER"]
