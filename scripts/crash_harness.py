"""Crash harness: a station killed with SIGKILL again and again, checked after every kill.

    python -m scripts.crash_harness [--kills 20] [--seed 1] [--speed 10] [--keep DIR]

The simulated line (connectors.sim.runner.SimLine, seeded, in this process: its own record of what
it made is at hand) serves two machines over Modbus TCP on a free port of 127.0.0.1, `--speed`
times faster than real. `ms5 engine CONFIG --db FILE` runs as a child process polling it every
50 ms, and is killed with SIGKILL `--kills` times, each time restarted on the same file:
- two kills in three at a random moment 0.2-3 s after the station connected (a commit happens
  every second, so some land in or near one; the timing is random, nothing in the product waits
  for the harness);
- every third right after an acknowledgement: through the station socket (hmi.socket.client), an
  Andon call is raised and acknowledged with a supervisor's PIN, and the station is killed the
  moment the answer "acknowledged" arrives;
- every third, from the second on, inside a snapshot's transaction: the station runs with
  `MS5_CRASH_POINT=snapshot` and kills itself after writing its next snapshot row, before the
  commit (the config writes one every 1.2 s, so the random kills land near them too).

After every kill, with the station down: `PRAGMA integrity_check` is "ok"; an engine fed the
file's journal counts no fewer parts than after the kill before (counts never go backwards); the
restart's engine (newest snapshot + the journal after it) has the figures of a full replay;
every acknowledgement answered "ok" is in the journal and the audit trail; the audit chain holds.
At the end the station runs once more and stops cleanly, then the simulator, and the parts the
station counted are compared with the simulator's own record (LineModel.history and counts_at):
the parts made between the value of the station's first read and that of its last, each looked
up as served by the end of the run that read it (a first poll's values are stamped with the
station's start, before the read, so their own time is no bound). A kill may cost
at most the samples of its last second; the allowance printed is that in parts (the machines'
rate x 1 s x kills); counters are cumulative, so the figure is in fact expected to be exact.
`ms5 audit verify` is run on the file then. Last, a kill right after an acknowledgement is
followed by deleting the file's WAL: `ms5 audit verify` must report the rows lost against the
audit anchor (exit 1), and the station restarted on the file must say so in one line. Exit status
0 when everything holds, 1 otherwise. With `--archive-kills N`, the journal's archiving is then
killed N times too (scripts/crash_archive.py, which says what it checks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors.sim.behaviour import Truth
from connectors.sim.runner import SimLine
from core.audit import AuditLog
from core.auth import Role, UserStore
from core.config import Config, parse_config
from core.engine import CommandError, Engine
from core.rebuild import from_journal
from core.samples import Sample
from core.store import Store
from scripts import crash_archive, loopback_line
from scripts.crash_station import ROOT, HarnessError, Station, acknowledge, free_port

EQUIPMENT = ("FILLER", "CAPPER")

CONFIG = loopback_line.line(
    site="Crash harness",
    small_stop_threshold_s=5,
    filler_plc="line-plc",
    # A snapshot every 1.2 s, so that kills land in and near their writes.
    extra='\n[andon.policies.maintenance]\nlevels = [{{ level = 1, after_s = 0, notify = "line lead" }}]\n'
    "\n[store]\nsnapshot_every_min = 0.02\n",
    connections=loopback_line.modbus_connection(
        "line-plc", "port", poll_s=0.05, timeout_s=0.5, reconnect_max_s=0.5
    ),
    second="""
[[lines.equipment]]
id = "CAPPER"
ideal_cycle_time_s = 0.4
counter_max = 65535
signals = [
  {{ signal = "running", connection = "line-plc", address = "coil:8", type = "bool" }},
  {{ signal = "total_count", connection = "line-plc", address = "hr:10", type = "uint16" }},
  {{ signal = "reject_count", connection = "line-plc", address = "hr:11", type = "uint16" }},
]
""",
)


@dataclass
class Check:
    """What the file says after one kill."""

    kill: int
    mode: str
    ran_s: float
    integrity: str
    journal_rows: int
    totals: dict[str, int]
    audit_rows: int
    acks_kept: int
    acks_shown: int
    chain_ok: bool
    problems: list[str] = field(default_factory=list)


def journal_engine(config: Config, store: Store) -> Engine:
    """An engine fed the file's committed journal, as a rebuild does, without writing anything."""
    engine = Engine(config)
    for _id, record in store.journal():
        if isinstance(record, Sample):
            engine.ingest_one(record)
            continue
        with contextlib.suppress(CommandError):
            engine.command(record.command, record.args, record.ts, record.actor)
    return engine


