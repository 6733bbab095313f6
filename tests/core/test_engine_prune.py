"""Bounded memory (core.engine_prune): an engine pruned at every shift end holds about two shifts,
and its figures of the current and the previous shift are those of an engine that keeps all."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.calendar import ShiftCalendar
from core.config import Config, load_config
from core.engine import Engine, PrunedWindow
from scripts.gen_journal import generate

ROOT = Path(__file__).resolve().parents[2]
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
SHIFTS = 7  # the demo line's three shifts a day: Early, Late, Night, Early, Late, Night, Early


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "assets" / "demo-line.toml")


@pytest.fixture(scope="module")
def engines(config: Config) -> tuple[Engine, Engine, list[dict[str, int]]]:
    """(pruned at each shift end to the previous shift's start, unpruned, sizes after each prune)."""
    calendar = ShiftCalendar(config.lines[0])
    hours = SHIFTS * 8 + 2  # two hours into the shift after them
    shifts = calendar.occurrences(T0, T0 + hours * 3600)
    rows = sorted(generate(config, T0, hours, seed=5).samples(), key=lambda s: s.ts)
    pruned, whole = Engine(config), Engine(config)
    sizes = []
    k, last = 1, T0
    for s in rows:
        pruned.ingest_one(s)
        whole.ingest_one(s)
        if s.ts - last >= 1.0:
            last = s.ts
            pruned.tick(s.ts)
            whole.tick(s.ts)
            if k < len(shifts) and s.ts >= shifts[k].start:
                # A shift ended: keep it (the previous one now) and the one under way.
                pruned.prune(shifts[k - 1].start)
                sizes.append(pruned.kept_sizes())
                k += 1
    return pruned, whole, sizes


def test_after_many_shifts_the_pruned_engine_holds_about_two_of_them(
    engines: tuple[Engine, Engine, list[dict[str, int]]],
) -> None:
    pruned, whole, sizes = engines
    assert len(sizes) == SHIFTS
    kept, everything = pruned.kept_sizes(), whole.kept_sizes()
    # Four machines, a count bucket a minute: two shifts and a bit are at most 4 x 17 h x 60.
    assert kept["buckets"] <= 4 * 17 * 60
    assert everything["buckets"] >= 3 * kept["buckets"]
    assert everything["segments"] >= 2.5 * kept["segments"]
    # Bounded: after the second prune the engine holds no more than two shifts' worth, whatever
    # the history; the last prunes hold what the first ones held, give or take a shift's stops.
    assert max(s["buckets"] for s in sizes[1:]) <= 4 * 17 * 60
    assert max(s["segments"] for s in sizes[2:]) <= 2 * min(s["segments"] for s in sizes[2:])


def test_its_figures_of_this_shift_and_the_previous_one_are_those_of_an_engine_keeping_all(
    config: Config, engines: tuple[Engine, Engine, list[dict[str, int]]]
) -> None:
    pruned, whole, _sizes = engines
    assert pruned.now == whole.now and pruned.now is not None
    calendar = ShiftCalendar(config.lines[0])
    current = calendar.shift_at(pruned.now)
    assert current is not None
    (previous,) = [
        o for o in calendar.occurrences(current.start - 3600, current.start) if o.end == current.start
    ]
    # The previous shift begins where the engine was pruned: its first minute is kept too.
    assert pruned.pruned_before == previous.start
    windows = [(previous.start, previous.end), (current.start, pruned.now), (previous.start, pruned.now)]
    for eq in pruned.equipment_ids:
        for a, b in windows:
            assert pruned.metrics(eq, a, b) == whole.metrics(eq, a, b), (eq, a, b)
            assert pruned.timeline(eq, a, b) == whole.timeline(eq, a, b)
            assert pruned.downtime_events(eq, a, b) == whole.downtime_events(eq, a, b)
            assert pruned.counts_per_bucket(eq, a, b) == whole.counts_per_bucket(eq, a, b)
        assert pruned.status(eq) == whole.status(eq)


def test_a_window_older_than_what_it_keeps_is_refused_not_miscounted(
    engines: tuple[Engine, Engine, list[dict[str, int]]],
) -> None:
    pruned, _whole, _sizes = engines
    with pytest.raises(PrunedWindow, match="older windows come from the store's figure slices"):
        pruned.metrics("FILLER", T0, T0 + 3600)
    with pytest.raises(PrunedWindow):
        pruned.downtime_events("FILLER", pruned.pruned_before - 1, pruned.pruned_before + 60)
