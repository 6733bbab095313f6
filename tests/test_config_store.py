"""`[store]` in the config (docs/CONFIG.md): retention and the scheduled backups, checked by `ms5 check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from tests.cli_runs import run_in_process
from tests.test_config_check import REFERENCE_TEXT


def _write(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "line.toml"
    path.write_text(f"{REFERENCE_TEXT}\n[store]\n{section}\n", encoding="utf-8")
    return path


def test_the_defaults_keep_30_days_and_make_no_backups(tmp_path: Path) -> None:
    store = load_config(_write(tmp_path, "")).store
    assert (store.journal_days, store.backup_dir, store.backup_keep) == (30, None, 7)
    assert store.backup_folder(tmp_path / "station.db") is None


def test_a_relative_backup_dir_is_beside_the_database(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, 'journal_days = 90\nbackup_dir = "backups"\nbackup_every_h = 6'))
    assert cfg.store.journal_days == 90 and cfg.store.backup_every_h == 6
    assert cfg.store.backup_folder(Path("/var/lib/ms5/station.db")) == Path("/var/lib/ms5/backups")
    out = run_in_process("check", str(tmp_path / "line.toml"))
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("section", "key", "said"),
    [
        ("journal_days = 0", "store.journal_days", "greater than or equal to 1"),
        ("journal_days = 1.5", "store.journal_days", "valid integer"),
        ("backup_every_h = 0", "store.backup_every_h", "greater than 0"),
        ("backup_keep = 0", "store.backup_keep", "greater than or equal to 1"),
        ('backup_dir = ""', "store.backup_dir", "at least 1 character"),
        ("backup_ever_h = 6", "store.backup_ever_h", "unknown key"),
    ],
)
def test_ms5_check_refuses_a_bad_store_key_on_its_line(
    tmp_path: Path, section: str, key: str, said: str
) -> None:
    path = _write(tmp_path, section)
    out = run_in_process("check", str(path))
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert out.returncode == 2
    assert f"line.toml:{line}: {key}: " in out.stderr and said in out.stderr, out.stderr
