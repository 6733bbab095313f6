"""The checks of a configuration that the models alone cannot make: ids unique, references that
name something, shifts of a line that do not overlap, breaks inside their shift.

Each problem is (key path, message); `core.config` turns it into `file:line: key.path: message`.
Problems come in the order of the file: products, connections, line by line, then [reports] and [sparkplug].
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import time
from typing import Protocol

from core.config_models import WEEKDAYS, Config, Equipment, Line, Shift
from core.config_reports import reports_errors
from core.config_sparkplug import sparkplug_errors

__all__ = ["Problem", "semantic_errors"]

Loc = tuple[int | str, ...]
Problem = tuple[Loc, str]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def semantic_errors(cfg: Config) -> list[Problem]:
    errors = [
        *_duplicate_ids(cfg.products, "products", "product"),
        *_duplicate_ids(cfg.connections, "connections", "connection"),
    ]
    connections = {c.id for c in cfg.connections}
    seen_lines: set[str] = set()
    seen_equipment: set[str] = set()  # across lines: an equipment id names one machine of the site
    for li, line in enumerate(cfg.lines):
        at = ("lines", li)
        if line.id in seen_lines:
            errors.append(((*at, "id"), f"duplicate line id {line.id!r}"))
        seen_lines.add(line.id)
        errors.extend(_constraint_errors(line, at))
        for ei, eq in enumerate(line.equipment):
            if eq.id in seen_equipment:
                errors.append(((*at, "equipment", ei, "id"), f"duplicate equipment id {eq.id!r}"))
            seen_equipment.add(eq.id)
            errors.extend(_equipment_errors(cfg, eq, (*at, "equipment", ei), connections))
        errors.extend(_shift_overlaps(line, at))
        errors.extend(_breaks_outside_their_shift(line, at))
    errors.extend(reports_errors(cfg.reports))
    errors.extend(
        sparkplug_errors(
            cfg.sparkplug,
            [line.id for line in cfg.lines],
            [eq.id for line in cfg.lines for eq in line.equipment],
        )
    )
    return errors


def _duplicate_ids(items: Sequence[_HasId], key: str, what: str) -> Iterator[Problem]:
    ids = [item.id for item in items]
    for i, item_id in enumerate(ids):
        if item_id in ids[:i]:
            yield (key, i, "id"), f"duplicate {what} id {item_id!r}"


def _constraint_errors(line: Line, at: Loc) -> Iterator[Problem]:
    if line.constraint is not None and line.constraint not in [eq.id for eq in line.equipment]:
        yield (*at, "constraint"), f"unknown constraint {line.constraint!r} (not an equipment id)"


def _equipment_errors(cfg: Config, eq: Equipment, at: Loc, connections: set[str]) -> Iterator[Problem]:
    """Signal bindings that name no connection, a signal bound twice, a string of no length, and
    fault codes whose reason is not in [reasons]."""
    bound: set[str] = set()
    for bi, binding in enumerate(eq.signals):
        where = (*at, "signals", bi)
        if binding.connection not in connections:
            yield (*where, "connection"), f"unknown connection {binding.connection!r}"
        if binding.signal in bound:
            yield (*where, "signal"), f"{binding.signal!r} is bound twice"
        bound.add(binding.signal)
        if binding.type == "string" and binding.length == 0:
            yield (*where, "length"), "a string needs a length"
    for code, reason in eq.faults.items():
        if reason not in cfg.reasons:
            yield (*at, "faults", str(code)), f"reason {reason!r} is not in [reasons]"


# Shift times as minutes of the week (Monday 00:00 is 0), so overlaps are plain interval tests.


def _week_minutes(day: int, t: time) -> int:
    return day * 1440 + t.hour * 60 + t.minute


def _length(start: time, end: time) -> int:
    """Minutes from `start` to `end`, past midnight when `end` is not after `start`."""
    return (_week_minutes(0, end) - _week_minutes(0, start)) % 1440


def _shift_spans(shift: Shift) -> list[tuple[int, int]]:
    """Minutes of the week a shift covers, as [start, end) spans (wrapping at the week's end)."""
    spans = []
    length = _length(shift.start, shift.end)
    for day in shift.days:
        start = _week_minutes(WEEKDAYS.index(day), shift.start)
        end = start + length
        if end <= 7 * 1440:
            spans.append((start, end))
        else:
            spans.extend([(start, 7 * 1440), (0, end - 7 * 1440)])
    return spans


def _shift_overlaps(line: Line, at: Loc) -> Iterator[Problem]:
    """Each pair of overlapping shifts once, at the later shift of the pair."""
    spans = [(si, span) for si, shift in enumerate(line.shifts) for span in _shift_spans(shift)]
    reported: set[tuple[int, int]] = set()
    for a, (si, (s1, e1)) in enumerate(spans):
        for sj, (s2, e2) in spans[a + 1 :]:
            if si != sj and s1 < e2 and s2 < e1 and (si, sj) not in reported:
                reported.add((si, sj))
                yield (
                    (*at, "shifts", sj),
                    f"shift {line.shifts[sj].name!r} overlaps shift {line.shifts[si].name!r}",
                )


def _breaks_outside_their_shift(line: Line, at: Loc) -> Iterator[Problem]:
    for si, shift in enumerate(line.shifts):
        length = _length(shift.start, shift.end)
        for bi, brk in enumerate(shift.breaks):
            # Offsets from the shift's start: a break after midnight in a night shift is inside it.
            b_start = _length(shift.start, brk.start)
            b_len = _length(brk.start, brk.end)
            if b_len == 0 or b_start + b_len > length:
                yield (
                    (*at, "shifts", si, "breaks", bi),
                    f"break {brk.name!r} {brk.start:%H:%M}-{brk.end:%H:%M} is outside shift "
                    f"{shift.name!r} {shift.start:%H:%M}-{shift.end:%H:%M}",
                )
