"""The console app: six screens over one `StationLink`, refreshed once a second while visible.

The console never knows whether its station runs in this process (`LocalLink`) or behind the
station socket (`RemoteLink`): it only asks for named views and sends engine commands.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from hmi.console.andon import AndonScreen
from hmi.console.base import ViewScreen
from hmi.console.chrome import SCREENS
from hmi.console.connections import ConnectionsScreen
from hmi.console.downtime import DowntimeScreen
from hmi.console.events import EventsScreen
from hmi.console.oee import OeeScreen
from hmi.console.prompts import Credentials
from hmi.console.tags import TagsScreen
from hmi.station.link import CommandResult, LinkError, StationLink, starting_status

REFRESH_S = 1.0
# Colour systems with 16 colours or fewer: the theme then uses the terminal's own ANSI palette.
FEW_COLOURS = ("standard", "windows")

# mode -> its screen; the app builds each one with itself as the screen's host.
SCREEN_TYPES: dict[str, type[ViewScreen]] = {
    "connections": ConnectionsScreen,
    "tags": TagsScreen,
    "andon": AndonScreen,
    "downtime": DowntimeScreen,
    "oee": OeeScreen,
    "events": EventsScreen,
}

SCREEN_HELP = {
    "connections": "state, errors, reconnects, reads/s and latency of each PLC connection",
    "tags": "live values with quality and age",
    "andon": "open and recent Andon calls",
    "downtime": "the shift's stops and their reasons",
    "oee": "OEE per machine and line, current and previous shift",
    "events": "engine events and the audit log",
}


class ConsoleApp(App[None]):
    CSS_PATH = "console.tcss"
    TITLE = "MS5 console"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"show('{mode}')", label, show=False) for mode, key, label in SCREENS),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, link: StationLink, *, refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.link = link
        self.refresh_s = refresh_s
        self.tz: ZoneInfo = ZoneInfo("UTC")
        self.reasons: dict[str, str] = {}
        self.now = 0.0  # the station's clock at the last refresh
        self.last_user = ""
        self.last_result: CommandResult | None = None
        self.event_serial = 0  # counts engine events: screens re-ask event views only when it moved
        self._refresher: Worker[None] | None = None  # the refresh in flight, or the last one
        self._unlisten: Callable[[], None] | None = None
        self.failure: str | None = None  # why the console could not start
        for mode, screen_type in SCREEN_TYPES.items():
            self.add_mode(mode, partial(screen_type, self))

    async def on_mount(self) -> None:
        if self.console.color_system in FEW_COLOURS:
            self.theme = "ansi-dark"
        try:
            config = await self.link.view("config")
        except LinkError as exc:
            self.failure = str(exc)
            self.exit(return_code=2)
            return
        self.reasons = dict(config.get("reasons", {}))
        lines = config.get("lines", [])
        if lines and lines[0].get("timezone"):
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):  # UTC then
                self.tz = ZoneInfo(lines[0]["timezone"])
        self._unlisten = self.link.listen(self._on_event)
        await self.switch_mode("connections")
        self.set_interval(self.refresh_s, self._tick)
        await self.refresh_now()

    def _on_event(self) -> None:
        # A flood of events costs a counter each; the next refresh shows them all at once.
        self.event_serial += 1

    async def on_unmount(self) -> None:
        if self._unlisten is not None:
            self._unlisten()

    @property
    def view_screen(self) -> ViewScreen | None:
        """The screen the user looks at (under a PIN prompt, the one the prompt belongs to)."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ViewScreen):
                return screen
        return None

    # Refreshing. Every refresh runs in the one worker below, so at most one is in flight however
    # slow the link; the app's own message loop never waits for the station.

    def refresh_soon(self) -> None:
        """Refresh the shown screen's views whatever their period (a screen just shown, a command
        just sent): now, or right after the refresh in flight."""
        screen = self.view_screen
        if screen is not None:
            screen.stale = True
        self._start_refresh()

    async def refresh_now(self) -> None:
        """`refresh_soon`, and return once the screen shows the figures."""
        self.refresh_soon()
        if self._refresher is not None:
            # A failure is the app's to report (the worker exits on error); a cancel is the exit.
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._refresher.wait()

    def _tick(self) -> None:
        # A tick that finds a refresh in flight is dropped: a slow link skips ticks rather than
        # pile requests up (the stale mark keeps the ones somebody waits for).
        self._start_refresh()

    def _start_refresh(self) -> None:
        if self._refresher is None or self._refresher.is_finished:
            self._refresher = self._refresh()

    @work(group="refresh")
    async def _refresh(self) -> None:
        # Once more while the screen was asked for during the refresh: a burst of requests costs
        # one refresh after the one in flight, and the last of them is always answered.
        while await self._refresh_once():
            pass

    async def _refresh_once(self) -> bool:
        """The status line, and the screen's views when they are due or asked for; True when the
        screen was asked for again meanwhile."""
        screen = self.view_screen
        if screen is None:
            return False
        asked, screen.stale = screen.stale, False  # a request from here on needs another refresh
        try:
            overview = await self.link.view("overview")
            self.now = float(overview.get("now") or 0.0)
            screen.show_status(overview)
            # A little slack, so that a timer firing a hair early does not skip a whole period.
            if asked or time.monotonic() - screen.refreshed_at >= screen.REFRESH_S - 0.1:
                screen.refreshed_at = time.monotonic()
                await screen.refresh_data()
        except LinkError as exc:
            status = starting_status(exc)
            if status is not None:
                screen.show_starting(status)
            else:
                screen.show_unreachable(str(exc))
        shown = self.view_screen
        return shown is not None and shown.stale

    async def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            await self.switch_mode(mode)

    def show_tags(self, query: str) -> None:
        async def go() -> None:
            await self.switch_mode("tags")
            screen = self.screen
            assert isinstance(screen, TagsScreen)
            screen.set_filter(query)
            self.refresh_soon()

        self.call_later(go)

    async def send_command(self, command: str, args: Mapping[str, Any], creds: Credentials) -> None:
        """Send an engine command and show its answer as the station gave it."""
        if creds.user:
            self.last_user = creds.user
        try:
            result = await self.link.command(command, args, user=creds.user or None, pin=creds.pin)
        except LinkError as exc:
            result = CommandResult(False, f"station unreachable: {exc}")
        self.last_result = result
        title = "Done" if result.ok else ("Refused" if result.refused else "Not done")
        self.notify(result.message, title=title, severity="information" if result.ok else "error", timeout=8)
        self.refresh_soon()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for mode, key, label in SCREENS:
            yield SystemCommand(
                f"Show {label}",
                f"({key}) {SCREEN_HELP[mode]}",
                lambda m=mode: self.run_action(f"show('{m}')"),
            )
        target = self.view_screen
        for binding in target.BINDINGS if target else []:
            if isinstance(binding, Binding) and binding.show:
                yield SystemCommand(
                    f"{binding.description}",
                    f"({binding.key}) on this screen",
                    lambda b=binding, s=target: s.run_action(b.action) if s else None,
                )
        yield from super().get_system_commands(screen)


async def run_console(link: StationLink, *, mouse: bool = False) -> None:
    """Run the console in this terminal until the user quits. Faces that host or attach to a
    station (`ms5 console`, `ms5 demo` without a display) build the link and call this."""
    app = ConsoleApp(link)
    await app.run_async(mouse=mouse)
    if app.failure is not None:
        raise LinkError(app.failure)
