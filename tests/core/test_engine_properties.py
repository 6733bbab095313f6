"""Properties that hold for any journal (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.config import Config
from core.engine import Engine
from core.rebuild import rebuild
from core.samples import Quality, Sample
from core.store import Store

MONDAY_0500_BERLIN = 1772424000.0  # 2026-03-02 05:00 +01:00

_signal_values = st.one_of(
    st.tuples(st.just("running"), st.sampled_from([0.0, 1.0, None])),
    st.tuples(st.just("fault_code"), st.sampled_from([0.0, 101.0, 205.0])),
    st.tuples(st.just("changeover"), st.sampled_from([0.0, 1.0])),
    st.tuples(st.just("total_count"), st.integers(0, 65535).map(float)),
    st.tuples(st.just("reject_count"), st.integers(0, 200).map(float)),
)


@st.composite
def journals(draw: st.DrawFn) -> list[Sample]:
    steps = draw(
        st.lists(st.tuples(st.integers(0, 2400), _signal_values), min_size=1, max_size=60),
    )
    ts = MONDAY_0500_BERLIN + draw(st.integers(0, 7 * 86400))
    out = []
    for dt, (signal, value) in steps:
        ts += dt
        quality = Quality.BAD if value is None else Quality.GOOD
        out.append(Sample(ts, "FILLER", signal, value, quality))
    return out


def _engine(config: Config, rows: list[Sample], marks: tuple[float, ...]) -> Engine:
    engine = Engine(config, marks=marks)
    engine.ingest(rows)
    engine.tick(max(marks))
    return engine


@settings(max_examples=150, deadline=None)
@given(rows=journals(), extra=st.integers(0, 3 * 3600))
def test_time_categories_add_up_to_all_time(reference_config: Config, rows: list[Sample], extra: int) -> None:
    a = rows[0].ts
    b = rows[-1].ts + extra
    engine = _engine(reference_config, rows, (a, b))
    m = engine.metrics("FILLER", a, b)
    parts = (
        m.unscheduled_time_s
        + m.planned_stop_time_s
        + m.changeover_time_s
        + m.down_time_s
        + m.small_stop_time_s
        + m.running_time_s
    )
    assert parts == pytest.approx(m.all_time_s, abs=1e-6)
    assert m.all_time_s == pytest.approx(b - a)
    assert m.comms_loss_time_s <= m.down_time_s + 1e-9
    events = engine.downtime_events("FILLER", a, b)
    assert sum(e.duration_s for e in events) == pytest.approx(m.down_time_s, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(rows=journals())
def test_oee_is_ideal_time_of_good_parts_over_planned_production_time(
    reference_config: Config, rows: list[Sample]
) -> None:
    a, b = rows[0].ts, rows[-1].ts + 60
    m = _engine(reference_config, rows, (a, b)).metrics("FILLER", a, b)
    if m.planned_production_time_s <= 0:
        assert m.oee is None
        return
    # Counters that disagree (more rejects than parts in the window) have no meaningful OEE.
    assume(0 <= m.reject_count <= m.total_count)
    ideal = 0.5  # FILLER's ideal cycle time; no job changes the product here
    assert m.oee == pytest.approx(ideal * m.good_count / m.planned_production_time_s, rel=1e-9, abs=1e-12)
    if m.availability is not None and m.performance is not None and m.quality is not None:
        assert m.oee == pytest.approx(m.availability * m.performance * m.quality, rel=1e-9, abs=1e-12)
    losses = m.losses()
    assert sum(losses.values()) == pytest.approx(m.planned_production_time_s - ideal * m.good_count, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(rows=journals(), cut=st.floats(0.0, 1.0))
def test_figures_of_two_adjacent_windows_sum_to_the_whole(
    reference_config: Config, rows: list[Sample], cut: float
) -> None:
    a, b = rows[0].ts, rows[-1].ts + 1
    mid = a + (b - a) * cut
    engine = _engine(reference_config, rows, (a, mid, b))
    whole = engine.metrics("FILLER", a, b)
    halves = engine.metrics("FILLER", a, mid) + engine.metrics("FILLER", mid, b)
    assert halves.total_count == whole.total_count
    assert halves.good_count == whole.good_count
    for key in ("down_time_s", "planned_stop_time_s", "changeover_time_s", "running_time_s", "all_time_s"):
        assert getattr(halves, key) == pytest.approx(getattr(whole, key), abs=1e-6), key


@settings(max_examples=60, deadline=None)
@given(rows=journals(), cut=st.floats(0.0, 1.0), extra=st.integers(0, 3600))
def test_a_journal_stopped_anywhere_and_resumed_from_the_store_gives_the_figures_of_one_pass(
    reference_config: Config, rows: list[Sample], cut: float, extra: int
) -> None:
    # A station stopped after the first part of the journal and rebuilt from its file, then fed
    # the rest, must end where one engine fed everything ends: crash recovery changes no figure.
    a, b = rows[0].ts, rows[-1].ts + extra
    k = round(len(rows) * cut)
    whole = _engine(reference_config, rows, (a, b))
    with tempfile.TemporaryDirectory(prefix="ms5-resume-") as tmp:
        path = Path(tmp) / "station.db"
        with Store.open(path) as store:
            first = Engine(reference_config, marks=(a, b))
            store.attach(first)
            store.append_samples([first.ingest_one(s) for s in rows[:k]])
        with Store.open(path) as store:
            resumed = rebuild(reference_config, store, marks=(a, b))
    resumed.ingest(rows[k:])
    resumed.tick(b)
    assert resumed.metrics("FILLER", a, b) == whole.metrics("FILLER", a, b)
    assert resumed.timeline("FILLER", a, b) == whole.timeline("FILLER", a, b)
    assert resumed.downtime_events("FILLER", a, b) == whole.downtime_events("FILLER", a, b)
    assert resumed.status("FILLER") == whole.status("FILLER")


@st.composite
def wobbling_counter(draw: st.DrawFn) -> tuple[list[list[float]], int, int]:
    """Groups of same-time reads of a rising counter, each read at most 10 (the default
    counter_jitter) below the true value and one of them exact: (groups, first, last)."""
    true = draw(st.integers(0, 60000))
    first = true
    groups = []
    for _ in range(draw(st.integers(1, 12))):
        true += draw(st.integers(0, 40))
        wobbles = draw(st.lists(st.integers(0, 10), min_size=0, max_size=4))
        group = [float(true - w) for w in [0, *wobbles] if true - w >= 0]
        groups.append(draw(st.permutations(group)))
    return groups, first, true


@settings(max_examples=150, deadline=None)
@given(counter=wobbling_counter())
def test_reads_that_wobble_within_the_jitter_count_the_rise_in_any_order(
    reference_config: Config, counter: tuple[list[list[float]], int, int]
) -> None:
    groups, first, last = counter
    ts = MONDAY_0500_BERLIN + 3600  # Monday 06:00, the Early shift
    rows = [Sample(ts, "FILLER", "running", 1.0), Sample(ts, "FILLER", "total_count", float(first))]
    for i, group in enumerate(groups, start=1):
        rows.extend(Sample(ts + i, "FILLER", "total_count", value) for value in group)
    engine = _engine(reference_config, rows, (ts, ts + len(groups) + 1))
    m = engine.metrics("FILLER", ts, ts + len(groups) + 1)
    assert m.total_count == last - first
    assert m.counter_resets == 0
