"""A production schedule checked before any of it is planned (`ms5 jobs import`).

The rows come from a CSV or XLSX file (read in `hmi/cli/jobs.py`) as cells with the line number a
person sees in their editor or spreadsheet. The whole file is checked first: the first bad row is
refused with its line number and nothing is planned, so a half-imported week never reaches the
panel. Times without an offset are the line's local wall-clock time, like its shifts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.config import Config
from core.engine_commands import JOB_ID_MAX
from core.store_jobs import PlannedJob
from core.timefmt import iso, parse_time

__all__ = ["COLUMNS", "PlanRefused", "Row", "check_plan"]

COLUMNS = ("job", "product", "quantity", "line", "planned start", "planned end")
JOB_MAX = JOB_ID_MAX  # what start_job takes: shown on a panel button and in reports


class PlanRefused(ValueError):
    """The schedule cannot be planned: one line, naming the row's line number."""


Cell = str | int | float | datetime | None


@dataclass(frozen=True)
class Row:
    """One row of the file: its line number (1 is the header) and its cells."""

    number: int
    cells: Sequence[Cell]


def _column_index(header: Sequence[Cell]) -> dict[str, int]:
    names = [str(c).strip().lower().replace("_", " ") if c is not None else "" for c in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise PlanRefused(f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    return {c: names.index(c) for c in COLUMNS}


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _quantity(cell: Cell) -> int:
    if isinstance(cell, bool):
        raise ValueError
    if isinstance(cell, int):
        value = cell
    elif isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise ValueError
        value = int(cell)
    else:
        value = int(_text(cell))  # "1,000" and "12.5" are not a number of parts
    if value <= 0:
        raise ValueError
    return value


def _time(cell: Cell, tz: ZoneInfo) -> float:
    if isinstance(cell, datetime):  # a spreadsheet's date cell: local time unless it has a zone
        return (cell if cell.tzinfo else cell.replace(tzinfo=tz)).timestamp()
    return parse_time(_text(cell), tz)


def check_plan(config: Config, rows: Iterable[Row], planned: Sequence[PlannedJob] = ()) -> list[PlannedJob]:
    """The jobs of `rows` (header first), checked against the config and the jobs already
    `planned`; PlanRefused at the first bad row."""
    it = iter(rows)
    header = next(it, None)
    if header is None:
        raise PlanRefused("line 1: the file is empty (columns: " + ", ".join(COLUMNS) + ")")
    col = _column_index(header.cells)
    lines = {line.id: line for line in config.lines}
    known = {j.job: j for j in planned}
    jobs: list[tuple[int, PlannedJob]] = []
    for row in it:
        cells = list(row.cells) + [None] * (len(COLUMNS) + max(col.values()))
        if all(_text(c) == "" for c in row.cells):
            continue  # a blank line between weeks
        at = f"line {row.number}"
        job, product, line_id = (_text(cells[col[c]]) for c in ("job", "product", "line"))
        if not job:
            raise PlanRefused(f"{at}: the job has no id")
        if len(job) > JOB_MAX or not job.isprintable():
            raise PlanRefused(f"{at}: job id {job[:JOB_MAX]!r} is not a short printable id")
        if job in known or any(j.job == job for _, j in jobs):
            raise PlanRefused(f"{at}: job {job!r} is already planned")
        if config.product(product) is None:
            raise PlanRefused(f"{at}: unknown product {product!r}")
        line = lines.get(line_id)
        if line is None:
            raise PlanRefused(f"{at}: unknown line {line_id!r}")
        try:
            quantity = _quantity(cells[col["quantity"]])
        except ValueError:
            raise PlanRefused(
                f"{at}: quantity {_text(cells[col['quantity']])!r} is not a whole number of parts"
            ) from None
        tz = ZoneInfo(line.timezone)
        times = []
        for name in ("planned start", "planned end"):
            try:
                times.append(_time(cells[col[name]], tz))
            except ValueError as exc:
                raise PlanRefused(f"{at}: {name}: {exc}") from None
        start, end = times
        if end <= start:
            raise PlanRefused(f"{at}: planned end {iso(end, tz)} is not after planned start {iso(start, tz)}")
        new = PlannedJob(job, product, quantity, line.id, start, end)
        for other_at, other in [(f"line {n}", j) for n, j in jobs] + [("the plan", j) for j in planned]:
            if other.line == line.id and start < other.planned_end and other.planned_start < end:
                raise PlanRefused(
                    f"{at}: job {job!r} overlaps job {other.job!r} ({other_at}) on line {line.id}"
                )
        jobs.append((row.number, new))
    return [j for _, j in jobs]
