"""`ms5 console`: the maintenance console in this terminal (docs/CONSOLE.md).

It attaches to the station that serves the data folder's socket, so the PLCs are never polled
twice; when none runs it hosts the station itself (and serves the socket, so that another console
can attach to it). `--attach` never hosts; `--demo` is the simulated line with its own station.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from core.config import Config
from core.store import StoreError
from hmi.cli.arguments import positive_number
from hmi.cli.station import load_station_config
from hmi.errors import UsageError
from hmi.paths import DEMO_CONFIG, data_dir, default_db, socket_path
from hmi.socket.client import RemoteLink, StationNotRunning
from hmi.socket.server import ServerError, StationServer
from hmi.station.link import LinkError, LocalLink
from hmi.station.runtime import Station

LOG_NAME = "console.log"


def _log_to_file() -> Path:
    """A full-screen UI owns the terminal: warnings go to a file in the data folder instead."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    return path


async def _attach(path: Path) -> RemoteLink | None:
    try:
        return await RemoteLink.connect(path)
    except StationNotRunning:
        return None
    except LinkError as exc:
        raise UsageError(str(exc)) from None


async def _run_attached(link: RemoteLink) -> None:
    from hmi.console.app import run_console

    try:
        await run_console(link)
    except LinkError as exc:  # the station went away before the console could show anything
        raise UsageError(str(exc)) from None
    finally:
        await link.close()


async def _run_hosted(station: Station) -> None:
    """Serve `station`'s socket, start it and run the console on it; stop all on quit."""
    from hmi.console.app import run_console

    server = StationServer(station, socket_path(station.db_path))
    try:
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            # The store opens here, its engine is restored meanwhile: the console says
            # "starting (n %)" on its status line until it runs.
            await station.start()
        except StoreError as exc:
            raise UsageError(str(exc), located=True) from None
        console = asyncio.create_task(run_console(LocalLink(station)))
        failed = asyncio.create_task(station.restored())
        await asyncio.wait([console, failed], return_when=asyncio.FIRST_COMPLETED)
        if failed.done() and not failed.cancelled() and isinstance(failed.exception(), StoreError):
            console.cancel()  # a damaged store: the console goes, the message stays
            with contextlib.suppress(asyncio.CancelledError):
                await console
            raise UsageError(str(failed.exception()), located=True)
        await console
    finally:
        await server.stop()
        await station.stop()


async def console_main(
    config: Config | None, db: Path, *, attach_only: bool, config_path: Path | None = None
) -> None:
    path = socket_path(db)
    link = await _attach(path)
    if link is not None:
        await _run_attached(link)
        return
    if attach_only:
        raise UsageError(f"no station runs at {path}")
    if config is None:
        raise UsageError(f"no station runs at {path}; give a CONFIG to host one here")
    _log_to_file()
    await _run_hosted(Station(config, db, config_path=config_path))


async def demo_console(config: Config, *, speed: float = 1.0, seed: int = 1) -> None:
    """The simulated demo line and its own station, shown in the console (what `ms5 demo` runs
    when there is no display). A demo already running is attached to instead."""
    from connectors.sim.runner import SimError
    from hmi.station.demo_shift import start_demo_line, users_lines

    folder = data_dir()
    db = folder / "demo.db"
    link = await _attach(socket_path(db))
    if link is not None:
        await _run_attached(link)
        return
    log_path = _log_to_file()
    sim_log = logging.getLogger("ms5.sim")
    try:
        sim, _shift = await start_demo_line(config, db, seed=seed, speed=speed, on_event=sim_log.warning)
    except SimError as exc:
        raise UsageError(f"{exc} (log: {log_path})") from None
    # Said before the console takes the terminal; after it, in the console's log.
    print(*users_lines(), sep="\n", flush=True)
    try:
        await _run_hosted(Station(config, db))
    finally:
        await sim.stop()


def cmd_console(args: argparse.Namespace) -> int:
    if args.demo:
        if args.attach:
            raise UsageError("--demo runs its own line: no --attach with it")
        line = load_station_config(args.config or str(DEMO_CONFIG))
        asyncio.run(demo_console(line, speed=args.speed, seed=args.seed))
        return 0
    config = load_station_config(args.config) if args.config else None
    db = Path(args.db) if args.db else default_db()
    config_path = Path(args.config) if args.config else None
    asyncio.run(console_main(config, db, attach_only=args.attach, config_path=config_path))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "console",
        help="The maintenance console (keyboard only, 80x24 is enough, fine over SSH).",
        description="The maintenance console. It attaches to the station serving the data folder's "
        "socket; when none runs it hosts the station of CONFIG itself (and serves the socket). "
        "Keys: 1-6 screens, q quit, ctrl+p command palette. See docs/CONSOLE.md.",
    )
    p.set_defaults(func=cmd_console)
    p.add_argument("config", nargs="?", help="the station's TOML config, to host it when none runs")
    p.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")
    p.add_argument("--attach", action="store_true", help="only attach to a running station; never host one")
    p.add_argument(
        "--demo",
        action="store_true",
        help="the simulated line of CONFIG (default: the bundled demo line) with its own station, "
        "on a fresh demo.db holding the shift so far",
    )
    p.add_argument(
        "--speed",
        type=positive_number,
        default=1.0,
        metavar="X",
        help="--demo: run the machines X times faster",
    )
    p.add_argument("--seed", type=int, default=1, help="--demo: the simulated line's seed")
