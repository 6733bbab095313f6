"""Screen snapshots stored beside the tests: an SVG (what it looks like, colours included) and the
plain text (what a review diff reads). `MS5_SNAPSHOT_UPDATE=1 pytest tests/console` rewrites them.

pytest-textual-snapshot would do this, but its syrupy pins pytest below the 9 this project uses.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.console.screen import screen_text

FOLDER = Path(__file__).parent / "__snapshots__"
UPDATE = os.environ.get("MS5_SNAPSHOT_UPDATE") == "1"


async def steady_screenshot(pilot: Pilot[Any], name: str) -> str:
    """The screenshot once two in a row agree: a table scrolls to its cursor a refresh or two
    after the cursor moved."""
    app = pilot.app
    svg = app.export_screenshot(title=name)
    for _ in range(20):
        await pilot.pause(0.05)
        again = app.export_screenshot(title=name)
        if again == svg:
            return svg
        svg = again
    raise AssertionError(f"{name}: the screen never settled")


async def assert_snapshot(pilot: Pilot[Any], name: str) -> None:
    app = pilot.app
    svg = await steady_screenshot(pilot, name)
    text = screen_text(app)
    FOLDER.mkdir(exist_ok=True)
    svg_path, text_path = FOLDER / f"{name}.svg", FOLDER / f"{name}.txt"
    if UPDATE or not svg_path.exists():
        svg_path.write_text(svg, encoding="utf-8")
        text_path.write_text(text, encoding="utf-8")
        if not UPDATE:
            raise AssertionError(f"{svg_path.name}: new snapshot written; check it and commit it")
        return
    want_text = text_path.read_text(encoding="utf-8")
    if text != want_text:
        diff = "\n".join(
            difflib.unified_diff(want_text.splitlines(), text.splitlines(), "stored", "now", lineterm="")
        )
        raise AssertionError(f"{name}: the screen's text changed\n{diff}")
    if svg != svg_path.read_text(encoding="utf-8"):
        (svg_path.with_suffix(".now.svg")).write_text(svg, encoding="utf-8")
        raise AssertionError(f"{name}: same text, other colours or styles; compare {name}.now.svg")
