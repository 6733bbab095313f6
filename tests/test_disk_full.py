"""A station whose database cannot be written: a full disk and a read-only one.

The full disk is real where the tests may mount one (root: a 8 MB tmpfs filled with a file), and
always also SQLite's own size limit (`PRAGMA max_page_count`), which answers with the very error a
full disk gives (SQLITE_FULL), so the test runs for any user. Read-only is `PRAGMA query_only`:
SQLite then refuses every write with SQLITE_READONLY, the error of a read-only file. (Root ignores
file permissions, and a tmpfs cannot be remounted read-only while the station holds the file
open, so neither chmod nor a remount can stand in here.)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path

import pytest

from core.audit import AuditLog
from core.auth import Role, UserStore
from core.config import Config, parse_config
from core.engine import Engine
from core.gate import GateError
from core.rebuild import rebuild
from core.samples import Sample
from core.store import Store
from hmi.station.runtime import Station
from hmi.station.views import health_view

ROOT = Path(__file__).resolve().parent.parent
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00, inside the early shift
STEP = 0.1  # the PLC is polled every 100 ms


def _tmpfs_works() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/ms5-tmpfs-probe-{uuid.uuid4().hex}")
    probe.mkdir()
    try:
        ok = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True
        )
        if ok.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=True)
        return True
    finally:
        probe.rmdir()


DISKS = ["sqlite-size-limit"] + (["tmpfs"] if _tmpfs_works() else [])


class Disk:
    """Where the station's file lives, and a way to fill it and to free it again."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.folder = folder
        self.store: Store | None = None

    def fill(self) -> None:
        if self.kind == "tmpfs":
            # Unbuffered: a buffered file would keep the last partial chunk and raise ENOSPC again
            # when closed, depending on how the free space happens to divide into chunks.
            with open(self.folder / "filler", "wb", buffering=0) as f:
                chunk = b"\0" * 65536
                with contextlib.suppress(OSError):
                    while True:
                        f.write(chunk)
                        f.flush()
            return
        assert self.store is not None
        pages = self.store.conn.execute("PRAGMA page_count").fetchone()[0]
        self.store.conn.execute(f"PRAGMA max_page_count = {pages}")

    def free(self) -> None:
        if self.kind == "tmpfs":
            (self.folder / "filler").unlink()
            return
        assert self.store is not None
        self.store.conn.execute("PRAGMA max_page_count = 1073741823")


@pytest.fixture(params=DISKS)
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    if request.param == "tmpfs":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], check=True)
    try:
        yield Disk(request.param, folder)
    finally:
        if request.param == "tmpfs":
            subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def config() -> Config:
    return parse_config((ROOT / "tests" / "data" / "reference.toml").read_text(), Path("reference.toml"))


