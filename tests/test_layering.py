"""The house rules of shared/DESIGN.md section 2 that a machine can check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "textual", "pyqtgraph", "qasync", "pymodbus", "asyncua", "snap7", "pycomm3", "cpppo")


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_core_loads_no_ui_and_no_protocol_library() -> None:
    core_modules = sorted(p.stem for p in (ROOT / "core").glob("*.py") if p.stem != "__init__")
    loaded = _modules_loaded_by("\n".join(f"import core.{name}" for name in core_modules))
    offenders = sorted(m for m in loaded if m.split(".")[0] in (*FORBIDDEN, "connectors", "hmi"))
    assert offenders == []


def test_core_source_imports_no_outer_package() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                assert words[1].split(".")[0] not in (*FORBIDDEN, "connectors", "hmi"), f"{path}: {line}"


def test_the_station_its_views_and_its_socket_load_no_face() -> None:
    # `ms5 engine` on a headless line PC must not need Qt or Textual, nor pay for loading them.
    loaded = _modules_loaded_by(
        "import hmi.station, hmi.views, hmi.link, hmi.report_view\n"
        "import hmi.socket_server, hmi.socket_client, hmi.cli"
    )
    faces = ("PySide6", "textual", "pyqtgraph", "qasync")
    assert sorted(m for m in loaded if m.split(".")[0] in faces) == []


def test_widgets_import_no_engine_internals() -> None:
    # Widgets render views and send commands through a link: the figures are not theirs. (They may
    # read core.permissions.PUBLIC to know which command needs no PIN pad; the engine still decides.)
    for folder in ("panel", "console"):
        for path in (ROOT / "hmi" / folder).rglob("*.py"):
            for line in path.read_text().splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] in ("import", "from"):
                    module = words[1]
                    assert module not in ("core.metrics", "core.engine", "core.calendar"), f"{path}: {line}"


def test_connectors_import_no_hmi_and_of_core_only_its_plain_types() -> None:
    # A driver turns PLC data into Samples: it needs the config's types and Sample/Quality, never
    # the engine, the store or a face (those are the station's, which composes them).
    plain = ("core.config", "core.samples")
    inside_plain = tuple(f"{p}." for p in plain)
    for path in (ROOT / "connectors").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                module = words[1]
                assert module.split(".")[0] != "hmi", f"{path}: {line}"
                if module.split(".")[0] == "core":
                    assert module in plain or module.startswith(inside_plain), f"{path}: {line}"
