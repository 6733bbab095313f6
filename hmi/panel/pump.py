"""When the window repaints: a throttled update that runs only while a repaint is pending.

The model is superqt's QThrottledCallable. `request()` marks a repaint pending and starts a
single-shot timer of FRAME_MS unless one already runs; when it fires the window repaints once for
everything that came in meanwhile, so a flood of samples repaints once per frame, not per sample.
With nothing pending no frame timer runs. `flush()` runs a pending repaint at once (tests);
`force()` repaints now, pending or not (a screen just shown, a command just answered).

What asks for a repaint: every engine event the link brings, and the heartbeat once a second,
because figures move without events (counts, ages, the clock, the idle lock).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from hmi.station.link import StationLink

FRAME_MS = 100  # at most ten repaints a second, however many samples arrive
STEADY_S = 1.0  # without events, figures (counts, ages) still move: repaint once a second


class RefreshPump(QObject):
    """The window's repaints: `frame` is emitted at most once per FRAME_MS while something is
    pending, and never while nothing is."""

    frame = Signal(float)  # the time of the repaint

    def __init__(self, link: StationLink, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.frames = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FRAME_MS)
        # A coarse timer may fire 5 % early: a frame would then come before the interval is up.
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._fire)
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(round(STEADY_S * 1000))
        self.heartbeat.timeout.connect(self.request)
        self._unlisten = link.listen(self.request)

    @property
    def pending(self) -> bool:
        return self.timer.isActive()

    def request(self) -> None:
        """Something changed: repaint at the end of this frame's interval (once, however often
        this is called until then)."""
        if not self.timer.isActive():
            self.timer.start()

    def flush(self) -> None:
        """Run the pending repaint now, if one is pending."""
        if self.timer.isActive():
            self.timer.stop()
            self._fire()

    def force(self) -> None:
        """Repaint now, and drop a pending repaint: this one shows what it was for."""
        self.timer.stop()
        self._fire()

    def start(self) -> None:
        self.heartbeat.start()

    def stop(self) -> None:
        self.timer.stop()
        self.heartbeat.stop()
        self._unlisten()

    def _fire(self) -> None:
        self.frames += 1
        self.frame.emit(self.clock())
