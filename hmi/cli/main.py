"""The `ms5` command line. Every command exits 0 on success and 2 on bad input with one line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from core.actions import read_actions
from core.auth import UserStore
from core.config import Config, ConfigError, load_config
from core.journal import JournalError, journal_files, read_journal
from core.replay import Window, default_window, replay
from core.sqlite_tx import StoreError
from core.store_open import damaged
from core.timefmt import parse_time
from hmi.cli import commissioning as cli_commissioning
from hmi.cli import console as cli_console
from hmi.cli import export as cli_export
from hmi.cli import import_journal as cli_import
from hmi.cli import jobs as cli_jobs
from hmi.cli import panel as cli_panel
from hmi.cli import people as cli_people
from hmi.cli import plant as cli_plant
from hmi.cli import sim as cli_sim
from hmi.cli import station as cli_station
from hmi.cli import trend as cli_trend
from hmi.cli import verify as cli_verify
from hmi.errors import UsageError
from hmi.paths import ASSETS, DEMO_CONFIG, data_dir
from hmi.report.text import print_result


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the user sees what is wrong and where to look.
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _config(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None


def _time_arg(text: str | None, config: Config, name: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_time(text, config.lines[0].tz)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def cmd_check(args: argparse.Namespace) -> int:
    cfg = cli_station.load_station_config(args.config)
    n_eq = sum(len(line.equipment) for line in cfg.lines)
    print(f"{args.config}: ok ({len(cfg.lines)} line(s), {n_eq} equipment, {len(cfg.reasons)} reasons)")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    cfg = _config(args.config)
    # Several journals (the archive folder and an export of the rest): their rows together,
    # which the replay runs in time order.
    journal = args.journal if isinstance(args.journal, list) else [args.journal]
    samples = []
    actions = []
    try:
        journals, found_actions = journal_files(journal)
        for path in journals:
            samples += read_journal(path, cfg)
        for path in [*found_actions, *(args.actions or [])]:
            actions += read_actions(path)
    except JournalError as exc:
        raise UsageError(str(exc), located=True) from None
    if not samples:
        raise UsageError(f"{' '.join(journal)}: the journal has no rows")
    window = default_window(samples)
    start = _time_arg(args.start, cfg, "--from")
    end = _time_arg(args.end, cfg, "--to")
    window = Window(start if start is not None else window.start, end if end is not None else window.end)
    if window.end < window.start:
        raise UsageError(
            "--to is before --from" if end is not None else "--from is after the journal's last row"
        )
    users = None
    if args.db:
        with cli_people.read_store(args.db) as store:
            users = {u.name: u.role for u in UserStore(store.conn).list()}
    print_result(replay(cfg, samples, window, actions, users), as_json=args.json)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if args.replay:
        if args.config:
            raise UsageError("--replay replays the bundled demo shift: no CONFIG with it")
        # The bundled shift, replayed: the same figures on every machine, no ports needed.
        ns = argparse.Namespace(
            config=str(ASSETS / "demo-line.toml"),
            journal=str(ASSETS / "demo-journal.csv"),
            actions=[],
            db=None,
            start=None,
            end=None,
            json=False,
        )
        return cmd_replay(ns)
    cfg = cli_station.load_station_config(args.config or str(DEMO_CONFIG))
    if args.plant:
        return _demo_plant(args, cfg)
    face = args.face if args.face != "auto" else demo_face()
    if args.broker is not None:
        cfg = demo_on_broker(cfg, args.broker, args.group)
    if face == "panel":
        from hmi.panel.app import run_panel  # Qt loads only for the panel

        return run_panel(cfg, data_dir() / "demo.db", demo=True, seconds=args.seconds)
    if face == "console":
        asyncio.run(cli_console.demo_console(cfg, speed=args.speed, seed=args.seed))
        return 0
    from hmi.cli.demo import run_demo  # the simulator's protocol servers load only when asked for

    asyncio.run(run_demo(cfg, seconds=args.seconds, every=args.every, speed=args.speed, seed=args.seed))
    return 0


def _demo_plant(args: argparse.Namespace, cfg: Config) -> int:
    if args.face in ("panel", "console"):
        raise UsageError(f"--plant shows the plant console: no --face {args.face} with it (auto or text)")
    from hmi.cli.demo_plant import run_plant_demo

    text = args.face == "text" or not (sys.stdin.isatty() and sys.stdout.isatty())
    return run_plant_demo(
        lambda url: demo_on_broker(cfg, url, args.group),
        broker_url=args.broker,
        text=text,
        seconds=args.seconds,
        every=args.every,
        speed=args.speed,
        seed=args.seed,
    )


def demo_on_broker(cfg: Config, url: str, group: str) -> Config:
    """The demo line's config, its station an edge node on the broker at `url` (docs/SPARKPLUG.md)."""
    from core.config_sparkplug import SparkplugConfig, sparkplug_errors

    try:
        sp = SparkplugConfig(broker=url, group_id=group)
    except ValueError as exc:
        raise UsageError(f"--broker: {exc}") from None
    problems = list(
        sparkplug_errors(
            sp, [line.id for line in cfg.lines], [e.id for li in cfg.lines for e in li.equipment]
        )
    )
    if problems:
        raise UsageError(f"--broker/--group: {problems[0][1]}")
    return cfg.model_copy(update={"sparkplug": sp})


