"""What `ms5 verify` and `ms5 audit verify` check on a store, each check one finding line.

- the file: SQLite's `integrity_check` (every page, record and index);
- the audit chain (`core.audit`) and the database against its anchor (`core.audit_anchor`);
- the journal against the projections: an engine fed the journal (the archive files', then the
  database's) must give the per-minute counts and the hourly figure slices the file holds;
- the archive files (core.store_archive): each as recorded (its sha256 and row count), and the
  archived rows with the database's the whole journal by id, none missing, none twice.
"""

from __future__ import annotations

import csv
import gzip
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.audit import AuditLog
from core.audit_anchor import compare
from core.config import Config
from core.engine import Engine
from core.figure_slices import slice_body
from core.rebuild import whole_journal
from core.sqlite_tx import StoreError, one_line
from core.store import Store
from core.store_archive import (
    ACTIONS_SUFFIX,
    JOURNAL_SUFFIX,
    NO_SNAPSHOTS,
    ManifestRow,
    archive_folder,
    manifest,
    sha256_of,
    snapshot_bound,
)
from core.store_open import FIX, check_problem
from core.timefmt import iso

__all__ = ["Finding", "anchor", "archives", "audit_chain", "figure_slices", "integrity", "projections"]

_SHOWN = 3  # problems named per finding; the rest are counted
_SLICES_SHOWN = 10  # figure slices named, one line each; the rest are counted in one more


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    text: str


