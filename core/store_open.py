"""Opening the station's SQLite file: for writing (the station, `ms5 user`), read-only (reports,
audits, exports: an auditor's copy on a read-only folder), and the checks that tell a damaged file.

Read-only follows SQLite's rules for WAL databases (https://sqlite.org/wal.html, "Read-Only
Databases"): `mode=ro` works while the -shm file exists or can be created. In a folder nobody may
write to, a copy without a -wal file is opened `immutable=1` (there is nothing beyond the main
file to read); one with a -wal file is read through a private copy of both in a temporary folder,
since `immutable=1` would silently leave out the transactions still in the WAL.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.request import pathname2url

import sqlite_utils

from core.sqlite_tx import StoreError, one_line
from core.store_files import create_private, secure_store_files
from core.store_schema import check_ours, migrate

__all__ = ["FIX", "check_problem", "damaged", "open_read_only", "open_writable", "quick_check"]

FIX = "restore it from a backup, or rebuild it from an exported journal (ms5 export-journal, ms5 replay)"
_CANTOPEN, _READONLY, _NOTADB, _CORRUPT = 14, 8, 26, 11


def damaged(exc: sqlite3.Error, path: Path | None = None) -> StoreError:
    """The one line for a file SQLite cannot read."""
    where = f"{path}: " if path is not None else ""
    return StoreError(f"{where}the database is damaged ({one_line(exc)}); `ms5 verify` tells more; {FIX}")


def _code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else 0


def open_writable(path: Path) -> tuple[sqlite_utils.Database, list[str]]:
    """The database (created, migrated) and a line per file mode tightened."""
    notes = secure_store_files(path)
    # Created here with its final mode: SQLite would make it 0644 minus the umask, and its -wal
    # and -shm files take the database file's mode.
    create_private(path)
    try:
        db = sqlite_utils.Database(path, execute_plugins=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {one_line(exc)}") from None
    try:
        migrate(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _open_error(path, exc) from None
    except BaseException:
        db.close()
        raise
    return db, notes


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    if _code(exc) == _NOTADB or "not a database" in str(exc):
        return StoreError(f"{path}: not a SQLite database")
    if _code(exc) == _CORRUPT:
        return damaged(exc, path)
    return StoreError(f"{path}: cannot open: {one_line(exc)}")


def _connect(path: Path, query: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{pathname2url(str(path.absolute()))}?{query}", uri=True)
    try:
        # Connecting is lazy: the first statement opens the file (and the -wal and -shm files).
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def open_read_only(path: Path) -> tuple[sqlite_utils.Database, Callable[[], None], list[str]]:
    """The database opened without writing anything, what to call when it is closed, and a line
    when it was read through a private copy."""
    if not path.is_file():
        raise StoreError(f"{path}: no such database")
    notes: list[str] = []
    cleanup: Callable[[], None] = _nothing
    try:
        try:
            conn = _connect(path, "mode=ro")
        except sqlite3.OperationalError as exc:
            if _code(exc) not in (_CANTOPEN, _READONLY):
                raise
            wal = path.with_name(path.name + "-wal")
            if not wal.exists() or wal.stat().st_size == 0:
                conn = _connect(path, "immutable=1")
            else:
                conn, cleanup = _private_copy(path, wal)
                notes.append(
                    f"{path}: read through a private copy with its -wal file (its folder cannot be written)"
                )
        if check_ours(conn, path) == 0:
            conn.close()
            raise StoreError(f"{path}: not an MS5 Floor store (it holds no journal)")
    except sqlite3.DatabaseError as exc:
        cleanup()
        raise _open_error(path, exc) from None
    except OSError as exc:
        cleanup()
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except BaseException:
        cleanup()
        raise
    return sqlite_utils.Database(conn, execute_plugins=False), cleanup, notes


def _nothing() -> None:
    return None


def _private_copy(path: Path, wal: Path) -> tuple[sqlite3.Connection, Callable[[], None]]:
    folder = Path(tempfile.mkdtemp(prefix="ms5-read-"))  # 0700: the copy is as private as the store

    def cleanup() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    try:
        copy = folder / path.name
        for source, target in ((path, copy), (wal, copy.with_name(copy.name + "-wal"))):
            create_private(target)
            shutil.copyfile(source, target)
        return _connect(copy, "mode=ro"), cleanup
    except BaseException:
        cleanup()
        raise


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """SQLite's quick_check (the pages and records, not the indexes against the tables):
    `StoreError` naming the fix when the file is damaged."""
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        raise damaged(exc, path) from None
    if problems != ["ok"]:
        raise StoreError(f"{path}: the database is damaged ({check_problem(problems[0])}); {FIX}")


def check_problem(text: str) -> str:
    """One problem of quick_check or integrity_check, on one line."""
    return one_line(Exception(text.replace("*** in database main ***", "")))
