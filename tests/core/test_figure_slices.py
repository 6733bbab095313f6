"""Reports from the store's figure slices (core.store_figures) equal a replay of the journal; a
crash and a restart neither lose nor double a slice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
from core.config import Config, load_config
from core.engine import CommandError, Engine
from core.export import recorded
from core.permissions import Actor
from core.rebuild import rebuild
from core.replay import Window, replay_result, run_engine
from core.samples import Quality, Sample
from core.store import Store
from core.store_figures import NotProjected, StoreFigures
from hmi.report.view import window_report
from scripts.gen_journal import generate

ROOT = Path(__file__).resolve().parents[2]
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00
HOURS = 20.0  # Early, Late and most of Night: breaks, a changeover, comms losses, midnight
SUE = Actor("sue", Role.SUPERVISOR)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "assets" / "demo-line.toml")


@pytest.fixture(scope="module")
def rows(config: Config) -> list[Sample]:
    # In time order: a late sample fed after a command counts at the engine's time, and so after
    # the command, where a replay puts it before; that is no matter of the slices.
    return sorted(generate(config, T0, HOURS, seed=11).samples(), key=lambda s: s.ts)


@dataclass
class Commands:
    """What people do on the demo line: jobs, a declared stop, Andon calls, a reason and a split."""

    done: set[str]

    def due(self, engine: Engine, t: float) -> Iterator[tuple[str, dict[str, Any]]]:
        h = (t - T0) / 3600
        for name, at, args in (
            ("start_job", 1.0, {"line": "L1", "product": "A500", "quantity": 9000}),
            ("raise_andon", 2.0, {"equipment": "CAPPER", "kind": "maintenance"}),
            ("ack_andon", 2.2, {"equipment": "CAPPER"}),
            ("end_job", 5.0, {"line": "L1"}),
            ("start_planned_stop", 9.0, {"line": "L1", "reason": "Meeting"}),
            ("end_planned_stop", 9.4, {"line": "L1"}),
            ("start_changeover", 15.0, {"equipment": "PACKER"}),
            ("end_changeover", 15.5, {"equipment": "PACKER"}),
            ("resolve_andon", 16.0, {"equipment": "CAPPER"}),
        ):
            if h >= at and name not in self.done:
                self.done.add(name)
                yield name, args
        # A reason given to, and a split of, a stop whose slices are already written.
        for name, at in (("set_reason", 7.0), ("split_stop", 12.0)):
            if h >= at and name not in self.done:
                for ev in engine.downtime_events("FILLER", t - 3 * 3600, t - 1800):
                    if ev.reason != "Communication loss" and ev.duration_s > 240:
                        self.done.add(name)
                        mid = ev.start + ev.duration_s / 2
                        args = {"equipment": "FILLER", "at": mid}
                        if name == "set_reason":
                            args["reason"] = "Material/Labels empty"
                        yield name, args
                        break


def feed(engine: Engine, store: Store, rows: list[Sample], commands: Commands) -> None:
    """As a station does: each sample journaled as the engine used it, a flush a second."""
    last = rows[0].ts
    for s in rows:
        if engine.now is not None and s.ts > engine.now and s.ts - last >= 1.0:
            # Between two seconds of samples, at the engine's time (a late sample counts at it),
            # as a replay runs a command after the samples of its second.
            last = prev = engine.now
            engine.tick(prev)
            for name, args in commands.due(engine, prev):
                try:
                    engine.command(name, args, prev, SUE)
                except CommandError as exc:
                    raise AssertionError(f"{name} {args}: {exc}") from None
                store.append_command(prev, SUE, name, args)
            store.maybe_flush(prev)
        store.append_sample(engine.ingest_one(s))


@pytest.fixture(scope="module")
def db(config: Config, rows: list[Sample], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slices") / "station.db"
    commands = Commands(set())
    with Store.open(path) as store:
        engine = Engine(config)
        store.attach(engine)
        feed(engine, store, rows, commands)
    assert len(commands.done) == 11, commands.done  # each command found its moment
    return path


def replayed(config: Config, db: Path, window: Window) -> Engine:
    with Store.open_read_only(db) as store:
        samples, actions = recorded(store)
    engine, rejected = run_engine(config, samples, window, actions)
    assert rejected == []
    return engine


def projected(config: Config, db: Path, window: Window) -> StoreFigures:
    with Store.open_read_only(db) as store:
        return StoreFigures(config, store.conn, window.start, window.end)


WINDOWS = [
    Window(T0, T0 + 19 * 3600),  # Early, Late and Night up to 01:00
    Window(T0 + 8 * 3600, T0 + 16 * 3600),  # the Late shift
    Window(T0 + 4 * 3600, T0 + 5 * 3600),  # the hour of Early's lunch break
    Window(T0 + 16 * 3600, T0 + 19 * 3600),  # Night, over midnight
    Window(T0 - 2 * 3600, T0 + 3600),  # from before the station's first sample: no data
]


@pytest.mark.parametrize("window", WINDOWS, ids=["three-shifts", "late", "lunch-hour", "midnight", "before"])
def test_the_report_from_the_slices_is_the_report_of_a_replay(
    config: Config, db: Path, window: Window
) -> None:
    engine = replayed(config, db, window)
    source = projected(config, db, window)
    from_slices = replay_result(source, window, [])
    from_replay = replay_result(engine, window, [])
    assert from_slices == from_replay
    assert window_report(config, source, window.start, window.end) == window_report(
        config, engine, window.start, window.end
    )


def test_the_day_has_what_the_slices_must_add_up(config: Config, db: Path) -> None:
    # Not a report of nothing: each kind of figure that is joined or added is there.
    window = WINDOWS[0]
    report = replay_result(projected(config, db, window), window, [])
    filler = report["equipment"]["FILLER"]
    assert filler["small_stop_count"] > 10
    assert filler["reject_count"] > 0
    assert filler["changeover_time_s"] > 0
    assert filler["comms_loss_time_s"] > 0
    assert filler["planned_stop_time_s"] > 0
    reasons = {ev["reason"] for ev in filler["downtime_events"]}
    assert "Material/Labels empty" in reasons  # the reason given after its slices were written
    (call,) = report["equipment"]["CAPPER"]["andon_events"]
    assert call["acknowledged_by"] == "sue" and call["resolved_by"] == "sue"


def test_a_window_off_the_slice_edges_or_not_closed_is_refused(config: Config, db: Path) -> None:
    source = projected(config, db, Window(T0, T0 + HOURS * 3600))
    with pytest.raises(NotProjected):
        source.metrics("FILLER", T0 + 600, T0 + 3600)
    with pytest.raises(NotProjected):
        source.metrics("FILLER", T0, T0 + HOURS * 3600)  # the last hour is not closed


def slices(path: Path) -> list[tuple[Any, ...]]:
    with Store.open_read_only(path) as store:
        return list(
            store.conn.execute('SELECT equipment, start, "end", body FROM figure_slices ORDER BY 1, 2')
        )


@pytest.mark.slow  # two more passes of the journal
@pytest.mark.parametrize("cut", [0.31, 0.77])
def test_a_crash_and_a_restart_neither_lose_nor_double_a_slice(
    config: Config, rows: list[Sample], db: Path, tmp_path: Path, cut: float
) -> None:
    path = tmp_path / "crashed.db"
    commands = Commands(set())
    k = round(len(rows) * cut)
    store = Store.open(path)
    engine = Engine(config)
    store.attach(engine)
    feed(engine, store, rows[:k], commands)
    # Killed: what was buffered since the last flush never reached the file.
    store._db.conn.close()
    with Store.open(path) as store:
        committed = sum(1 for _id, rec in store.journal() if isinstance(rec, Sample))
        resumed = rebuild(config, store)
        feed(resumed, store, rows[committed:], commands)
    assert slices(path) == slices(db)


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_a_slice_is_written_once_its_stops_and_gaps_are_known(config: Config, tmp_path: Path) -> None:
    # FILLER (ideal 0.5 s, small stops up to 120 s) makes 2 parts a second. It stops at 06:59 for
    # five minutes: when 07:00 closes the stop is 60 s old, a small stop so far, yet it is down.
    # Its link is lost 07:59:30-08:00:30 while running; the counter, back at 08:00:40, brings the
    # parts made meanwhile, more than the loss's 60 s of ideal time: the whole loss was run time,
    # 30 s of it before 08:00.
    path = tmp_path / "edges.db"
    with Store.open(path) as store:
        engine = Engine(config)
        store.attach(engine)
        total = 0
        for k in range(0, 2 * 3600 + 300):
            t = T0 + k
            running = not (59 * 60 <= k < 64 * 60)
            total += 2 if running else 0
            batch = [("running", float(running)), ("total_count", float(total))]
            for signal, value in batch:
                # The counter comes back ten seconds after the state.
                bad = 7170 <= k < (7230 if signal == "running" else 7240)
                s = Sample(t, "FILLER", signal, None if bad else value, Quality.BAD if bad else Quality.GOOD)
                store.append_sample(engine.ingest_one(s))
            engine.tick(t)
            store.maybe_flush(t)
    source = projected(config, path, Window(T0, T0 + 2 * 3600))
    first, second = source.metrics("FILLER", T0, T0 + 3600), source.metrics("FILLER", T0 + 3600, T0 + 7200)
    assert (first.down_time_s, first.small_stop_time_s, first.small_stop_count) == (60, 0, 0)
    assert (second.down_time_s, second.small_stop_time_s) == (240, 0)
    assert (second.inferred_run_time_s, second.comms_loss_time_s, second.running_time_s) == (30, 0, 3360)
    assert [(ev.start - T0, ev.end - T0) for ev in source.downtime_events("FILLER", T0, T0 + 7200)] == [
        (59 * 60, 64 * 60)
    ]