def total_counts(engine: Engine) -> dict[str, tuple[int, int]]:
    now = engine.now or 0.0
    out = {}
    for eq in EQUIPMENT:
        m = engine.metrics(eq, 0.0, now + 1)
        out[eq] = (m.total_count, m.reject_count)
    return out


def restart_differs(config: Config, store: Store) -> str | None:
    """What a restart (the newest valid snapshot and the journal after it) gets otherwise than a
    full replay of the journal; None when nothing."""
    restored = from_journal(config, store)
    full = from_journal(config, store, snapshots=False)
    now = full.now or 0.0
    # The restored engine keeps what a station keeps (bounded memory): compared where it does.
    a = max(0.0, restored.pruned_before)
    for eq in EQUIPMENT:
        mine, theirs = restored.metrics(eq, a, now + 1), full.metrics(eq, a, now + 1)
        if mine != theirs:
            return (
                f"{eq}: the restart from a snapshot counts {mine.total_count}, "
                f"a full replay {theirs.total_count}"
            )
        if restored.downtime_events(eq, a, now + 1) != full.downtime_events(eq, a, now + 1):
            return f"{eq}: the restart from a snapshot has other downtime events than a full replay"
    return None


def inspect(
    config: Config, db: Path, acks_shown: set[int]
) -> tuple[str, int, Engine, int, set[int], bool, str | None]:
    conn = sqlite3.connect(db)
    try:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
    with Store.open(db) as store:
        engine = journal_engine(config, store)
        differs = restart_differs(config, store)
        rows = int(store.conn.execute("SELECT count(*) FROM journal").fetchone()[0])
        audit = AuditLog(store.conn)
        audit_rows = audit.rows()
        acked_in_audit = {
            int(r.target.split()[-1])
            for r in audit_rows
            if r.command == "ack_andon" and r.result == "ok" and r.target and r.target.startswith("call ")
        }
        chain_ok = audit.verify() is None
    acked = {c.id for c in engine.andon.calls if c.acknowledged_by == "sam"}
    kept = {n for n in acks_shown if n in acked and n in acked_in_audit}
    return integrity, rows, engine, len(audit_rows), kept, chain_ok, differs


def served_truth(sim: SimLine, equipment: str, signal_name: str, value: float, before: float) -> Truth:
    """The simulator's record of its parts when it served `value` on `signal_name` (the latest
    time at or before `before`, by when a station had read it; a counter never serves a value
    twice within a run, short of wrapping, so the value alone names the moment)."""
    assert sim.model is not None
    when = None
    for ts, eq, sig, v in sim.model.history:
        if eq == equipment and sig == signal_name and v == value and ts <= before:
            when = ts
    if when is None:
        raise HarnessError(f"{equipment} {signal_name} {value:g} is not in the simulator's record")
    return sim.model.counts_at(equipment, when)


def first_and_last(store: Store, equipment: str, signal_name: str) -> tuple[Sample, Sample]:
    found = [
        r
        for _id, r in store.journal()
        if isinstance(r, Sample)
        and r.equipment == equipment
        and r.signal == signal_name
        and r.value is not None
    ]
    return found[0], found[-1]


