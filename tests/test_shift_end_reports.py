"""`[reports] at_shift_end`: each finished shift's PDF and CSV in the reports folder, written by a
child process (the station's loop goes on), never twice for one shift, also across a restart and
a crash at the moment of writing, and shifts that ended while the station was down caught up.

The station runs on a manual clock; the test calls the reporter's step (what its loop does every
CHECK_S seconds) at the times it chooses.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from core import shift_reports
from core.config import load_config
from core.samples import Sample
from hmi.station.reporter import CHECK_S
from hmi.station.runtime import Station
from tests.cli_runs import run_process

pytestmark = pytest.mark.slow  # each report is an ms5 child process with Qt

ROOT = Path(__file__).resolve().parent.parent
MON_0600 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00: the Night shift ends, Early begins
REPORTS = """
[reports]
at_shift_end = true
folder = "shift-reports"
"""


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "line.toml"
    path.write_text((ROOT / "tests" / "data" / "reference.toml").read_text() + REPORTS)
    return path


def open_station(config_path: Path, clock: Clock) -> Station:
    station = Station(
        load_config(config_path), config_path.parent / "station.db", clock=clock, config_path=config_path
    )
    station.open()
    return station


def feed(station: Station, clock: Clock, start: float, end: float, total: list[int]) -> None:
    """The filler running at 2 parts a second from `start` to `end`."""
    t = start
    while t < end:
        clock.now = t
        total[0] += 10
        station.ingest([Sample(t, "FILLER", "running", 1), Sample(t, "FILLER", "total_count", total[0])])
        station.tick()
        t += 5


def step(station: Station) -> None:
    assert station.reporter is not None
    asyncio.run(station.reporter.step())


def folder(config_path: Path) -> Path:
    return config_path.parent / "shift-reports" / "2026-03"


def written(config_path: Path) -> dict[str, int]:
    """Every file in the month's folder, with the time it was last written."""
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder(config_path).iterdir())}


def done(station: Station) -> int:
    assert station.store is not None
    return len(shift_reports.done_reports(station.store.conn))


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


NIGHT = "shift-report-L1-Night-2026-03-01-2200"
EARLY = "shift-report-L1-Early-2026-03-02-0600"


def test_a_finished_shift_is_written_once_without_stopping_the_loop(config_path: Path) -> None:
    clock = Clock(MON_0600 - 600)
    station = open_station(config_path, clock)
    total = [0]
    feed(station, clock, MON_0600 - 600, MON_0600 + 3, total)
    step(station)  # three seconds after the end: the last samples may still be on their way
    assert not folder(config_path).exists()

    clock.now = MON_0600 + 6

    async def step_while_the_loop_runs() -> int:
        assert station.reporter is not None
        turns = 0
        task = asyncio.create_task(station.reporter.step())
        while not task.done():
            await asyncio.sleep(0.01)  # a turn of the loop: counting would go on meanwhile
            turns += 1
        await task
        return turns

    turns = asyncio.run(step_while_the_loop_runs())
    assert turns > 10  # the child process wrote the report; the station's loop kept turning
    assert set(written(config_path)) == {f"{NIGHT}.pdf", f"{NIGHT}.csv"}
    text = pdf_text(folder(config_path) / f"{NIGHT}.pdf")
    assert text.startswith("Bottling 1 (L1), shift Night 2026-03-01 22:00 to 06:00")
    assert "Page 1 of" in text
    assert done(station) == 1

    # Its figures are those of `ms5 report --json` for the shift.
    figures = run_process(
        "report", str(config_path), "--db", str(station.db_path), "--from", "2026-03-01T22:00",
        "--to", "2026-03-02T06:00", "--json",
    )  # fmt: skip
    line = json.loads(figures.stdout)["lines"]["L1"]
    assert line["good_count"] == total[0] - 10  # the first value is the counter's baseline
    assert f" {line['good_count']} 0 {line['total_count']} " in text

    before = written(config_path)
    clock.now += CHECK_S
    step(station)
    assert written(config_path) == before and done(station) == 1
    asyncio.run(station.stop())


class Crash(BaseException):
    """The station process dying at the worst moment: the files written, the record not yet."""


