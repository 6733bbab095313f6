"""A part of a test run as a second, unprivileged user of the machine.

File modes are about other users, and the suite runs as root, whom no mode stops. The part runs
in a forked child that drops to uid and gid 65534 (`nobody`, present on every Debian system and
owning no files) with no supplementary groups: to the kernel a user like any other. No account is
created (`useradd` would change the machine for every other test run on it). The child cannot
read the interpreter's own files under root's home, so whatever it imports late must have been
imported once by the parent: run the same command as root first.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

OTHER_UID = OTHER_GID = 65534
T = TypeVar("T")


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip(
            "not root: a test of file modes needs root to run its reader as a second user (uid 65534)"
        )


def as_other_user(fn: Callable[[], T]) -> T:
    """`fn()` as uid 65534; its result, or the exception it raised, re-raised as RuntimeError."""
    need_root()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(OTHER_GID)
            os.setuid(OTHER_UID)
            result: tuple[bool, object] = (True, fn())
        except BaseException as exc:  # reported to the parent, which fails the test
            result = (False, f"{type(exc).__name__}: {exc}")
        try:
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(result))
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    ok, value = pickle.loads(data)
    if not ok:
        raise RuntimeError(f"as uid {OTHER_UID}: {value}")
    return value  # type: ignore[no-any-return]


@contextmanager
def shared_folder() -> Iterator[Path]:
    """A folder the second user can reach (pytest's tmp_path sits below a 0700 folder of root's)."""
    folder = Path(tempfile.mkdtemp(prefix="ms5-other-"))
    try:
        folder.chmod(0o755)
        if not as_other_user(lambda: os.access(folder, os.R_OK | os.X_OK)):
            # A chroot whose root folder is private (fresh-debian's, made by mktemp): nobody but
            # root reaches any path, so there is no second user to test file modes against.
            pytest.skip(f"uid {OTHER_UID} cannot reach {folder.parent} here (a private root folder)")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def can_read(path: Path) -> Callable[[], bool]:
    def attempt() -> bool:
        try:
            if path.is_dir():
                os.listdir(path)
            else:
                with open(path, "rb") as f:
                    f.read(1)
        except PermissionError:
            return False
        return True

    return attempt
