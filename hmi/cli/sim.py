"""`ms5 sim`: serve a config's line with simulated PLCs on the connections' addresses.

Also runnable on its own: `python -m hmi.cli.sim CONFIG [options]` is `ms5 sim CONFIG [options]`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from connectors.sim.runner import SimError, SimLine
from connectors.sim.script import Script, ScriptError, load_script
from core.config import Config
from hmi.cli.arguments import positive_number
from hmi.cli.station import load_station_config
from hmi.errors import UsageError

HELP = "Serve a config's line with simulated PLCs (Modbus, OPC UA, S7, Logix) until Ctrl-C."
EPILOG = (
    "Every [[connections]] entry is served on its host and port by the protocol's real server; the "
    "equipment runs, stops, faults and changes over near its ideal cycle time. "
    "Script syntax and the demo ports: docs/SIMULATOR.md."
)


def _load(path: str) -> Config:
    # The addresses as the station's drivers read them (as `ms5 check` does): a simulator serving
    # an address no station can read is of no use.
    config = load_station_config(path)
    if not config.connections:
        raise UsageError(f"{path}: no [[connections]] to serve")
    return config


def _quiet_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


def _say(text: str) -> None:
    print(text, flush=True)


class _Crashed(Exception):
    """The simulator broke while serving (not the user's input): exit 1 with one line."""


async def _serve(config: Config, seed: int, script: Script | None, speed: float) -> None:
    sim = SimLine(config, seed, script, speed, on_event=_say)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, sim.request_stop)
    try:
        try:
            await sim.start()
        except SimError as exc:
            raise UsageError(str(exc)) from None
        for conn, n_tags in sim.connections:
            _say(f"serving {conn.protocol} {conn.id} on {conn.host}:{conn.port} ({n_tags} tags)")
        if script is not None and script.events:
            _say(f"script {script.name}: {len(script.events)} event(s)")
        _say(f"seed {seed}, speed {speed:g}; Ctrl-C to stop")
        try:
            await sim.run_forever()
        except Exception as exc:
            raise _Crashed(
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            ) from exc
    finally:
        await sim.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    _say("stopped")


def cmd_sim(args: argparse.Namespace) -> int:
    config = _load(args.config)
    script = None
    if args.script:
        try:
            script = load_script(args.script, config)
        except ScriptError as exc:
            raise UsageError(str(exc), located=True) from None
    _quiet_logging()
    try:
        asyncio.run(_serve(config, args.seed, script, args.speed))
    except _Crashed as exc:
        print(f"ms5 sim: stopped: {exc}", file=sys.stderr)
        return 1
    return 0


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="the station's TOML config (its [[connections]] are served)")
    p.add_argument(
        "--seed", type=int, default=1, metavar="N", help="the same seed gives the same line (default 1)"
    )
    p.add_argument(
        "--script", metavar="FILE", help="faults, stops and outages at given seconds (docs/SIMULATOR.md)"
    )
    p.add_argument(
        "--speed",
        type=positive_number,
        default=1.0,
        metavar="X",
        help="run the equipment X times faster: cycle times and stop durations divided by X (default 1)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sim", help=HELP, description=HELP, epilog=EPILOG)
    p.set_defaults(func=cmd_sim)
    _add_arguments(p)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="ms5 sim", description=HELP, epilog=EPILOG)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_sim(args)
    except UsageError as exc:
        print(str(exc) if exc.located else f"ms5 sim: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
