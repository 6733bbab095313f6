"""What a screen may ask of the window: the views, the line's names and time zone, and `act`, the
one way a screen sends a command (the window gets the PIN when needed and shows the answer)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hmi.panel.model import PanelModel
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
