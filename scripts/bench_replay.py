"""Replay benchmark: a generated month of a 10-machine line, engine cost against parsing cost.

    python -m scripts.bench_replay [--days 30] [--machines 10] [--report-every 5] [--seed 1]

Two passes over the same journal file, each timed with `time.perf_counter` (wall) and
`time.process_time` (CPU):

  (a) parsing only: `core.journal.read_journal`;
  (b) parsing and the full replay: `read_journal`, then `core.replay.replay`.

The engine's cost is (b) − (a). Figures are printed as rates and as a ratio against the parse cost
measured in the same run (docs/BENCHMARKS.md): nothing here asserts a speed, because a
timed assertion flakes on a busy machine. What is asserted is exactness: the replay must count
exactly the parts the generator made, across counter rollovers and communication losses.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from connectors.sim.behaviour import Truth
from core.config import Config, load_config
from core.journal import read_journal
from core.replay import replay
from core.timefmt import parse_time
from scripts.gen_journal import generate, write_file

T = TypeVar("T")

START = "2026-03-02T00:00"  # a Monday; a 30-day run crosses the spring clock change on March 29

# A realistic mix: fast and slow machines, 16-bit and 32-bit counters, a few PackML machines.
_IDEALS = (0.5, 0.45, 0.6, 0.4, 0.8, 0.5, 0.75, 1.0, 0.6, 0.5)

_HEAD = """\
[site]
name = "Bench plant"

[reasons]
"Mechanical/Jam/Infeed" = "unplanned"
"Mechanical/Jam/Outfeed" = "unplanned"
"Electrical/Drive fault" = "unplanned"
"Material/Starved" = "unplanned"
"Changeover/Format" = "planned"
"Meeting" = "excluded"

[[lines]]
id = "B1"
name = "Bench line"
timezone = "Europe/Berlin"
small_stop_threshold_s = 120

[[lines.shifts]]
name = "Early"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "06:00"
end = "14:00"
breaks = [
    { name = "Break", start = "09:00", end = "09:15" },
    { name = "Lunch", start = "11:30", end = "12:00" },
]

[[lines.shifts]]
name = "Late"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "14:00"
end = "22:00"
breaks = [
    { name = "Break", start = "17:00", end = "17:15" },
    { name = "Dinner", start = "19:30", end = "20:00" },
]

