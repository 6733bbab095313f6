"""The console's modules import each other without a circle, and the console and the panel never
import each other (docs/CONSOLE.md, "Modules")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "hmi" / "console"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, those imported only for type checking included: a circle
    that only mypy walks is still a circle to a reader."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def console_graph() -> dict[str, set[str]]:
    modules = {f"hmi.console.{p.stem}": p for p in CONSOLE.glob("*.py") if p.stem != "__init__"}
    return {name: imported_modules(path) & set(modules) for name, path in modules.items()}


def test_the_console_modules_import_each_other_without_a_circle() -> None:
    graph = console_graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            circle = " -> ".join((*path[path.index(module) :], module))
            raise AssertionError(f"import circle: {circle}")
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_only_the_app_imports_the_screens_and_no_screen_imports_the_app() -> None:
    graph = console_graph()
    assert sorted(m for m, imports in graph.items() if "hmi.console.app" in imports) == []
    assert "hmi.console.app" not in graph["hmi.console.base"]


def test_the_console_and_the_panel_never_import_each_other() -> None:
    for face, other in (("console", "hmi.panel"), ("panel", "hmi.console")):
        for path in (ROOT / "hmi" / face).rglob("*.py"):
            crossing = sorted(m for m in imported_modules(path) if m == other or m.startswith(f"{other}."))
            assert crossing == [], f"{path.relative_to(ROOT)} imports {crossing}"
