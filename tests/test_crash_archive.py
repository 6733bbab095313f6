"""The archiving crash harness at a small size: the retention run SIGKILLed eight times, at each
kind of step and at random moments; after every kill the archive files and the database hold the
journal once, and at the end `ms5 verify` holds and the replay gives the figures of before."""

from __future__ import annotations

import re

import pytest

from scripts import crash_archive

pytestmark = pytest.mark.slow  # kills real child processes


def test_eight_kills_of_the_archiving_lose_and_double_no_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert crash_archive.main(["--kills", "8", "--seed", "2", "--days", "3.5"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if re.match(r"\s+\d+  ", line)]
    assert len(table) == 8
    # Every kind of step was killed at, and the kill found nothing lost or doubled after it.
    for step in crash_archive.STEPS:
        assert any(f"  {step}:" in line for line in table), out
    assert all(line.rstrip().endswith(" -") for line in table), out
    assert "days archived 2026-03-02, 2026-03-03, 2026-03-04; nothing lost" in out
    assert "ms5 verify: exit 0" in out
    assert "ms5 replay of the archive and the rest: the figures of the journal before" in out
    assert out.rstrip().endswith("RESULT: all checks hold")
