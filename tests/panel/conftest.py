"""The panel against a real station (real SQLite file, real gate and PINs) with a manual clock.

Most tests need no event loop: the station's connections are not started, samples are fed with
`station.ingest` and time moves when the test says so. `qloop` wraps pytest-qt's QApplication in a
qasync loop for the tests that run the station's asyncio tasks (the simulator).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import hmi.panel  # noqa: F401  (QT_API before qasync picks a binding)
from core.auth import Role
from core.config import Config, parse_config
from core.journal import read_journal
from core.samples import Sample
from hmi.panel.model import PanelModel, run_now
from hmi.panel.window import PanelWindow
from hmi.station.link import LocalLink
from hmi.station.runtime import Station

# Read when pytest-qt creates the QApplication, after these imports.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_CONFIG = ROOT / "assets" / "demo-line.toml"
DEMO_JOURNAL = ROOT / "assets" / "demo-journal.csv"
# Level 2 after five minutes: what an operator may no longer acknowledge (docs/ANDON.md).
ANDON = """
[andon.policies.maintenance]
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
]

[panel]
idle_lock_s = 120
"""
# The demo journal is of Monday 2026-03-02, Early shift 06:00-14:00 (+01:00); the panel is looked
# at at 11:15, after lunch.
NOW = 1772446500.0  # 2026-03-02 11:15 +01:00
USERS = {"olga": (Role.OPERATOR, "1357"), "sam": (Role.SUPERVISOR, "2580"), "max": (Role.MAINTENANCE, "3690")}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def panel_config_text(text: str | None = None) -> str:
    base = DEMO_CONFIG.read_text(encoding="utf-8") if text is None else text
    return base.replace("[[products]]", ANDON + "\n[[products]]", 1)


@pytest.fixture(scope="session")
def panel_config() -> Config:
    return parse_config(panel_config_text(), Path("panel-line.toml"))


@pytest.fixture(scope="session")
def demo_samples(panel_config: Config) -> list[Sample]:
    return [s for s in read_journal(DEMO_JOURNAL, panel_config) if s.ts <= NOW]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def station(
    tmp_path: Path, panel_config: Config, clock: Clock, demo_samples: list[Sample]
) -> Iterator[Station]:
    # The station opens when the recording starts: the engine never goes back in time.
    clock.now = demo_samples[0].ts
    st = Station(panel_config, tmp_path / "station.db", clock=clock)
    st.open()
    assert st.gate is not None
    for name, (role, pin) in USERS.items():
        st.gate.users.add(name, role, pin, clock.now)
    st.ingest(demo_samples)
    clock.now = NOW
    st.tick()
    yield st
    if st.store is not None:
        st.store.close()


def attach(station: Station) -> PanelModel:
    """The panel's model of `station` in this process, read at once (no loop needed)."""
    return run_now(PanelModel.attach(LocalLink(station)))


@pytest.fixture
def window(qtbot: QtBot, station: Station, clock: Clock) -> PanelWindow:
    w = PanelWindow(attach(station), clock=clock)
    qtbot.addWidget(w)
    w.pump.heartbeat.stop()  # frames come from refresh_now() and engine events, not the wall clock
    w.resize(1280, 800)
    w.show()
    w.refresh_now()
    return w


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """pytest-qt's QApplication driven by a qasync loop, for one test."""
    # Closing a window inside the test must not stop the loop the station still runs in.
    quit_on_close = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
    qapp.setQuitOnLastWindowClosed(quit_on_close)
