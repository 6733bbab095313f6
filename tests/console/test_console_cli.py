"""`ms5 console`'s bad input and its attach-or-host rule, through the installed script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the console in a terminal or under Textual's pilot

MS5 = Path(sys.executable).parent / "ms5"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MS5_DATA_DIR": str(tmp_path)}
    return subprocess.run([str(MS5), "console", *args], capture_output=True, text=True, env=env, timeout=60)


def test_attach_refuses_to_host(tmp_path: Path) -> None:
    r = run(tmp_path, "--attach")
    assert r.returncode == 2
    assert r.stderr == f"ms5 console: no station runs at {tmp_path / 'station.sock'}\n"
    assert not (tmp_path / "station.db").exists()  # nothing was hosted


def test_without_a_station_or_a_config_it_says_what_to_give(tmp_path: Path) -> None:
    r = run(tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "give a CONFIG to host one here" in r.stderr


def test_bad_config_is_one_located_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\nname = 1\n")
    r = run(tmp_path, str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith("bad.toml:2: site.name:") and "Traceback" not in r.stderr


def test_demo_takes_a_config_but_no_attach(tmp_path: Path) -> None:
    r = run(tmp_path, "--demo", "--attach")
    assert r.returncode == 2
    assert r.stderr == "ms5 console: --demo runs its own line: no --attach with it\n"
    r = run(tmp_path, "--demo", str(tmp_path / "x.toml"))  # read like any CONFIG, as `ms5 panel --demo` does
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "x.toml" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "demo.db").exists()
