"""Jobs and changeovers: a job started from the product list with a target quantity shows its
progress and estimated end as the station counts; a changeover is started and ended."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.samples import Sample
from hmi.panel.screens.jobs import JobsScreen
from hmi.panel.screens.overview import OverviewScreen
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.cli_runs import run_in_process
from tests.panel.conftest import Clock, panel_config_text
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


def test_planned_jobs_are_listed_in_order_and_one_tap_starts_one(
    qtbot: QtBot, window: PanelWindow, station: Station, tmp_path: Path
) -> None:
    # The schedule is imported into the running station's store, as a planner would from the office.
    config = tmp_path / "line.toml"
    config.write_text(panel_config_text())
    schedule = tmp_path / "week.csv"
    schedule.write_text(
        "job,product,quantity,line,planned start,planned end\n"
        "J-12,A500,2000,L1,2026-03-02T13:00,2026-03-02T14:00\n"
        "J-11,A500,1500,L1,2026-03-02T11:30,2026-03-02T13:00\n"
        "J-09,A500,900,L1,2026-03-01T06:00,2026-03-01T08:00\n"  # a day old: done, off the list
        "J-13,A500,100,L1,2026-03-02T14:00,2026-03-02T15:00\n"
        "J-14,A500,100,L1,2026-03-02T15:00,2026-03-02T16:00\n"
        "J-15,A500,100,L1,2026-03-02T16:00,2026-03-02T17:00\n"  # the fifth: shown once one is done
    )
    assert station.store is not None
    out = run_in_process("jobs", "import", str(config), str(schedule), "--db", str(station.store.path))
    assert out.returncode == 0, out.stderr
    tap(qtbot, named(window, "screen jobs"))
    jobs = window.screens["jobs"]
    assert isinstance(jobs, JobsScreen)
    shown = [b.text() for b in jobs.planned_buttons if b.isVisible()]
    assert shown[:2] == ["J-11 · A500 · 1,500 · 11:30–13:00", "J-12 · A500 · 2,000 · 13:00–14:00"]
    assert [s.split(" ")[0] for s in shown] == ["J-11", "J-12", "J-13", "J-14"]
    assert not jobs.no_plan.isVisible()
    hint = window.minimumSizeHint()  # four planned jobs still fit the panel
    assert hint.width() <= 1280 and hint.height() <= 800, hint

    tap(qtbot, jobs.planned_buttons[0])
    enter_pin(qtbot, window, "olga", "1357")
    assert window.message.text() == "job J-11 A500 started on L1"
    job = window.model.view("overview")["lines"][0]["job"]
    assert (job["job"], job["product"], job["quantity"]) == ("J-11", "A500", 1500)
    assert jobs.job.text() == "J-11 · A500: 0 / 1,500 good"
    assert jobs.planned_buttons[0].text() == "J-11 · A500 · 1,500 · 11:30–13:00 (running)"
    assert not jobs.planned_buttons[0].isEnabled() and jobs.planned_buttons[1].isEnabled()


def test_no_plan_is_said(qtbot: QtBot, window: PanelWindow) -> None:
    tap(qtbot, named(window, "screen jobs"))
    jobs = window.screens["jobs"]
    assert isinstance(jobs, JobsScreen)
    assert jobs.no_plan.isVisible() and not any(b.isVisible() for b in jobs.planned_buttons)
