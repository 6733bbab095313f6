"""The snapshot format (core/engine_snapshot.py) and a restart's choice of snapshot (core/rebuild.py):
every field of the state is kept, a pruned state round-trips, and a damaged, unreadable or
foreign snapshot is skipped for an older one or a full replay, said in one line."""

from __future__ import annotations

import json
import sqlite3
import struct
import zlib
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import engine_snapshot
from core.andon import AndonCall
from core.auth import Role
from core.config import Config, ReasonCategory
from core.engine import Engine
from core.engine_snapshot import FORMAT_VERSION, SnapshotError, dump, load
from core.engine_state import EquipmentState, QualityWindow, Segment
from core.permissions import Actor
from core.rebuild import from_journal, rebuild
from core.samples import Quality, Sample
from core.store import Store

T0 = 1772427600.0  # Monday 2026-03-02 06:00 Berlin, the Early shift
SUE = Actor("sue", Role.SUPERVISOR)


def filler(dt: float, signal: str, value: float | None) -> Sample:
    return Sample(T0 + dt, "FILLER", signal, value, Quality.BAD if value is None else Quality.GOOD)


def busy_engine(config: Config, minutes: int = 30) -> Engine:
    """Runs, stops with a fault, a comms loss while running, a changeover, a job and a call."""
    engine = Engine(config)
    count = 65000
    for m in range(minutes):
        t = m * 60.0
        engine.ingest_one(filler(t, "running", 1.0))
        count = (count + 100) % 65536  # rolls over in the seventh minute
        engine.ingest_one(filler(t + 10, "total_count", count))
        engine.ingest_one(Sample(T0 + t, "CAPPER", "state", 6.0 if m % 4 else 2.0))
        if m % 7 == 3:
            engine.ingest_one(filler(t + 20, "fault_code", 101.0))
            engine.ingest_one(filler(t + 20, "running", 0.0))
        if m % 9 == 5:
            engine.ingest_one(filler(t + 30, "running", None))  # the link lost while running
            engine.ingest_one(filler(t + 30, "total_count", None))
        if m == 12:
            engine.command("start_changeover", {"equipment": "FILLER"}, T0 + t + 40, SUE)
            engine.command(
                "start_job",
                {"line": "L1", "product": "A500", "quantity": 500, "job": "J-7"},
                T0 + t + 41,
                SUE,
            )
        if m == 14:
            engine.command("end_changeover", {"equipment": "FILLER"}, T0 + t + 40, SUE)
            engine.command("raise_andon", {"equipment": "FILLER", "kind": "quality"}, T0 + t + 45, None)
        engine.ingest_one(filler(t + 50, "fault_code", 0.0))
    engine.tick(T0 + minutes * 60.0)
    return engine


# ---------------------------------------------------------------- the fields


def test_every_field_of_the_state_is_stored_or_given_by_the_config() -> None:
    # A field added to the engine's state and not to the format would be lost at every restart.
    names = {f.name for f in fields(EquipmentState)}
    assert engine_snapshot.CONFIG_FIELDS.isdisjoint(engine_snapshot.STORED_FIELDS)
    assert names == engine_snapshot.CONFIG_FIELDS | engine_snapshot.STORED_FIELDS
    assert {f.name for f in fields(Segment)} == {*engine_snapshot.SEGMENT_FIELDS, "continued_by"}
    assert {f.name for f in fields(QualityWindow)} == {"window", "parts", "rejects", "since_alert"}


def test_every_attribute_of_the_engine_and_the_board_is_stored_or_given(reference_config: Config) -> None:
    engine = Engine(reference_config)
    assert set(vars(engine)) == engine_snapshot.ENGINE_STORED | engine_snapshot.ENGINE_GIVEN
    # The board: its calls, next number, open calls and pending faults; the rest is a cache
    # (the due queue, rebuilt from the open calls) or given.
    assert set(vars(engine.andon)) == {
        "config",
        "bus",
        "_calls",
        "next_id",
        "_queue",
        "_pending_fault",
        "_open",
        "_due",
        "_due_valid",
        "_gaps",
    }
    assert "escalations" in {f.name for f in fields(AndonCall)}


