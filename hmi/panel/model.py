"""The panel's side of the link: views read once per repaint, commands, and the repaint throttle.

The station lives in this process (a LocalLink), so views are computed synchronously from engine
memory: no PLC and no disk in a repaint. A command is one durable commit, made on this thread
because the engine lives here and is not thread-safe; it happens once per tap, never per sample.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from hmi.station.link import CommandResult, LinkError, LocalLink, compute_view, login, run_command

FRAME_MS = 100  # at most ten repaints a second, however many samples arrive
STEADY_S = 1.0  # without events, figures (counts, ages) still move: repaint once a second


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


class RefreshPump(QObject):
    """One timer for the whole window: repaints when an engine event came in (at most every
    FRAME_MS) or once a second, so a flood of samples never repaints per sample."""

    frame = Signal(float)  # the time of the repaint

    def __init__(self, link: LocalLink, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.dirty = True
        self.frames = 0
        self._last = float("-inf")
        self.steady = time.monotonic
        self._unlisten = link.listen(self._on_event)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.tick)

    def _on_event(self, _event: dict[str, Any]) -> None:
        self.dirty = True  # only a flag: the repaint waits for the next frame

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._unlisten()

    def tick(self) -> None:
        steady = self.steady()
        if self.dirty or steady - self._last >= STEADY_S:
            self.force()

    def force(self) -> None:
        self.dirty = False
        self._last = self.steady()
        self.frames += 1
        self.frame.emit(self.clock())
