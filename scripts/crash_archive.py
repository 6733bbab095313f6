"""Crash harness, archiving: the retention run (core.store_archive) killed with SIGKILL at every
kind of step, again and again, and checked after every kill.

    python -m scripts.crash_archive [--kills 16] [--seed 1] [--days 3.5] [--keep DIR]

Also run by `python -m scripts.crash_harness --archive-kills N`. A store with `--days` simulated
days of the demo line (as scripts/bench_store_growth makes one, an Andon call every nine hours so
the journal holds commands too) and a snapshot row reflecting its whole journal (the snapshots
table is made by hand where the engine does not write it) is archived with journal_days = 1 by a
child process, `python -m scripts.crash_archive --child DB`, in batches of 300 rows. Each child is
killed: one kill in four at a random moment 0.3-2 s after it started, the others at a named step,
the N-th time it is reached: a batch written into the day's temporary files, the files in place,
the day recorded, a batch of rows deleted. After every kill, with no child running:
`PRAGMA integrity_check` is "ok"; every recorded day's files have their recorded sha256; and the
recorded days' files followed by `ms5 export-journal`'s journal are, row for row, the journal the
store held before any archiving: nothing lost, nothing twice. At the end a child runs to its end,
every due day is archived, `ms5 verify` holds, and `ms5 replay` of the archive folder and the
export gives the figures of the journal before archiving. Exit status 0 when all of it holds.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from core.config import load_config
from core.export import recorded, write_actions
from core.journal import write_journal
from core.store import Store
from core.store_archive import Archiver, archive_folder, manifest, sha256_of
from hmi.station.runtime import Station
from scripts.bench_store_growth import DEMO, T0, polls

ROOT = Path(__file__).resolve().parent.parent
DAY_S = 86400.0
BATCH_ROWS = 300
STEPS = ("wrote a batch", "files in place", "recorded", "deleted a batch")
CHILD_TIMEOUT_S = 300.0


class _Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def build_store(db: Path, days: float) -> float:
    """The simulated days in a station's store at `db`; the time at their end."""
    config = load_config(DEMO)
    clock = _Clock(T0)
    station = Station(config, db, clock=clock)
    station.open()
    assert station.engine is not None and station.store is not None
    next_call = T0 + 9 * 3600
    for t, samples in polls(config, 1, 60.0, days * 24):
        clock.t = t
        station.ingest(samples)
        station.tick()
        if t >= next_call:
            args = {"equipment": "FILLER", "kind": "maintenance", "note": "harness"}
            station.store.append_command(t, None, "raise_andon", args)
            station.engine.command("raise_andon", args, t, None)
            next_call += 9 * 3600
    asyncio.run(station.stop())
    with sqlite3.connect(db) as conn:
        # A snapshot row at the journal's end (a stand-in of format version 0, never restarted
        # from): retention may then take every whole day, not only those before the station's own.
        conn.execute(
            "INSERT INTO snapshots(journal_id, ts, version, checksum, body) "
            "SELECT max(id), 0, 0, '', x'' FROM journal"
        )
    conn.close()
    return clock.t


def exported(db: Path) -> tuple[list[str], list[str]]:
    """The journal lines and actions lines `ms5 export-journal` writes of the store."""
    with Store.open_read_only(db) as store:
        samples, actions = recorded(store)
    journal, commands = io.StringIO(), io.StringIO()
    write_journal(samples, journal)
    write_actions(actions, commands)
    return journal.getvalue().splitlines()[1:], commands.getvalue().splitlines()


def archived(db: Path) -> tuple[list[str], list[str], list[str]]:
    """The recorded days' journal and actions lines, and the problems with their files."""
    conn = sqlite3.connect(db)
    try:
        days = manifest(conn)
    finally:
        conn.close()
    journal: list[str] = []
    actions: list[str] = []
    problems: list[str] = []
    for day in days:
        j, a = day.files(archive_folder(db))
        if sha256_of(j) != day.journal_sha256 or sha256_of(a) != day.actions_sha256:
            problems.append(f"{day.name}: a file is not the one recorded")
        journal += gzip.decompress(j.read_bytes()).decode().splitlines()[1:]
        actions += gzip.decompress(a.read_bytes()).decode().splitlines()
    return journal, actions, problems