async def run(kills: int, seed: int, speed: float, folder: Path) -> bool:
    rng = random.Random(seed)
    cfg_path = folder / "line.toml"
    cfg_path.write_text(CONFIG.format(port=free_port()))
    config = parse_config(cfg_path.read_text(), cfg_path)
    db = folder / "station.db"
    with Store.open(db) as store:
        UserStore(store.conn).add("sam", Role.SUPERVISOR, "2580", time.time())
    sim = SimLine(config, seed=seed, speed=speed)
    await sim.start()
    station = Station(cfg_path, db)
    checks: list[Check] = []
    acks_shown: set[int] = set()
    previous = {eq: 0 for eq in EQUIPMENT}
    previous_audit = 0
    ok = True
    try:
        for k in range(1, kills + 1):
            in_snapshot = k % 3 == 2
            await station.start(crash_in_snapshot=in_snapshot)
            started = time.monotonic()
            if in_snapshot:
                mode = "in snapshot"
                code = await station.died()
                if code != -signal.SIGKILL:
                    raise HarnessError(f"ms5 engine was to kill itself in a snapshot; it exited {code}")
            elif k % 3 == 0:
                mode = "after ack"
                await asyncio.sleep(rng.uniform(0.2, 1.5))
                call = await acknowledge(db, rng.choice(EQUIPMENT))
                if call is not None:
                    acks_shown.add(call)
            else:
                mode = "random"
                await asyncio.sleep(rng.uniform(0.2, 3.0))
            if not in_snapshot:
                await station.kill()
            ran = time.monotonic() - started
            integrity, rows, engine, audit_rows, kept, chain_ok, differs = inspect(config, db, acks_shown)
            totals = {eq: t for eq, (t, _r) in total_counts(engine).items()}
            check = Check(
                k, mode, ran, integrity, rows, totals, audit_rows, len(kept), len(acks_shown), chain_ok
            )
            if integrity != "ok":
                check.problems.append(f"integrity_check: {integrity}")
            for eq in EQUIPMENT:
                if totals[eq] < previous[eq]:
                    check.problems.append(f"{eq} went back from {previous[eq]} to {totals[eq]}")
            if audit_rows < previous_audit:
                check.problems.append(f"audit rows went back from {previous_audit} to {audit_rows}")
            if len(kept) != len(acks_shown):
                check.problems.append(f"acknowledgements lost: {sorted(acks_shown - kept)}")
            if not chain_ok:
                check.problems.append("the audit chain is broken")
            if differs is not None:
                check.problems.append(differs)
            previous = {eq: max(previous[eq], totals[eq]) for eq in EQUIPMENT}
            previous_audit = max(previous_audit, audit_rows)
            checks.append(check)
            ok = ok and not check.problems
        # One last clean run, then the simulator stops: the final comparison.
        await station.start()
        await asyncio.sleep(2.0)
        if await station.stop() != 0:
            ok = False
            print("the last clean stop of ms5 engine failed")
    except BaseException:
        await sim.stop()
        raise
    finally:
        if station.proc is not None and station.proc.returncode is None:
            await station.kill()

    print(f"{'kill':>4} {'moment':<11} {'ran s':>6} {'integrity':<9} {'journal':>8} "
          f"{'FILLER':>7} {'CAPPER':>7} {'audit':>5} {'acks kept':>9}  problems")  # fmt: skip
    for c in checks:
        print(
            f"{c.kill:>4} {c.mode:<11} {c.ran_s:6.1f} {c.integrity:<9} {c.journal_rows:>8} "
            f"{c.totals['FILLER']:>7} {c.totals['CAPPER']:>7} {c.audit_rows:>5} "
            f"{c.acks_kept:>4}/{c.acks_shown:<4}  {'; '.join(c.problems) or '-'}"
        )
    ok = compare_with_simulator(config, db, sim, kills, station.read_by) and ok
    code, said = await audit_verify(db)
    print(f"ms5 audit verify: exit {code}: {said}")
    ok = ok and code == 0
    try:
        ok = await lose_the_wal(cfg_path, db, rng) and ok
    finally:
        await sim.stop()
    print("RESULT: " + ("all checks hold" if ok else "FAILED"))
    return ok