class Line:
    """A filler making a part every 0.5 s, polled every 100 ms into a station on a manual clock."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self.t = T0
        self.parts = 0
        self.running = True
        self.next_tick = T0
        self.served: dict[str, float] = {}

    def clock(self) -> float:
        return self.t

    def run(self, seconds: float) -> None:
        end = self.t + seconds
        while self.t < end - 1e-9:
            self.t = round(self.t + STEP, 6)
            if self.running and round((self.t - T0) / STEP) % 5 == 0:
                self.parts += 1
            # Like a connection runner: only what changed since the last poll.
            values = {"running": 1.0 if self.running else 0.0, "total_count": float(self.parts % 65536)}
            changed = [k for k, v in values.items() if self.served.get(k) != v]
            self.served.update(values)
            self.station.ingest([Sample(self.t, "FILLER", k, values[k]) for k in changed])
            if self.t >= self.next_tick:
                self.station.tick()
                self.next_tick = self.t + 0.5


def open_station(config: Config, db: Path) -> tuple[Station, Line]:
    holder: list[Line] = []
    station = Station(config, db, clock=lambda: holder[0].clock())
    line = Line(station)
    holder.append(line)
    station.open()
    return station, line


def engine_state(engine: Engine) -> dict[str, object]:
    """All a command can change: every equipment's status and state segments, the downtime
    events, the jobs and the Andon calls. (Segments are read from the engine's insides: a copy of
    the engine that shared one of them with the live engine would change it without a trace in
    `status`.)"""
    everything = (T0 - 3600, T0 + 86400)
    return {
        "status": {eq: engine.status(eq) for eq in engine.equipment_ids},
        "segments": {eq: [astuple(seg) for seg in st.segments] for eq, st in engine._eq.items()},
        "downtime_events": {eq: engine.downtime_events(eq, *everything) for eq in engine.equipment_ids},
        "jobs": dict(engine.jobs),
        "andon_calls": [c.to_dict() for c in engine.andon.calls],
    }


def total(station: Station) -> int:
    assert station.engine is not None
    return station.engine.metrics("FILLER", T0 - 60, T0 + 86400).total_count


def test_a_full_disk_is_said_loudly_counting_goes_on_and_writing_resumes_when_space_returns(
    disk: Disk, config: Config
) -> None:
    db = disk.folder / "station.db"
    station, line = open_station(config, db)
    assert station.store is not None
    disk.store = station.store
    station.store.backlog_max = 50  # a small bound, to see it hold within minutes
    line.run(60)
    assert station.store_error is None
    before = total(station)

    disk.fill()
    line.run(240)
    health = health_view(station)
    assert station.store_error is not None
    assert station.store_error.startswith("database not writable: disk full")
    assert "counting goes on in memory" in station.store_error
    assert health["store_error"] == station.store_error
    # The engine kept counting: four minutes at two parts a second (the counter reaches it once a
    # second, so the parts of the running second may be still to come).
    assert line.parts - 2 <= total(station) <= line.parts
    assert total(station) > before + 400
    # The backlog is bounded, and what was dropped is counted and said.
    assert station.store.pending <= 50
    dropped = health["store_samples_not_kept"]
    assert dropped > 0
    assert f"{dropped} samples not kept" in station.store_error
    assert health["store_backlog"] == station.store.pending

    disk.free()
    line.run(30)
    assert station.store_error is None
    assert health_view(station)["store_backlog"] <= 2  # written again, one second at a time
    asyncio.run(station.stop())  # what the counters still held reaches the engine and the file
    assert station.engine is not None
    live = station.engine.metrics("FILLER", T0 - 60, line.t + 1).to_dict()

    with Store.open(db) as store:
        rebuilt = rebuild(config, store).metrics("FILLER", T0 - 60, line.t + 1).to_dict()
        journaled = store.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    # Only counter rows with a later row of the same counter were dropped: counts are
    # cumulative, so the rebuild counts the same parts and the same running time.
    assert rebuilt["total_count"] == live["total_count"] == line.parts
    assert rebuilt["run_time_s"] == live["run_time_s"]
    # The rows missing are exactly those reported as not kept: the same run on a roomy disk.
    roomy, roomy_line = open_station(config, disk.folder.parent / "roomy.db")
    roomy_line.run(330)
    asyncio.run(roomy.stop())
    with Store.open(disk.folder.parent / "roomy.db") as store:
        assert store.conn.execute("SELECT count(*) FROM journal").fetchone()[0] == journaled + dropped


def _users(store: Store) -> None:
    UserStore(store.conn).add("sam", Role.SUPERVISOR, "2222", T0)


def test_a_command_while_the_disk_is_full_is_refused_and_changes_nothing(disk: Disk, config: Config) -> None:
    db = disk.folder / "station.db"
    station, line = open_station(config, db)
    assert station.store is not None and station.gate is not None and station.engine is not None
    disk.store = station.store
    _users(station.store)
    line.run(5)
    station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
    line.run(5)
    disk.fill()
    # Free room inside the file's last pages (or the WAL) takes a little more before it fails.
    for _ in range(600):
        if station.store_error is not None:
            break
        line.run(1)
    assert station.store_error is not None
    before = engine_state(station.engine)

    with pytest.raises(GateError, match=r"^not recorded: disk full; nothing was changed$") as ack:
        station.gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2222")
    assert not ack.value.refused
    with pytest.raises(GateError, match="not recorded: disk full"):
        station.gate.run("raise_andon", {"equipment": "CAPPER", "kind": "quality"})
    with pytest.raises(GateError, match="not recorded: disk full"):
        station.gate.run("start_changeover", {"equipment": "FILLER"}, user="sam", pin="2222")
    with pytest.raises(GateError, match="not recorded: disk full"):
        station.gate.run("start_planned_stop", {"line": "L1", "reason": "Meeting"}, user="sam", pin="2222")
    assert engine_state(station.engine) == before
    # A refusal is still a refusal: it changes nothing, so it stands without its audit row.
    with pytest.raises(GateError, match="needs a login"):
        station.gate.run("start_changeover", {"equipment": "FILLER"})
    with pytest.raises(GateError, match="no changeover is open"):
        station.gate.run("end_changeover", {"equipment": "FILLER"}, user="sam", pin="2222")
    assert engine_state(station.engine) == before

    disk.free()
    line.run(2)
    assert (
        station.gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2222")
        == "call #1 acknowledged"
    )
    asyncio.run(station.stop())
    with Store.open(db) as store:
        engine = rebuild(config, store)
        assert [(c.id, c.equipment, c.acknowledged_by) for c in engine.andon.calls] == [(1, "FILLER", "sam")]
        audit = AuditLog(store.conn)
        assert [(r.command, r.result) for r in audit.rows() if r.result == "ok"] == [
            ("raise_andon", "ok"),
            ("ack_andon", "ok"),
        ]
        assert audit.verify() is None


def test_a_read_only_database_is_said_and_writing_resumes_when_it_is_writable_again(
    tmp_path: Path, config: Config
) -> None:
    db = tmp_path / "station.db"
    station, line = open_station(config, db)
    assert station.store is not None and station.gate is not None
    line.run(10)
    station.store.conn.execute("PRAGMA query_only = 1")
    line.run(10)
    assert station.store_error is not None
    assert station.store_error.startswith("database not writable: read-only")
    assert health_view(station)["store_error"] == station.store_error
    with pytest.raises(GateError, match="not recorded: read-only"):
        station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
    assert station.engine is not None and station.engine.andon.calls == []
    station.store.conn.execute("PRAGMA query_only = 0")
    line.run(2)
    assert station.store_error is None
    asyncio.run(station.stop())
    with Store.open(db) as store:
        assert rebuild(config, store).metrics("FILLER", T0 - 60, line.t + 1).total_count == line.parts


def test_the_error_names_of_sqlite_become_words_an_operator_knows() -> None:
    from core.store import write_failure

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.Error) as exc:
        conn.execute("INSERT INTO t VALUES (1)")
    assert write_failure(exc.value) == "read-only"
    assert errno.ENOSPC  # the tmpfs disk above fails with ENOSPC, which SQLite reports as SQLITE_FULL
