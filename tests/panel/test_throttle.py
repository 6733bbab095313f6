"""A flood of samples does not repaint per sample: engine events only mark the window dirty, and
the one timer repaints at most once per frame."""

from __future__ import annotations

from typing import Any

from core.samples import Sample
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import Clock


def test_a_flood_of_samples_repaints_once_per_frame(
    window: PanelWindow, station: Station, clock: Clock
) -> None:
    events: list[dict[str, Any]] = []
    station.listen(events.append)
    repaints: list[float] = []
    window.pump.frame.connect(repaints.append)
    steady = [100.0]
    window.pump.steady = lambda: steady[0]  # the frame clock, moved by hand
    t = clock.now
    # 2000 state changes of the filler (each an engine event the panel listens to) in 200 s.
    flood = [Sample(t + i * 0.1, "FILLER", "running", float(i % 2)) for i in range(1, 2001)]
    clock.now = flood[-1].ts
    station.ingest(flood)
    assert len(events) == 1999  # the first sample repeats the state it was in
    assert repaints == [] and window.pump.dirty
    window.pump.tick()
    steady[0] += 0.1
    window.pump.tick()  # nothing new since the last frame, and less than a second later
    assert len(repaints) == 1 and not window.pump.dirty
    steady[0] += 1.0
    window.pump.tick()  # a second later the figures (ages, counts) move anyway
    assert len(repaints) == 2
    station.ingest([Sample(clock.now + 1, "FILLER", "running", 1.0)])
    steady[0] += 0.1
    window.pump.tick()  # an event: the next frame repaints
    assert len(repaints) == 3
