"""The refresh pump repaints only while something is pending: engine events mark a repaint
pending, a flood of them repaints once after the frame's interval, and an idle panel runs no
frame timer (only the once-a-second heartbeat, which the window fixture stops)."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel.pump import FRAME_MS
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import Clock

pytestmark = pytest.mark.slow  # the panel under Qt


def _filler_toggles(clock: Clock, n: int) -> list[Sample]:
    """`n` samples of the filler's running signal, alternating: all but the first (which repeats
    the state it was in) are engine events the panel listens to."""
    t = clock.now
    flood = [Sample(t + i * 0.1, "FILLER", "running", float(i % 2)) for i in range(1, n + 1)]
    clock.now = flood[-1].ts
    return flood


def test_an_idle_panel_runs_no_frame_timer(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    assert not window.pump.pending and not window.pump.timer.isActive()
    station.ingest(_filler_toggles(clock, 2))
    assert window.pump.timer.isActive()  # an event: a repaint is pending
    with qtbot.waitSignal(window.pump.frame, timeout=10_000):
        pass
    assert not window.pump.timer.isActive()  # repainted, nothing pending any more: no timer runs
    # The heartbeat is what repaints the moving figures of a running panel, once a second.
    assert window.pump.heartbeat.interval() == 1000 and not window.pump.heartbeat.isSingleShot()


def test_a_flood_of_events_repaints_exactly_once_after_the_interval(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    events: list[float] = []  # when each event came (monotonic)
    station.listen(lambda _event: events.append(time.monotonic()))
    repaints: list[tuple[float, float]] = []  # (the frame's time, when it was emitted)
    window.pump.frame.connect(lambda now: repaints.append((now, time.monotonic())))
    station.ingest(_filler_toggles(clock, 2000))
    assert len(events) == 1999  # the first sample repeats the state it was in
    assert repaints == [] and window.pump.pending
    with qtbot.waitSignal(window.pump.frame, timeout=10_000):
        pass
    ((shown, at),) = repaints
    assert shown == clock.now
    assert at - events[0] >= FRAME_MS / 1000 * 0.95  # a frame's interval after the first event
    # Nothing pending and no timer running: no second repaint can follow.
    assert not window.pump.pending and not window.pump.timer.isActive()


def test_flush_runs_the_pending_repaint_at_once(window: PanelWindow, station: Station, clock: Clock) -> None:
    repaints: list[float] = []
    window.pump.frame.connect(repaints.append)
    window.pump.flush()
    assert repaints == []  # nothing was pending
    station.ingest(_filler_toggles(clock, 3))
    window.pump.flush()
    assert repaints == [clock.now] and not window.pump.pending
    state = window.screens["overview"].tiles["FILLER"].state.text()  # type: ignore[union-attr]
    assert state == "Running"  # the repaint shows the last of the three