def test_restarts_catch_up_and_a_crash_while_writing_writes_the_shift_again_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(MON_0600 - 600)
    first = open_station(config_path, clock)
    feed(first, clock, MON_0600 - 600, MON_0600 + 600, [0])
    step(first)
    asyncio.run(first.stop())
    night = written(config_path)
    assert set(night) == {f"{NIGHT}.pdf", f"{NIGHT}.csv"}

    # Down over the Early shift's end (14:00): the restart at 14:20 writes it, and only it.
    clock.now = MON_0600 + 8 * 3600 + 20 * 60
    second = open_station(config_path, clock)
    step(second)
    after = written(config_path)
    assert set(after) == {f"{NIGHT}.pdf", f"{NIGHT}.csv", f"{EARLY}.pdf", f"{EARLY}.csv"}
    assert {k: v for k, v in after.items() if k.startswith(NIGHT)} == night
    assert done(second) == 2
    asyncio.run(second.stop())

    # The Late shift's end (22:00): the station dies between the files and the record.
    late = "shift-report-L1-Late-2026-03-02-1400"
    config_text = config_path.read_text()
    config_path.write_text(
        config_text.replace(
            '[[lines.shifts]]\nname = "Night"',
            '[[lines.shifts]]\nname = "Late"\ndays = ["mon"]\nstart = "14:00"\nend = "22:00"\n\n'
            '[[lines.shifts]]\nname = "Night"',
        )
    )
    clock.now = MON_0600 + 16 * 3600 + 30
    third = open_station(config_path, clock)

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(shift_reports, "mark_done", crash)
    with pytest.raises(Crash):
        step(third)
    assert f"{late}.pdf" in written(config_path)
    monkeypatch.undo()

    clock.now += 60
    fourth = open_station(config_path, clock)
    step(fourth)
    final = written(config_path)
    assert sorted(final) == sorted(
        [f"{name}.{ext}" for name in (NIGHT, EARLY, late) for ext in ("pdf", "csv")]
    )  # one PDF and one CSV per shift, no temporary file left behind
    assert done(fourth) == 3
    step(fourth)
    assert written(config_path) == final
    asyncio.run(fourth.stop())


def test_a_report_that_cannot_be_written_is_said_on_the_health_view(config_path: Path) -> None:
    from hmi.station.views import health_view

    clock = Clock(MON_0600 - 600)
    station = open_station(config_path, clock)
    feed(station, clock, MON_0600 - 600, MON_0600 + 10, [0])
    (config_path.parent / "shift-reports").write_text("a file where the folder should be")
    step(station)
    health = health_view(station)
    assert health["reports_error"] is not None
    assert health["reports_error"].startswith("shift report L1 Night not written: ")
    assert done(station) == 0
    asyncio.run(station.stop())


def test_no_reporter_without_the_section(tmp_path: Path) -> None:
    path = tmp_path / "line.toml"
    path.write_text((ROOT / "tests" / "data" / "reference.toml").read_text())
    station = Station(load_config(path), tmp_path / "station.db", config_path=path)
    assert station.reporter is None


def test_ms5_engine_writes_the_report_of_a_shift_that_ended_while_it_was_down(tmp_path: Path) -> None:
    """The real command, on the wall clock: a shift that ended an hour ago, recorded before it
    ended, is written when `ms5 engine` starts, and the station says so."""
    import select
    import signal
    import subprocess
    import sys
    import time
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    now = datetime.now(tz).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=3), now - timedelta(hours=1)
    text = (ROOT / "tests" / "data" / "reference.toml").read_text()
    shifts = text[text.index("[[lines.shifts]]") : text.index("[[lines.equipment]]")]
    every_day = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'
    config_path = tmp_path / "line.toml"
    config_path.write_text(
        text.replace(
            shifts,
            f'[[lines.shifts]]\nname = "Test"\ndays = {every_day}\nstart = "{start:%H:%M}"\n'
            f'end = "{end:%H:%M}"\n\n',
        )
        + REPORTS
    )
    clock = Clock(end.timestamp() - 600)
    station = open_station(config_path, clock)
    feed(station, clock, end.timestamp() - 600, end.timestamp() - 300, [0])
    asyncio.run(station.stop())

    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi.cli", "engine", str(config_path), "--db", str(station.db_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said = ""
    try:
        assert proc.stderr is not None
        hang_guard = time.monotonic() + 120  # not a speed limit: a broken reporter must not hang CI
        while "written to" not in said and time.monotonic() < hang_guard:
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                said = proc.stderr.readline()
                if not said and proc.poll() is not None:
                    break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    stem = f"shift-report-L1-Test-{start:%Y-%m-%d-%H%M}"
    assert said.startswith(f"ms5.reports: shift report {stem} written to "), said
    pdf = config_path.parent / "shift-reports" / f"{start:%Y-%m}" / f"{stem}.pdf"
    assert pdf_text(pdf).startswith(f"Bottling 1 (L1), shift Test {start:%Y-%m-%d %H:%M} to {end:%H:%M}")
