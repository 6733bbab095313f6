"""Backups of a station's store while it runs: `ms5 backup` and `[store] backup_dir` (docs/STORE.md).

A copy of a live WAL database's files could catch the database mid-checkpoint or leave out what
is still in the WAL; SQLite's online backup copies the pages through SQLite itself. It copies in
steps of a few hundred pages inside one read transaction on the source: in WAL mode a reader
never blocks the station's writer, and the read transaction is what keeps the copy consistent
(without it, every commit of the station between two steps would start the copy again, and a
busy station's copy would never end). The copy is written to a temporary name with the store's
file mode (`core.store_files`), checked, fsynced and renamed into place, so a backup file is
always whole. It is a rollback-journal database on its own (no -wal file beside it); restored,
the station turns WAL on again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import pathname2url

from core.sqlite_tx import StoreError, one_line
from core.store_files import create_private, ensure_data_folder
from core.store_schema import check_ours

__all__ = ["Backup", "backup", "backup_files", "due", "scheduled_backup"]

PAGES_PER_STEP = 256  # 1 MB of 4 KB pages: a step takes milliseconds


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    size: int  # bytes
    journal_last: int  # id of the last journal row in the copy, 0 if none


def backup(
    db: Path, out: Path, *, pages: int = PAGES_PER_STEP, after_step: Callable[[int], None] | None = None
) -> Backup:
    """A consistent copy of the store at `db` in `out` (replaced if it exists); `StoreError`
    names what failed, and leaves `out` as it was. `after_step` is called with the pages left
    after each step."""
    if not db.is_file():
        raise StoreError(f"{db}: no such database")
    temp = out.parent / f".{out.name}.tmp"
    temp.unlink(missing_ok=True)
    create_private(temp)
    try:
        try:
            src = sqlite3.connect(
                f"file:{pathname2url(str(db.absolute()))}?mode=ro", uri=True, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{db}: cannot open: {one_line(exc)}") from None
        try:
            last = _copy(src, db, temp, pages, after_step)
        finally:
            src.close()
        _fsync(temp)
        os.replace(temp, out)
        _fsync(out.parent)
    except sqlite3.Error as exc:
        raise StoreError(f"{db}: cannot back up: {one_line(exc)}") from None
    except OSError as exc:
        raise StoreError(f"{out}: cannot write the backup: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)
    return Backup(out, out.stat().st_size, last)


def _copy(
    src: sqlite3.Connection, db: Path, temp: Path, pages: int, after_step: Callable[[int], None] | None
) -> int:
    # One read transaction for the whole copy: its snapshot is what every step copies.
    src.execute("BEGIN")
    check_ours(src, db)
    dst = sqlite3.connect(temp, isolation_level=None)
    try:
        progress = None if after_step is None else lambda _status, left, _total: after_step(left)
        src.backup(dst, pages=pages, sleep=0, progress=progress)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")
        (check,) = dst.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise StoreError(f"{db}: the copy does not hold ({check}); `ms5 verify` the store")
        (last,) = dst.execute("SELECT max(id) FROM journal").fetchone()
    finally:
        dst.close()
    return int(last or 0)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- on a schedule

_STAMP = "%Y%m%dT%H%M%SZ"


def _name(db: Path, when: float) -> str:
    return f"{db.stem}-{datetime.fromtimestamp(when, UTC).strftime(_STAMP)}.db"


def _taken_at(db: Path, path: Path) -> float | None:
    stamp = path.name.removeprefix(f"{db.stem}-").removesuffix(".db")
    if not (path.name.startswith(f"{db.stem}-") and path.name.endswith(".db")):
        return None
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def backup_files(db: Path, folder: Path) -> list[Path]:
    """The scheduled backups of `db` in `folder`, oldest first (by the time in their names)."""
    try:
        entries = [folder / name for name in os.listdir(folder)]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"{folder}: cannot read the backup folder: {exc.strerror or exc}") from None
    dated = [(t, p) for p in entries if (t := _taken_at(db, p)) is not None]
    return [p for _t, p in sorted(dated)]


def due(db: Path, folder: Path, every_h: float, now: float) -> bool:
    """Whether the newest scheduled backup is `every_h` hours old (or there is none)."""
    found = backup_files(db, folder)
    newest = _taken_at(db, found[-1]) if found else None
    return newest is None or now - newest >= every_h * 3600 or newest > now


def scheduled_backup(db: Path, folder: Path, *, keep: int, now: float) -> tuple[Backup, list[Path]]:
    """A backup named for `now` in `folder` (made 0700 if new), then the oldest beyond the last
    `keep` removed: the backup and the files removed."""
    ensure_data_folder(folder)
    made = backup(db, folder / _name(db, now))
    found = backup_files(db, folder)
    removed = found[: max(0, len(found) - keep)]
    for old in removed:
        old.unlink(missing_ok=True)
    return made, removed
