"""The note a station leaves beside its database when it stopped cleanly (`station.db.clean`).

A start that finds it, and finds the file exactly as the note describes it (size, modification
time, inode, no -wal file holding anything), knows the file is the one its last station closed
cleanly: no process died while writing it. That start restores first and runs the full
`PRAGMA quick_check` once it is live (hmi/station/store_check.py); a start without it (kill -9,
power loss, a file copied or restored, changed by another program since) checks before the
restore, as every start did before (docs/RELIABILITY.md, "The start-up check").

The note is taken (deleted) at every start: a station killed later leaves none. It is outside the
database so that it can describe the closed file itself; a copy of the database never carries it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

__all__ = ["marker", "record", "take"]


def marker(db: Path) -> Path:
    return db.with_name(db.name + ".clean")


def _signature(db: Path) -> dict[str, int] | None:
    """What identifies the closed file; None while a -wal file holds frames (not closed)."""
    wal = db.with_name(db.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    st = db.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def record(db: Path, at: float) -> bool:
    """After the last close of a clean stop: the note, written whole (a temporary file renamed).
    False when the file is not closed (another program holds it and its -wal file is not empty)."""
    signature = _signature(db)
    if signature is None:
        return False
    target = marker(db)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({"at": at, **signature}) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return True


def take(db: Path) -> float | None:
    """At start, before the file is opened: the time of the clean stop the note records when the
    file is still as it was left, else None. The note is deleted either way."""
    target = marker(db)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        text = ""
    with contextlib.suppress(OSError):  # a folder nobody may write to: the signature decides
        target.unlink(missing_ok=True)
    try:
        note = json.loads(text)
        at = float(note.pop("at"))
        signature = _signature(db)
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        return None
    return at if signature is not None and note == signature else None