[[lines.shifts]]
name = "Night"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "22:00"
end = "06:00"
breaks = [
    { name = "Meal", start = "01:00", end = "01:30" },
    { name = "Break", start = "03:30", end = "03:45" },
]
"""


def bench_config_text(machines: int, quality_alert_parts: int | None = None) -> str:
    head = _HEAD
    if quality_alert_parts is not None:
        alert = f"quality_alert = {{ window_parts = {quality_alert_parts}, max_reject_rate = 0.03 }}\n"
        head = head.replace("small_stop_threshold_s = 120\n", "small_stop_threshold_s = 120\n" + alert, 1)
    parts = [head]
    for i in range(machines):
        ideal = _IDEALS[i % len(_IDEALS)]
        lines = [
            "",
            "[[lines.equipment]]",
            f'id = "M{i + 1:02d}"',
            f"ideal_cycle_time_s = {ideal}",
        ]
        if i % 2 == 0:
            lines.append("counter_max = 65535")
        if i % 3 == 2:
            lines.append('state_model = "packml"')
        lines.append(
            'faults = { 101 = "Mechanical/Jam/Infeed", 102 = "Mechanical/Jam/Outfeed", '
            '205 = "Electrical/Drive fault", 310 = "Material/Starved" }'
        )
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


@dataclass
class BenchResult:
    samples: int
    file_bytes: int
    generate: Timing
    parse: Timing  # (a)
    parse_and_replay: Timing  # (b)
    replay_inside_b: Timing  # the replay part of (b) alone: a cross-check of b - a, which is noisier
    truth: dict[str, Truth]
    replayed: dict[str, tuple[int, int]]  # equipment -> (total_count, reject_count)
    lines: list[str]

    @property
    def engine(self) -> Timing:
        return Timing(
            self.parse_and_replay.wall_s - self.parse.wall_s, self.parse_and_replay.cpu_s - self.parse.cpu_s
        )

    @property
    def counts_match(self) -> bool:
        return all(self.replayed.get(k) == (t.total, t.reject) for k, t in self.truth.items())


def _timed(fn: Callable[[], T]) -> tuple[T, Timing]:
    # A collection left over from the previous pass must not be billed to this one.
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, Timing(time.perf_counter() - w0, time.process_time() - c0)


def _rate(n: int, t: Timing) -> str:
    cpu = f"{n / t.cpu_s:,.0f}" if t.cpu_s > 0 else "-"
    wall = f"{n / t.wall_s:,.0f}" if t.wall_s > 0 else "-"
    return f"{cpu} samples/s cpu, {wall} samples/s wall"


def _figure(label: str, t: Timing, n: int) -> str:
    return f"{label:<22} wall {t.wall_s:7.2f} s, cpu {t.cpu_s:7.2f} s -> {_rate(n, t)}"


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.2f}" if den > 0 else "-"


def _warm_up(journal_path: Path, config: Config) -> None:
    """Replay the journal's first rows untimed: the first pass of a process otherwise pays for lazy
    imports, time-zone caches and heap growth, which on a small journal swamps the figures."""
    head = journal_path.with_name("warm-up.csv")
    with journal_path.open(encoding="utf-8") as src:
        head.write_text("".join(line for _, line in zip(range(5000), src, strict=False)), encoding="utf-8")
    replay(config, read_journal(head, config))


def run_bench(
    days: float,
    machines: int,
    report_every: float = 5.0,
    seed: int = 1,
    repeat: int = 1,
    quality_alert_parts: int | None = None,
) -> BenchResult:
    """Generate, time (a) and (b) (best of `repeat` each, by CPU time) and check the counts."""
    with tempfile.TemporaryDirectory(prefix="ms5-bench-") as tmp:
        cfg_path = Path(tmp) / "bench-line.toml"
        cfg_path.write_text(bench_config_text(machines, quality_alert_parts), encoding="utf-8")
        config: Config = load_config(cfg_path)
        journal_path = Path(tmp) / "bench-journal.csv"
        start = parse_time(START, config.lines[0].tz)
        journal = generate(config, start, days * 24, seed, report_every)
        n, t_gen = _timed(lambda: write_file(journal, journal_path))
        size = journal_path.stat().st_size

        def parse_only() -> int:
            return len(read_journal(journal_path, config))

        inner: list[Timing] = []

        def parse_and_replay() -> dict[str, Any]:
            samples = read_journal(journal_path, config)
            w0, c0 = time.perf_counter(), time.process_time()
            out = replay(config, samples)
            inner.append(Timing(time.perf_counter() - w0, time.process_time() - c0))
            return out

        _warm_up(journal_path, config)
        parsed, t_parse = _timed(parse_only)
        result, t_both = _timed(parse_and_replay)
        t_inner = inner[-1]
        for _ in range(repeat - 1):
            t_parse = min(t_parse, _timed(parse_only)[1], key=lambda t: t.cpu_s)
            t_again = _timed(parse_and_replay)[1]
            if t_again.cpu_s < t_both.cpu_s:
                t_both, t_inner = t_again, inner[-1]
    if parsed != n:
        raise RuntimeError(f"the journal has {n} rows but {parsed} were read")
    replayed = {k: (int(m["total_count"]), int(m["reject_count"])) for k, m in result["equipment"].items()}
    bench = BenchResult(n, size, t_gen, t_parse, t_both, t_inner, journal.truth, replayed, [])
    bench.lines = _report(bench, days, machines, report_every, quality_alert_parts)
    return bench


def _report(
    b: BenchResult, days: float, machines: int, report_every: float, quality_alert_parts: int | None
) -> list[str]:
    eng = b.engine
    n = b.samples
    alert = "" if quality_alert_parts is None else f", quality alert over {quality_alert_parts} parts"
    out = [
        f"journal: {days:g} days, {machines} machines, counts every {report_every:g} s{alert}: "
        f"{n:,} samples, {b.file_bytes / 1e6:,.1f} MB (generated and written in {b.generate.wall_s:.1f} s)",
        _figure("(a) parse only:", b.parse, n),
        _figure("(b) parse + replay:", b.parse_and_replay, n) + " (total replay)",
        _figure("engine only (b - a):", eng, n),
        _figure("  replay inside (b):", b.replay_inside_b, n) + " (cross-check)",
        f"ratio engine / parse:  {_ratio(eng.cpu_s, b.parse.cpu_s)} cpu, "
        f"{_ratio(eng.wall_s, b.parse.wall_s)} wall",
    ]
    mismatches = [
        f"  {k}: generator made {t.total} (rejected {t.reject}), replay counted {b.replayed.get(k)}"
        for k, t in b.truth.items()
        if b.replayed.get(k) != (t.total, t.reject)
    ]
    if mismatches:
        out.append(f"count check: MISMATCH on {len(mismatches)} of {len(b.truth)} equipment")
        out.extend(mismatches)
    else:
        made = sum(t.total for t in b.truth.values())
        rejected = sum(t.reject for t in b.truth.values())
        out.append(
            f"count check: ok, the replay counted exactly the {made:,} parts ({rejected:,} rejects) "
            f"the generator made on {len(b.truth)} equipment"
        )
    return out


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_replay",
        description="Replay a generated journal and print the engine's cost next to the cost of parsing.",
    )
    parser.add_argument(
        "--days", type=float, default=30, help="length of the journal (default 30; 3 is quick)"
    )
    parser.add_argument("--machines", type=int, default=10, help="equipment on the line (default 10)")
    parser.add_argument(
        "--report-every", type=float, default=5.0, metavar="S", help="counter polling period (default 5 s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="time each pass this often, keep the best")
    parser.add_argument(
        "--quality-alert",
        type=int,
        metavar="PARTS",
        help="give the line a quality alert over the last PARTS parts (the engine then watches every count)",
    )
    args = parser.parse_args(argv)
    alert = args.quality_alert if args.quality_alert is not None else 1
    if min(args.days, args.machines, args.report_every, args.repeat, alert) <= 0:
        parser.error("--days, --machines, --report-every, --repeat and --quality-alert must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> BenchResult:
    args = _parse_args(argv)
    result = run_bench(
        args.days, args.machines, args.report_every, args.seed, args.repeat, args.quality_alert
    )
    for line in result.lines:
        print(line, flush=True)
    return result


if __name__ == "__main__":
    sys.exit(0 if main().counts_match else 1)
