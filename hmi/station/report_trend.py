"""`report_trend` and `report_compare`: the panel report screen's Week, Month and Compare views
(docs/PANEL.md "Report", docs/ANALYTICS.md "On the panel").

The figures are `ms5 trend`'s over the store's closed figure slices (core.trend, core.insights), as
the console's `shift_trend` reads them (hmi/station/trend_view.py): in a worker thread, kept until
the next shift closes. Every figure, sum and difference is made here; the panel only lays it out.

- `report_trend(span)`: `week` is the last 7 days by shift, `month` the last 30 days by day, of
  each line: the periods' OEE, the window's losses waterfall (its figures summed, ratios
  recomputed) and downtime Pareto over every machine, and the insights of the periods compared
  each with the one before.
- `report_compare(line, kind, a, b)`: two shifts of the last 7 days (`kind="shifts"`, by their
  period keys) or two machines over those 7 days (`kind="machines"`, by equipment id) side by
  side, and the difference right minus left (ratios in points, times in seconds, counts).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from functools import partial, reduce
from typing import TYPE_CHECKING, Any

from core.config import Config, Line
from core.insights import insights
from core.metrics import Metrics
from core.store_figures import NotProjected, StoreFigures, closed_slices
from core.timefmt import iso
from core.trend import DAY_S, Row, Subject, delta, lookback_s, trend_rows
from core.trend_periods import By
from hmi.report.view import pareto_rows, waterfall
from hmi.station.trend_view import NO_HISTORY, TrendCache

if TYPE_CHECKING:
    from hmi.station.runtime import Station

__all__ = [
    "COMPARE_DAYS",
    "KINDS",
    "NOTHING_TO_COMPARE",
    "SPANS",
    "compare_view",
    "period_view",
    "report_compare",
    "report_trend",
]

SPANS: dict[str, tuple[int, By]] = {"week": (7, "shift"), "month": (30, "day")}
KINDS = ("shifts", "machines")
NOTHING_TO_COMPARE = "nothing to compare: fewer than two in the last 7 days"
COMPARE_DAYS = 7  # the shifts to choose from, and the window two machines are compared over
FIGURES = (
    "oee",
    "availability",
    "performance",
    "quality",
    "planned_production_time_s",
    "run_time_s",
    "down_time_s",
    "small_stop_time_s",
    "small_stop_count",
    "good_count",
    "reject_count",
)


def figures(m: Metrics) -> dict[str, Any]:
    d = m.to_dict()
    return {k: d[k] for k in FIGURES}


def _rows(
    config: Config, conn: sqlite3.Connection, now: float, days: int, by: By, subjects: Sequence[Subject]
) -> tuple[float, float, list[Row]] | str:
    """The trend rows of the last `days` up to the store's closed slices, each compared with the
    period before it; or why there are none."""
    try:
        held = closed_slices(conn)
        if held is None:
            return NO_HISTORY
        first, closed = held
        b = min(closed, now)
        a = max(first, b - days * DAY_S)
        lo = max(first, a - lookback_s(by, "previous"))
        source = StoreFigures(config, conn, lo, max(lo, b))
        week_starts = config.trends.week_starts
        rows = trend_rows(
            source, subjects, by, a, b, week_starts=week_starts, compare="previous", data_from=first
        )
    except NotProjected as exc:
        return f"no history: {exc}"
    except sqlite3.DatabaseError as exc:
        return f"no history: the store cannot be read ({exc})"
    return (a, b, rows) if rows else NO_HISTORY


def _total(rows: Sequence[Row]) -> Metrics:
    return reduce(lambda x, y: x + y, (r.metrics for r in rows))


def _period(row: Row) -> dict[str, Any]:
    p = row.period
    return {"period": p.key, "day": p.day.isoformat(), "shift": p.shift, "start": p.start, "end": p.end}


def _words(found: dict[str, Any], rows: Sequence[Row]) -> dict[str, Any]:
    """What a face needs to say an insight in its own language, beside core's English `text`."""
    f = found["figures"]
    rule = found["rule"]
    if rule in ("top_loss", "small_stops_up"):
        row = next(r for r in rows if r.subject.name == found["subject"] and r.period.key == found["period"])
        return {"compared_period": row.base.period.key if row.base else None}
    if rule == "shift_gap":
        low, high = (k.removesuffix("_availability") for k in list(f["periods"][0])[1:3])
        keys = [p["period"] for p in f["periods"]]
        return {
            "low": low,
            "high": high,
            "min_gap_points": min(f["gap_points"]),
            "first_period": keys[0],
            "last_period": keys[-1],
            "periods": len(keys),
        }
    if rule == "performance_over_1":
        mine = [r for r in rows if r.subject.name == found["subject"]]
        worst = max(f["periods"], key=lambda p: p["performance"])
        return {
            "hits": len(f["periods"]),
            "periods": len(mine),
            "highest": worst["performance"],
            "highest_period": worst["period"],
        }
    return {}


def _insights(config: Config, rows: Sequence[Row]) -> list[dict[str, Any]]:
    out = []
    for i in insights(rows, config.trends):
        d = i.to_dict()
        d["words"] = _words(d, rows)
        out.append(d)
    return out


