"""What `ms5 verify` and `ms5 audit verify` check on a store, each check one finding line.

- the file: SQLite's `integrity_check` (every page, record and index);
- the audit chain (`core.audit`) and the database against its anchor (`core.audit_anchor`);
- the journal against the projections: an engine fed the journal must give the per-minute counts
  the file holds.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.audit import AuditLog
from core.audit_anchor import compare
from core.config import Config
from core.rebuild import from_journal
from core.sqlite_tx import one_line
from core.store import Store
from core.store_open import FIX, check_problem
from core.timefmt import iso

__all__ = ["Finding", "anchor", "audit_chain", "integrity", "projections"]

_SHOWN = 3  # problems named per finding; the rest are counted


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
    # The whole journal, not the newest snapshot: this checks the file against its truth.
    engine = from_journal(config, store, snapshots=False)
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
        return [
            Finding(
                False, f"the per-minute counts differ from the journal: {'; '.join(wrong[:_SHOWN])}{more}"
            )
        ]
    return [Finding(True, f"the per-minute counts agree with the journal ({n_minutes} minutes)")]
