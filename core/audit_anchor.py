"""The audit head kept outside the database: a small append-only file beside it.

`station.db.anchor` gets a line after every commit that added audit rows: the last audit row's id
and hash and the last journal id at that moment, fsynced. A database that lost its tail (a WAL
file deleted after a crash, a file restored from an old backup) is then behind its anchor, and
`compare` names the rows missing. The line is written after SQLite's commit: a crash between the
two leaves the anchor behind the database, which is harmless (the next command's line covers it);
the anchor ahead of the database is the loss.

When the station starts on a database behind its anchor it says so, appends a `lost` line (the
loss stays on record for `ms5 audit verify`) and a head line for the database as it now is, and
goes on from there.

Lines are JSON objects, one a line; a line torn by a crash in the middle of a write is skipped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from core.store_files import create_private

__all__ = ["Anchor", "Head", "Loss", "anchor_path", "compare", "head_of"]


@dataclass(frozen=True, slots=True)
class Head:
    audit: int  # id of the last audit row (0: none yet)
    hash: str
    journal: int  # id of the last journal row


@dataclass(frozen=True, slots=True)
class Loss:
    """Rows the anchor saw committed that the database does not hold; ranges inclusive, empty
    when first > last."""

    audit_first: int
    audit_last: int
    journal_first: int
    journal_last: int
    rewritten: bool = False  # the anchored audit row is there with another hash
    noticed: float | None = None  # when the station found it (a recorded loss)

    def summary(self) -> str:
        """One line: what happened, and the rows."""
        if self.rewritten:
            return f"the audit trail was rewritten: {self.describe()}"
        return f"the database lost its tail: {self.describe()}"

    def describe(self) -> str:
        parts = []
        if self.rewritten:
            parts.append(f"audit row {self.audit_last} differs from the one the anchor saw")
        elif self.audit_first <= self.audit_last:
            parts.append(_rows("audit", self.audit_first, self.audit_last))
        if self.journal_first <= self.journal_last:
            parts.append(_rows("journal", self.journal_first, self.journal_last))
        return " and ".join(parts) + (" missing" if not self.rewritten else "")


def _rows(table: str, first: int, last: int) -> str:
    return f"{table} row {first}" if first == last else f"{table} rows {first}–{last}"


def anchor_path(db: Path) -> Path:
    return db.with_name(db.name + ".anchor")


def head_of(conn: sqlite3.Connection) -> Head:
    """The database's own head as it stands (committed rows only)."""
    audit = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    journal = conn.execute("SELECT max(id) FROM journal").fetchone()
    return Head(
        int(audit[0]) if audit else 0,
        str(audit[1]) if audit else "",
        int(journal[0]) if journal and journal[0] is not None else 0,
    )


def compare(conn: sqlite3.Connection, anchored: Head) -> Loss | None:
    """What the database lost against `anchored`, None when it holds everything the anchor saw."""
    now = head_of(conn)
    rewritten = False
    if anchored.audit:
        row = conn.execute("SELECT hash FROM audit WHERE id = ?", (anchored.audit,)).fetchone()
        rewritten = row is not None and str(row[0]) != anchored.hash
    audit_lost = now.audit < anchored.audit
    journal_lost = now.journal < anchored.journal
    if not (audit_lost or journal_lost or rewritten):
        return None
    return Loss(
        now.audit + 1 if not rewritten else anchored.audit,
        anchored.audit,
        now.journal + 1,
        anchored.journal,
        rewritten,
    )


class Anchor:
    """The anchor file of one store; written only by the process that writes the store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: Head | None = None

    def read(self) -> tuple[Head | None, list[Loss]]:
        """The last head written and every loss recorded; (None, []) when there is no file."""
        head: Head | None = None
        losses: list[Loss] = []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None, []
        for line in text.splitlines():
            try:
                obj = json.loads(line)
                if "lost" in obj:
                    losses.append(Loss(**obj["lost"]))
                else:
                    head = Head(int(obj["audit"]), str(obj["hash"]), int(obj["journal"]))
            except (ValueError, TypeError, KeyError):
                continue  # torn by a crash in the middle of its write
        return head, losses

    def exists(self) -> bool:
        return self.path.exists()

    def record(self, head: Head) -> None:
        """Append `head` (unless it is the last one written) and fsync; OSError when it cannot."""
        if head == self._last:
            return
        self._append({"audit": head.audit, "hash": head.hash, "journal": head.journal})
        self._last = head

    def record_loss(self, loss: Loss, now: Head, noticed: float) -> None:
        """Keep `loss` on record and start again from the database's head `now`."""
        lost = asdict(loss)
        lost["noticed"] = noticed
        self._append({"lost": lost})
        self._last = None
        self.record(now)

    def _append(self, obj: dict[str, object]) -> None:
        created = create_private(self.path)
        # One write of a whole line on an O_APPEND descriptor: a crash leaves the line whole or torn
        # at its end, and a torn line is skipped by read.
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        try:
            os.write(fd, (b"\n" if self._torn() else b"") + line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            # The new file's name must survive a power loss as well as its contents.
            dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _torn(self) -> bool:
        """True when the file ends in the middle of a line (a crash during a write)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() == 0:
                    return False
                f.seek(-1, os.SEEK_END)
                return f.read(1) != b"\n"
        except OSError:
            return False
