"""What the console shows, as the text of its 80×24 terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from hmi.console.app import ConsoleApp

SIZE = (80, 24)


def screen_text(app: App[Any]) -> str:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def settle(pilot: Pilot[None]) -> str:
    """Let the console ask the station once more (as its one-second timer would), then read it."""
    app = pilot.app
    assert isinstance(app, ConsoleApp)
    await pilot.pause()
    await app.refresh_now()
    # Scrolling to a moved cursor and repainting the scrollbar take a few more turns of the loop.
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.pause()
    return screen_text(app)
