"""The reconnect benchmark end to end on one protocol and a short outage: it kills a real
server, starts it again, and prints a row whose figures are those of a comms loss that happened
(the figures themselves are in docs/BENCHMARKS.md; nothing here times the station)."""

from __future__ import annotations

import pytest

from scripts import bench_reconnect

pytestmark = pytest.mark.slow  # a protocol server in a child process, killed and restarted


def test_the_benchmark_prints_a_row_per_protocol_with_the_outage_it_made(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench_reconnect.main(["--outages", "2", "--protocols", "modbus"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["mode", "protocol", "real", "outage", "recorded", "late", "back", "after"]
    (row,) = out[2:]
    mode, protocol, real, recorded, late, back = row.rsplit(maxsplit=5)
    assert (mode.strip(), protocol) == ("probe, cap 5 s", "modbus")
    real_s, recorded_s = float(real.rstrip("s")), float(recorded.rstrip("s"))
    # The server was away at least the pause asked for, and the station saw it as comms loss.
    assert real_s >= 2.0
    assert recorded_s > 0.0
    assert float(late.rstrip("s")) == pytest.approx(recorded_s - real_s, abs=0.11)
    assert back.endswith("s")


def test_bad_arguments_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_reconnect.main(["--protocols", "profibus"])
    assert exit_.value.code == 2
    assert "unknown protocol 'profibus'" in capsys.readouterr().err
