"""Equipment with history in the store that left the config: `ms5 report` and `ms5 replay` of the
exported journal refuse it alike, with one line naming the fix; kept in the config with no
signals, it is reported again (docs/CONFIG.md, "Equipment that leaves the config")."""

from __future__ import annotations

import json
from pathlib import Path

from core.samples import Sample
from core.store import Store
from tests.cli_runs import ROOT, run_in_process

REFERENCE = (ROOT / "tests" / "data" / "reference.toml").read_text()
CAPPER = REFERENCE[REFERENCE.index('[[lines.equipment]]\nid = "CAPPER"') :]
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
MESSAGE = (
    "unknown equipment 'CAPPER': the config does not name it; to report its history, "
    "keep it in the config (with no signals once it is retired)"
)


def recorded(tmp_path: Path) -> Path:
    db = tmp_path / "station.db"
    with Store.open(db) as store:
        for second in range(0, 600, 10):
            store.append_sample(Sample(T0 + second, "FILLER", "running", 1.0))
            store.append_sample(Sample(T0 + second, "FILLER", "total_count", float(second)))
            store.append_sample(Sample(T0 + second, "CAPPER", "state", 6.0))
    return db


def test_report_and_replay_refuse_the_history_of_equipment_that_left_the_config(tmp_path: Path) -> None:
    db = recorded(tmp_path)
    gone = tmp_path / "line.toml"
    gone.write_text(REFERENCE.replace(CAPPER, ""))
    report = run_in_process("report", str(gone), "--db", str(db))
    assert (report.returncode, report.stdout, report.stderr) == (2, "", f"{db}: {MESSAGE}\n")
    journal = tmp_path / "journal.csv"
    assert run_in_process("export-journal", "--db", str(db), "-o", str(journal)).returncode == 0
    replayed = run_in_process("replay", str(gone), str(journal))
    assert (replayed.returncode, replayed.stdout, replayed.stderr) == (2, "", f"journal.csv:4: {MESSAGE}\n")


def test_kept_with_no_signals_its_history_is_reported_again(tmp_path: Path) -> None:
    db = recorded(tmp_path)
    kept = tmp_path / "line.toml"
    kept.write_text(REFERENCE)  # CAPPER has no signals here: retired, the station polls nothing for it
    report = run_in_process("report", str(kept), "--db", str(db), "--json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)["equipment"]["CAPPER"]
    assert figures["run_time_s"] == 590.0
