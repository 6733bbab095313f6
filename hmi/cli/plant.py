"""`ms5 plant --broker URL [--group G]`: the plant console (hmi/plant/, docs/SPARKPLUG.md)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from core.config_sparkplug import broker_address
from hmi.cli.arguments import positive_number
from hmi.errors import UsageError
from hmi.paths import data_dir
from sparkplug.topics import TopicError, check_id

LOG_NAME = "plant.log"


def log_to_file(name: str = LOG_NAME) -> None:
    """The full-screen app owns the terminal: warnings (rebirths asked, the broker away) go to
    `name` in the data folder."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / name, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def cmd_plant(args: argparse.Namespace) -> int:
    try:
        broker = broker_address(args.broker)
        group = None if args.group is None else check_id(args.group)
    except (ValueError, TopicError) as exc:
        raise UsageError(str(exc)) from None
    if args.ca is not None and not broker.tls:
        raise UsageError("--ca is for TLS: use mqtts://")
    if args.ca is not None and not Path(args.ca).is_file():
        raise UsageError(f"{args.ca}: no such file")
    from hmi.plant.app import PlantApp
    from hmi.plant.host import PlantHost
    from hmi.plant.model import PlantModel

    log_to_file()
    plant = PlantModel(silent_s=args.silent)
    PlantApp(plant, PlantHost(plant, broker, group=group, ca=args.ca)).run()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "plant",
        help="The plant console: every line publishing Sparkplug B on the broker.",
        description="Every station publishing on the broker as a Sparkplug B edge node: state, "
        "OEE, good against target, open Andon calls; Enter opens a line's machines. It shows what "
        "the stations publish and asks a node for a rebirth when its sequence breaks.",
    )
    p.set_defaults(func=cmd_plant)
    p.add_argument("--broker", required=True, metavar="URL", help="mqtt://host[:port] or mqtts://host[:port]")
    p.add_argument("--group", metavar="G", help="only this Sparkplug group (default: every group)")
    p.add_argument("--ca", metavar="FILE", help="mqtts://: the plant's CA (default: the system's)")
    p.add_argument(
        "--silent",
        type=positive_number,
        default=30.0,
        metavar="S",
        help="a line that publishes nothing for S seconds is stale (default 30)",
    )
