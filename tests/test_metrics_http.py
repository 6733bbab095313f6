"""`[metrics] listen`: what plant IT's Prometheus and watchdog read from a station, over real HTTP
on 127.0.0.1, parsed with prometheus_client's own parser (docs/PACKAGING.md, "Metrics for plant
IT"). A real station on a SQLite file; the PLC a real Modbus server where polls are counted."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.registry import tags_by_connection
from connectors.sim.modbus_server import ModbusSimServer
from core.config import Config, ConfigError, parse_config
from core.samples import Sample
from hmi.station.metrics_http import MetricsError
from hmi.station.runtime import Station
from tests.cli_runs import run_in_process, run_process
from tests.ports import free_port

pytestmark = pytest.mark.slow  # an HTTP server (and a Modbus one) on 127.0.0.1

LINE = """
[site]
name = "Metrics"

[metrics]
listen = "127.0.0.1:{metrics}"

[[lines]]
id = "L1"
timezone = "UTC"

[[lines.shifts]]
name = "Early"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "12:00"
target_count = 7200

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 1
"""

SIGNALS = """signals = [
  {{ signal = "running", connection = "filler-plc", address = "coil:0", type = "bool" }},
  {{ signal = "total_count", connection = "filler-plc", address = "hr:0", type = "uint16" }},
]