def _line_out(line: Line) -> dict[str, Any]:
    return {"id": line.id, "name": line.name or line.id, "timezone": line.timezone}


def period_view(config: Config, conn: sqlite3.Connection, now: float, span: str) -> dict[str, Any]:
    """The Week or Month view (see the module's docstring)."""
    days, by = SPANS[span]
    out: dict[str, Any] = {"span": span, "by": by, "days": days, "from": None, "to": None, "insights": []}
    got = _rows(config, conn, now, days, by, [Subject(line) for line in config.lines])
    out["lines"] = [{**_line_out(line), "periods": [], "total": None} for line in config.lines]
    if isinstance(got, str):
        return {**out, "note": got}
    a, b, rows = got
    tz = config.lines[0].tz
    out.update({"from": iso(a, tz), "to": iso(b, tz), "note": None, "insights": _insights(config, rows)})
    for line in out["lines"]:
        mine = [r for r in rows if r.subject.line.id == line["id"]]
        line["periods"] = [{**_period(r), **figures(r.metrics)} for r in mine]
        if mine:
            total = _total(mine)
            line["total"] = figures(total)
            line["waterfall"] = waterfall(total)
            line["pareto"] = pareto_rows(config, [ev for r in mine for ev in r.downtime])
    return out


def _side(key: str, label: str, rows: Sequence[Row]) -> dict[str, Any]:
    return {"key": key, "label": label, "start": rows[0].period.start, "end": rows[-1].period.end} | figures(
        _total(rows)
    )


def compare_view(
    config: Config, conn: sqlite3.Connection, now: float, line_id: str, kind: str, a: str, b: str
) -> dict[str, Any]:
    """The Compare view (see the module's docstring). A choice no longer among the choices (the
    7 days moved on) falls back to the default: the view says which two it shows."""
    line = next(ln for ln in config.lines if ln.id == line_id)
    out: dict[str, Any] = {"kind": kind, "line": line_id, "timezone": line.timezone, "days": COMPARE_DAYS}
    out.update({"choices": [], "left": None, "right": None, "difference": None, "from": None, "to": None})
    subjects = [Subject(line)] if kind == "shifts" else [Subject(line, eq.id) for eq in line.equipment]
    got = _rows(config, conn, now, COMPARE_DAYS, "shift", subjects)
    if isinstance(got, str):
        return {**out, "note": got}
    start, end, rows = got
    groups: dict[str, list[Row]] = {}
    labels: dict[str, str] = {}
    for r in rows:
        key = r.period.key if kind == "shifts" else r.subject.name
        groups.setdefault(key, []).append(r)
        labels[key] = key if kind == "shifts" else next(e.name or e.id for e in line.equipment if e.id == key)
    keys = list(groups)
    if len(keys) < 2:
        return {**out, "note": NOTHING_TO_COMPARE}
    # Shifts: the one before the last against the last; machines: the first two of the line.
    default = (keys[-2], keys[-1]) if kind == "shifts" else (keys[0], keys[1])
    left = a if a in groups else default[0]
    right = b if b in groups and b != left else next(k for k in (default[1], default[0], *keys) if k != left)
    tz = line.tz
    out.update(
        {
            "choices": [
                {
                    "key": k,
                    "label": labels[k],
                    "start": groups[k][0].period.start,
                    "shift": groups[k][0].period.shift if kind == "shifts" else None,
                }
                for k in keys
            ],
            "left": _side(left, labels[left], groups[left]),
            "right": _side(right, labels[right], groups[right]),
            "difference": delta(_total(groups[right]), _total(groups[left])),
            "from": iso(start, tz),
            "to": iso(end, tz),
            "note": None,
        }
    )
    return out


_CACHES: weakref.WeakKeyDictionary[Station, dict[tuple[Any, ...], TrendCache]] = weakref.WeakKeyDictionary()
KEPT = 64  # views kept per station: every pair of a week's shifts is far fewer than a face asks for


View = dict[str, Any] | Awaitable[dict[str, Any]]


def _cached(
    station: Station,
    key: tuple[Any, ...],
    read: Callable[[Config, sqlite3.Connection, float], dict[str, Any]],
    now: float,
) -> View:
    caches = _CACHES.setdefault(station, {})
    cache = caches.get(key)
    if cache is None:
        if len(caches) >= KEPT:
            caches.pop(next(iter(caches)))
        cache = caches[key] = TrendCache(read)
    return cache.view(station, now)


def report_trend(station: Station, now: float, span: str) -> dict[str, Any] | Awaitable[dict[str, Any]]:
    if span not in SPANS:
        raise KeyError(f"span {span!r} (week or month)")
    return _cached(station, ("trend", span), partial(period_view, span=span), now)


def report_compare(
    station: Station, now: float, line: str, kind: str, a: str, b: str
) -> dict[str, Any] | Awaitable[dict[str, Any]]:
    if kind not in KINDS:
        raise KeyError(f"kind {kind!r} (shifts or machines)")
    if line not in {ln.id for ln in station.config.lines}:
        raise KeyError(f"line {line!r}")

    def read(config: Config, conn: sqlite3.Connection, at: float) -> dict[str, Any]:
        return compare_view(config, conn, at, line, kind, a, b)

    return _cached(station, ("compare", line, kind, a, b), read, now)
