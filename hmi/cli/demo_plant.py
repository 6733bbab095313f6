"""`ms5 demo --plant`: the demo line's station as a Sparkplug B edge node and the plant console
watching it, on a private Mosquitto (or the broker of `--broker`), in one command.

One asyncio loop holds the three parts, as `ms5 console --demo` holds its station: the simulated
PLCs, the station headless (its [sparkplug] section made here from the broker's address, no file
to edit) and the plant console (PlantApp, or plant rows printed with `--face text`). The private
broker runs in its own session and is stopped and reaped on every way out: q, Ctrl-C, SIGTERM,
`--seconds`, an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Config
from core.config_sparkplug import broker_address
from hmi.cli.plant import log_to_file
from hmi.errors import UsageError
from hmi.mosquitto import Mosquitto, MosquittoMissing, find_mosquitto
from hmi.paths import data_dir, socket_path
from hmi.station.runtime import Station

if TYPE_CHECKING:
    from hmi.plant.model import PlantModel

DB_NAME = "demo-plant.db"  # its own record: an `ms5 demo` running beside it keeps demo.db
LOG_NAME = "demo-plant.log"


@contextlib.contextmanager
def private_broker() -> Iterator[Mosquitto]:
    """A Mosquitto of this run's own on a free port; gone (killed and reaped) on leaving."""
    try:
        binary = find_mosquitto()
    except MosquittoMissing as exc:
        raise UsageError(f"--plant starts a local broker: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="ms5-mosquitto-") as folder:
        broker = Mosquitto(Path(folder), binary=binary, die_with_parent=True)
        try:
            broker.start()
        except RuntimeError as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
        try:
            yield broker
        finally:
            broker.stop()


@contextlib.asynccontextmanager
async def demo_station(
    config: Config, *, speed: float, seed: int, on_event: Callable[[str], None]
) -> AsyncIterator[Station]:
    """The simulated line and its station, started (socket served, so `ms5 console` can attach)."""
    from connectors.sim.runner import SimError
    from hmi.socket.server import ServerError, StationServer
    from hmi.station.demo_shift import start_demo_line

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / DB_NAME
    station = Station(config, db)
    server = StationServer(station, socket_path(db))
    try:
        await server.start()  # before the store is wiped: a plant demo already running keeps it
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            sim, _shift = await start_demo_line(config, db, seed=seed, speed=speed, on_event=on_event)
        except SimError as exc:
            raise UsageError(str(exc)) from None
        try:
            station.open()
            await station.start()
            yield station
        finally:
            await station.stop()
            await sim.stop()
    finally:
        await server.stop()


def plant_rows(plant: PlantModel) -> list[str]:
    """The lines of the plant console's table as text: what `--face text` prints."""
    from hmi.plant.app import LINE_COLUMNS, line_row

    widths = (12, 10, 4, 9, 13, 10, 0)
    out = ["plant: " + " ".join(f"{c:<{w}}" for c, w in zip(LINE_COLUMNS, widths, strict=True)).rstrip()]
    for node in sorted(plant.nodes.values(), key=lambda n: n.key):
        cells = [str(c) for c in line_row(plant, node)]
        out.append("plant: " + " ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)).rstrip())
    return out


async def _text_face(broker_url: str, stop: asyncio.Event, *, seconds: float | None, every: float) -> None:
    from hmi.plant.host import PlantHost
    from hmi.plant.model import PlantModel

    plant = PlantModel()
    host = PlantHost(plant, broker_address(broker_url))
    task = asyncio.create_task(host.run())
    started = time.monotonic()
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            print("", *plant_rows(plant), sep="\n", flush=True)
            if seconds is not None and time.monotonic() - started >= seconds:
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _console_face(broker_url: str, stop: asyncio.Event) -> None:
    from hmi.plant.app import PlantApp
    from hmi.plant.host import PlantHost
    from hmi.plant.model import PlantModel

    plant = PlantModel()
    app = PlantApp(plant, PlantHost(plant, broker_address(broker_url)))
    running = asyncio.create_task(app.run_async())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
    if not running.done():
        app.exit()
    await running
    stopped.cancel()


async def _run(
    config: Config,
    broker_url: str,
    *,
    text: bool,
    seconds: float | None,
    every: float,
    speed: float,
    seed: int,
) -> None:
    from hmi.station.demo_shift import users_lines

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if text:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        on_event: Callable[[str], None] = print
    else:
        log_to_file(LOG_NAME)  # the full-screen app owns the terminal
        on_event = logging.getLogger("ms5.sim").warning
    async with demo_station(config, speed=speed, seed=seed, on_event=on_event) as station:
        print(*users_lines(), sep="\n", flush=True)
        if station.uplink is not None:
            sp = station.uplink
            print(f"sparkplug: edge node {sp.group}/{sp.node} on {sp.sp.broker}", flush=True)
        if text:
            await _text_face(broker_url, stop, seconds=seconds, every=every)
        else:
            if seconds is not None:
                loop.call_later(seconds, stop.set)
            await _console_face(broker_url, stop)


def run_plant_demo(
    on_broker: Callable[[str], Config],
    *,
    broker_url: str | None,
    text: bool,
    seconds: float | None,
    every: float,
    speed: float,
    seed: int,
) -> int:
    """`on_broker(url)` is the demo line's config with its [sparkplug] section for that broker."""

    def run(url: str) -> None:
        config = on_broker(url)
        asyncio.run(_run(config, url, text=text, seconds=seconds, every=every, speed=speed, seed=seed))

    if broker_url is not None:
        run(broker_url)
    else:
        with private_broker() as broker:
            print(f"plant: private mosquitto (pid {broker.pid}) on {broker.url}", flush=True)
            run(broker.url)
    print("demo stopped", flush=True)
    return 0
