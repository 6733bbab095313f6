"""`ms5 report --json`'s `jobs`: each job's target against actual quantity, planned against actual
start and end, and its OEE over the time it ran, worked out by hand for a small journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runs import run_in_process, run_process
from tests.conftest import DATA

CONFIG_EXTRA = """
[[replay.users]]
name = "olga"
role = "operator"
"""
# The Filler (the line's constraint, 0.5 s a part) runs from 06:00 but for a stop 06:40-06:50.
JOURNAL = """ts,equipment,signal,value
2026-03-02T06:00:00+01:00,FILLER,running,1
2026-03-02T06:00:00+01:00,FILLER,total_count,0
2026-03-02T06:10:00+01:00,FILLER,total_count,1000
2026-03-02T06:40:00+01:00,FILLER,total_count,4000
2026-03-02T06:40:00+01:00,FILLER,running,0
2026-03-02T06:50:00+01:00,FILLER,running,1
2026-03-02T07:05:00+01:00,FILLER,total_count,6000
2026-03-02T07:30:00+01:00,FILLER,total_count,9000
"""
ACTIONS = [
    {"ts": "2026-03-02T06:10:00+01:00", "user": "olga", "command": "start_job", "line": "L1",
     "product": "A500", "quantity": 4800, "job": "J-1"},
    {"ts": "2026-03-02T07:10:00+01:00", "user": "olga", "command": "end_job", "line": "L1"},
]  # fmt: skip
SCHEDULE = """job,product,quantity,line,planned start,planned end
J-1,A500,4800,L1,2026-03-02T06:00,2026-03-02T07:00
J-2,A500,1500,L1,2026-03-02T07:15,2026-03-02T08:00
J-3,A500,1500,L1,2026-03-02T09:00,2026-03-02T09:30
"""


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "line.toml"
    cfg.write_text((DATA / "reference.toml").read_text() + CONFIG_EXTRA)
    (tmp_path / "journal.csv").write_text(JOURNAL)
    (tmp_path / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ACTIONS))
    (tmp_path / "plan.csv").write_text(SCHEDULE)
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    path = folder / "station.db"
    for argv in (
        ("jobs", "import", str(cfg), str(tmp_path / "plan.csv")),
        (
            "import-journal",
            str(cfg),
            str(tmp_path / "journal.csv"),
            "--actions",
            str(tmp_path / "actions.jsonl"),
        ),
    ):
        out = run_in_process(*argv, "--db", str(path))
        assert out.returncode == 0, out.stderr
    return cfg, path


def jobs(cfg: Path, path: Path, *window: str) -> list[dict[str, Any]]:
    out = run_in_process("report", str(cfg), "--db", str(path), "--json", "--replay", *window)
    assert out.returncode == 0, out.stderr
    result: list[dict[str, Any]] = json.loads(out.stdout)["jobs"]
    return result


def test_a_job_against_its_plan_worked_by_hand(db: tuple[Path, Path]) -> None:
    cfg, path = db
    j1, j2 = jobs(cfg, path, "--from", "2026-03-02T06:00", "--to", "2026-03-02T08:00")
    # J-1 ran 06:10-07:10 (3600 s) with a 600 s stop: run time 3000 s. Its parts are the 3000
    # counted at 06:40 and the 2000 at 07:05 (the 1000 of 06:10 came before it): 5000 good.
    # Availability 3000/3600; performance 0.5 s x 5000 / 3000 s; OEE 2500 s / 3600 s.
    keys = ("job", "line", "product", "target_quantity", "actual_quantity", "running")
    assert {k: j1[k] for k in keys} == {
        "job": "J-1", "line": "L1", "product": "A500", "target_quantity": 4800, "actual_quantity": 5000,
        "running": False,
    }  # fmt: skip
    assert (j1["planned_start"], j1["planned_end"]) == (
        "2026-03-02T06:00:00+01:00",
        "2026-03-02T07:00:00+01:00",
    )
    assert (j1["actual_start"], j1["actual_end"]) == (
        "2026-03-02T06:10:00+01:00",
        "2026-03-02T07:10:00+01:00",
    )
    assert (j1["run_time_s"], j1["down_time_s"], j1["reject_count"]) == (3000, 600, 0)
    assert j1["availability"] == pytest.approx(3000 / 3600, abs=1e-6)
    assert j1["performance"] == pytest.approx(2500 / 3000, abs=1e-6)
    assert j1["quality"] == 1
    assert j1["oee"] == pytest.approx(2500 / 3600, abs=1e-6)
    # J-2 was planned in the window and never started; J-3 is planned after it.
    assert j2["job"] == "J-2" and j2["target_quantity"] == 1500
    assert (j2["actual_start"], j2["actual_quantity"], j2["oee"]) == (None, None, None)


def test_only_the_jobs_of_the_window(db: tuple[Path, Path]) -> None:
    cfg, path = db
    assert [j["job"] for j in jobs(cfg, path, "--from", "2026-03-02T07:20", "--to", "2026-03-02T09:10")] == [
        "J-2",
        "J-3",
    ]


def test_ms5_replay_of_the_files_gives_the_same_run(db: tuple[Path, Path], tmp_path: Path) -> None:
    cfg, path = db
    window = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T08:00")
    files = (str(tmp_path / "journal.csv"), "--actions", str(tmp_path / "actions.jsonl"))
    out = run_in_process("replay", str(cfg), *files, "--json", *window)
    assert out.returncode == 0, out.stderr
    (replayed,) = json.loads(out.stdout)["jobs"]  # no store, no plan: the run alone
    reported = jobs(cfg, path, *window)[0]
    plan_fields = ("planned_start", "planned_end")
    assert {k: v for k, v in reported.items() if k not in plan_fields} == {
        k: v for k, v in replayed.items() if k not in plan_fields
    }
    assert (replayed["planned_start"], replayed["actual_quantity"]) == (None, 5000)


def test_the_report_csv_has_a_jobs_section(db: tuple[Path, Path], tmp_path: Path) -> None:
    cfg, path = db
    sheet = tmp_path / "shift.csv"
    window = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T08:00", "--replay")
    out = run_in_process("report", str(cfg), "--db", str(path), "--csv", str(sheet), *window)
    assert out.returncode == 0, out.stderr
    blocks = sheet.read_text().split("\n\n")
    (jobs,) = [b.splitlines() for b in blocks if b.strip().splitlines()[0].strip() == "# L1 jobs"]
    assert jobs[1].split(",")[:4] == ["job", "product", "target_quantity", "actual_quantity"]
    j1, j2 = (row.split(",") for row in jobs[2:])
    assert j1[:8] == [
        "J-1", "A500", "4800", "5000", "2026-03-02 06:00:00", "2026-03-02 07:00:00", "2026-03-02 06:10:00",
        "2026-03-02 07:10:00",
    ]  # fmt: skip
    assert float(j1[-1]) == pytest.approx(2500 / 3600, abs=1e-6)
    assert (j2[0], j2[3], j2[6], j2[-1]) == ("J-2", "", "-", "")


@pytest.mark.slow  # ms5 as a process, the PDF drawn by offscreen Qt
def test_the_report_pdf_has_the_jobs(db: tuple[Path, Path], tmp_path: Path) -> None:
    from pypdf import PdfReader

    cfg, path = db
    pdf = tmp_path / "shift.pdf"
    window = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T08:00", "--replay")
    # A process of its own: the PDF's Qt application must not be this test process's (the panel's).
    out = run_process("report", str(cfg), "--db", str(path), "--pdf", str(pdf), *window)
    assert out.returncode == 0, out.stderr
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    assert "Jobs: target against actual" in text
    assert (
        "J-1 A500 4,800 5,000 2026-03-02 06:00 – 2026-03-02 07:00 2026-03-02 06:10 – 2026-03-02 07:10 69.4 %"
        in text
    )
    assert "J-2 A500 1,500 - 2026-03-02 07:15 – 2026-03-02 08:00 - – - -" in text
