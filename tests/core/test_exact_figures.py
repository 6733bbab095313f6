"""``ms5 report` over any window (core.store_exact): the whole closed slices inside it and the
pieces at its edges from an engine equal a replay of the journal for that window, to the second."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import Config
from core.replay import Window, replay_result
from core.store import Store
from core.store_exact import ExactFigures, PieceEngines
from hmi.report.view import window_report
from tests.core.test_figure_slices import HOURS, T0, config, db, replayed, rows

__all__ = ["config", "db", "rows"]  # the fixtures of the 20-hour demo store, shared

END = T0 + HOURS * 3600


def exact(config: Config, store: Store, window: Window) -> ExactFigures:
    engines = PieceEngines(config, store, window.end, (window.start, window.end))
    return ExactFigures(config, store.conn, window.start, window.end, engines)


def test_a_window_off_the_hours_is_the_window_of_a_replay(config: Config, db: Path) -> None:
    # 06:10:07.5 to 18:43:21: edges inside an hour of Early and of Late, the lunch break and
    # the Early/Late edge inside, and the three shifts' slices between.
    window = Window(T0 + 607.5, T0 + 12 * 3600 + 43 * 60 + 21)
    engine = replayed(config, db, window)
    with Store.open_read_only(db) as store:
        source = exact(config, store, window)
        got = replay_result(source, window, [])
        assert got == replay_result(engine, window, [])
        assert window_report(config, source, window.start, window.end) == window_report(
            config, engine, window.start, window.end
        )
    filler = got["equipment"]["FILLER"]
    assert filler["all_time_s"] == window.end - window.start  # not rounded to the hours
    assert filler["small_stop_count"] > 5 and filler["planned_stop_time_s"] > 0


def test_the_open_tail_after_the_last_closed_slice_counts_so_far(config: Config, db: Path) -> None:
    window = Window(T0 + 3 * 3600 + 1.25, END - 17.0)  # ends inside the hour no slice closed
    engine = replayed(config, db, window)
    with Store.open_read_only(db) as store:
        assert replay_result(exact(config, store, window), window, []) == replay_result(engine, window, [])


# Windows anywhere in the store's 20 hours (and before its first sample), to the quarter second.
instants = st.integers(min_value=-4 * 3600, max_value=int(HOURS * 3600) * 4).map(lambda q: T0 + q / 4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=instants, b=instants)
def test_any_window_from_the_store_is_the_window_of_a_replay(
    config: Config, db: Path, a: float, b: float
) -> None:
    window = Window(min(a, b), max(a, b))
    engine = replayed(config, db, window)
    with Store.open_read_only(db) as store:
        assert replay_result(exact(config, store, window), window, []) == replay_result(engine, window, [])
