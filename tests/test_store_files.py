"""Nobody but the station's user (and the maintenance group, when the data folder is theirs) can
read the station's files: the data folder, the database, its WAL and shared-memory files, the
anchor, the socket's lock file, archives and key files. Checked as a second user of the machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.samples import Sample
from core.store import Store, StoreError
from tests.cli_runs import run_in_process
from tests.other_user import OTHER_UID, as_other_user, can_read, need_root, shared_folder

pytestmark = pytest.mark.slow  # forks a child that runs as another user

T0 = 1772427600.0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_a_little(db: Path) -> Store:
    """A store left open with rows in its WAL, as a running station has it."""
    store = Store.open(db)
    store.append_sample(Sample(T0, "FILLER", "running", 1))
    store.flush()
    store.audit().append(T0, "shell:root", "admin", "user_add", "sam", "ok")
    return store


def test_a_new_store_is_private_from_its_first_byte_whatever_the_umask() -> None:
    need_root()
    with shared_folder() as top:
        data = top / "data"
        old = os.umask(0)  # the worst umask: only the modes given at creation protect the files
        try:
            store = write_a_little(data / "station.db")
        finally:
            os.umask(old)
        try:
            files = {p.name: mode(p) for p in data.iterdir()}
            assert files == {
                "station.db": 0o600,
                "station.db-wal": 0o600,
                "station.db-shm": 0o600,
                "station.db.anchor": 0o600,
            }
            assert mode(data) == 0o700
            assert not as_other_user(can_read(data))
            # Even with the folder opened up by mistake, no file gives the other user a byte.
            data.chmod(0o755)
            for name in files:
                assert not as_other_user(can_read(data / name)), name
        finally:
            store.close()


def test_files_left_open_to_others_are_closed_at_start_with_a_line_each() -> None:
    need_root()
    with shared_folder() as top:
        data = top / "data"
        write_a_little(data / "station.db").close()
        # What an old version or a careless copy leaves: every file readable by everybody.
        (data / "station.key").write_bytes(b"secret pepper")
        (data / "station-2026-11.db.bak").write_bytes(b"an archive")
        (data / "notes.txt").write_text("not the station's")
        data.chmod(0o755)
        for p in data.iterdir():
            p.chmod(0o644)
        assert as_other_user(can_read(data / "station.db"))  # the hole, before

        out = run_in_process("user", "list", "--db", str(data / "station.db"))

        assert out.returncode == 0, out.stderr
        lines = out.stderr.splitlines()
        assert f"{data}: the data folder was mode 0755, open to other users; now 0700" in lines
        for name in ("station.db", "station.db.anchor", "station.key", "station-2026-11.db.bak"):
            assert f"{data / name}: a store file was mode 0644, open to other users; now 0640" in lines
            assert mode(data / name) == 0o640
            data.chmod(0o755)  # to show the file itself is closed, not only the folder
            assert not as_other_user(can_read(data / name)), name
            data.chmod(0o700)
        assert mode(data / "notes.txt") == 0o644  # not the station's: left alone
        assert len(lines) == 5
        # Once closed, a start says nothing more.
        assert run_in_process("user", "list", "--db", str(data / "station.db")).stderr == ""


def test_the_maintenance_groups_folder_stays_theirs_and_closed_to_others() -> None:
    need_root()
    with shared_folder() as top:
        data = top / "data"
        data.mkdir()
        data.chmod(0o2775)  # the group folder of docs/SOCKET.md, with o+rx by mistake
        store = write_a_little(data / "station.db")
        try:
            assert stat.S_IMODE(data.stat().st_mode) == 0o2770
            assert {p.name: mode(p) for p in data.iterdir()} == {
                "station.db": 0o660,
                "station.db-wal": 0o660,
                "station.db-shm": 0o660,
                "station.db.anchor": 0o660,
            }
            assert not as_other_user(can_read(data))
        finally:
            store.close()


def test_a_file_open_to_others_that_is_not_ours_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    need_root()
    data = tmp_path / "data"
    write_a_little(data / "station.db").close()
    db = data / "station.db"
    db.chmod(0o644)
    os.chown(db, OTHER_UID, OTHER_UID)

    out = run_in_process("user", "list", "--db", str(db))

    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"{db}: a store file is open to other users (mode 0644) and belongs to uid {OTHER_UID}, "
        f"not to this station's user; run `chmod 0640 {db}` as its owner"
    )
    assert mode(db) == 0o644


def test_a_folder_every_user_may_write_to_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(StoreError, match=r"a folder every user may write to .*give the station's database"):
        Store.open(shared / "station.db")
    assert list(shared.iterdir()) == []
    assert mode(shared) == 0o1777
