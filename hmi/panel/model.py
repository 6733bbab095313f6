"""The panel's side of the link: views read once per repaint, and commands.

The station lives in this process (a LocalLink), so views are computed synchronously from engine
memory: no PLC and no disk in a repaint. A command is one durable commit, made on this thread
because the engine lives here and is not thread-safe; it happens once per tap, never per sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hmi.station.link import CommandResult, LinkError, LocalLink, compute_view, login, run_command


class PanelModel:
    """Views and commands of one station, with the views cached for one repaint."""

    def __init__(self, link: LocalLink) -> None:
        self.link = link
        self._cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    @property
    def station_folder(self) -> Path:
        """Where the station keeps its database: per-station panel settings go beside it."""
        return self.link.station.db_path.parent

    def view(self, name: str, **args: Any) -> Any:
        key = (name, tuple(sorted(args.items())))
        if key not in self._cache:
            self._cache[key] = compute_view(self.link.station, name, args)
        return self._cache[key]

    def forget(self) -> None:
        """Views are read afresh at the next repaint."""
        self._cache.clear()

    def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        result = run_command(self.link.station, command, args, user, pin)
        self.forget()
        return result

    def login(self, user: str, pin: str) -> tuple[str | None, str]:
        """(role, "") when the PIN is right, else (None, why)."""
        try:
            return login(self.link.station, user, pin), ""
        except LinkError as exc:
            return None, str(exc)

    def users(self) -> list[str]:
        """Names for the PIN pad's list (a small read of the users table, when the pad opens)."""
        gate = self.link.station.gate
        return [] if gate is None else [u.name for u in gate.users.list()]