def test_a_state_round_trips_to_the_same_bytes_and_goes_on_alike(reference_config: Config) -> None:
    engine = busy_engine(reference_config)
    body = dump(engine)
    again = load(reference_config, body)
    assert dump(again) == body
    later = [filler(1800 + 60 * i, "total_count", float(i * 50)) for i in range(10)]
    for e in (engine, again):
        e.ingest(later)
        e.tick(T0 + 2500)
    for eq in engine.equipment_ids:
        assert again.metrics(eq, T0, T0 + 2500) == engine.metrics(eq, T0, T0 + 2500)
        assert again.downtime_events(eq, T0, T0 + 2500) == engine.downtime_events(eq, T0, T0 + 2500)
        assert again.timeline(eq, T0, T0 + 2500) == engine.timeline(eq, T0, T0 + 2500)
    assert [c.to_dict() for c in again.andon.calls] == [c.to_dict() for c in engine.andon.calls]
    assert again.jobs == engine.jobs


def test_a_pruned_state_round_trips_as_it_is(reference_config: Config) -> None:
    # What a bounded-memory engine does: drop the oldest segments and buckets; a stop continued
    # across a comms loss may then point at a segment no longer in the list.
    engine = busy_engine(reference_config)
    st_ = engine._eq["FILLER"]
    cut = len(st_.segments) // 2
    del st_.segments[:cut], st_.seg_starts[:cut]
    del st_.bucket_keys[:10], st_.counts[: 10 * 9]
    st_.bucket = len(st_.counts) - 9
    st_.segments[-1].continued_by = Segment(T0 + 9999, 1, down_at=T0 + 10100)
    body = dump(engine)
    again = load(reference_config, body)
    assert dump(again) == body
    assert len(again._eq["FILLER"].segments) == len(st_.segments)
    assert again._eq["FILLER"].segments[-1].continued_by == st_.segments[-1].continued_by


def test_a_state_after_clock_steps_restores_the_gaps_they_left(reference_config: Config) -> None:
    # A step forward leaves a gap that no figure counts and that delays (a stop's threshold, an
    # Andon escalation) are pushed past; a restart from a snapshot must leave the same time out.
    engine = busy_engine(reference_config, 10)
    engine.clock_step(T0 + 600, 3600.0)
    engine.ingest_one(filler(4300, "running", 0.0))
    engine.clock_step(T0 + 4400, -10.0)
    body = dump(engine)
    again = load(reference_config, body)
    assert dump(again) == body
    assert again.clock_gaps == engine.clock_gaps and again.clock_gaps
    assert again.clock_steps == engine.clock_steps == [(T0 + 600, 3600.0), (T0 + 4400, -10.0)]
    assert again.andon._gaps == engine.andon._gaps and again.andon._gaps
    for e in (engine, again):
        e.ingest_one(filler(4500, "running", 1.0))
        e.tick(T0 + 4600)
    for eq in engine.equipment_ids:
        assert again.metrics(eq, T0, T0 + 4600) == engine.metrics(eq, T0, T0 + 4600)
        assert again.downtime_events(eq, T0, T0 + 4600) == engine.downtime_events(eq, T0, T0 + 4600)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(minutes=st.integers(1, 40), cut=st.integers(0, 3000))
def test_any_moment_of_a_busy_run_round_trips(reference_config: Config, minutes: int, cut: int) -> None:
    engine = busy_engine(reference_config, minutes)
    engine.tick(T0 + minutes * 60 + cut)
    body = dump(engine)
    assert dump(load(reference_config, body)) == body


# ---------------------------------------------------------------- refusals


def another_config(config: Config) -> Config:
    return config.model_copy(update={"reasons": {**config.reasons, "New": ReasonCategory.PLANNED}})


def test_a_snapshot_of_another_config_or_format_or_junk_is_refused(reference_config: Config) -> None:
    body = dump(busy_engine(reference_config, 5))
    other = reference_config.model_copy(
        update={"reasons": {**reference_config.reasons, "New": ReasonCategory.PLANNED}}
    )
    with pytest.raises(SnapshotError, match="another config"):
        load(other, body)
    raw = zlib.decompress(body)
    newer = zlib.compress(struct.pack("<4sII", b"MS5S", 99, 0) + raw[12:])
    with pytest.raises(SnapshotError, match="format version 99"):
        load(reference_config, newer)
    with pytest.raises(SnapshotError, match="truncated"):
        load(reference_config, body[:-20])
    # JSON that is not ours (a hostile body with a right header) fails to load and runs nothing.
    doc = json.dumps({"config": engine_snapshot.config_fingerprint(reference_config)}).encode()
    with pytest.raises(SnapshotError, match="unreadable"):
        load(reference_config, zlib.compress(struct.pack("<4sII", b"MS5S", FORMAT_VERSION, len(doc)) + doc))
    # A snapshot of version 1 numbered calls by their place on a board that held every call.
    older = zlib.compress(struct.pack("<4sII", b"MS5S", 1, 0) + raw[12:])
    with pytest.raises(SnapshotError, match="format version 1, this station reads 2"):
        load(reference_config, older)
    with pytest.raises(SnapshotError, match=r"too large|truncated"):
        load(reference_config, zlib.compress(b"\0" * (1 << 20))[:100])


