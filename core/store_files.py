"""Who may read the station's files: the data folder and every file of the store.

The database holds the users' PIN hashes and the whole journal, so nothing of it may be readable
by other users of the machine. The data folder is 0700, or 0770 when it is the maintenance
group's folder (the setgid bit, docs/SOCKET.md); its files never give other users anything.
Existing files are checked before the store is opened: a mode that gives others access is
tightened when the file is ours, else the store is refused with one line. New files are created
with their final mode (`create_private`), so there is no moment in which they are readable;
SQLite gives its -wal and -shm files the database file's mode.

Which files: the database and every file named after it (its -wal, -shm and -journal, the
anchor, the socket's lock file, archives and backups named `station*`), and every `*.key` file
in the folder (a secret kept beside the database).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.sqlite_tx import StoreError

__all__ = [
    "FOLDER_MODE",
    "GROUP_FOLDER_MODE",
    "create_private",
    "ensure_data_folder",
    "file_mode",
    "remove_store",
    "secure_store_files",
]

FOLDER_MODE = 0o700
GROUP_FOLDER_MODE = 0o770  # with the setgid bit: the maintenance group of docs/SOCKET.md
_OTHERS = 0o007


def _is_group_folder(mode: int) -> bool:
    return bool(mode & stat.S_ISGID)


def file_mode(folder: Path) -> int:
    """The mode a new file of the store gets in `folder`."""
    try:
        group = _is_group_folder(folder.stat().st_mode)
    except OSError:
        group = False
    return 0o660 if group else 0o600


def create_private(path: Path) -> bool:
    """Create `path` empty with its final mode unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, file_mode(path.parent))
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreError(f"{path}: cannot create: {exc.strerror or exc}") from None
    try:
        # The umask may only have taken bits away; the group folder's files need g+rw.
        os.fchmod(fd, file_mode(path.parent))
    finally:
        os.close(fd)
    return True


def ensure_data_folder(folder: Path) -> None:
    """Create the data folder, 0700 from the start, unless it exists; `StoreError` if it cannot be."""
    if folder.is_dir():
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot create the data folder: {exc.strerror or exc}") from None


def remove_store(db: Path) -> None:
    """Delete a store with everything SQLite and the station keep beside it (a demo's fresh start):
    an anchor left behind would make the fresh file look like one that lost its tail."""
    for suffix in ("", "-wal", "-shm", "-journal", ".anchor", ".clean"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _store_file_names(db: Path) -> list[Path]:
    stem = db.stem
    found = {db}
    try:
        entries = list(os.scandir(db.parent))
    except OSError:
        return [db]
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            continue  # the socket's own mode is the server's (0660); a link points elsewhere
        if entry.name.startswith(stem) or entry.name.endswith(".key"):
            found.add(db.parent / entry.name)
    return sorted(found)


def _tighten(path: Path, mode: int, allowed: int, what: str) -> str | None:
    """A one-line note when `path` was tightened, None when it was fine; StoreError when it is
    not ours to change."""
    excess = stat.S_IMODE(mode) & ~allowed & 0o777
    if not excess:
        return None
    was = stat.S_IMODE(mode)
    now = was & ~excess
    try:
        owner = path.stat().st_uid
    except OSError as exc:
        raise StoreError(f"{path}: cannot check its mode: {exc.strerror or exc}") from None
    if owner != os.geteuid():
        raise StoreError(
            f"{path}: {what} is open to other users (mode {was:04o}) and belongs to uid {owner}, "
            f"not to this station's user; run `chmod {now:04o} {path}` as its owner"
        )
    try:
        os.chmod(path, now)
    except OSError as exc:
        raise StoreError(f"{path}: cannot restrict its mode {was:04o}: {exc.strerror or exc}") from None
    return f"{path}: {what} was mode {was:04o}, open to other users; now {now:04o}"


def secure_store_files(db: Path) -> list[str]:
    """Create the data folder if needed (0700) and check the modes of the folder and of every
    store file in it; return a line per mode tightened. `StoreError` when one cannot be."""
    folder = db.parent
    ensure_data_folder(folder)
    try:
        folder_mode = folder.stat().st_mode
    except OSError as exc:
        raise StoreError(f"{folder}: cannot open the data folder: {exc.strerror or exc}") from None
    if folder_mode & stat.S_ISVTX and folder_mode & 0o002:
        # /tmp and its kind: making it 0700 would lock every other user out of it.
        raise StoreError(
            f"{folder}: a folder every user may write to (mode {stat.S_IMODE(folder_mode):04o}); "
            "give the station's database a folder of its own"
        )
    group = _is_group_folder(folder_mode)
    notes = []
    folder_note = _tighten(
        folder, folder_mode, GROUP_FOLDER_MODE if group else FOLDER_MODE, "the data folder"
    )
    if folder_note:
        notes.append(folder_note)
    for path in _store_file_names(db):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"{path}: cannot check its mode: {exc.strerror or exc}") from None
        # Group bits on a file are the folder's business: 0700 keeps the group out.
        note = _tighten(path, mode, 0o777 & ~_OTHERS, "a store file")
        if note:
            notes.append(note)
    return notes
