"""What every console screen shares: the tabs, the status line, the footer and its refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from hmi.console.chrome import StatusBar, Tabs

if TYPE_CHECKING:
    from hmi.console.app import ConsoleApp
    from hmi.station.link import StationLink


class ViewScreen(Screen[None]):
    """A screen that shows station views; the app calls `refresh_data` while it is visible."""

    MODE: ClassVar[str] = ""
    # Seconds between two refreshes of the screen's own views (the status line's clock still
    # ticks every second). Shift figures that change every second would otherwise repaint most of
    # the screen every second: too many bytes for an SSH link.
    REFRESH_S: ClassVar[float] = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.refreshed_at = float("-inf")  # monotonic time of the last refresh_data

    @property
    def console_app(self) -> ConsoleApp:
        from hmi.console.app import ConsoleApp

        app = self.app
        assert isinstance(app, ConsoleApp)
        return app

    @property
    def link(self) -> StationLink:
        return self.console_app.link

    @property
    def tz(self) -> ZoneInfo:
        return self.console_app.tz

    def compose(self) -> ComposeResult:
        yield Tabs(self.MODE)
        yield StatusBar()
        yield from self.body()
        yield Footer(show_command_palette=True)

    def body(self) -> ComposeResult:
        yield from ()

    async def refresh_data(self) -> None:
        """Ask the station for this screen's views and update the widgets in place."""

    def show_status(self, overview: dict[str, Any]) -> None:
        self.query_one(StatusBar).show(overview, self.tz)

    def show_unreachable(self, message: str) -> None:
        self.query_one(StatusBar).show_error(message)

    def on_screen_resume(self) -> None:
        # A screen coming back shows fresh figures at once, not up to a second later.
        self.console_app.refresh_soon()