def demo_face() -> str:
    """The panel on a screen, the console in a terminal (over SSH), printed figures otherwise
    (a pipe, a CI log)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return "panel"
    if sys.stdin.isatty() and sys.stdout.isatty():
        return "console"
    return "text"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ms5", description="MS5 Floor: the line-side station.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("check", cmd_check, "Validate a config file.")
    p.add_argument("config", help="the station's TOML config")

    p = add("replay", cmd_replay, "Run a recorded journal through the engine and print the figures.")
    p.add_argument("config", help="the station's TOML config")
    p.add_argument(
        "journal",
        nargs="+",
        help="journal CSV (ts,equipment,signal,value), .csv.gz too; a folder (a station's archive) "
        "gives its journals and actions files; several are replayed together",
    )
    p.add_argument("--from", dest="start", metavar="ISO", help="window start (default: first row)")
    p.add_argument("--to", dest="end", metavar="ISO", help="window end (default: last row)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--actions",
        metavar="JSONL",
        action="append",
        help='operator commands, one {"ts", "user", "command", ...} a line (.jsonl.gz too; may be repeated)',
    )
    p.add_argument("--db", metavar="PATH", help="take the users and roles for --actions from this store")

    cli_people.register(sub)
    cli_station.register(sub)
    cli_import.register(sub)
    cli_jobs.register(sub)
    cli_verify.register(sub)
    cli_export.register(sub)
    cli_panel.register(sub)
    cli_console.register(sub)
    cli_plant.register(sub)
    cli_sim.register(sub)
    cli_commissioning.register(sub)
    cli_trend.register(sub)
    p = add(
        "demo", cmd_demo, "The simulated demo line (all four protocols) and a station, figures printed live."
    )
    p.add_argument("config", nargs="?", help="the line to simulate (default: the bundled demo line)")
    p.add_argument(
        "--replay", action="store_true", help="replay the bundled demo shift instead and print its figures"
    )
    p.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    p.add_argument(
        "--every", type=float, default=5.0, metavar="S", help="print figures every S seconds (default 5)"
    )
    p.add_argument("--speed", type=float, default=1.0, metavar="X", help="run the machines X times faster")
    p.add_argument("--seed", type=int, default=1, help="the simulated line's seed")
    p.add_argument(
        "--broker",
        metavar="URL",
        help="also publish the line as a Sparkplug B edge node on this MQTT broker (mqtt://host:1883)",
    )
    p.add_argument(
        "--plant",
        action="store_true",
        help="the plant console watching the demo line's station over Sparkplug B, on a private "
        "Mosquitto on a free port (or on --broker); --face text prints its rows",
    )
    p.add_argument(
        "--group", default="demo", metavar="G", help="the Sparkplug group id with --broker (default: demo)"
    )
    p.add_argument(
        "--face",
        choices=("auto", "panel", "console", "text"),
        default="auto",
        help="what shows the line: the panel when a display is present, else the console in a "
        "terminal, else printed figures (default: auto)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        print(str(exc) if exc.located else f"ms5 {args.command}: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:  # met after opening: a damaged row read (it names the file)
        print(str(exc), file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # Met past the checks at opening (a page damaged where only a full read finds it).
        print(f"ms5 {args.command}: {damaged(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code
