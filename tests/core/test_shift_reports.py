"""Which finished shifts owe their report (core/shift_reports.py): after they settle, once, within
the catch-up window, never before the station's first journal row."""

from __future__ import annotations

from pathlib import Path

from core.config import Config, load_config
from core.shift_reports import SETTLE_S, DueReport, due_reports

ROOT = Path(__file__).resolve().parent.parent.parent
MON_0600 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00: Night (Sun 22:00) ends, Early begins
DAY = 86400.0


def cfg() -> Config:
    return load_config(ROOT / "tests" / "data" / "reference.toml")


def due(
    now: float, done: set[tuple[str, float]] | None = None, first: float | None = MON_0600 - 3600
) -> list[str]:
    reports = due_reports(cfg(), now, done or set(), first_journal_ts=first, catch_up_days=7)
    return [r.stem for r in reports]


def test_a_shift_is_due_once_its_last_samples_have_settled() -> None:
    assert due(MON_0600 + SETTLE_S - 0.001) == []
    assert due(MON_0600 + SETTLE_S) == ["shift-report-L1-Night-2026-03-01-2200"]


def test_a_shift_recorded_as_written_is_not_due_again() -> None:
    night_start = MON_0600 - 8 * 3600
    assert due(MON_0600 + 60, done={("L1", night_start)}) == []


def test_shifts_that_ended_while_the_station_was_down_are_due_oldest_first() -> None:
    # Down from Monday 05:00 to Wednesday 07:00: Night (Mon), Early, Night (Tue), Early, Night (Wed).
    stems = due(MON_0600 + 2 * DAY + 3600)
    assert stems == [
        "shift-report-L1-Night-2026-03-01-2200",
        "shift-report-L1-Early-2026-03-02-0600",
        "shift-report-L1-Night-2026-03-02-2200",
        "shift-report-L1-Early-2026-03-03-0600",
        "shift-report-L1-Night-2026-03-03-2200",
    ]


def test_no_report_for_shifts_before_the_station_ever_ran_or_beyond_the_catch_up_window() -> None:
    assert due(MON_0600 + 60, first=None) == []  # an empty journal
    assert due(MON_0600 + 60, first=MON_0600 + 30) == []  # the station started after the end
    # Three weeks later, only the last 7 days' shifts are caught up.
    stems = due(MON_0600 + 21 * DAY + 60)
    assert stems[0] == "shift-report-L1-Early-2026-03-16-0600"
    assert stems[-1] == "shift-report-L1-Night-2026-03-22-2200"


def test_reports_go_into_one_folder_per_month_of_the_shifts_start() -> None:
    report = DueReport("L1", "Night", 1772398800.0, MON_0600, "Europe/Berlin")  # Sun 2026-03-01 22:00
    assert report.folder(Path("/reports")) == Path("/reports/2026-03")
    assert report.stem == "shift-report-L1-Night-2026-03-01-2200"
