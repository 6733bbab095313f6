"""What the import contracts (pyproject.toml, `lint-imports`) cannot see: the modules a real import
loads, lazy imports inside functions included (docs/DESIGN.md, "Layers")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "textual", "pyqtgraph", "qasync", "pymodbus", "asyncua", "snap7", "pycomm3", "cpppo")


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_core_loads_no_ui_and_no_protocol_library() -> None:
    loaded = _modules_loaded_by(
        "import importlib, pkgutil, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'): importlib.import_module(m.name)"
    )
    assert "core.engine" in loaded  # the walk reached the modules
    offenders = sorted(m for m in loaded if m.split(".")[0] in (*FORBIDDEN, "connectors", "hmi"))
    assert offenders == []


def test_the_station_its_views_and_its_socket_load_no_face() -> None:
    # `ms5 engine` on a headless line PC must not need Qt or Textual, nor pay for loading them.
    loaded = _modules_loaded_by(
        "import hmi.station.runtime, hmi.station.views, hmi.station.link, hmi.report.view\n"
        "import hmi.socket.server, hmi.socket.client, hmi.cli.main"
    )
    faces = ("PySide6", "textual", "pyqtgraph", "qasync")
    assert sorted(m for m in loaded if m.split(".")[0] in faces) == []


def test_connectors_use_of_core_only_its_plain_types() -> None:
    # A driver turns PLC data into Samples: it needs the config's types and Sample/Quality, never
    # the engine, the store or the gate (the station composes those). The contracts forbid hmi;
    # an allow-list is not a contract import-linter has, so the import graph is asked here.
    graph = grimp.build_graph("connectors", "core")
    plain = ("core.config", "core.config_models", "core.samples")
    used = {
        (importer, imported)
        for importer in graph.find_children("connectors") | graph.find_descendants("connectors")
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.startswith("core")
    }
    assert used, "the graph found no import of core at all"
    assert sorted((a, b) for a, b in used if b not in plain) == []
