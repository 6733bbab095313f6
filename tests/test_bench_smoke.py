"""The replay benchmark on a tiny line, and the generator it stands on.

The real assertion is exactness: the engine must count exactly the parts the generator says it
made, across 16-bit counter rollovers, communication losses and PackML equipment.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.config import load_config, parse_config
from core.journal import parse_journal
from core.replay import replay
from core.samples import Sample
from core.timefmt import parse_time
from scripts import bench_replay
from scripts.gen_journal import generate
from scripts.gen_journal import main as gen_main

pytestmark = pytest.mark.slow  # runs a benchmark end to end

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DAYS, MACHINES, SEED = 1, 3, 1


def _bench_samples() -> list[Sample]:
    """The very journal `run_bench` replays for (DAYS, MACHINES, SEED)."""
    config = parse_config(bench_replay.bench_config_text(MACHINES), Path("bench-line.toml"))
    start = parse_time(bench_replay.START, config.lines[0].tz)
    return list(generate(config, start, DAYS * 24, SEED).samples())


def test_bench_prints_its_figures_and_the_engine_counts_what_was_made(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = bench_replay.main(["--days", str(DAYS), "--machines", str(MACHINES), "--seed", str(SEED)])
    out = capsys.readouterr().out

    for label in ("journal:", "(a) parse only:", "(b) parse + replay:", "engine only (b - a):"):
        line = next((x for x in out.splitlines() if x.startswith(label)), None)
        assert line is not None, f"no line starting {label!r} in:\n{out}"
    assert "samples/s" in out
    assert "ratio engine / parse:" in out
    assert "count check: ok" in out

    assert len(result.truth) == MACHINES
    for eq_id, truth in result.truth.items():
        assert truth.total > 10_000, eq_id
        assert 0 < truth.reject < truth.total, eq_id
        assert result.replayed[eq_id] == (truth.total, truth.reject), eq_id
    assert result.counts_match


def test_the_bench_journal_has_what_makes_the_count_check_worth_something() -> None:
    samples = _bench_samples()
    assert any(s.value is None for s in samples), "no communication loss"
    assert any(s.signal == "state" for s in samples), "no PackML equipment"
    last: dict[tuple[str, str], float] = {}
    rollovers = 0
    for s in samples:
        if s.value is None or not s.signal.endswith("_count"):
            continue
        key = (s.equipment, s.signal)
        if key in last and s.value < last[key]:
            rollovers += 1
        last[key] = s.value
    assert rollovers > 0, "no counter rolled over"


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    args = [str(ASSETS / "demo-line.toml"), "--start", "2026-03-02T05:45", "--hours", "3", "--seed", "3"]
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert gen_main([*args, "-o", str(a)]) == 0
    assert gen_main([*args, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert gen_main([*args[:-1], "4", "-o", str(c)]) == 0
    assert a.read_bytes() != c.read_bytes()


def test_generated_rows_are_sorted_and_in_the_lines_zone() -> None:
    config = load_config(ASSETS / "demo-line.toml")
    journal = generate(config, parse_time("2026-03-02T05:45", config.lines[0].tz), 8.5, 25)
    buf = io.StringIO()
    journal.write(buf)
    rows = buf.getvalue().splitlines()[1:]
    assert all(row.startswith("2026-03-02T") and "+01:00," in row for row in rows)
    samples = list(parse_journal(io.StringIO(buf.getvalue()), config))
    assert [s.ts for s in samples] == sorted(s.ts for s in samples)
    result = replay(config, samples)
    for eq_id, truth in journal.truth.items():
        m = result["equipment"][eq_id]
        assert (m["total_count"], m["reject_count"]) == (truth.total, truth.reject)


def test_the_bundled_demo_journal_is_what_its_documented_command_makes(tmp_path: Path) -> None:
    out = tmp_path / "demo.csv"
    # The command at the top of scripts/gen_journal.py.
    argv = [str(ASSETS / "demo-line.toml"), "--start", "2026-03-02T05:45", "--hours", "8.5", "--seed", "25"]
    assert gen_main([*argv, "-o", str(out)]) == 0
    assert out.read_bytes() == (ASSETS / "demo-journal.csv").read_bytes(), (
        "assets/demo-journal.csv is out of date: regenerate it with the command in scripts/gen_journal.py"
    )
