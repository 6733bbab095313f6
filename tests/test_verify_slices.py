"""`ms5 verify CONFIG` checks the figure slices `ms5 report` adds up: recomputed from the journal
they agree, and a damaged slice row is one FAILED line naming its equipment and hour (exit 1)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli_runs import run_in_process
from tests.test_report import make_store

pytestmark = pytest.mark.slow  # a station writes the store


def test_verify_checks_the_figure_slices_against_the_journal(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    good = run_in_process("verify", str(cfg), "--db", str(db))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ok     the figure slices agree with the journal (2 slices)" in good.stdout
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute(
            "SELECT body FROM figure_slices WHERE equipment = 'FILLER' AND start = 1772427600.0"
        ).fetchone()
        slice_ = json.loads(body)
        slice_["sums"]["down_time_s"] += 60.0  # a row changed behind the station's back
        conn.execute(
            "UPDATE figure_slices SET body = ? WHERE equipment = 'FILLER' AND start = 1772427600.0",
            (json.dumps(slice_),),
        )
    conn.close()
    bad = run_in_process("verify", str(cfg), "--db", str(db))
    assert bad.returncode == 1
    failed = [line for line in bad.stdout.splitlines() if line.startswith("FAILED")]
    down = slice_["sums"]["down_time_s"]
    assert failed == [
        "FAILED figure slice FILLER 2026-03-02T06:00:00+01:00 to 2026-03-02T07:00:00+01:00 differs from "
        f"the journal: down_time_s is {down} in the file, {down - 60.0} from the journal"
    ]
    assert "ok     the per-minute counts agree" in bad.stdout  # the other checks still hold
