"""`ms5 engine` (the headless station), `ms5 export-journal` and `ms5 backup`; `ms5 report` is
hmi/cli/report.py."""

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
from core.journal import write_journal
from core.store import StoreError
from core.store_backup import backup
from hmi.cli import report as cli_report
from hmi.cli.people import read_store
from hmi.cli.reload import ConfigReloader
from hmi.errors import UsageError
from hmi.paths import default_db, socket_path
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


async def _until_failure(station: Station) -> None:
    """Ends only when the start-up's restore failed (a damaged store), raising what it met."""
    await station.restored()
    await asyncio.Event().wait()


async def run_station(cfg: Config, db: Path, config_path: Path | None = None) -> None:
    """Until SIGTERM or SIGINT; with `config_path`, a change of the file is said and SIGHUP applies it.

    The socket and the connections start at once; the engine is restored from the journal
    meanwhile (hmi.station.runtime, hmi.station.restore), and a signal at any moment of that
    ends the station cleanly.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    station = Station(cfg, db, on_connection=_status_line, config_path=config_path)
    server = StationServer(station, socket_path(db))
    try:
        # The socket first: a second station on this store refuses before it touches the PLCs.
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    tasks: list[asyncio.Task[object]] = [asyncio.create_task(stop.wait())]
    print(f"station: {len(cfg.connections)} connection(s), store {db}, socket {server.path}", flush=True)
    try:
        await station.start()
    except StoreError as exc:
        await server.stop()
        raise UsageError(str(exc), located=True) from None
    except UsageError:  # `[metrics] listen` that cannot be served: its one line
        await server.stop()
        await station.stop()
        raise
    if station.notifier is not None:  # systemd's Type=notify: serving now (hmi/station/sd_notify.py)
        station.notifier.send("READY=1")
    if station.metrics is not None:
        host = station.metrics.address[0]
        where = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
        print(f"station: metrics on http://{where}:{station.metrics.port}/metrics and /healthz", flush=True)
    tasks.append(asyncio.create_task(_until_failure(station)))
    if config_path is not None:
        reloader = ConfigReloader(station, config_path, load_station_config, say=_say)
        loop.add_signal_handler(signal.SIGHUP, reloader.request)
        tasks += [asyncio.create_task(reloader.watch()), asyncio.create_task(reloader.serve())]
    starting: str | None = None
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        starting = station.starting()
        for task in done:
            failure = None if task.cancelled() else task.exception()
            if isinstance(failure, StoreError):
                starting = None
                raise UsageError(str(failure), located=True)
            if failure is not None:
                raise failure
    finally:
        if station.notifier is not None:
            station.notifier.send("STOPPING=1")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.stop()
        await station.stop()
        if starting is not None:
            print(f"station: stopped while {starting}, store closed", flush=True)
        else:
            print("station: stopped, store closed", flush=True)


def cmd_engine(args: argparse.Namespace) -> int:
    cfg = load_station_config(args.config)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # A shift report written is news for whoever watches the station's output, like a connection.
    logging.getLogger("ms5.reports").setLevel(logging.INFO)
    asyncio.run(run_station(cfg, _db_path(args.db), Path(args.config)))
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


def cmd_backup(args: argparse.Namespace) -> int:
    db, out = _db_path(args.db), Path(args.output)
    if not db.is_file():
        raise UsageError(f"{db}: no such database")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent}: no such folder")
    if out.resolve() == db.resolve():
        raise UsageError(f"{out}: that is the database itself")
    try:
        made = backup(db, out)
    except StoreError as exc:
        raise UsageError(str(exc), located=True) from None
    print(f"{db}: backed up to {made.path} ({made.size / 1e6:.1f} MB, journal up to row {made.journal_last})")
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

    cli_report.register(sub)

    p = sub.add_parser(
        "export-journal",
        help="Write a station's journal as CSV (and its commands as JSON Lines) for ms5 replay.",
        description="Write a station's journal as CSV (and its commands as JSON Lines) for ms5 replay.",
    )
    p.set_defaults(func=cmd_export)
    p.add_argument("--db", metavar="PATH", help=db_help)
    p.add_argument("-o", "--output", required=True, metavar="CSV")
    p.add_argument("--actions", metavar="JSONL", help="also write the operator commands here")

    p = sub.add_parser(
        "backup",
        help="Copy a station's store, running or not, consistently (SQLite's online backup).",
        description="Copy a station's store, running or not, consistently: SQLite's online backup, "
        "never a copy of the live files (docs/STORE.md, Backups).",
    )
    p.set_defaults(func=cmd_backup)
    p.add_argument("--db", metavar="PATH", help=db_help)
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the backup file (replaced if it exists)"
    )
