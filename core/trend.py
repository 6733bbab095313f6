"""A trend: the figures of `ms5 report` for each period of the line's calendar, with the downtime
Pareto, and each period compared with another (docs/ANALYTICS.md).

Each period's figures are its windows' metrics from a figure source (the store's figure slices,
`core.store_figures.StoreFigures`) added up as sums — seconds and counts — and every ratio is
derived from those sums, never averaged over periods. A comparison is a difference: ratios in
points (1 point = 0.01), times in seconds, counts in units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from typing import Any, Literal

from core.config import Line
from core.engine_figures import DowntimeEvent
from core.figure_source import FigureSource
from core.metrics import Metrics
from core.timefmt import iso
from core.trend_periods import By, Period, periods

__all__ = ["COMPARE", "Compare", "Row", "Subject", "compare_rows", "delta", "lookback_s", "trend_rows"]

Compare = Literal["previous", "same-last-week"]
COMPARE: tuple[Compare, ...] = ("previous", "same-last-week")
DAY_S = 86400.0
_RATIOS = ("availability", "performance", "quality", "oee", "teep")


@dataclass(frozen=True)
class Subject:
    """A line (its figures are its constraint's, as in `ms5 report`; its Pareto spans all its
    equipment) or one equipment of a line."""

    line: Line
    equipment: str | None = None

    @property
    def name(self) -> str:
        return self.equipment or self.line.id

    @property
    def figures_of(self) -> str:
        return self.equipment or self.line.constraint_id

    @property
    def stops_of(self) -> tuple[str, ...]:
        return (self.equipment,) if self.equipment else tuple(eq.id for eq in self.line.equipment)


@dataclass
class Row:
    subject: Subject
    period: Period
    metrics: Metrics
    downtime: list[DowntimeEvent]
    by_shift: dict[str, Metrics] = field(default_factory=dict)
    base: Row | None = None  # the period compared with
    job: dict[str, Any] | None = None  # with --by job: the run against its plan (core.trend_jobs)

    def pareto(self, by: Literal["reason", "fault_code"]) -> list[dict[str, Any]]:
        """Downtime by (equipment, reason) or (equipment, fault code), longest first."""
        acc: dict[tuple[str, Any], list[float]] = {}
        for ev in self.downtime:
            key_value = ev.reason if by == "reason" else ev.fault_code
            if key_value is None:
                continue
            entry = acc.setdefault((ev.equipment, key_value), [0.0, 0])
            entry[0] += ev.duration_s
            entry[1] += 1
        rows = [
            {"equipment": eq, by: value, "seconds": round(s, 6), "stops": int(n)}
            for (eq, value), (s, n) in acc.items()
        ]
        return sorted(rows, key=lambda r: (-r["seconds"], r["equipment"], str(r[by])))

    def to_dict(self) -> dict[str, Any]:
        tz = self.subject.line.tz
        out: dict[str, Any] = {
            "period": self.period.key,
            "from": iso(self.period.start, tz),
            "to": iso(self.period.end, tz),
            "line": self.subject.line.id,
            "equipment": self.subject.figures_of,
            "shift": self.period.shift,
            **(self.job or {}),
            **self.metrics.to_dict(),
            "pareto_by_reason": self.pareto("reason"),
            "pareto_by_fault_code": self.pareto("fault_code"),
        }
        if self.by_shift:
            out["shifts"] = {name: _ratios(m) for name, m in self.by_shift.items()}
        if self.base is not None:
            out["compare"] = {"period": self.base.period.key, **delta(self.metrics, self.base.metrics)}
        return out


def _ratios(m: Metrics) -> dict[str, Any]:
    d = m.to_dict()
    return {k: d[k] for k in ("availability", "performance", "quality", "oee", "planned_production_time_s")}


def delta(now: Metrics, then: Metrics) -> dict[str, float | None]:
    """`now` minus `then`: ratios in points, times in seconds (the six losses too), counts."""
    a, b = now.to_dict(), then.to_dict()
    out: dict[str, float | None] = {}
    for key, value in a.items():
        if key in _RATIOS:
            old = b[key]
            out[f"{key}_points"] = None if value is None or old is None else round((value - old) * 100, 4)
        elif key.endswith("_s") or key.endswith("_count"):
            out[key] = round(value - b[key], 6)
    for key, value in a["losses"].items():
        out[f"loss_{key}"] = round(value - b["losses"][key], 6)
    return out


def lookback_s(by: By, compare: Compare | None) -> float:
    """How far before the trend's first period its comparisons may reach."""
    if compare is None:
        return 0.0
    if compare == "same-last-week":
        return 8 * DAY_S
    return {"shift": 7, "day": 7, "week": 14, "month": 62}[by] * DAY_S


def _window_sum(source: FigureSource, equipment: str, windows: Sequence[tuple[float, float]]) -> Metrics:
    total = Metrics()
    for a, b in windows:
        total = total + source.metrics(equipment, a, b)
    return total


def _row(source: FigureSource, subject: Subject, period: Period, by: By) -> Row:
    windows = period.windows()
    metrics = _window_sum(source, subject.figures_of, windows)
    downtime = [ev for eq in subject.stops_of for a, b in windows for ev in source.downtime_events(eq, a, b)]
    by_shift: dict[str, Metrics] = {}
    if by != "shift":
        for occ in period.occurrences:
            m = source.metrics(subject.figures_of, occ.start, occ.end)
            by_shift[occ.name] = by_shift[occ.name] + m if occ.name in by_shift else m
    return Row(subject, period, metrics, downtime, by_shift)


def trend_rows(
    source: FigureSource,
    subjects: Sequence[Subject],
    by: By,
    a: float,
    b: float,
    *,
    week_starts: str = "mon",
    compare: Compare | None = None,
    data_from: float | None = None,
) -> list[Row]:
    """The rows of the whole-shift periods inside [a, b] of each subject, in subject then time
    order; with `compare`, each row's `base` is the period it is compared with (none before
    `data_from`, the store's first figures, nor outside the lookback)."""
    out: list[Row] = []
    reach = a - lookback_s(by, compare)
    if data_from is not None:
        reach = max(reach, data_from)
    for subject in subjects:
        calendar = source.calendars[subject.line.id]
        wanted = [p for p in periods(calendar, by, reach, b, week_starts) if p.start >= reach]
        rows = [_row(source, subject, p, by) for p in wanted]
        if compare is not None:
            compare_rows(rows, compare)
        out.extend(r for r in rows if r.period.start >= a)
    return out


def compare_rows(rows: list[Row], compare: Compare) -> None:
    """Set each row's base: the period before it, or the same shift (day, week) a week earlier."""
    if compare == "previous":
        for before, row in pairwise(rows):
            row.base = before
        return
    index = {(r.period.day, r.period.shift): r for r in rows}
    for row in rows:
        row.base = index.get((row.period.day - timedelta(days=7), row.period.shift))
