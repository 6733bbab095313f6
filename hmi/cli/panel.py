"""`ms5 panel`: the line-side touch panel with its station in the same process."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from hmi.cli.station import load_station_config
from hmi.errors import UsageError
from hmi.paths import DEMO_CONFIG, data_dir, default_db

SIZE = re.compile(r"(\d{3,5})x(\d{3,5})")


def parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    m = SIZE.fullmatch(text.strip().lower())
    if m is None:
        raise UsageError(f"--size {text!r}: give width x height in pixels, e.g. 1280x800")
    return int(m.group(1)), int(m.group(2))


def _check_display() -> None:
    # Qt aborts the process without a display; say so in one line instead.
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise UsageError("no display: run it on the panel's screen, or set QT_QPA_PLATFORM=offscreen")


def cmd_panel(args: argparse.Namespace) -> int:
    if args.config is None and not args.demo:
        raise UsageError("give the station's CONFIG (or --demo for the bundled demo line)")
    cfg = load_station_config(args.config or str(DEMO_CONFIG))
    size = parse_size(args.size)
    if args.seconds is not None and not args.seconds > 0:
        raise UsageError("--seconds must be positive")
    if args.demo and args.db:
        raise UsageError("--demo keeps its own fresh database; leave out --db")
    db = data_dir() / "demo.db" if args.demo else Path(args.db) if args.db else default_db()
    _check_display()
    from hmi.panel.app import run_panel  # Qt loads only for this command

    return run_panel(
        cfg,
        db,
        kiosk=args.kiosk,
        demo=args.demo,
        size=size,
        seconds=args.seconds,
        config_path=Path(args.config),
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "panel",
        help="The line-side touch panel (Qt) with its station: PLCs -> engine -> store.",
        description="The line-side touch panel with its station in the same process. "
        "Screens: overview, machine, downtime, Andon, jobs, report; PIN login, idle lock.",
    )
    p.set_defaults(func=cmd_panel)
    p.add_argument("config", nargs="?", help="the station's TOML config (with --demo: default the demo line)")
    p.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")
    p.add_argument("--kiosk", action="store_true", help="full screen without window decorations")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1280x800 or 1920x1080")
    p.add_argument(
        "--demo",
        action="store_true",
        help="also serve CONFIG's PLCs (default: the bundled demo line's) from the simulator, on a "
        "fresh demo.db in the data folder holding the shift so far",
    )
    p.add_argument("--seconds", type=float, metavar="S", help="close after S seconds (default: when closed)")
