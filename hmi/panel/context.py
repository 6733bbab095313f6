"""What a screen may ask of the window: the views, the line's names and time zone, `act`, the one
way a screen sends a command (the window gets the PIN when needed and shows the answer), and
`refresh_now`; and what the window asks of a screen: the views it paints from, then to paint."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hmi.panel.model import PanelModel, ViewKey
from hmi.station.link import CommandResult


class PanelContext(Protocol):
    model: PanelModel
    tz: ZoneInfo
    names: dict[str, str]  # equipment id -> name

    def act(
        self,
        command: str,
        args: Mapping[str, Any],
        *,
        purpose: str,
        ask_pin: bool = False,
        then: Callable[[CommandResult], None] | None = None,
    ) -> None:
        """Run `command`: with the logged-in user, or after the PIN pad (always when `ask_pin`)."""
        ...

    def open_machine(self, equipment: str) -> None: ...

    def refresh_now(self) -> None:
        """Read the views and repaint (the visible screen and the banner) as soon as may be."""
        ...


class Screen(Protocol):
    def views(self, now: float) -> Sequence[ViewKey]:
        """The views the next `refresh` paints from; the window loads them first."""
        ...

    def refresh(self, now: float) -> None:
        """Paint from the views (`model.view`), which are loaded: no waiting in here."""
        ...
