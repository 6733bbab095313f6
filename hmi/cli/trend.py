"""`ms5 trend`: the figures of `ms5 report` period by period (shift, production day, week,
month), compared with the period before or the same shift a week ago, and the rule-based
insights on them (docs/ANALYTICS.md). Read from the store's closed figure slices, never a replay.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from typing import Any

from core.config import Config, ConfigError, load_config
from core.insights import Insight, duration_text, insights
from core.job_source import job_source
from core.journal import not_in_config
from core.replay import Window
from core.store_figures import (
    NotProjected,
    StoreFigures,
    closed_slices,
    journal_end,
    journal_start,
    sliced_equipment,
)
from core.store_open import damaged
from core.timefmt import iso, parse_time
from core.trend import COMPARE, Compare, Row, Subject, lookback_s, trend_rows
from core.trend_jobs import job_rows
from core.trend_periods import BY, By
from hmi.cli.people import read_store
from hmi.errors import UsageError
from hmi.paths import default_db


def _subjects(cfg: Config, args: argparse.Namespace) -> list[Subject]:
    if args.equipment is not None:
        found = cfg.equipment_by_id().get(args.equipment)
        if found is None:
            known = ", ".join(cfg.equipment_by_id())
            raise UsageError(f"--equipment: unknown equipment {args.equipment!r} (the config has: {known})")
        return [Subject(found[0], args.equipment)]
    if args.all_equipment:
        return [Subject(line, eq.id) for line in cfg.lines for eq in line.equipment]
    return [Subject(line) for line in cfg.lines]


def _time(text: str | None, cfg: Config, name: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_time(text, cfg.lines[0].tz)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def _job_rows(
    args: argparse.Namespace, cfg: Config, subjects: list[Subject], start: float | None, end: float | None
) -> tuple[list[Row], float, float]:
    """A row per job run in the window: the runs of `ms5 report`'s `jobs`, from the journal."""
    if args.compare == "same-last-week":
        raise UsageError("--by job compares a job with the one before it on its line: --compare previous")
    with read_store(args.db) as store:
        try:
            first, last = journal_start(store.conn), journal_end(store.conn)
            if first is None or last is None:
                raise UsageError("the store's journal is empty (no job to trend)")
            a = first if start is None else start
            b = last if end is None else end
            found = job_source(cfg, store, Window(a, b))
            rows = [] if found is None else job_rows(found, subjects, a, b, args.compare)
        except sqlite3.DatabaseError as exc:
            raise damaged(exc, store.path) from None
    if not rows:
        tz = cfg.lines[0].tz
        raise UsageError(f"no job ran from {iso(a, tz)} to {iso(b, tz)} (nothing to trend by job)")
    return rows, a, b


def _rows(args: argparse.Namespace, cfg: Config, subjects: list[Subject]) -> tuple[list[Row], float, float]:
    start, end = _time(args.start, cfg, "--from"), _time(args.end, cfg, "--to")
    if start is not None and end is not None and end < start:
        raise UsageError("--from is after --to")
    if args.by == "job":
        return _job_rows(args, cfg, subjects, start, end)
    by: By = args.by
    compare: Compare | None = args.compare
    if compare == "same-last-week" and by == "month":
        raise UsageError("--compare same-last-week needs --by shift, day or week")
    with read_store(args.db) as store:
        try:
            held = closed_slices(store.conn)
            if held is None:
                raise UsageError("the store holds no closed figure slices yet (nothing to trend)")
            known = {eq.id for line in cfg.lines for eq in line.equipment}
            gone = next((eq for eq in sliced_equipment(store.conn) if eq not in known), None)
            if gone is not None:
                raise UsageError(f"{store.path}: {not_in_config(gone)}", located=True)
            first, closed = held
            a = first if start is None else max(start, first)
            b = closed if end is None else min(end, closed)
            if b <= a:
                tz = cfg.lines[0].tz
                raise UsageError(
                    f"the store's closed figures are from {iso(first, tz)} to {iso(closed, tz)}: "
                    "none in the window asked"
                )
            lo = max(first, a - lookback_s(by, compare))
            source = StoreFigures(cfg, store.conn, lo, max(lo, b))
            rows = trend_rows(
                source,
                subjects,
                by,
                a,
                b,
                week_starts=cfg.trends.week_starts,
                compare=compare,
                data_from=first,
            )
        except sqlite3.DatabaseError as exc:
            raise damaged(exc, store.path) from None
        except NotProjected as exc:
            raise UsageError(f"{exc}: the store's slices do not make these periods") from None
    return rows, a, b


