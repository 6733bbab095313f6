"""`ms5 jobs import`: a schedule (CSV or XLSX) planned into the store, or refused whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from core.store import Store
from core.store_jobs import planned_jobs
from tests.cli_runs import run_in_process, run_process
from tests.conftest import DATA

CONFIG = str(DATA / "reference.toml")  # line L1 (Europe/Berlin), product A500
HEADER = ["job", "product", "quantity", "line", "planned start", "planned end"]
GOOD = [
    ["J-2", "A500", "500", "L1", "2026-03-02T08:00", "2026-03-02T09:00"],
    ["J-1", "A500", "1000", "L1", "2026-03-02T06:00", "2026-03-02T08:00"],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(list(row))
    book.save(path)
    return path


def plan(db: Path) -> list[tuple[str, str, int, str, float, float]]:
    with Store.open_read_only(db) as store:
        return [
            (j.job, j.product, j.quantity, j.line, j.planned_start, j.planned_end)
            for j in planned_jobs(store.conn)
        ]


def berlin(hour: int) -> float:
    return datetime(2026, 3, 2, hour - 1, tzinfo=UTC).timestamp()  # CET is UTC+1 in March


@pytest.fixture
def db(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder / "station.db"


def test_a_csv_schedule_is_planned_in_order_of_start(tmp_path: Path, db: Path) -> None:
    out = run_in_process(
        "jobs", "import", CONFIG, str(write_csv(tmp_path / "week.csv", GOOD)), "--db", str(db)
    )
    assert (out.returncode, out.stderr) == (0, "")
    assert "2 jobs planned" in out.stdout
    assert plan(db) == [
        ("J-1", "A500", 1000, "L1", berlin(6), berlin(8)),
        ("J-2", "A500", 500, "L1", berlin(8), berlin(9)),
    ]
    listed = run_in_process("jobs", "list", CONFIG, "--db", str(db)).stdout.splitlines()
    assert [line.split("\t")[1] for line in listed] == ["J-1", "J-2"]
    assert listed[0].endswith("2026-03-02T06:00:00+01:00\t2026-03-02T08:00:00+01:00")


def test_an_xlsx_schedule_with_date_and_number_cells(tmp_path: Path, db: Path) -> None:
    rows: list[list[object]] = [
        ["J-7", "A500", 1200, "L1", datetime(2026, 3, 2, 14), datetime(2026, 3, 2, 22)],
        ["J-8", "A500", 300.0, "L1", "2026-03-02T22:00", "2026-03-03T01:30"],
    ]
    out = run_in_process(
        "jobs", "import", CONFIG, str(write_xlsx(tmp_path / "week.xlsx", rows)), "--db", str(db)
    )
    assert out.returncode == 0, out.stderr
    assert plan(db) == [
        ("J-7", "A500", 1200, "L1", berlin(14), berlin(22)),
        ("J-8", "A500", 300, "L1", berlin(22), berlin(22) + 3.5 * 3600),
    ]


BAD = [
    (["J-3", "B900", "10", "L1", "2026-03-02T09:00", "2026-03-02T10:00"], "unknown product 'B900'"),
    (["J-3", "A500", "10", "L9", "2026-03-02T09:00", "2026-03-02T10:00"], "unknown line 'L9'"),
    (
        ["J-3", "A500", "ten", "L1", "2026-03-02T09:00", "2026-03-02T10:00"],
        "quantity 'ten' is not a whole number",
    ),
    (
        ["J-3", "A500", "12.5", "L1", "2026-03-02T09:00", "2026-03-02T10:00"],
        "quantity '12.5' is not a whole number",
    ),
    (
        ["J-3", "A500", "10", "L1", "2026-03-02T07:30", "2026-03-02T07:45"],
        "job 'J-3' overlaps job 'J-1' (line 3) on line L1",
    ),
    (["J-1", "A500", "10", "L1", "2026-03-02T09:00", "2026-03-02T10:00"], "job 'J-1' is already planned"),
    (
        ["J-3", "A500", "10", "L1", "2026-03-02T10:00", "2026-03-02T09:00"],
        "planned end 2026-03-02T09:00:00+01:00 is not after planned start",
    ),
    (["J-3", "A500", "10", "L1", "monday", "2026-03-02T09:00"], "planned start: 'monday' is not an ISO-8601"),
]


@pytest.mark.parametrize(("row", "why"), BAD, ids=[w.split("'")[0].strip() or w for _, w in BAD])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_row_is_refused_with_its_line_and_nothing_is_planned(
    tmp_path: Path, db: Path, row: list[str], why: str, kind: str
) -> None:
    rows = [*GOOD, row]  # the bad row is the file's line 4, after two good ones
    path = (
        write_csv(tmp_path / "s.csv", rows)
        if kind == "csv"
        else write_xlsx(tmp_path / "s.xlsx", [list(r) for r in rows])
    )
    out = run_in_process("jobs", "import", CONFIG, str(path), "--db", str(db))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"line 4: {why}" in out.stderr and "nothing imported" in out.stderr
    assert not db.exists()  # no store made for a refused schedule


def test_a_refused_schedule_leaves_the_plan_as_it_was(tmp_path: Path, db: Path) -> None:
    assert (
        run_in_process(
            "jobs", "import", CONFIG, str(write_csv(tmp_path / "a.csv", GOOD)), "--db", str(db)
        ).returncode
        == 0
    )
    before = plan(db)
    later = [
        ["J-5", "A500", "10", "L1", "2026-03-02T12:00", "2026-03-02T13:00"],
        ["J-6", "A500", "10", "L1", "2026-03-02T08:30", "2026-03-02T09:30"],  # overlaps J-2, planned before
    ]
    out = run_in_process("jobs", "import", CONFIG, str(write_csv(tmp_path / "b.csv", later)), "--db", str(db))
    assert out.returncode == 2
    assert "line 3: job 'J-6' overlaps job 'J-2' (the plan) on line L1" in out.stderr
    assert plan(db) == before  # J-5, which was fine, was not planned either


def test_a_header_without_a_column_and_a_file_that_is_not_a_schedule(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "job,product,line,planned start,planned end\nJ-1,A500,L1,2026-03-02T06:00,2026-03-02T07:00\n"
    )
    out = run_in_process("jobs", "import", CONFIG, str(path), "--db", str(db))
    assert out.returncode == 2 and "line 1: the header lacks quantity" in out.stderr
    fake = tmp_path / "s.xlsx"
    fake.write_bytes(b"not a zip")
    out = run_in_process("jobs", "import", CONFIG, str(fake), "--db", str(db))
    assert out.returncode == 2 and "not an XLSX workbook" in out.stderr and out.stderr.count("\n") == 1
    assert not db.exists()


def test_the_plan_table_comes_with_the_schema(db: Path) -> None:
    with Store.open(db):
        pass
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "planned_jobs" in tables


@pytest.mark.slow  # ms5 as a real process: the one case that stands for the rest
def test_ms5_jobs_import_as_a_process(tmp_path: Path, db: Path) -> None:
    bad = write_csv(
        tmp_path / "s.csv", [*GOOD, ["J-3", "A500", "ten", "L1", "2026-03-02T09:00", "2026-03-02T10:00"]]
    )
    out = run_process("jobs", "import", CONFIG, str(bad), "--db", str(db))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == f"{bad}: line 4: quantity 'ten' is not a whole number of parts; nothing imported\n"
    good = write_xlsx(tmp_path / "s.xlsx", GOOD)
    out = run_process("jobs", "import", CONFIG, str(good), "--db", str(db))
    assert out.returncode == 0 and out.stdout == f"2 jobs planned from {good} into {db}\n"