def integrity(store: Store, *, quick: bool = False) -> Finding:
    """SQLite's integrity_check, or with `quick` its quick_check (no index against its table)."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        problems = [str(row[0]) for row in store.conn.execute(f"PRAGMA {pragma}(100)")]
    except sqlite3.DatabaseError as exc:
        return Finding(False, f"the file is damaged: {one_line(exc)}; {FIX}")
    if problems == ["ok"]:
        return Finding(True, f"the file holds (SQLite {pragma}: ok)")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Finding(False, f"the file is damaged: {check_problem(problems[0])}{more}; {FIX}")


def audit_chain(store: Store) -> Finding:
    log = AuditLog(store.conn)
    broken = log.verify()
    if broken is not None:
        return Finding(False, f"audit chain broken at row {broken}")
    (n,) = store.conn.execute("SELECT count(*) FROM audit").fetchone()
    return Finding(True, f"audit chain holds ({n} rows)")


def anchor(store: Store) -> list[Finding]:
    """The database against the anchor beside it, and every loss the anchor has on record."""
    path = store.anchor.path
    head, losses = store.anchor.read()
    if head is None:
        if store.anchor.exists():
            return [Finding(False, f"{path}: no readable line; a lost tail cannot be told")]
        return [Finding(True, f"no anchor beside the database ({path}): a lost tail cannot be told")]
    found = []
    loss = compare(store.conn, head)
    if loss is not None:
        seen = "" if loss.rewritten else " (the anchor saw them committed)"
        found.append(Finding(False, loss.summary() + seen))
    else:
        found.append(Finding(True, f"the anchor agrees (audit row {head.audit}, journal row {head.journal})"))
    for old in losses:
        when = iso(old.noticed) if old.noticed is not None else "at a start"
        found.append(Finding(False, f"the anchor records a loss found {when}: {old.describe()}"))
    return found


def projections(config: Config, store: Store) -> list[Finding]:
    """The journal replayed against the per-minute counts in the file. (Downtime rows are the
    live engine's events, which run on through a break where the engine's figures cut the stop at
    its start, so they are not compared.)"""
    # The whole journal (archives included), not the newest snapshot: this checks the file against its truth.
    try:
        engine = whole_journal(config, store)
    except StoreError as exc:  # an archive file missing, not the one archived, or not readable
        return [Finding(False, f"the projections cannot be checked: {exc}")]
    known = set(engine.equipment_ids)
    wrong: list[str] = []
    n_minutes = 0
    rows = store.conn.execute("SELECT equipment, minute, total, good, reject FROM minute_counts")
    for eq, minute, total, good, reject in rows:
        n_minutes += 1
        if eq not in known:
            continue
        m = engine.metrics(eq, minute, minute + 60)
        if (m.total_count, m.good_count, m.reject_count) != (total, good, reject):
            wrong.append(
                f"{eq} minute {iso(minute)}: the file has {total}/{good}/{reject} parts "
                f"(total/good/reject), the journal gives {m.total_count}/{m.good_count}/{m.reject_count}"
            )
    if wrong:
        more = f" (and {len(wrong) - _SHOWN} more)" if len(wrong) > _SHOWN else ""
        found = Finding(
            False, f"the per-minute counts differ from the journal: {'; '.join(wrong[:_SHOWN])}{more}"
        )
    else:
        found = Finding(True, f"the per-minute counts agree with the journal ({n_minutes} minutes)")
    return [found, *figure_slices(config, store, engine)]


def figure_slices(config: Config, store: Store, engine: Engine) -> list[Finding]:
    """The stored figure slices (what `ms5 report` adds up) against the slices `engine`, fed the
    whole journal, makes of the same hours: each a line naming the equipment, the hour and the
    first figure that differs."""
    try:
        rows = store.conn.execute(
            'SELECT equipment, start, "end", body FROM figure_slices ORDER BY start, equipment'
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a store older than the slices (opened read-only, not migrated)
        raise
    tz = {eq.id: line.tz for line in config.lines for eq in line.equipment}
    wrong: list[Finding] = []
    for eq, start, end, body in rows:
        if eq not in tz:
            continue  # equipment the config no longer names: `ms5 report` refuses its history
        try:
            what = _slice_difference(body, slice_body(engine, eq, start, end))
        except (TypeError, KeyError, AttributeError, IndexError):
            what = "its row is not a slice"
        if what is not None:
            wrong.append(
                Finding(
                    False,
                    f"figure slice {eq} {iso(start, tz[eq])} to {iso(end, tz[eq])} differs from the "
                    f"journal: {what}",
                )
            )
    if len(wrong) > _SLICES_SHOWN:
        rest = len(wrong) - _SLICES_SHOWN
        wrong[_SLICES_SHOWN:] = [Finding(False, f"and {rest} more figure slices differ from the journal")]
    if wrong:
        return wrong
    return [Finding(True, f"the figure slices agree with the journal ({len(rows)} slices)")]


def _slice_difference(stored: str, recomputed: str) -> str | None:
    """The first figure in which two slice bodies differ, None when they do not."""
    try:
        got = json.loads(stored)
    except ValueError:
        return "its row is not readable JSON"
    want = json.loads(recomputed)
    if not isinstance(got, dict):
        return "its row is not a slice"
    for part in want:  # "sums" first, then the joined parts
        if part == "sums" and isinstance(got.get("sums"), dict):
            for name, value in want["sums"].items():
                if got["sums"].get(name) != value:
                    return f"{name} is {got['sums'].get(name)} in the file, {value} from the journal"
        elif part == "downtime":
            # An event's last item is the key joining it across a slice edge (its stop's start):
            # a replay that began at the first row has none for the time before it, as the live
            # engine, begun by a tick, had. The events themselves are compared.
            if [ev[:4] for ev in got.get(part) or []] != [ev[:4] for ev in want[part]]:
                return "its downtime events differ from the journal's"
        elif got.get(part) != want[part]:
            return f"its {part} differ from the journal's"
    return None


def archives(store: Store) -> list[Finding]:
    """The archive files against their records, and the journal they and the database hold."""
    conn = store.conn
    days = manifest(conn)
    found: list[Finding] = []
    if snapshot_bound(conn) is None:
        found.append(Finding(True, f"retention: {NO_SNAPSHOTS}"))
    if not days:
        return [*found, _database_journal(store, 0)]
    folder = archive_folder(store.path)
    bad = [problem for day in days if (problem := _file_problem(folder, day)) is not None]
    expected = 1
    for day in days:
        if day.first_id > expected:
            bad.append(f"journal rows {expected}-{day.first_id - 1} are in no archive file")
        elif day.first_id < expected:
            bad.append(f"journal rows {day.first_id}-{expected - 1} are in two archive files")
        if day.rows != day.last_id - day.first_id + 1:
            bad.append(f"{day.name}: {day.rows} rows for ids {day.first_id}-{day.last_id}")
        expected = day.last_id + 1
    recorded = {
        name for day in days for name in (f"{day.name}{JOURNAL_SUFFIX}", f"{day.name}{ACTIONS_SUFFIX}")
    }
    stray = sorted(
        p.name for p in folder.glob("*.gz") if p.name not in recorded and not p.name.startswith(".")
    )
    if stray:
        bad.append(
            f"{len(stray)} file(s) in {folder} not recorded ({', '.join(stray[:_SHOWN])}): a run cut "
            "short, or archived after the backup this store was restored from; the station's next run "
            "writes them again"
        )
    if bad:
        more = f" (and {len(bad) - _SHOWN} more)" if len(bad) > _SHOWN else ""
        found.append(Finding(False, f"the archive does not hold: {'; '.join(bad[:_SHOWN])}{more}"))
    else:
        rows = sum(day.rows for day in days)
        found.append(
            Finding(
                True,
                f"the archive holds ({len(days)} days, {rows} journal rows, "
                f"{days[0].name} to {days[-1].name})",
            )
        )
    found.append(_database_journal(store, days[-1].last_id))
    return found


def _file_problem(folder: Path, day: ManifestRow) -> str | None:
    journal, actions = day.files(folder)
    for path, digest in ((journal, day.journal_sha256), (actions, day.actions_sha256)):
        try:
            if sha256_of(path) != digest:
                return f"{path.name} is not the file archived (its sha256 differs)"
        except OSError as exc:
            return f"{path.name}: {exc.strerror or exc}"
    try:
        with gzip.open(journal, "rt", encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.reader(fh)) - 1
        with gzip.open(actions, "rt", encoding="utf-8") as fh:
            rows += sum(1 for line in fh if line.strip())
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        return f"{day.name}: cannot be read: {exc}"
    if rows != day.rows:
        return f"{day.name}: the files hold {rows} rows, {day.rows} were archived"
    return None


def _database_journal(store: Store, archived: int) -> Finding:
    """The database's journal past the archive: gapless by id, beginning right after it."""
    count, low, high = store.conn.execute(
        "SELECT count(*), min(id), max(id) FROM journal WHERE id > ?", (archived,)
    ).fetchone()
    (doubled,) = store.conn.execute("SELECT count(*) FROM journal WHERE id <= ?", (archived,)).fetchone()
    note = (
        f"; {doubled} archived rows still in the database (a run cut short: the next run deletes them)"
        if doubled
        else ""
    )
    if count == 0:
        return Finding(True, f"the database's journal is empty past the archive{note}")
    if low != archived + 1 or high - low + 1 != count:
        gap = (
            f"begins at id {low}, not {archived + 1}"
            if low != archived + 1
            else f"{high - low + 1 - count} ids missing"
        )
        return Finding(False, f"the database's journal has a gap: {gap}")
    return Finding(True, f"the journal is whole by id (archive to {archived}, database {low}-{high}){note}")
