"""What every console screen shares: the tabs, the status line, the footer and its refresh, and
`ConsoleHost`, all that a screen may use of the app that shows it.

The app imports every screen, so no screen imports the app: each one is given its host (the
app) when the app builds it, and knows it only as a `ConsoleHost`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from hmi.console.chrome import StatusBar, Tabs

if TYPE_CHECKING:
    from hmi.console.prompts import Credentials
    from hmi.station.link import StationLink


class ConsoleHost(Protocol):
    """The app as its screens see it (hmi/console/app.py's ConsoleApp is the one there is)."""

    @property
    def link(self) -> StationLink: ...

    @property
    def tz(self) -> ZoneInfo:
        """The line's time zone: every time on screen is the line's local time."""
        ...

    @property
    def now(self) -> float:
        """The station's clock at the last refresh (never this machine's)."""
        ...

    @property
    def reasons(self) -> dict[str, str]:
        """The config's downtime reasons and their categories."""
        ...

    @property
    def last_user(self) -> str:
        """The user of the last command, offered in the next PIN prompt."""
        ...

    @property
    def event_serial(self) -> int:
        """Counts engine events: a screen re-asks event views only when it moved."""
        ...

    def refresh_soon(self) -> None:
        """Refresh the shown screen's views now, whatever their period."""
        ...

    async def send_command(self, command: str, args: Mapping[str, Any], creds: Credentials) -> None:
        """Send an engine command and show the station's answer."""
        ...

    def show_tags(self, query: str) -> None:
        """Switch to the Tags screen, filtered by `query`."""
        ...


class ViewScreen(Screen[None]):
    """A screen that shows station views; the app calls `refresh_data` while it is visible."""

    MODE: ClassVar[str] = ""
    # Seconds between two refreshes of the screen's own views (the status line's clock still
    # ticks every second). Shift figures that change every second would otherwise repaint most of
    # the screen every second: too many bytes for an SSH link.
    REFRESH_S: ClassVar[float] = 1.0

    def __init__(self, host: ConsoleHost) -> None:
        super().__init__()
        self.host = host
        self.refreshed_at = float("-inf")  # monotonic time of the last refresh_data
        self.stale = False  # fresh figures were asked for (`refresh_soon`) and not fetched yet
        # Held, not queried: the app's first refresh may come before this screen is composed.
        self.status_bar = StatusBar()

    @property
    def link(self) -> StationLink:
        return self.host.link

    @property
    def tz(self) -> ZoneInfo:
        return self.host.tz

    def compose(self) -> ComposeResult:
        yield Tabs(self.MODE)
        yield self.status_bar
        yield from self.body()
        yield Footer(show_command_palette=True)

    def body(self) -> ComposeResult:
        yield from ()

    async def refresh_data(self) -> None:
        """Ask the station for this screen's views and update the widgets in place."""

    def show_status(self, overview: dict[str, Any]) -> None:
        self.status_bar.show(overview, self.tz)

    def show_unreachable(self, message: str) -> None:
        self.status_bar.show_error(message)

    def show_starting(self, status: str) -> None:
        self.status_bar.show_starting(status)

    def on_screen_resume(self) -> None:
        # A screen coming back shows fresh figures at once, not up to a second later.
        self.host.refresh_soon()
