"""The crash harness at a small size: a station SIGKILLed six times (twice right after an
acknowledgement given through the station socket, twice inside a snapshot's transaction) and
restarted on the same file; every check
holds after every kill and the final counts equal the simulator's own record. The 20-kill run's
figures are in docs/RELIABILITY.md."""

from __future__ import annotations

import re

import pytest

from scripts import crash_harness

pytestmark = pytest.mark.slow  # kills real station processes


def test_six_kills_lose_no_count_no_acknowledgement_and_no_audit_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert crash_harness.main(["--kills", "6", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if re.match(r"\s+\d+ (random|after ack|in snapshot)", line)]
    assert len(table) == 6
    # Two kills came inside a snapshot's transaction; the restarts after them equal a full replay.
    assert sum(" in snapshot " in line for line in table) == 2, out
    assert all(" ok " in line and line.rstrip().endswith("-") for line in table), out
    # Two kills came right after an acknowledgement the operator saw; both survived.
    assert table[-1].split()[-2] == "2/2", out
    for eq in ("FILLER", "CAPPER"):
        match = re.search(rf"{eq}: station (\d+) parts \((\d+) rejects\), simulator (\d+) \((\d+)\)", out)
        assert match is not None, out
        station, rejects, simulator, sim_rejects = map(int, match.groups())
        assert station > 100  # it really produced while the station was killed and restarted
        # Cumulative counters: nothing lost or counted twice across the kills.
        assert (station, rejects) == (simulator, sim_rejects)
    assert "ms5 audit verify: exit 0" in out
    # The WAL deleted after a kill: the acknowledgement is lost, and the anchor tells.
    wal = out[out.index("WAL deleted after a kill") :]
    assert re.search(r"ms5 audit verify: exit 1: .*the database lost its tail: audit rows \d+–\d+", wal), out
    assert re.search(r"ms5 engine on the file: .*the database lost its tail", wal), out
    assert re.search(r"after that start: exit 1: .*the anchor records a loss", wal), out
    assert out.rstrip().endswith("RESULT: all checks hold")
