"""`ms5 report` from a station's store equals `ms5 replay` of the journal the station recorded."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role, UserStore
from core.config import load_config
from core.export import recorded
from core.replay import Window, replay_result, run_engine
from core.samples import Quality, Sample
from core.store import Store
from core.store_exact import ExactFigures, PieceEngines
from hmi.station.runtime import Station

pytestmark = pytest.mark.slow  # runs ms5 as a process

ROOT = Path(__file__).resolve().parent.parent
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00


def ms5(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hmi.cli", *args], cwd=ROOT, capture_output=True, text=True)


def make_store(tmp_path: Path) -> tuple[Path, Path]:
    cfg_path = tmp_path / "line.toml"
    cfg_path.write_text((ROOT / "tests" / "data" / "reference.toml").read_text())
    db = tmp_path / "station.db"
    clock = [T0]
    station = Station(load_config(cfg_path), db, clock=lambda: clock[0])
    station.open()
    assert station.store is not None and station.gate is not None
    UserStore(station.store.conn).add("sam", Role.SUPERVISOR, "2468", T0)
    total = 0
    for second in range(0, 7200, 5):
        clock[0] = T0 + second + 0.25
        running = 0 if 1800 <= second < 2400 or second % 600 == 300 else 1
        total += 10 * running
        batch = [
            Sample(clock[0], "FILLER", "running", running),
            Sample(clock[0], "FILLER", "total_count", total % 65536),
            Sample(clock[0], "CAPPER", "state", 6 if running else 11),
        ]
        if second == 3000:
            batch.append(Sample(clock[0], "CAPPER", "state", None, Quality.BAD))
        station.ingest(batch)
        if second == 1900:
            asyncio.run(station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "maintenance"}))
        if second == 2000:
            asyncio.run(station.gate.run("ack_andon", {"equipment": "FILLER"}, user="sam", pin="2468"))
        if second == 2500:
            at = T0 + 2000
            asyncio.run(
                station.gate.run(
                    "set_reason",
                    {"equipment": "FILLER", "at": at, "reason": "Changeover/Format"},
                    user="sam",
                    pin="2468",
                )
            )
        station.tick()
    asyncio.run(station.stop())
    return cfg_path, db


def test_report_equals_replay_of_the_exported_journal(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    window = ("--from", "2026-03-02T06:00", "--to", "2026-03-02T07:00")
    report = ms5("report", str(cfg), "--db", str(db), "--json", *window)
    assert report.returncode == 0 and report.stderr == "", report.stderr
    from_store: dict[str, Any] = json.loads(report.stdout)
    journal, actions = tmp_path / "journal.csv", tmp_path / "actions.jsonl"
    exported = ms5("export-journal", "--db", str(db), "-o", str(journal), "--actions", str(actions))
    assert exported.returncode == 0, exported.stderr
    assert "3 commands" in exported.stdout
    replayed = ms5("replay", str(cfg), str(journal), "--actions", str(actions), "--json", *window)
    assert replayed.returncode == 0, replayed.stderr
    assert from_store == json.loads(replayed.stdout)
    # The whole journal's window (from 06:00:00.25 to 07:59:55.25, the open hour's tail from the
    # engine), from the slices and with --replay: the figures of `ms5 replay`.
    whole = json.loads(ms5("replay", str(cfg), str(journal), "--actions", str(actions), "--json").stdout)
    for how in ((), ("--replay",)):
        exact = ms5("report", str(cfg), "--db", str(db), "--json", *how)
        assert exact.returncode == 0 and exact.stderr == "", exact.stderr
        assert json.loads(exact.stdout) == whole
    # Edges off the hours: 06:10:07.5 to 07:43:20.75, the 07:00 slice's edge inside.
    odd = ("--from", "2026-03-02T06:10:07.5", "--to", "2026-03-02T07:43:20.75")
    exact = ms5("report", str(cfg), "--db", str(db), "--json", *odd)
    assert exact.returncode == 0 and exact.stderr == "", exact.stderr
    replayed = ms5("replay", str(cfg), str(journal), "--actions", str(actions), "--json", *odd)
    assert json.loads(exact.stdout) == json.loads(replayed.stdout)
    assert json.loads(exact.stdout)["equipment"]["FILLER"]["all_time_s"] == 5593.25
    filler = from_store["equipment"]["FILLER"]
    assert filler["down_time_s"] >= 600
    # The quarter second before the first sample is no data, the station's clock began at 06:00.
    first, stop = filler["downtime_events"][:2]
    assert (first["reason"], first["duration_s"]) == ("Communication loss", 0.25)
    assert stop["reason"] == "Changeover/Format"
    (call,) = filler["andon_events"]
    assert call["acknowledged_by"] == "sam"
    assert from_store["rejected_commands"] == []


def test_report_window_and_errors(tmp_path: Path) -> None:
    cfg, db = make_store(tmp_path)
    narrow = ms5(
        "report",
        str(cfg),
        "--db",
        str(db),
        "--json",
        "--from",
        "2026-03-02T06:00",
        "--to",
        "2026-03-02T07:00",
    )
    assert narrow.returncode == 0, narrow.stderr
    assert json.loads(narrow.stdout)["equipment"]["FILLER"]["all_time_s"] == 3600
    assert narrow.stderr == ""
    odd = ("--from", "2026-03-02T06:10", "--to", "2026-03-02T07:50")
    exact = ms5("report", str(cfg), "--db", str(db), "--json", *odd)
    assert exact.returncode == 0 and exact.stderr == "", exact.stderr
    assert json.loads(exact.stdout)["equipment"]["FILLER"]["all_time_s"] == 6000  # not rounded
    assert exact.stdout == ms5("report", str(cfg), "--db", str(db), "--json", "--replay", *odd).stdout
    # Inside the hour under way no slice is closed: the journal is replayed for it.
    unclosed = ("--from", "2026-03-02T07:10", "--to", "2026-03-02T07:50")
    recent = ms5("report", str(cfg), "--db", str(db), "--json", *unclosed)
    assert recent.returncode == 0 and recent.stderr == "", recent.stderr
    assert recent.stdout == ms5("report", str(cfg), "--db", str(db), "--json", "--replay", *unclosed).stdout
    assert json.loads(recent.stdout)["equipment"]["FILLER"]["all_time_s"] == 2400
    missing = ms5("report", str(cfg), "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2
    assert "no such database" in missing.stderr and "Traceback" not in missing.stderr


def test_a_piece_a_snapshot_holds_comes_from_it_with_the_figures_of_a_replay(tmp_path: Path) -> None:
    cfg_path, db = make_store(tmp_path)
    config = load_config(cfg_path)
    # 07:20:34.5 to 07:58:19.75: after the station's snapshot of 07:15:00.25, inside the open hour.
    window = Window(T0 + 3600 + 1234.5, T0 + 7200 - 100.25)
    with Store.open_read_only(db) as store:
        engines = PieceEngines(config, store, window.end, (window.start, window.end))
        got = replay_result(ExactFigures(config, store.conn, window.start, window.end, engines), window, [])
        samples, actions = recorded(store)
    assert engines.note == ["snapshot at journal row 2706"]  # not the whole journal
    engine, _rejected = run_engine(config, samples, window, actions)
    assert got == replay_result(engine, window, [])
    assert got["equipment"]["FILLER"]["all_time_s"] == window.end - window.start
