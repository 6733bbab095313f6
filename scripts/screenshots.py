"""PNG screenshots of every panel screen at both panel sizes, for the README and the docs.

    python -m scripts.screenshots [--out docs/screenshots] [--language de]

Offscreen and deterministic: the station is fed with the bundled demo shift
(assets/demo-journal.csv) up to 12:30 under a manual clock, with the scripted Andon calls and
reason correction of scripts/demo_station.py, so a rerun on any machine gives the same pictures
(fonts aside: the bootstrap installs DejaVu, which the panel uses). Files are named
`<screen>-<width>x<height>.png`, and `<screen>-<width>x<height>-<language>.png` for another
language than English (`[panel] language`, at 1280x800 only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SIZES = ((1280, 800), (1920, 1080))
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MACHINE = "LABELLER"  # the machine screen shows the one with the most stops of the morning


def plan_demo_jobs(station: Any) -> None:
    """The demo day's schedule, as `ms5 jobs import` would plan it: the Jobs screen lists it."""
    from core.store_jobs import PlannedJob, add_planned

    assert station.store is not None
    day = 1772427600.0  # 2026-03-02 06:00 +01:00, the demo shift's start
    hour = 3600.0
    jobs = [
        PlannedJob("J-1042", "A500", 9000, "L1", day + 6.5 * hour, day + 8 * hour),
        PlannedJob("J-1043", "A500", 14000, "L1", day + 8 * hour, day + 11 * hour),
        PlannedJob("J-1044", "A500", 6000, "L1", day + 11 * hour, day + 12.5 * hour),
    ]
    add_planned(station.store.conn, jobs, day)


def take(out: Path, sizes: Sequence[tuple[int, int]] = SIZES, language: str = "") -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.config import load_config
    from hmi.panel.app import dispose
    from hmi.panel.model import PanelModel, run_now
    from hmi.panel.window import PanelWindow
    from hmi.station.link import LocalLink
    from scripts.demo_station import DEMO_CONFIG, replayed_station

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    data_dir = os.environ.get("MS5_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="ms5-screenshots-") as tmp:
        os.environ["MS5_DATA_DIR"] = tmp  # the panel's settings file goes there, not to the user's
        config = load_config(DEMO_CONFIG)
        config = config.model_copy(update={"panel": config.panel.model_copy(update={"language": language})})
        station, clock = replayed_station(Path(tmp) / "station.db", config=config)
        try:
            plan_demo_jobs(station)
            # No loop runs here, and a LocalLink's calls never wait: the model is read at once.
            window = PanelWindow(run_now(PanelModel.attach(LocalLink(station))), clock=clock)
            window.pump.heartbeat.stop()  # frames only when asked: the pictures must not race a timer
            window.show()
            for w, h in sizes:
                window.setMinimumSize(min(w, 1024), min(h, 700))
                window.resize(w, h)
                for name in window.screen_names():
                    if name == "machine":
                        window.open_machine(MACHINE)
                    else:
                        window.show_screen(name)
                    window.refresh_now()
                    app.processEvents()
                    path = out / f"{name}-{w}x{h}{f'-{language}' if language else ''}.png"
                    if not window.grab().save(str(path)):
                        raise OSError(f"cannot write {path}")
                    written.append(path)
            dispose(window)
        finally:
            asyncio.run(station.stop())
            if data_dir is None:
                os.environ.pop("MS5_DATA_DIR", None)
            else:
                os.environ["MS5_DATA_DIR"] = data_dir
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs (default docs/screenshots)"
    )
    parser.add_argument("--language", default="", help="the panel's language (default: English, both sizes)")
    args = parser.parse_args(argv)
    sizes = SIZES if not args.language else SIZES[:1]
    for path in take(args.out, sizes, args.language):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
