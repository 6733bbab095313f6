"""An auditor's copy of a store, in a folder nobody may write to, can be reported, audited and
exported, and nothing is written to it or beside it.

Root ignores the write bits of a folder, so the auditor is a second user of the machine
(tests/other_user.py): they own the copy and its folder, and the folder is `chmod a-w`, which the
kernel enforces for them. (A read-only bind mount would need a mount namespace the test machines
do not all give; the second user needs nothing but root.)"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.samples import Sample
from core.store import Store
from tests.cli_runs import Outcome, run_in_process
from tests.other_user import OTHER_GID, OTHER_UID, as_other_user, need_root, shared_folder
from tests.test_report import make_store

pytestmark = pytest.mark.slow  # forks a child that runs as another user

T_AFTER = 1772427600.0 + 7300


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """The station's store, and the auditor's read-only folder and a folder for their output."""
    need_root()
    cfg, db = make_store(tmp_path)
    with shared_folder() as top:
        copy_dir, out_dir = top / "copy", top / "out"
        copy_dir.mkdir()
        out_dir.mkdir()
        shutil.copy(cfg, top / "line.toml")
        os.chown(out_dir, OTHER_UID, OTHER_GID)
        yield db, copy_dir, out_dir


def seal(folder: Path) -> list[str]:
    """The auditor's: owned by them, nobody may write to it or to its files."""
    for p in [folder, *folder.iterdir()]:
        os.chown(p, OTHER_UID, OTHER_GID)
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)
    return sorted(p.name for p in folder.iterdir())


def exported(db: Path, folder: Path) -> Outcome:
    return run_in_process("export-journal", "--db", str(db), "-o", str(folder / "journal.csv"))


def samples_in(export: Outcome) -> int:
    return int(export.stdout.split()[0])


def as_auditor(*argv: str) -> Outcome:
    return as_other_user(lambda: run_in_process(*argv))


def test_a_copy_in_a_read_only_folder_is_reported_audited_and_exported(
    folders: tuple[Path, Path, Path],
) -> None:
    db, copy_dir, out_dir = folders
    cfg = str(copy_dir.parent / "line.toml")
    shutil.copy(db, copy_dir / "station.db")
    shutil.copy(db.with_name("station.db.anchor"), copy_dir / "station.db.anchor")
    before = seal(copy_dir)
    # Proof that the folder really is read-only for the auditor.
    attempt = as_other_user(lambda: os.access(copy_dir, os.W_OK))
    assert attempt is False

    original = run_in_process("report", cfg, "--db", str(db), "--json")
    report = as_auditor("report", cfg, "--db", str(copy_dir / "station.db"), "--json")
    audit = as_auditor("audit", "verify", "--db", str(copy_dir / "station.db"))
    shown = as_auditor("audit", "show", "--db", str(copy_dir / "station.db"))
    journal = out_dir / "journal.csv"
    export = as_auditor("export-journal", "--db", str(copy_dir / "station.db"), "-o", str(journal))

    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout) == json.loads(original.stdout)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.splitlines()[0] == "audit chain holds (3 rows)"
    assert shown.returncode == 0 and len(shown.stdout.splitlines()) == 3
    assert export.returncode == 0, export.stderr
    assert samples_in(export) == samples_in(exported(db, db.parent)) > 4000
    assert sorted(p.name for p in copy_dir.iterdir()) == before  # no -wal, no -shm, nothing


def test_a_copy_taken_while_the_station_ran_is_read_with_its_wal(folders: tuple[Path, Path, Path]) -> None:
    db, copy_dir, out_dir = folders
    store = Store.open(db)
    try:
        # Rows that live only in the WAL until the station checkpoints: a copy taken now has them
        # only in its -wal file, which SQLite could not use in a read-only folder without -shm.
        store.append_samples([Sample(T_AFTER + i, "FILLER", "running", i % 2) for i in range(50)])
        store.flush()
        shutil.copy(db, copy_dir / "station.db")
        shutil.copy(db.with_name("station.db-wal"), copy_dir / "station.db-wal")
    finally:
        store.close()
    before = seal(copy_dir)

    journal = out_dir / "journal.csv"
    export = as_auditor("export-journal", "--db", str(copy_dir / "station.db"), "-o", str(journal))

    assert export.returncode == 0, export.stderr
    # The 50 rows of the WAL included: as many as the station's own file holds.
    assert samples_in(export) == samples_in(exported(db, db.parent))
    assert export.stderr.strip() == (
        f"{copy_dir / 'station.db'}: read through a private copy with its -wal file "
        "(its folder cannot be written)"
    )
    assert sorted(p.name for p in copy_dir.iterdir()) == before
