"""A database that lost its tail is told by the anchor beside it: `ms5 audit verify` names the rows
missing, and a station started on it says so in one line and on every face."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from core.audit import row_hash
from core.auth import Role, UserStore
from core.config import load_config
from core.samples import Sample
from hmi.station.runtime import Station
from hmi.station.views import health_view
from tests.cli_runs import run_in_process

ROOT = Path(__file__).resolve().parent.parent
T0 = 1772427600.0


def running_station(folder: Path) -> tuple[Station, list[float]]:
    cfg = load_config(ROOT / "tests" / "data" / "reference.toml")
    clock = [T0]
    station = Station(cfg, folder / "station.db", clock=lambda: clock[0])
    station.open()
    assert station.store is not None
    users = UserStore(station.store.conn)
    if users.get("sam") is None:
        users.add("sam", Role.SUPERVISOR, "2468", T0)
    return station, clock


def feed(station: Station, clock: list[float], seconds: range) -> None:
    for s in seconds:
        clock[0] = T0 + s
        station.ingest(
            [Sample(clock[0], "FILLER", "running", 1), Sample(clock[0], "FILLER", "total_count", s)]
        )
        station.tick()


def audit_verify(db: Path) -> tuple[int, list[str]]:
    out = run_in_process("audit", "verify", "--db", str(db))
    assert out.stderr == ""
    return out.returncode, out.stdout.splitlines()


def lose_the_wal(tmp_path: Path) -> Path:
    """A station that committed an acknowledgement, then lost its WAL file (the main file as it is
    on disk while the station runs: everything since the last checkpoint is in the WAL)."""
    station, clock = running_station(tmp_path / "live")
    assert station.gate is not None and station.store is not None
    feed(station, clock, range(0, 30))
    station.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds all this
    feed(station, clock, range(30, 40))
    asyncio.run(station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}))
    asyncio.run(station.gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2468"))
    feed(station, clock, range(40, 45))
    copy = tmp_path / "lost"
    copy.mkdir(mode=0o700)
    for name in ("station.db", "station.db.anchor"):
        shutil.copy(tmp_path / "live" / name, copy / name)
    asyncio.run(station.stop())
    return copy / "station.db"


def test_audit_verify_names_the_rows_a_lost_wal_took(tmp_path: Path) -> None:
    db = lose_the_wal(tmp_path)
    conn = sqlite3.connect(db)
    (journal_kept,) = conn.execute("SELECT max(id) FROM journal").fetchone()
    conn.close()

    code, lines = audit_verify(db)

    assert code == 1
    assert lines[0] == "audit chain holds (0 rows)"  # what the file alone says: it holds
    assert lines[1].startswith(
        f"the database lost its tail: audit rows 1–2 and journal rows {journal_kept + 1}–"
    )
    assert lines[1].endswith(" missing (the anchor saw them committed)")


def test_a_station_started_on_it_says_so_and_keeps_the_loss_on_record(tmp_path: Path) -> None:
    db = lose_the_wal(tmp_path)
    code, before = audit_verify(db)
    loss = (
        before[1]
        .removeprefix("the database lost its tail: ")
        .removesuffix(" (the anchor saw them committed)")
    )

    station, _clock = running_station(db.parent)

    said = [n for n in station.notes if "lost its tail" in n]
    assert len(said) == 1
    assert said[0] == (
        f"the database lost its tail: {loss} (anchor {db}.anchor); restore from a backup or the "
        "exported journal; `ms5 audit verify` names the rows"
    )
    assert health_view(station)["store_loss"] == said[0]
    # Working on: a new command, and the chain and the anchor agree from here on, but the loss
    # stays on record.
    assert station.gate is not None
    asyncio.run(station.gate.run("raise_andon", {"equipment": "CAPPER", "kind": "quality"}))
    asyncio.run(station.stop())
    code, after = audit_verify(db)
    assert code == 1
    # The loss is audited too (the trail every face lists), before the new command.
    assert after[:2] == [
        "audit chain holds (2 rows)",
        "the anchor agrees (audit row 2, journal row " + after[1].split("journal row ")[1],
    ]
    assert after[2].startswith("the anchor records a loss found 2026-03-02T")
    assert after[2].endswith(f": {loss}")
    shown = run_in_process("audit", "show", "--db", str(db)).stdout.splitlines()
    assert shown[0].endswith(f" - store_loss station.db: found — {loss}")
    assert "raise_andon" in shown[1]
    # A second start finds nothing new to say.
    again, _clock = running_station(db.parent)
    assert again.notes == [] and health_view(again)["store_loss"] is None
    asyncio.run(again.stop())


def test_an_anchor_behind_the_database_or_torn_by_a_crash_is_no_loss(tmp_path: Path) -> None:
    station, _clock = running_station(tmp_path / "data")
    assert station.gate is not None
    for kind in ("maintenance", "quality", "material"):
        asyncio.run(station.gate.run("raise_andon", {"equipment": "FILLER", "kind": kind}))
    asyncio.run(station.stop())
    db = tmp_path / "data" / "station.db"
    anchor = db.with_name("station.db.anchor")
    lines = anchor.read_text().splitlines(keepends=True)
    assert len(lines) == 3
    # Killed between SQLite's commit and the anchor's write: the last line never came...
    anchor.write_text("".join(lines[:2]))
    assert audit_verify(db)[0] == 0
    # ... or came half-way.
    anchor.write_text("".join(lines[:2]) + lines[2][:30])
    code, out = audit_verify(db)
    assert (code, out[1]) == (
        0,
        "the anchor agrees (audit row 2, journal row " + out[1].split("journal row ")[1],
    )
    # The next line starts on a line of its own.
    station, _clock = running_station(tmp_path / "data")
    assert station.gate is not None
    asyncio.run(station.gate.run("raise_andon", {"equipment": "CAPPER", "kind": "maintenance"}))
    asyncio.run(station.stop())
    code, out = audit_verify(db)
    assert code == 0 and out[1].startswith("the anchor agrees (audit row 4, ")


def test_a_rewritten_chain_that_verifies_on_its_own_is_caught_by_the_anchor(tmp_path: Path) -> None:
    station, _clock = running_station(tmp_path / "data")
    assert station.gate is not None
    asyncio.run(station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}))
    asyncio.run(station.stop())
    db = tmp_path / "data" / "station.db"
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT id, ts, user, role, command, target, result, prev_hash FROM audit").fetchone()
    forged = row_hash(row[7], row[0], row[1], row[2], row[3], row[4], row[5], row[6], "nothing happened")
    conn.execute("UPDATE audit SET detail = 'nothing happened', hash = ? WHERE id = 1", (forged,))
    conn.commit()
    conn.close()
    code, lines = audit_verify(db)
    assert code == 1
    assert lines == [
        "audit chain holds (1 rows)",
        "the audit trail was rewritten: audit row 1 differs from the one the anchor saw",
    ]
