"""`ms5 export`: a window's history as tables, whose figures are those of `ms5 report --json`
for the same window; bad input is one line and exit 2."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.store_archive import Archiver, archive_folder
from scripts.demo_station import DEMO_CONFIG, replayed_station
from tests.archive_store import DAY_S, add_snapshot, build_store, journal_ids
from tests.cli_runs import Outcome, run_process

pytestmark = pytest.mark.slow  # ms5 as a process

WINDOW = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T12:30")
# Off the minute inside the morning shift: the edge minutes and slices come from an engine.
MID_SHIFT = ("--from", "2026-03-02T07:10:30.5", "--to", "2026-03-02T12:20:15")
TABLES = ("minute_counts", "state_intervals", "downtime_events", "andon_calls", "jobs", "shift_figures")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("export-cli") / "station.db"
    station, _clock = replayed_station(path)
    asyncio.run(station.stop())
    yield path


def ms5(db: Path, *args: str) -> Outcome:
    return run_process(*args[:1], str(DEMO_CONFIG), "--db", str(db), *args[1:])


def report(db: Path, window: tuple[str, ...] = WINDOW) -> dict[str, Any]:
    out = ms5(db, "report", *window, "--json")
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("window", [WINDOW, MID_SHIFT], ids=["shift edges", "mid-shift"])
def test_the_csv_tables_carry_the_figures_of_report_json(
    db: Path, tmp_path: Path, window: tuple[str, ...]
) -> None:
    folder = tmp_path / "out"
    out = ms5(db, "export", *window, "--format", "csv", "-o", str(folder))
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    agrees_with_report(folder, report(db, window), window)


def agrees_with_report(folder: Path, figures: dict[str, Any], window: tuple[str, ...]) -> None:
    good: Counter[str] = Counter()
    for row in read_csv(folder, "minute_counts"):
        good[row["equipment"]] += int(row["good_count"])
    assert set(figures["equipment"]) == set(good)
    for eq, f in figures["equipment"].items():
        assert good[eq] == f["good_count"], eq
        assert f["good_count"] > 0
    events = read_csv(folder, "downtime_events")
    for eq, f in figures["equipment"].items():
        exported = [
            (e["start"], e["end"], float(e["duration_s"]), e["reason"])
            for e in events
            if e["equipment"] == eq
        ]
        expected = [(e["start"], e["end"], e["duration_s"], e["reason"]) for e in f["downtime_events"]]
        assert exported == expected, eq
    calls = read_csv(folder, "andon_calls")
    expected_calls = [c for f in figures["equipment"].values() for c in f["andon_events"]]
    assert sorted(int(c["id"]) for c in calls) == sorted(c["id"] for c in expected_calls)
    assert calls and all(c["escalations"] for c in calls)  # the timeline is there
    shifts = read_csv(folder, "shift_figures")
    assert [(s["shift"], s["start"], int(s["good_count"]), float(s["oee"])) for s in shifts] == [
        (s["shift"], s["start"], s["good_count"], s["oee"]) for s in figures["shifts"]
    ]
    # The state intervals tile the window for each equipment, and hold its down time.
    length = (datetime.fromisoformat(window[3]) - datetime.fromisoformat(window[1])).total_seconds()
    spans: defaultdict[str, float] = defaultdict(float)
    down: defaultdict[str, float] = defaultdict(float)
    for row in read_csv(folder, "state_intervals"):
        spans[row["equipment"]] += float(row["duration_s"])
        if row["category"] in ("down", "no_data"):
            down[row["equipment"]] += float(row["duration_s"])
    assert set(spans) == set(figures["equipment"])
    assert all(abs(v - length) < 1e-6 for v in spans.values()), spans
    for eq, f in figures["equipment"].items():
        assert abs(down[eq] - f["down_time_s"]) < 0.01, eq


def _same(cell: object) -> object:
    """A cell as a number when it reads as one (the workbook's 72 is the CSV's 72.0), else its text."""
    text = "" if cell is None else str(cell)
    try:
        return float(text)
    except ValueError:
        return text


def test_the_workbook_has_a_sheet_per_table_with_the_csv_rows(db: Path, tmp_path: Path) -> None:
    book, folder = tmp_path / "history.xlsx", tmp_path / "csv"
    assert ms5(db, "export", *WINDOW, "--format", "xlsx", "-o", str(book)).returncode == 0
    assert ms5(db, "export", *WINDOW, "--format", "csv", "-o", str(folder)).returncode == 0
    wb = load_workbook(book, read_only=True)
    assert wb.sheetnames == list(TABLES)
    for name in TABLES:
        rows = list(wb[name].iter_rows(values_only=True))
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
            expected = list(csv.reader(fh))
        assert len(rows) == len(expected), name
        # Every cell as the CSV has it: numbers as numbers (72.0 s is the CSV's 72), an empty cell as none.
        assert [[_same(c) for c in row] for row in rows] == [[_same(c) for c in row] for row in expected], (
            name
        )
    counts = list(wb["minute_counts"].iter_rows(values_only=True))
    assert sum(int(str(r[5])) for r in counts[1:]) == sum(
        int(r["good_count"]) for r in read_csv(folder, "minute_counts")
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--from", "2026-03-02T12:00", "--to", "2026-03-02T06:00", "--format", "csv"),
            "--to is before --from",
        ),
        ((*WINDOW, "--format", "ods"), "unknown format 'ods'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_writes_nothing(
    db: Path, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    target = tmp_path / "out"
    out = ms5(db, "export", *args, "-o", str(target))
    assert out.returncode == 2
    assert says in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not target.exists()


def test_a_missing_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "out"
    out = ms5(tmp_path / "absent.db", "export", *WINDOW, "--format", "csv", "-o", str(target))
    assert out.returncode == 2
    assert "absent.db" in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not target.exists() and not (tmp_path / "absent.db").exists()


def test_the_parquet_files_hold_the_csv_rows_with_typed_columns(db: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")  # the `parquet` extra (pyproject.toml)
    parquet, folder = tmp_path / "pq", tmp_path / "csv"
    assert ms5(db, "export", *WINDOW, "--format", "parquet", "-o", str(parquet)).returncode == 0
    assert ms5(db, "export", *WINDOW, "--format", "csv", "-o", str(folder)).returncode == 0
    assert sorted(p.name for p in parquet.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    for name in TABLES:
        table = pq.read_table(parquet / f"{name}.parquet")
        assert table.num_rows == len(read_csv(folder, name)), name
    counts = pq.read_table(parquet / "minute_counts.parquet").to_pydict()
    assert sum(counts["good_count"]) == sum(int(r["good_count"]) for r in read_csv(folder, "minute_counts"))
    # A table empty in this window (no job ran) keeps its columns' types, not nulls.
    jobs = pq.read_table(parquet / "jobs.parquet").schema
    assert str(jobs.field("oee").type) == "double" and str(jobs.field("running").type) == "bool"


# Across two archived days into the database's, on slice edges: no piece needs the journal.
ARCHIVED = ("--from", "2026-03-02T10:00", "--to", "2026-03-04T12:00")


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export-archived")
    folder.chmod(0o700)
    path = folder / "station.db"
    end = build_store(path, days=2.5, poll_s=120.0)
    add_snapshot(path, journal_ids(path)[-1])  # the position retention archives up to
    days = Archiver(path, journal_days=1, clock=lambda: end + DAY_S).run()
    assert [d.name for d in days] == ["2026-03-02", "2026-03-03"]
    # The archived journal gone too: what is exported of those days is the projections'.
    shutil.rmtree(archive_folder(path))
    return path


def test_a_window_over_archived_days_exports_what_the_projections_hold(
    archived: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    out = ms5(archived, "export", *ARCHIVED, "--format", "csv", "-o", str(folder))
    assert out.returncode == 0, out.stderr
    figures = report(archived, ARCHIVED)
    agrees_with_report(folder, figures, ARCHIVED)
    # The minutes, stretches and stops of the archived days are there, not only the last day's.
    first = [r for r in read_csv(folder, "minute_counts") if r["start"].startswith("2026-03-02")]
    assert first and sum(int(r["good_count"]) for r in first) > 0
    assert any(r["start"].startswith("2026-03-02") for r in read_csv(folder, "downtime_events"))
    assert [s["shift"] for s in read_csv(folder, "shift_figures")][:2] == [
        s["shift"] for s in figures["shifts"][:2]
    ]
