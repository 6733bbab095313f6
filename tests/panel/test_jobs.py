"""Jobs and changeovers: a job started from the product list with a target quantity shows its
progress and estimated end as the station counts; a changeover is started and ended."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel.screens.jobs import JobsScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import Clock
from tests.panel.helpers import enter_pin, named, tap

pytestmark = pytest.mark.slow  # the panel under Qt


def test_a_job_is_started_with_a_quantity_and_shows_its_progress(
    qtbot: QtBot, window: PanelWindow, station: Station, clock: Clock
) -> None:
    tap(qtbot, named(window, "screen jobs"))
    jobs = window.screens["jobs"]
    assert isinstance(jobs, JobsScreen)
    assert jobs.job.text() == "No job" and not jobs.start_job_button.isEnabled()
    tap(qtbot, named(jobs, "product A500"))
    for key in "1000":
        tap(qtbot, jobs.keypad.keys[key])
    assert jobs.quantity.text() == "1,000"
    tap(qtbot, jobs.start_job_button)
    enter_pin(qtbot, window, "olga", "1357")  # nobody was logged in: the PIN pad first
    assert window.message.text() == "job A500 started on L1"
    assert jobs.job.text() == "A500: 0 / 1,000 good"

    # The filler (the constraint) makes 250 good parts in the next minute.
    # The recorded filler reports total and reject counters; no reject here.
    total = station.tags["FILLER", "total_count"].value
    assert total is not None
    clock.now += 60
    station.ingest([Sample(clock.now, "FILLER", "total_count", total + 250)])
    clock.now += 1  # the station hands counters to the engine at most once a second
    station.tick()
    window.refresh_now()
    job = window.model.view("overview")["lines"][0]["job"]
    assert job["good_count"] == 250 and job["progress"] == 0.25
    assert jobs.job.text() == "A500: 250 / 1,000 good"
    assert jobs.progress.value() == 250 and jobs.progress.text() == "25.0%"
    assert "estimated end" in jobs.eta.text()
    window.show_screen("overview")
    overview = window.screens["overview"]
    assert isinstance(overview, OverviewScreen)
    assert overview.job.text().startswith("Job A500: 250 / 1,000 · ends about ")

    window.show_screen("jobs")
    tap(qtbot, jobs.end_job_button)
    assert window.message.text() == "job ended on L1"
    assert jobs.job.text() == "No job"


def test_a_changeover_is_started_and_ended(qtbot: QtBot, window: PanelWindow, clock: Clock) -> None:
    tap(qtbot, named(window, "login"))
    enter_pin(qtbot, window, "max", "3690")
    tap(qtbot, named(window, "screen jobs"))
    jobs = window.screens["jobs"]
    assert isinstance(jobs, JobsScreen)
    tap(qtbot, jobs.start_changeover_button)
    assert window.message.text() == "changeover started on FILLER, CAPPER, LABELLER, PACKER"
    clock.now += 90
    window.session.touched()
    window.refresh_now()
    assert jobs.changeover.text() == "Open on Filler, Capper, Labeller, Case packer for 1:30"
    tap(qtbot, jobs.end_changeover_button)
    assert window.message.text() == "changeover ended on FILLER, CAPPER, LABELLER, PACKER"
    assert jobs.changeover.text() == "No changeover open"
    tap(qtbot, jobs.end_changeover_button)
    assert window.message.text() == "no changeover is open there"
