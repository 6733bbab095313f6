"""The one-folder build of pyinstaller.spec runs on its own: `ms5 --help`, the demo (the simulated
line with all four protocols, the Logix one served by the bundle itself as `ms5 -m
cpppo.server.enip`) and the panel offscreen with live data, none of it from this checkout's Python.

It builds into a temporary folder (about a minute on two cores) and runs in CI like any other test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port

pytestmark = pytest.mark.slow  # builds the one-folder ms5

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("pyinstaller")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(ROOT / "pyinstaller.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    folder = work / "dist" / "ms5"
    assert (folder / "ms5").is_file()
    yield folder


def _env(tmp_path: Path) -> dict[str, str]:
    # No PYTHONPATH or venv: the bundle must carry everything it imports.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["MS5_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_the_bundle_prints_its_help(bundle: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [str(bundle / "ms5"), "--help"], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    for command in ("demo", "panel", "console", "replay", "report", "user", "audit"):
        assert command in run.stdout


def test_the_bundle_runs_the_demo_line_with_all_four_protocols(bundle: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [str(bundle / "ms5"), "demo", "--seconds", "8", "--every", "4"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 0, run.stderr + out
    for connection in ("filler-plc", "capper-plc", "labeller-plc", "packer-plc"):
        assert f"station: {connection} connected" in out, out
    # Figures of every machine came through: OEE and counts printed from the engine.
    for machine in ("FILLER", "CAPPER", "LABELLER", "PACKER"):
        assert re.search(rf"{machine}\s+\w+.*OEE\s+\d+\.\d%.*good\s+\d+", out), out
    assert "demo stopped" in out


def test_the_bundle_runs_the_panel_offscreen_on_the_demo_line(bundle: Path, tmp_path: Path) -> None:
    # The demo line's PLCs on free ports: the usual ones may be taken by another run.
    config = (bundle / "_internal" / "assets" / "demo-line.toml").read_text(encoding="utf-8")
    for port in ("15020", "14840", "11102", "14818"):
        config = config.replace(f"port = {port}\n", f"port = {free_port()}\n")
    path = tmp_path / "line.toml"
    path.write_text(config, encoding="utf-8")
    check = subprocess.run(
        [str(bundle / "ms5"), "check", str(path)], env=_env(tmp_path), capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    run = subprocess.run(
        [str(bundle / "ms5"), "panel", str(path), "--demo", "--seconds", "6", "--size", "1280x800"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    # The panel's station recorded what the simulated PLCs served.
    report = subprocess.run(
        [str(bundle / "ms5"), "report", str(path), "--db", str(tmp_path / "data" / "demo.db"), "--json"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert sum(eq["total_count"] for eq in figures["equipment"].values()) > 0, figures
