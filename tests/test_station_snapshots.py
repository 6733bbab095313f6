"""The station snapshots its engine on schedule (every `[store] snapshot_every_min` of engine time,
at a shift's end, at a clean stop), restarts from the newest, and says in one line, on the health
view too, when it had to skip a damaged one (docs/STORE.md, "Snapshots")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.config import parse_config
from core.samples import Sample
from hmi.station.runtime import Station
from hmi.station.views import health_view

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
T = 1772455200.0  # Monday 2026-03-02 13:40 Berlin; the Early shift ends at 14:00 (T + 20 min)


def station(db: Path, clock: list[float]) -> Station:
    config = parse_config(REFERENCE.read_text() + "\n[store]\nsnapshot_every_min = 7\n", REFERENCE)
    st = Station(config, db, clock=lambda: clock[0])
    st.open()
    return st


def run(st: Station, clock: list[float], seconds: range) -> None:
    for s in seconds:
        clock[0] = T + s
        st.ingest([Sample(clock[0], "FILLER", "running", 1), Sample(clock[0], "FILLER", "total_count", s)])
        st.tick()


def snapshot_minutes(db: Path) -> list[float]:
    conn = sqlite3.connect(db)
    try:
        return [(ts - T) / 60 for (ts,) in conn.execute("SELECT ts FROM snapshots ORDER BY id")]
    finally:
        conn.close()


def test_snapshots_on_whole_multiples_at_the_shift_end_and_at_a_stop_and_a_restart_reads_the_newest(
    tmp_path: Path,
) -> None:
    db, clock = tmp_path / "station.db", [T]
    st = station(db, clock)
    run(st, clock, range(0, 22 * 60 + 1, 10))
    # Multiples of 7 minutes since the epoch fall at 13:44, 13:51, 13:58 here; the shift ends at 14:00.
    assert snapshot_minutes(db) == [4.0, 11.0, 18.0, 20.0]
    run(st, clock, range(22 * 60 + 10, 40 * 60 + 1, 10))
    assert st.store is not None and st.engine is not None
    last = st.store.last_id
    st._close()
    # The four newest are kept: 14:05, 14:12, 14:19, and the clean stop's at 14:20.
    assert snapshot_minutes(db) == [25.0, 32.0, 39.0, 40.0]

    again = station(db, clock)
    assert again.store is not None
    assert again.store.restart_note == f"restart: the snapshot at journal row {last} + 0 journal rows"
    assert again.notes == [] and health_view(again)["store_notes"] == []
    again._close()


def test_a_damaged_newest_snapshot_is_said_in_one_line_on_the_health_view(tmp_path: Path) -> None:
    db, clock = tmp_path / "station.db", [T]
    st = station(db, clock)
    run(st, clock, range(0, 12 * 60 + 1, 10))
    st._close()
    conn = sqlite3.connect(db)
    with conn:
        (sid, jid) = conn.execute("SELECT id, journal_id FROM snapshots ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute("UPDATE snapshots SET checksum = 'x' || substr(checksum, 2) WHERE id = ?", (sid,))
        (older,) = conn.execute("SELECT journal_id FROM snapshots WHERE id = ?", (sid - 1,)).fetchone()
    conn.close()
    again = station(db, clock)
    assert again.store is not None
    line = (
        f"snapshot #{sid} (journal row {jid}) skipped: damaged (checksum): restarted from the "
        f"snapshot at journal row {older} + {jid - older} journal rows"
    )
    assert again.notes == [line]
    assert health_view(again)["store_notes"] == [line]
    # The restart is what the damaged snapshot held: the same parts.
    assert again.engine is not None
    assert again.engine.metrics("FILLER", T, T + 13 * 60).total_count == 12 * 60
    again._close()