def _station(path: Path, config: Config, minutes: int, snapshot_every: int) -> list[int]:
    """A store fed a busy run, a snapshot every `snapshot_every` minutes; their journal ids."""
    ids = []
    with Store.open(path) as store:
        engine = Engine(config)
        store.attach(engine)
        for m in range(minutes):
            for s in [filler(m * 60.0, "running", 1.0), filler(m * 60.0 + 10, "total_count", m * 100.0)]:
                store.append_sample(engine.ingest_one(s))
            if m % 7 == 3:
                store.append_sample(engine.ingest_one(filler(m * 60.0 + 20, "running", 0.0)))
            engine.tick(T0 + m * 60.0 + 30)
            if m % snapshot_every == snapshot_every - 1:
                ids.append(store.write_snapshot(engine, keep=10))
    return ids


def _damage(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql)
    conn.close()


NUL_SUM = engine_snapshot.checksum(b"\0")


def _figures(engine: Engine) -> object:
    return engine.metrics("FILLER", T0, T0 + 3600).to_dict(), engine.downtime_events("FILLER", T0, T0 + 3600)


def test_a_damaged_snapshot_is_skipped_for_the_one_before_and_said(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    ids = _station(path, reference_config, 30, 10)
    with Store.open(path) as store:
        full = _figures(from_journal(reference_config, store, snapshots=False))
    # A flipped byte in the newest body: its checksum tells.
    _damage(path, f"UPDATE snapshots SET body = zeroblob(5) || substr(body, 6) WHERE journal_id = {ids[-1]}")
    with Store.open(path) as store:
        engine = rebuild(reference_config, store)
        assert _figures(engine) == full
        assert (
            store.restart_note
            == f"restart: the snapshot at journal row {ids[-2]} + {store.last_id - ids[-2]} journal rows"
        )
        assert store.restart_trouble == (
            f"snapshot #3 (journal row {ids[-1]}) skipped: damaged (checksum): restarted from the "
            f"snapshot at journal row {ids[-2]} + {store.last_id - ids[-2]} journal rows"
        )
    # Another format version, and a body whose checksum fits but is not a snapshot.
    _damage(path, f"UPDATE snapshots SET version = 7 WHERE journal_id = {ids[-2]}")
    _damage(
        path,
        f"UPDATE snapshots SET body = x'00', checksum = '{NUL_SUM}' WHERE journal_id = {ids[0]}",
    )
    with Store.open(path) as store:
        engine = rebuild(reference_config, store)
        assert _figures(engine) == full
        trouble = store.restart_trouble or ""
        assert "damaged (checksum)" in trouble and "format version 7, this station reads 2" in trouble
        assert "the body is truncated or too large" in trouble
        assert trouble.endswith(f"restarted from a full replay of the journal + {store.last_id} journal rows")


def test_a_snapshot_of_another_config_means_a_full_replay_without_a_complaint(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    _station(path, reference_config, 12, 5)
    changed = reference_config.model_copy(
        update={"reasons": {**reference_config.reasons, "New": ReasonCategory.PLANNED}}
    )
    with Store.open(path) as store:
        rebuild(changed, store)
        assert store.restart_note == f"restart: a full replay of the journal + {store.last_id} journal rows"
        assert store.restart_trouble is None


def test_only_the_newest_few_snapshots_are_kept_and_progress_is_reported(
    tmp_path: Path, reference_config: Config
) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        engine = Engine(reference_config)
        store.attach(engine)
        for m in range(6):
            store.append_sample(engine.ingest_one(filler(m * 60.0, "total_count", m * 10.0)))
            store.write_snapshot(engine)
        assert [r[0] for r in store.conn.execute("SELECT journal_id FROM snapshots ORDER BY id")] == [
            3,
            4,
            5,
            6,
        ]
        for m in range(6, 9):
            store.append_sample(engine.ingest_one(filler(m * 60.0, "total_count", m * 10.0)))
    calls: list[tuple[int, int]] = []
    with Store.open(path) as store:
        rebuild(reference_config, store, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
