"""`ms5 report` over a store whose first days are archived: a window edge inside an archived day
is read from the archive files (the figures of `ms5 replay` of the archives and the database's
rest), and when a file it needs is missing the report says which in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.store_archive import Archiver, archive_folder
from scripts.bench_store_growth import DEMO
from tests.archive_store import DAY_S, add_snapshot, build_store, export, journal_ids
from tests.cli_runs import Outcome, run_in_process

pytestmark = pytest.mark.slow  # days of the demo line through a station

# From inside 2026-03-02 (archived) to inside 2026-03-04 (in the database), off the hours.
ODD = ("--from", "2026-03-02T09:10:30.5", "--to", "2026-03-04T13:20:15")
# On slice edges (Europe/Berlin shifts start on whole hours): no piece needs the journal.
WHOLE = ("--from", "2026-03-02T10:00", "--to", "2026-03-04T12:00")


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-archived")
    folder.chmod(0o700)
    db = folder / "station.db"
    end = build_store(db, days=2.5, poll_s=120.0)
    add_snapshot(db, journal_ids(db)[-1])  # the position retention archives up to
    days = Archiver(db, journal_days=1, clock=lambda: end + DAY_S).run()
    assert [d.name for d in days] == ["2026-03-02", "2026-03-03"]
    return db


def report(db: Path, *args: str) -> Outcome:
    return run_in_process("report", str(DEMO), "--db", str(db), "--json", *args)


def replayed(db: Path, tmp_path: Path, *window: str) -> object:
    journal, actions = export(db, tmp_path)
    out = run_in_process(
        "replay", str(DEMO), str(archive_folder(db)), str(journal), str(actions), "--json", *window
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_window_edge_inside_an_archived_day_reads_the_archive(archived: Path, tmp_path: Path) -> None:
    out = report(archived, *ODD)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    figures = json.loads(out.stdout)
    assert figures == replayed(archived, tmp_path, *ODD)
    assert figures["equipment"]["FILLER"]["total_count"] > 0


def test_a_missing_archive_file_the_window_needs_is_named_in_one_line(archived: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "station.db"
    shutil.copy(archived, db)
    shutil.copytree(archive_folder(archived), archive_folder(db))
    whole = report(db, *WHOLE)
    missing = archive_folder(db) / "2026-03-02.csv.gz"
    missing.unlink()
    # On slice edges the archive is not read: the slices make the window.
    again = report(db, *WHOLE)
    assert again.returncode == 0 and again.stdout == whole.stdout, again.stderr
    out = report(db, *ODD)
    assert out.returncode == 1 and out.stdout == ""
    assert "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("ms5 report: the window's piece from 2026-03-02T09:10:30.500+01:00 ")
    assert f"{missing}: archive file missing" in line