async def audit_verify(db: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hmi.cli", "audit", "verify", "--db", str(db),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, " / ".join(out.decode().strip().splitlines())


async def lose_the_wal(cfg_path: Path, db: Path, rng: random.Random) -> bool:
    """A kill right after an acknowledgement, then the WAL file deleted (what a careless clean-up
    or a failing disk does): the acknowledgement is gone from the file, and `ms5 audit verify` must
    say so against the anchor; the station, restarted, must say so in one line."""
    station = Station(cfg_path, db)
    await station.start()
    await asyncio.sleep(rng.uniform(0.2, 1.0))
    call = await acknowledge(db, rng.choice(EQUIPMENT))
    await station.kill()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    code, out = await audit_verify(db)
    print(f"WAL deleted after a kill right after acknowledging call {call}:")
    print(f"  ms5 audit verify: exit {code}: {out}")
    ok = call is not None and code == 1 and "lost its tail" in out
    await station.start()
    await station.stop()
    assert station.proc is not None and station.proc.stderr is not None
    said = [
        line for line in (await station.proc.stderr.read()).decode().splitlines() if "lost its tail" in line
    ]
    print(f"  ms5 engine on the file: {said[0] if said else 'said nothing of the loss'}")
    code, out = await audit_verify(db)
    print(f"  ms5 audit verify after that start: exit {code}: {out}")
    return ok and len(said) == 1 and code == 1 and "records a loss" in out


def compare_with_simulator(
    config: Config, db: Path, sim: SimLine, kills: int, read_by: Callable[[float], float]
) -> bool:
    ok = True
    with Store.open(db) as store:
        engine = journal_engine(config, store)
        counted = total_counts(engine)
        print("final figures against the simulator's own record:")
        for eq in EQUIPMENT:
            first, last = first_and_last(store, eq, "total_count")
            first_r, last_r = first_and_last(store, eq, "reject_count")
            t0 = served_truth(sim, eq, "total_count", float(first.value or 0), read_by(first.ts))
            t1 = served_truth(sim, eq, "total_count", float(last.value or 0), read_by(last.ts))
            r0 = served_truth(sim, eq, "reject_count", float(first_r.value or 0), read_by(first_r.ts))
            r1 = served_truth(sim, eq, "reject_count", float(last_r.value or 0), read_by(last_r.ts))
            made, rejected = t1.total - t0.total, r1.reject - r0.reject
            ideal = next(e.ideal_cycle_time_s for line in config.lines for e in line.equipment if e.id == eq)
            allowance = kills * math.ceil(sim.speed / ideal)  # parts of one second before each kill
            total, reject = counted[eq]
            within = abs(total - made) <= allowance and abs(reject - rejected) <= allowance
            ok = ok and within
            print(
                f"  {eq}: station {total} parts ({reject} rejects), simulator {made} ({rejected}); "
                f"difference {total - made} ({reject - rejected}), allowance {allowance}: "
                f"{'ok' if within else 'OUTSIDE'}"
            )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.crash_harness", description=__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs of the station (default 20)")
    p.add_argument("--seed", type=int, default=1, help="the simulator's and the kill moments' seed")
    p.add_argument("--speed", type=float, default=10.0, help="the simulated machines' speed (default 10)")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary one)")
    p.add_argument(
        "--archive-kills",
        type=int,
        default=0,
        metavar="N",
        help="then SIGKILL the journal's archiving N times (scripts/crash_archive.py; default 0)",
    )
    args = p.parse_args(argv)
    if args.kills < 1 or not args.speed > 0 or args.archive_kills < 0:
        p.error("--kills must be at least 1, --archive-kills at least 0 and --speed positive")
    print(f"Crash harness: {args.kills} SIGKILLs of ms5 engine, seed {args.seed}, speed {args.speed:g}")
    try:
        with contextlib.ExitStack() as stack:
            if args.keep:
                folder = Path(args.keep)
                folder.mkdir(parents=True, exist_ok=True)
            else:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ms5-crash-")))
            ok = asyncio.run(run(args.kills, args.seed, args.speed, folder))
            if args.archive_kills:
                archiving = folder / "archiving"
                archiving.mkdir(mode=0o700, exist_ok=True)
                print(f"\nArchiving: {args.archive_kills} SIGKILLs of the retention run")
                ok = crash_archive.run(args.archive_kills, args.seed, 3.5, archiving) and ok
            return 0 if ok else 1
    except HarnessError as exc:
        print(f"crash harness: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