[[connections]]
id = "filler-plc"
protocol = "modbus"
host = "127.0.0.1"
port = {plc}
poll_interval_s = 0.1
timeout_s = {timeout}
"""

T0 = 1772409600.0  # Monday 2026-03-02 00:00 UTC: the early shift's start


async def get(port: int, path: str) -> tuple[int, str]:
    """A GET as a scraper makes it: status and body, an error status included."""

    def fetch() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return await asyncio.to_thread(fetch)


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = await get(port, "/metrics")
    assert status == 200, text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return scraped[name, tuple(sorted(labels.items()))]


async def until(condition: object, what: str) -> None:
    """Wait for `condition()`; the timeout guards against a hang, it is no limit on speed."""

    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), 60)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


def config(tmp_path: Path, *, plc: int | None = None, timeout: float = 1.0) -> Config:
    text = LINE
    if plc is not None:
        text += SIGNALS
    return parse_config(text.format(metrics=free_port(), plc=plc, timeout=timeout), tmp_path / "line.toml")


def port_of(station: Station) -> int:
    assert station.metrics is not None
    return station.metrics.port


def test_polls_andon_calls_and_a_store_that_cannot_write(tmp_path: Path) -> None:
    cfg = config(tmp_path, plc=free_port())

    async def scenario() -> None:
        plc = ModbusSimServer(cfg.connections[0], tags_by_connection(cfg)["filler-plc"])
        plc.set(0, 1.0)  # running
        plc.set(1, 7.0)  # seven parts so far
        await plc.start()
        station = Station(cfg, tmp_path / "station.db")
        try:
            await station.start()
            port = port_of(station)
            runner = station.runners[0]
            await until(lambda: runner.diagnostics.polls >= 5 and station.ticked_at is not None, "5 polls")
            scraped = await scrape(port)
            # The poll counter is at least the polls done before the scrape, and not ahead of them.
            assert value(scraped, "ms5_polls_total", connection="filler-plc", protocol="modbus") >= 5
            assert value(scraped, "ms5_polls_total", connection="filler-plc", protocol="modbus") <= (
                runner.diagnostics.polls
            )
            assert value(scraped, "ms5_connection_up", connection="filler-plc", protocol="modbus") == 1
            assert value(scraped, "ms5_reconnects_total", connection="filler-plc", protocol="modbus") == 0
            p50 = value(
                scraped,
                "ms5_read_latency_seconds",
                connection="filler-plc",
                protocol="modbus",
                quantile="0.5",
            )
            assert 0 < p50 < 30
            # Both signals read (running, the count): the first poll may still see the server's zeros.
            assert value(scraped, "ms5_samples_total") >= 2
            assert value(scraped, "ms5_andon_open_calls", line="L1", equipment="FILLER") == 0
            assert value(scraped, "ms5_sparkplug_buffer_messages") == 0  # no edge node: 0
            assert await get(port, "/healthz") == (200, "ok\n")

            assert station.gate is not None
            await station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
            scraped = await scrape(port)
            assert value(scraped, "ms5_andon_open_calls", line="L1", equipment="FILLER") == 1
            assert value(scraped, "ms5_andon_highest_level", line="L1", equipment="FILLER") == 1

            # The disk goes read-only: the watchdog is told why, in one line.
            assert station.store is not None
            station.store.conn.execute("PRAGMA query_only = 1")
            plc.set(1, 9.0)  # something to write
            store = station.store
            await until(lambda: station.store_error is not None and store.pending >= 1, "a sample held")
            status, text = await get(port, "/healthz")
            assert status == 503
            assert text.startswith("database not writable: read-only") and text.count("\n") == 1, text
            scraped = await scrape(port)
            assert value(scraped, "ms5_store_writable") == 0
            assert value(scraped, "ms5_store_write_errors_total") >= 1
            assert value(scraped, "ms5_store_backlog_samples") >= 1
            station.store.conn.execute("PRAGMA query_only = 0")
            await until(lambda: station.store_error is None, "writing again")
            assert await get(port, "/healthz") == (200, "ok\n")
        finally:
            await station.stop()
            await plc.stop()

    asyncio.run(scenario())


def test_the_shifts_figures_per_equipment_by_hand(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    now = [T0]

    async def scenario() -> None:
        station = Station(cfg, tmp_path / "station.db", clock=lambda: now[0])
        try:
            await station.start()
            await station.live.wait()  # restored in a worker thread, and no first poll to wait for
            station.ingest(
                [
                    Sample(T0, "FILLER", "running", 1.0),
                    Sample(T0, "FILLER", "total_count", 0.0),
                    Sample(T0, "FILLER", "good_count", 0.0),
                ]
            )
            now[0] = T0 + 600
            station.ingest(
                [
                    Sample(now[0], "FILLER", "total_count", 500.0),
                    Sample(now[0], "FILLER", "good_count", 480.0),
                ]
            )
            now[0] = T0 + 601  # past the second the counts came in: the thinning passes them on
            station.tick()
            scraped = await scrape(port_of(station))
        finally:
            await station.stop()
        at = {"line": "L1", "equipment": "FILLER"}
        # By hand: running all 601 s of the shift so far; 500 parts of 1 s ideal; 480 of them good.
        assert value(scraped, "ms5_availability_ratio", **at) == pytest.approx(1.0)
        assert value(scraped, "ms5_performance_ratio", **at) == pytest.approx(500 / 601)
        assert value(scraped, "ms5_quality_ratio", **at) == pytest.approx(480 / 500)
        assert value(scraped, "ms5_oee_ratio", **at) == pytest.approx(500 / 601 * 480 / 500)
        assert value(scraped, "ms5_shift_total_parts", **at) == 500
        assert value(scraped, "ms5_shift_good_parts", **at) == 480
        assert value(scraped, "ms5_shift_reject_parts", **at) == 20
        # 7200 parts over the 12-hour shift: 601 s of it is 100.17, so 100.
        assert value(scraped, "ms5_shift_target_so_far_parts", line="L1") == 100
        assert value(scraped, "ms5_shift_info", line="L1", shift="Early") == 1
        assert value(scraped, "ms5_samples_total") == 5  # as many as were read

    asyncio.run(scenario())


@dataclass
class EdgeNode:
    buffered_messages: int
    buffered_bytes: int
    dropped_messages: int


def test_the_sparkplug_buffer_as_the_edge_node_reports_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        station = Station(config(tmp_path), tmp_path / "station.db")
        try:
            await station.start()
            station.sparkplug = EdgeNode(buffered_messages=12, buffered_bytes=3400, dropped_messages=3)
            scraped = await scrape(port_of(station))
        finally:
            await station.stop()
        assert value(scraped, "ms5_sparkplug_buffer_messages") == 12
        assert value(scraped, "ms5_sparkplug_buffer_bytes") == 3400
        assert value(scraped, "ms5_sparkplug_dropped_total") == 3

    asyncio.run(scenario())


def test_the_edge_nodes_buffer_while_the_plant_broker_is_away(tmp_path: Path) -> None:
    """`[sparkplug]` with nobody listening at the broker's address: the values wait in the
    station's file, and the endpoint counts them as the edge node does."""
    text = LINE.format(metrics=free_port()) + (
        f'\n[sparkplug]\nbroker = "mqtt://127.0.0.1:{free_port()}"\ngroup_id = "Plant1"\n'
    )
    cfg = parse_config(text, tmp_path / "line.toml")
    now = [T0]

    async def scenario() -> tuple[int, int, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
        station = Station(cfg, tmp_path / "station.db", clock=lambda: now[0])
        try:
            await station.start()
            uplink = station.uplink
            assert uplink is not None
            made = [0]

            def one_more_part() -> bool:
                """A part a look: the edge node sends changes only, from its first scan on."""
                made[0] += 1
                now[0] = T0 + made[0]
                station.ingest([Sample(now[0], "FILLER", "total_count", float(made[0]))])
                station.tick()
                return uplink.buffer is not None and uplink.buffer.count > 0

            station.ingest([Sample(T0, "FILLER", "running", 1.0)])
            await until(one_more_part, "values buffered")
            assert uplink.buffer is not None
            count, size = uplink.buffer.count, uplink.buffer.size_bytes
            return count, size, await scrape(port_of(station))
        finally:
            await station.stop()

    count, size, scraped = asyncio.run(scenario())
    assert value(scraped, "ms5_sparkplug_buffer_messages") >= count > 0
    assert value(scraped, "ms5_sparkplug_buffer_bytes") >= size > 0
    assert value(scraped, "ms5_sparkplug_dropped_total") == 0


def test_unhealthy_while_the_plcs_first_poll_has_not_ended(tmp_path: Path) -> None:
    """A PLC that accepts the connection and never answers: the engine's clock waits for it."""

    async def scenario() -> None:
        accepted = asyncio.Event()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.set()
            await reader.read()  # never answers, until the station hangs up

        plc = await asyncio.start_server(silent, "127.0.0.1", 0)
        cfg = config(tmp_path, plc=plc.sockets[0].getsockname()[1], timeout=120)
        station = Station(cfg, tmp_path / "station.db")
        try:
            await station.start()
            await station.restored()  # then the first polls are waited for
            await asyncio.wait_for(accepted.wait(), 60)
            status, text = await get(port_of(station), "/healthz")
        finally:
            await station.stop()
            plc.close()
        assert status == 503
        assert text == "waiting for the connections' first polls (the engine's clock has not started)\n"

    asyncio.run(scenario())


def test_a_taken_port_is_one_line_and_nothing_is_polled(tmp_path: Path) -> None:
    async def scenario() -> None:
        taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = taken.sockets[0].getsockname()[1]
        text = LINE.format(metrics=port) + SIGNALS.format(plc=free_port(), timeout=1)
        station = Station(parse_config(text, tmp_path / "line.toml"), tmp_path / "station.db")
        try:
            with pytest.raises(MetricsError, match=rf"^metrics.listen 127.0.0.1:{port}: cannot listen: "):
                await station.start()
            assert station.runners == []
        finally:
            await station.stop()
            taken.close()

    asyncio.run(scenario())


def test_anything_else_is_answered_shortly(tmp_path: Path) -> None:
    async def scenario() -> list[bytes]:
        station = Station(config(tmp_path), tmp_path / "station.db")
        answers = []
        try:
            await station.start()
            for request in (
                b"POST /metrics HTTP/1.1\r\n\r\n",
                b"GET /nope HTTP/1.1\r\n\r\n",
                b"hello\r\n\r\n",
            ):
                reader, writer = await asyncio.open_connection("127.0.0.1", port_of(station))
                writer.write(request)
                answers.append(await reader.read())
                writer.close()
        finally:
            await station.stop()
        return answers

    post, unknown, garbage = asyncio.run(scenario())
    assert post.startswith(b"HTTP/1.1 405 ") and post.endswith(b"\r\n\r\nonly GET and HEAD\n")
    assert unknown.startswith(b"HTTP/1.1 404 ") and unknown.endswith(b"not found: /metrics or /healthz\n")
    assert garbage.startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize("listen", ["127.0.0.1", "127.0.0.1:0x10", "127.0.0.1:70000", ":9108", "[::1]"])
def test_ms5_check_refuses_a_listen_that_is_not_host_port(tmp_path: Path, listen: str) -> None:
    path = tmp_path / "line.toml"
    path.write_text(LINE.replace("127.0.0.1:{metrics}", listen), encoding="utf-8")
    result = run_in_process("check", str(path))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        f"line.toml:6: metrics.listen: {listen!r} is not host:port "
        '(e.g. "127.0.0.1:9108"; the port 1 to 65535)'
    ), result.stderr
    with pytest.raises(ConfigError):
        parse_config(path.read_text(), path)


def test_listen_takes_an_ipv6_address_and_defaults_to_none(tmp_path: Path) -> None:
    assert parse_config(
        LINE.replace("127.0.0.1:{metrics}", "[::1]:9108"), tmp_path / "a.toml"
    ).metrics.address == (
        "::1",
        9108,
    )
    without = LINE.replace('[metrics]\nlisten = "127.0.0.1:{metrics}"\n', "")
    assert parse_config(without, tmp_path / "b.toml").metrics.address is None


def test_ms5_engine_on_a_taken_metrics_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "line.toml").write_text(LINE.format(metrics=port), encoding="utf-8")
        result = run_process("engine", str(tmp_path / "line.toml"), "--db", str(tmp_path / "station.db"))
    assert result.returncode == 2
    assert (
        result.stderr
        == f"ms5 engine: metrics.listen 127.0.0.1:{port}: cannot listen: Address already in use\n"
    )