def cmd_trend(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    subjects = _subjects(cfg, args)
    rows, a, b = _rows(args, cfg, subjects)
    found = insights(rows, cfg.trends)
    tz = cfg.lines[0].tz
    if args.json:
        out = {
            "by": args.by,
            "from": iso(a, tz),
            "to": iso(b, tz),
            "compare": args.compare,
            "rows": [r.to_dict() for r in rows],
            "insights": [i.to_dict() for i in found],
        }
        print(json.dumps(out, indent=2))
    elif args.csv:
        _write_csv([r.to_dict() for r in rows])
    elif args.by == "job":
        print(_job_text(rows, found, iso(a, tz), iso(b, tz)))
    else:
        print(_text(rows, found, args.by, iso(a, tz), iso(b, tz)))
    return 0


def _pct(x: float | None) -> str:
    return "    -" if x is None else f"{x * 100:5.1f}"


def _pts(x: float | None) -> str:
    return "     -" if x is None else f"{x:+6.1f}"


def _text(rows: list[Row], found: list[Insight], by: str, a: str, b: str) -> str:
    out = [f"Trend by {by}, {a} .. {b}: {len(rows)} period(s)", ""]
    compared = any(r.base is not None for r in rows)
    head = (
        f"{'period':<28} {'of':<10} {'OEE%':>5} {'Av%':>5} {'Pf%':>5} {'Ql%':>5} {'down':>12} "
        f"{'small stops':>11} {'changeover':>12}  top downtime reason"
    )
    if compared:
        head += "  | ΔOEE  ΔAv pts  Δdown s"
    out.append(head)
    for r in rows:
        m, pareto = r.metrics, r.pareto("reason")
        top = f"{pareto[0]['reason']} on {pareto[0]['equipment']}" if pareto else "-"
        line = (
            f"{r.period.key:<28} {r.subject.figures_of:<10} {_pct(m.oee)} {_pct(m.availability)} "
            f"{_pct(m.performance)} {_pct(m.quality)} {duration_text(m.down_time_s):>12} "
            f"{m.small_stop_count:>11} {duration_text(m.changeover_time_s):>12}  {top}"
        )
        if r.base is not None:
            d = r.to_dict()["compare"]
            line += f"  | {_pts(d['oee_points'])} {_pts(d['availability_points'])} {d['down_time_s']:+8.0f}"
        out.append(line)
    out.append("")
    out.append("Insights:" if found else "Insights: none (no rule's threshold was reached)")
    out.extend(f"- {i.text} [{i.comparison}]" for i in found)
    return "\n".join(out)


def _qty(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _at(text: str | None) -> str:  # ISO with the line's offset, to the minute
    return "-" if text is None else text[:16].replace("T", " ")


def _job_text(rows: list[Row], found: list[Insight], a: str, b: str) -> str:
    out = [f"Trend by job, {a} .. {b}: {len(rows)} job(s)", ""]
    w = max(len(r.period.key) for r in rows)
    out.append(
        f"{'job':<{w}} {'of':<10} {'target':>8} {'actual':>8} {'planned':<35} {'actual run':<35} "
        f"{'OEE%':>5} {'Av%':>5} {'Pf%':>5} {'Ql%':>5} {'down':>12} {'small stops':>11}"
        + ("  | ΔOEE  ΔAv pts  Δdown s" if any(r.base is not None for r in rows) else "")
    )
    for r in rows:
        j, m = r.job or {}, r.metrics
        end = "running" if j.get("running") else _at(j.get("actual_end"))
        line = (
            f"{r.period.key:<{w}} {r.subject.figures_of:<10} {_qty(j.get('target_quantity')):>8} "
            f"{_qty(j.get('actual_quantity')):>8} "
            f"{_at(j.get('planned_start')) + ' – ' + _at(j.get('planned_end')):<35} "
            f"{_at(j.get('actual_start')) + ' – ' + end:<35} {_pct(m.oee)} {_pct(m.availability)} "
            f"{_pct(m.performance)} {_pct(m.quality)} {duration_text(m.down_time_s):>12} "
            f"{m.small_stop_count:>11}"
        )
        if r.base is not None:
            d = r.to_dict()["compare"]
            line += f"  | {_pts(d['oee_points'])} {_pts(d['availability_points'])} {d['down_time_s']:+8.0f}"
        out.append(line)
    out.append("")
    out.append("Insights:" if found else "Insights: none (no rule's threshold was reached)")
    out.extend(f"- {i.text} [{i.comparison}]" for i in found)
    return "\n".join(out)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("pareto_by_reason", "pareto_by_fault_code", "shifts", "flags", "compare"):
            continue
        if isinstance(value, dict):
            out.update({f"{key}_{k}": v for k, v in value.items() if not isinstance(v, list)})
        else:
            out[key] = value
    out["flags"] = " ".join(row["flags"])
    for name in ("reason", "fault_code"):
        pareto = row[f"pareto_by_{name}"]
        out[f"top_{name}"] = f"{pareto[0]['equipment']}: {pareto[0][name]}" if pareto else ""
        out[f"top_{name}_s"] = pareto[0]["seconds"] if pareto else ""
    for key, value in row.get("compare", {}).items():
        out[f"vs_{key}"] = value
    return out


def _write_csv(rows: list[dict[str, Any]]) -> None:
    flat = [_flat(r) for r in rows]
    columns: list[str] = []
    for r in flat:
        columns.extend(k for k in r if k not in columns)
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "trend",
        help="Figures period by period from a station's store, compared, with insights.",
        description="The figures of ms5 report for each shift, production day, week or month, from "
        "the store's closed figure slices; compared with the period before or a week ago; "
        "rule-based insights with the figures they rest on (docs/ANALYTICS.md).",
    )
    p.set_defaults(func=cmd_trend)
    p.add_argument("config")
    p.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")
    p.add_argument(
        "--by",
        choices=(*BY, "job"),
        required=True,
        help="the period of a row (job: a row per job run, from the journal)",
    )
    p.add_argument("--from", dest="start", metavar="ISO", help="first period from (default: the first slice)")
    p.add_argument(
        "--to",
        dest="end",
        metavar="ISO",
        help="last period until (default: the last closed slice)",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument("--equipment", metavar="ID", help="rows of this equipment (default: each line)")
    who.add_argument("--all-equipment", action="store_true", help="rows of every equipment")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object: rows and insights")
    fmt.add_argument("--csv", action="store_true", help="the rows as CSV on standard output")
    p.add_argument(
        "--compare",
        choices=COMPARE,
        help="each period against the one before (a job: the line's job before), or the same shift "
        "(day, week) a week earlier",
    )
