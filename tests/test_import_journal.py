"""`ms5 import-journal`: a recorded journal written into a store as if the station had recorded it.
`ms5 report` over the store then gives the figures of `ms5 replay` of the files; a journal that
overlaps the store, or a bad row, is refused in one line with nothing written; two halves
imported one after the other make the store one import of the whole makes."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from core.config import load_config
from core.journal_import import import_journal
from core.rebuild import from_journal, whole_journal
from core.store import Store
from hmi.cli.import_journal import BAR_AFTER_S, ProgressBar
from hmi.paths import socket_path
from hmi.socket.server import StationServer
from hmi.station.runtime import Station
from scripts import bench_year
from tests.cli_runs import Outcome, run_in_process
from tests.test_replay_actions import ACTIONS, DATA, EXTRA

# The reference line's shift, with a fault, its maintenance call and what the people did.
JOURNAL = """ts,equipment,signal,value
2026-03-02T06:00:00+01:00,FILLER,running,1
2026-03-02T06:00:00+01:00,FILLER,total_count,0
2026-03-02T06:30:00+01:00,FILLER,running,0
2026-03-02T06:30:00+01:00,FILLER,fault_code,101
2026-03-02T06:45:00+01:00,FILLER,running,1
2026-03-02T06:45:00+01:00,FILLER,fault_code,0
2026-03-02T07:00:00+01:00,FILLER,total_count,5000
2026-03-02T07:30:00+01:00,FILLER,running,0
2026-03-02T07:40:00+01:00,FILLER,running,1
2026-03-02T08:00:00+01:00,FILLER,total_count,9000
"""
SPLIT_AT = 7  # journal rows in the first half: up to 07:00, the actions all before it

WINDOW = ("--from", "2026-03-02T06:00:00+01:00", "--to", "2026-03-02T08:00:00+01:00", "--json")


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    cfg = tmp_path / "line.toml"
    cfg.write_text((DATA / "reference.toml").read_text() + EXTRA)
    journal = tmp_path / "journal.csv"
    journal.write_text(JOURNAL)
    actions = tmp_path / "actions.jsonl"
    actions.write_text("".join(json.dumps(a) + "\n" for a in ACTIONS))
    return cfg, journal, actions


def _import(cfg: Path, journal: Path, db: Path, actions: Path | None = None) -> Outcome:
    more = ("--actions", str(actions)) if actions else ()
    return run_in_process("import-journal", str(cfg), str(journal), *more, "--db", str(db))


def _json(outcome: Outcome) -> dict[str, Any]:
    assert outcome.returncode == 0, outcome.stderr
    result: dict[str, Any] = json.loads(outcome.stdout)
    return result


def _rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(f"SELECT * FROM {table} ORDER BY 1"))
    finally:
        conn.close()


def test_report_over_an_imported_store_gives_the_replays_figures(tmp_path: Path) -> None:
    cfg, journal, actions = _files(tmp_path)
    db = tmp_path / "station.db"
    done = _import(cfg, journal, db, actions)
    assert done.returncode == 0, done.stderr
    # Three of the commands were refused when given (olga may not ack an escalated call nor
    # change a reason, mallory is nobody): a station journals none of them; said and left out.
    assert done.stdout.strip() == (
        f"10 samples and 5 commands imported into {db} (new store); 3 commands refused as the "
        "station would have (line 4: olga (operator) may ack_andon only on level-1 calls)"
    )
    # The store's journal replayed (--replay: the exact window), and its figure slices over the
    # hour they have closed (the last hour's stop is still open at the journal's end).
    report = _json(run_in_process("report", str(cfg), "--db", str(db), "--replay", *WINDOW))
    replay = _json(run_in_process("replay", str(cfg), str(journal), "--actions", str(actions), *WINDOW))
    assert [r["line"] for r in replay.pop("rejected_commands")] == [4, 7, 8]
    assert report.pop("rejected_commands") == []
    assert report == replay
    hour = ("--from", "2026-03-02T06:00:00+01:00", "--to", "2026-03-02T07:00:00+01:00", "--json")
    sliced = _json(run_in_process("report", str(cfg), "--db", str(db), *hour))
    replayed = _json(run_in_process("replay", str(cfg), str(journal), "--actions", str(actions), *hour))
    replayed.pop("rejected_commands")
    sliced.pop("rejected_commands")
    assert sliced == replayed and sliced["equipment"]
    assert report["equipment"]  # figures there are, not two empty objects
    # Projections as a station writes them: the fault's stop, the calls.
    assert _rows(db, "downtime_events")
    assert _rows(db, "andon_events")
    assert _rows(db, "minute_counts") and _rows(db, "state_intervals")


def test_a_journal_that_overlaps_the_store_is_refused_and_nothing_written(tmp_path: Path) -> None:
    cfg, journal, actions = _files(tmp_path)
    db = tmp_path / "station.db"
    assert _import(cfg, journal, db, actions).returncode == 0
    before = _rows(db, "journal"), _rows(db, "downtime_events")
    again = _import(cfg, journal, db, actions)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1
    assert "before the store's last row (2026-03-02T07:00:00+00:00)" in again.stderr
    assert (_rows(db, "journal"), _rows(db, "downtime_events")) == before


def test_a_bad_row_is_refused_with_its_line_and_nothing_written(tmp_path: Path) -> None:
    cfg, journal, _actions = _files(tmp_path)
    lines = JOURNAL.splitlines()
    lines[5] = "2026-03-02T06:45:00+01:00,FILLER,fault_code,lots"  # line 6 of the file
    journal.write_text("\n".join(lines) + "\n")
    db = tmp_path / "station.db"
    bad = _import(cfg, journal, db)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "journal.csv:6: value 'lots' is not a number"
    assert not db.exists()  # a store made for it would be a half-made one
    # Into an existing store: the same, and the store as it was.
    good = tmp_path / "first.csv"
    good.write_text("\n".join(JOURNAL.splitlines()[:2]) + "\n")
    assert _import(cfg, good, db).returncode == 0
    before = _rows(db, "journal")
    assert _import(cfg, journal, db).returncode == 2
    assert _rows(db, "journal") == before


def test_two_halves_imported_one_after_the_other_make_the_whole(tmp_path: Path) -> None:
    cfg, journal, actions = _files(tmp_path)
    header, *rows = JOURNAL.splitlines()
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("\n".join([header, *rows[:SPLIT_AT]]) + "\n")
    second.write_text("\n".join([header, *rows[SPLIT_AT:]]) + "\n")
    whole, halves = tmp_path / "whole.db", tmp_path / "halves.db"
    assert _import(cfg, journal, whole, actions).returncode == 0
    assert _import(cfg, first, halves, actions).returncode == 0
    extended = _import(cfg, second, halves)
    assert extended.returncode == 0, extended.stderr
    assert extended.stdout.startswith(f"3 samples and 0 commands imported into {halves} (extended)")
    assert _json(run_in_process("report", str(cfg), "--db", str(halves), *WINDOW)) == _json(
        run_in_process("report", str(cfg), "--db", str(whole), *WINDOW)
    )
    with Store.open(whole) as a, Store.open(halves) as b:
        assert list(a.journal()) == list(b.journal())
    # The projections the second half wrote continue the first's: the stop at 07:30 is there.
    for table in ("downtime_events", "minute_counts", "state_intervals", "andon_events"):
        assert _rows(halves, table) == _rows(whole, table), table


def test_the_progress_bar_shows_only_for_an_import_that_takes_a_while() -> None:
    now = [0.0]
    out = io.StringIO()
    bar = ProgressBar(out, "importing", clock=lambda: now[0])
    bar(10, 100)
    assert out.getvalue() == ""  # a short import says nothing but its result
    now[0] = BAR_AFTER_S + 0.1
    bar(50, 100)
    bar.end()
    assert out.getvalue() == "\rimporting [###############...............]  50% (50 rows)\n"


def test_the_store_of_a_running_station_is_refused(tmp_path: Path) -> None:
    cfg, journal, _actions = _files(tmp_path)
    db = tmp_path / "station.db"
    config = load_config(cfg)

    async def scenario() -> Outcome:
        server = StationServer(Station(config, db), socket_path(db))
        await server.start()  # what a running station holds
        try:
            return _import(cfg, journal, db)
        finally:
            await server.stop()

    refused = asyncio.run(scenario())
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        == f"ms5 import-journal: a station runs on {db}; stop it before importing into its store"
    )
    assert not db.exists()
    assert _import(cfg, journal, db).returncode == 0  # once it stopped


def _demo_import(db: Path, hours: float, parts: int) -> None:
    """`hours` of the simulated demo line imported in `parts` imports one after the other."""
    config = load_config(bench_year.DEMO)
    line = bench_year.PolledLine(config, 1)
    start = bench_year.T0
    for _ in range(parts):
        samples = line.samples(start, hours / parts)
        start += hours / parts * 3600
        with Store.open(db) as store:
            assert import_journal(config, store, samples).snapshots >= 1


def test_a_restart_after_an_import_reads_a_snapshot_equals_one_pass_and_does_not_grow(tmp_path: Path) -> None:
    config = load_config(bench_year.DEMO)
    eqs = [eq.id for line in config.lines for eq in line.equipment]
    kept = []
    for hours in (18.0, 36.0):  # past two shifts of the demo line, then twice that, in two imports
        db = tmp_path / f"{hours:g}h.db"
        _demo_import(db, hours, 2)
        with Store.open(db) as store:
            restored = from_journal(config, store)
            # The last snapshot is at the journal's end: nothing is replayed.
            note = f"restart: the snapshot at journal row {store.last_id} + 0 journal rows"
            assert store.restart_note == note
            whole = whole_journal(config, store)
        kept.append(restored.kept_sizes())
        now = restored.now
        assert now is not None and now == whole.now
        since = restored.pruned_before
        assert since > bench_year.T0  # the imported engine was pruned, as a station's is
        for eq in eqs:
            assert restored.metrics(eq, since, now) == whole.metrics(eq, since, now), eq
    short, long = kept
    for what in ("segments", "buckets"):
        assert long[what] <= 1.5 * short[what], (what, kept)  # the previous shift and this one only
