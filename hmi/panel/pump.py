"""When the window repaints: one timer for the whole window, so a flood of samples never
repaints per sample."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from hmi.station.link import StationLink

FRAME_MS = 100  # at most ten repaints a second, however many samples arrive
STEADY_S = 1.0  # without events, figures (counts, ages) still move: repaint once a second


class RefreshPump(QObject):
    """One timer for the whole window: repaints when an engine event came in (at most every
    FRAME_MS) or once a second, so a flood of samples never repaints per sample."""

    frame = Signal(float)  # the time of the repaint

    def __init__(self, link: StationLink, clock: Callable[[], float] = time.time) -> None:
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

    def request(self) -> None:
        """Something changed: the next frame repaints."""
        self.dirty = True

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
