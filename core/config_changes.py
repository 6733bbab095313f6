"""What changed between two configs, in one line: what `ms5 engine` says when it applies a new one
on SIGHUP, so the person who edited the file sees that the station took what they meant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.config_models import Config


def _by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _diff(what: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    changed = [k for k in new if k in old and new[k] != old[k]]
    out = []
    if added:
        out.append(f"{what} added: {', '.join(added)}")
    if removed:
        out.append(f"{what} removed: {', '.join(removed)}")
    if changed:
        out.append(f"{what} changed: {', '.join(changed)}")
    return out


def config_changes(old: Config, new: Config) -> list[str]:
    """The differences, coarsest first: connections and equipment by id, then each line's other
    settings, then the top-level sections. Empty when the two configs mean the same."""
    parts = _diff("connections", _by_id(old.connections), _by_id(new.connections))
    old_eq = {eq.id: eq for line in old.lines for eq in line.equipment}
    new_eq = {eq.id: eq for line in new.lines for eq in line.equipment}
    parts += _diff("equipment", old_eq, new_eq)
    old_lines = {line.id: line.model_dump(exclude={"equipment"}) for line in old.lines}
    new_lines = {line.id: line.model_dump(exclude={"equipment"}) for line in new.lines}
    parts += [p for p in _diff("lines", old_lines, new_lines) if not p.startswith("lines changed")]
    for line_id, settings in new_lines.items():
        before = old_lines.get(line_id)
        if before is not None and before != settings:
            keys = [k for k in settings if settings[k] != before.get(k)]
            parts.append(f"line {line_id} changed: {', '.join(keys)}")
    sections = [
        name
        for name in type(new).model_fields
        if name not in ("connections", "lines") and getattr(old, name) != getattr(new, name)
    ]
    if sections:
        parts.append(f"{', '.join(sections)} changed")
    return parts