def check(db: Path, whole: tuple[list[str], list[str]]) -> list[str]:
    problems = []
    conn = sqlite3.connect(db)
    try:
        (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    finally:
        conn.close()
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    journal, actions, file_problems = archived(db)
    problems += file_problems
    rest_journal, rest_actions = exported(db)
    if journal + rest_journal != whole[0]:
        problems.append(
            f"journal rows: {len(journal)} archived + {len(rest_journal)} in the database, "
            f"{len(whole[0])} before (or not the same rows)"
        )
    if actions + rest_actions != whole[1]:
        problems.append(f"commands: {len(actions)} + {len(rest_actions)}, {len(whole[1])} before")
    return problems


def _child_command(db: Path, now: float, kill_at: str | None) -> list[str]:
    argv = [sys.executable, "-m", "scripts.crash_archive", "--child", str(db), "--now", repr(now)]
    return argv + (["--kill-at", kill_at] if kill_at else [])


def run(kills: int, seed: int, days: float, folder: Path) -> bool:
    rng = random.Random(seed)
    db = folder / "station.db"
    end = build_store(db, days)
    now = end + DAY_S
    whole = exported(db)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    print(f"store: {len(whole[0])} journal rows, {len(whole[1])} commands over {days:g} days; {kills} kills")
    print(f"{'kill':>4}  {'at':<24} {'days':>4}  {'db rows':>8}  problems")
    ok = True
    named = 0
    for k in range(1, kills + 1):
        if k % 4 == 0:
            kill_at, how = None, f"random {rng.uniform(0.3, 2.0):.2f} s"
        else:
            step = STEPS[named % len(STEPS)]
            named += 1
            # The steps met many times a day are killed at their first to sixth time.
            kill_at = f"{step}:{rng.randint(1, 6) if step in (STEPS[0], STEPS[3]) else 1}"
            how = kill_at
        child = subprocess.Popen(_child_command(db, now, kill_at), cwd=ROOT, env=env)
        if kill_at is None:
            try:
                child.wait(float(how.split()[1]))
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
        code = child.wait(CHILD_TIMEOUT_S)
        problems = check(db, whole)
        conn = sqlite3.connect(db)
        n_days = len(manifest(conn))
        (rows,) = conn.execute("SELECT count(*) FROM journal").fetchone()
        conn.close()
        exit_note = "" if code == -signal.SIGKILL else f" (exit {code})"
        ok &= not problems
        print(f"{k:>4}  {how + exit_note:<24} {n_days:>4}  {rows:>8}  {'; '.join(problems) or '-'}")
    code = subprocess.run(_child_command(db, now, None), cwd=ROOT, env=env, check=False).returncode
    problems = check(db, whole)
    conn = sqlite3.connect(db)
    names = [d.name for d in manifest(conn)]
    conn.close()
    print(f"last run: exit {code}, days archived {', '.join(names)}; {'; '.join(problems) or 'nothing lost'}")
    ok &= code == 0 and not problems and len(names) == int(days)
    verify = subprocess.run(
        [sys.executable, "-m", "hmi.cli", "verify", str(DEMO), "--db", str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"ms5 verify: exit {verify.returncode}")
    ok &= verify.returncode == 0
    if verify.returncode:
        print(verify.stdout)
    ok &= _same_figures(db, whole, folder, env)
    print("RESULT: " + ("all checks hold" if ok else "SOME CHECKS FAILED"))
    return ok


def _same_figures(db: Path, whole: tuple[list[str], list[str]], folder: Path, env: dict[str, str]) -> bool:
    header = "ts,equipment,signal,value\n"
    before = folder / "before.csv"
    before.write_text(header + "\n".join(whole[0]) + "\n", encoding="utf-8")
    (folder / "before.jsonl").write_text("\n".join(whole[1]) + "\n", encoding="utf-8")
    rest, rest_actions = exported(db)
    (folder / "rest.csv").write_text(header + "\n".join(rest) + "\n", encoding="utf-8")
    (folder / "rest.jsonl").write_text("\n".join(rest_actions) + "\n", encoding="utf-8")

    def figures(*journals: Path) -> object:
        argv = [sys.executable, "-m", "hmi.cli", "replay", str(DEMO), *map(str, journals), "--json"]
        out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    same = figures(before, folder / "before.jsonl") == figures(
        archive_folder(db), folder / "rest.csv", folder / "rest.jsonl"
    )
    print(
        "ms5 replay of the archive and the rest: "
        + ("the figures of the journal before" if same else "DIFFERENT figures")
    )
    return same


def child(db: Path, now: float, kill_at: str | None) -> int:
    step, count = (kill_at.rsplit(":", 1)[0], int(kill_at.rsplit(":", 1)[1])) if kill_at else ("", 0)
    seen = 0

    def checkpoint(at: str) -> None:
        nonlocal seen
        if at == step:
            seen += 1
            if seen == count:
                os.kill(os.getpid(), signal.SIGKILL)

    Archiver(db, journal_days=1, batch_rows=BATCH_ROWS, clock=lambda: now, checkpoint=checkpoint).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.crash_archive", description=__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=16, help="SIGKILLs of the archiving run (default 16)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=float, default=3.5, help="simulated days in the store (default 3.5)")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary one)")
    p.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    p.add_argument("--now", type=float, help=argparse.SUPPRESS)
    p.add_argument("--kill-at", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(Path(args.child), args.now, args.kill_at)
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return 0 if run(args.kills, args.seed, args.days, folder) else 1
    with tempfile.TemporaryDirectory() as tmp:
        return 0 if run(args.kills, args.seed, args.days, Path(tmp)) else 1


if __name__ == "__main__":
    sys.exit(main())
