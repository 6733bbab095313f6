"""`ms5 replay` over compressed journals, several files and a folder (a station's archive,
docs/STORE.md "Retention"), and its one-line refusals of what it cannot read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from scripts.bench_store_growth import DEMO
from tests.cli_runs import run_in_process

JOURNAL = Path(__file__).resolve().parent.parent / "assets" / "demo-journal.csv"


def _figures(*args: str) -> dict[str, object]:
    out = run_in_process("replay", str(DEMO), *args, "--json")
    assert out.returncode == 0, out.stderr
    figures: dict[str, object] = json.loads(out.stdout)
    return figures


def test_a_journal_split_into_gzip_day_files_in_a_folder_replays_to_the_same_figures(tmp_path: Path) -> None:
    lines = JOURNAL.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    half = len(rows) // 2
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "2026-03-02.csv.gz").write_bytes(gzip.compress((header + "".join(rows[:half])).encode()))
    (folder / "2026-03-03.csv.gz").write_bytes(gzip.compress((header + "".join(rows[half:])).encode()))
    (folder / ".2026-03-04.csv.gz.tmp").write_bytes(b"a temporary file a kill left")
    whole = _figures(str(JOURNAL))
    assert _figures(str(folder)) == whole
    assert _figures(str(folder / "2026-03-02.csv.gz"), str(folder / "2026-03-03.csv.gz")) == whole
    # Half of it is not the same figures: the files are really read, both of them.
    assert _figures(str(folder / "2026-03-02.csv.gz")) != whole


def test_what_cannot_be_read_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain.csv.gz").write_text("ts,equipment,signal,value\n", encoding="utf-8")
    whole = gzip.compress(JOURNAL.read_bytes())
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty").mkdir()
    cases = [
        (tmp_path / "plain.csv.gz", "plain.csv.gz: not a gzip file"),
        (tmp_path / "cut.csv.gz", "cut.csv.gz: the gzip file is cut short"),
        (tmp_path / "empty", "a folder with no journal file"),
    ]
    for path, said in cases:
        out = run_in_process("replay", str(DEMO), str(path))
        assert out.returncode == 2, out
        assert said in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
