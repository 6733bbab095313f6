"""`ms5 engine` (the headless station), `ms5 report` and `ms5 export-journal`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from connectors.base import FAILING, Diagnostics
from connectors.registry import check as check_connections
from core.config import Config, ConfigError, format_error, load_config
from core.export import recorded, write_actions
from core.journal import not_in_config, write_journal
from core.replay import Window, replay
from core.store import StoreError
from core.timefmt import parse_time
from hmi.cli.people import read_store
from hmi.cli.reload import ConfigReloader
from hmi.errors import UsageError
from hmi.paths import default_db, socket_path
from hmi.report.text import print_result
from hmi.socket.server import ServerError, StationServer
from hmi.station.runtime import Station


def load_station_config(path: str) -> Config:
    """The config with its protocol-level checks (addresses, options) too."""
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    problems = check_connections(cfg)
    if problems:
        p = Path(path)
        text = p.read_text(encoding="utf-8-sig")
        raise UsageError(
            "\n".join(format_error(p, text, loc, message) for loc, message in problems), located=True
        )
    return cfg


def _db_path(db: str | None) -> Path:
    return Path(db) if db else default_db()


def _status_line(d: Diagnostics) -> None:
    error = f" ({d.last_error})" if d.state in FAILING and d.last_error else ""
    print(f"{d.connection} [{d.protocol}]: {d.state}{error}", flush=True)


def _say(text: str) -> None:
    print(f"station: {text}", flush=True)


async def run_station(cfg: Config, db: Path, config_path: Path | None = None) -> None:
    """Until SIGTERM or SIGINT; with `config_path`, a change of the file is said and SIGHUP applies it."""
    station = Station(cfg, db, on_connection=_status_line)
    server = StationServer(station, socket_path(db))
    try:
        # The socket first: a second station on this store refuses before it touches the PLCs.
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        station.open()
    except StoreError as exc:
        await server.stop()
        raise UsageError(str(exc), located=True) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[object]] = [asyncio.create_task(stop.wait())]
    if config_path is not None:
        reloader = ConfigReloader(station, config_path, load_station_config, say=_say)
        loop.add_signal_handler(signal.SIGHUP, reloader.request)
        tasks += [asyncio.create_task(reloader.watch()), asyncio.create_task(reloader.serve())]
    print(f"station: {len(cfg.connections)} connection(s), store {db}, socket {server.path}", flush=True)
    await station.start()
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            failure = None if task.cancelled() else task.exception()
            if isinstance(failure, StoreError):
                raise UsageError(str(failure), located=True)
            if failure is not None:
                raise failure
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.stop()
        await station.stop()
        print("station: stopped, store closed", flush=True)


def cmd_engine(args: argparse.Namespace) -> int:
    cfg = load_station_config(args.config)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    asyncio.run(run_station(cfg, _db_path(args.db), Path(args.config)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    with read_store(args.db) as store:
        samples, actions = recorded(store)
    # As `ms5 replay` of the exported journal does: a report that left it out would look complete.
    known = {eq.id for line in cfg.lines for eq in line.equipment}
    gone = next((s.equipment for s in samples if s.equipment not in known), None)
    if gone is not None:
        raise UsageError(f"{_db_path(args.db)}: {not_in_config(gone)}", located=True)
    times = [s.ts for s in samples] + [a.ts for a in actions]
    if not times:
        raise UsageError("the store holds no journal yet")
    tz = cfg.lines[0].tz
    try:
        start = parse_time(args.start, tz) if args.start else min(times)
        end = parse_time(args.end, tz) if args.end else max(times)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if end < start:
        raise UsageError("--to is before --from")
    print_result(replay(cfg, samples, Window(start, end), actions), as_json=args.json)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with read_store(args.db) as store:
        samples, actions = recorded(store)
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            n = write_journal(samples, out)
        m = 0
        if args.actions:
            with open(args.actions, "w", encoding="utf-8") as out:
                m = write_actions(actions, out)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}") from None
    print(f"{n} samples to {args.output}" + (f", {m} commands to {args.actions}" if args.actions else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db_help = f"the station's database (default: {default_db()})"
    p = sub.add_parser(
        "engine",
        help="Run the headless station: PLC connections -> engine -> store.",
        description="Run the headless station until SIGTERM or Ctrl-C; "
        "it prints a line when a connection changes state, and when its config file changes; "
        "SIGHUP applies the changed config (docs/CONFIG.md).",
    )
    p.set_defaults(func=cmd_engine)
    p.add_argument("config")
    p.add_argument("--db", metavar="PATH", help=db_help)

    p = sub.add_parser(
        "report",
        help="Figures from a station's store (the same object as ms5 replay).",
        description="Figures from a station's store: a replay of the journal it recorded.",
    )
    p.set_defaults(func=cmd_report)
    p.add_argument("config")
    p.add_argument("--db", metavar="PATH", help=db_help)
    p.add_argument("--from", dest="start", metavar="ISO")
    p.add_argument("--to", dest="end", metavar="ISO")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "export-journal",
        help="Write a station's journal as CSV (and its commands as JSON Lines) for ms5 replay.",
        description="Write a station's journal as CSV (and its commands as JSON Lines) for ms5 replay.",
    )
    p.set_defaults(func=cmd_export)
    p.add_argument("--db", metavar="PATH", help=db_help)
    p.add_argument("-o", "--output", required=True, metavar="CSV")
    p.add_argument("--actions", metavar="JSONL", help="also write the operator commands here")
