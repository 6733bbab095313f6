"""The start-up check's benchmark at a tiny size: it writes a store with the real station and
prints the quick check next to the rebuild it is measured against."""

from __future__ import annotations

import re

import pytest

from scripts import bench_quick_check

pytestmark = pytest.mark.slow  # runs a benchmark end to end


def test_it_prints_the_check_next_to_the_rebuild(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_quick_check.main(["--hours", "0.2", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    match = re.search(r"store station\.db: [\d.]+ MB, (\d+) journal rows", out)
    assert match is not None and int(match.group(1)) > 1000, out
    assert re.search(r"rebuild \(a full replay, the baseline\): +[\d.]+ s", out), out
    # The paced station wrote snapshots (one at its clean stop): a restart reads the newest.
    assert re.search(
        r"restart from the newest snapshot: +[\d.]+ s +\([\d.]+x faster than the full replay; "
        r"restart: the snapshot at journal row \d+ \+ \d+ journal rows\)",
        out,
    ), out
    assert re.search(r"quick_check \(added at start\): +[\d.]+ s +\(\d+% of the full replay\)", out), out
    assert re.search(r"integrity_check \(ms5 verify\): +[\d.]+ s", out), out
