"""The shift report (hmi/report/view.py) as one CSV file of sections: a section's name on its
own row, its header row, its rows and a blank line, which every spreadsheet opens as it is.
No Qt: the CSV is plain text.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def when(ts: float | None, tz: str) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def num(x: float | None) -> str:
    return "" if x is None else f"{x:g}" if isinstance(x, float) else str(x)


Section = tuple[str, list[str], list[list[str]]]  # (name, header, rows)


def _shift_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    tz = line["timezone"]
    shift = line["shift"]
    header = ["site", "line", "shift", "start", "end", "report_until", "constraint", "target_count"]
    row = [
        report["site"],
        line["id"],
        shift["name"] or "",
        when(shift["start"], tz),
        when(shift["end"], tz),
        when(line["window"]["end"], tz),
        line["constraint"],
        num(shift["target_count"]),
    ]
    return "shift", header, [row]


def _metrics_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    m = line["metrics"]
    keys = [k for k in m if k not in ("flags", "losses", "data_quality", "doubts")]
    return "metrics", keys, [[num(m[k]) for k in keys]]


def _data_quality_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    m = line["metrics"]
    dq = m["data_quality"]
    keys = list(dq)
    row = [" ".join(dq[k]) if isinstance(dq[k], list) else num(dq[k]) for k in keys]
    return "data quality", [*keys, "flags", "doubts"], [[*row, " ".join(m["flags"]), "; ".join(m["doubts"])]]


def _waterfall_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    rows = [
        [s["label"], s["kind"], s["factor"] or "", num(s["seconds"]), num(s["level"])]
        for s in line["waterfall"]
    ]
    return "losses waterfall", ["step", "kind", "factor", "seconds", "level_after_s"], rows


def _share(x: float | None) -> str:
    return num(None if x is None else round(x, 6))


def _pareto_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    header = ["reason", "category", "equipment", "duration_s", "stops", "share", "cumulative_share"]
    rows = [
        [
            r["reason"],
            r["category"],
            " ".join(r["equipment"]),
            num(r["duration_s"]),
            str(r["count"]),
            _share(r["share"]),
            _share(r["cumulative_share"]),
        ]
        for r in line["pareto"]
    ]
    return "downtime pareto", header, rows


def _hourly_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    tz = line["timezone"]
    header = ["hour_start", "hour_end", "good_count", "total_count", "reject_count", "target"]
    rows = [
        [
            when(h["start"], tz),
            when(h["end"], tz),
            num(h["good_count"]),
            num(h["total_count"]),
            num(h["reject_count"]),
            num(h["target"]),
        ]
        for h in line["hourly"]
    ]
    return "production per hour", header, rows


ANDON_CSV_HEADER = [
    "call",
    "equipment",
    "kind",
    "state",
    "raised_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "time_to_acknowledge_s",
    "time_to_resolve_s",
    "max_level",
]


def _andon_section(report: dict[str, Any], line: dict[str, Any]) -> Section:
    tz = line["timezone"]
    rows = [
        [
            str(c["id"]),
            c["equipment"],
            c["kind"],
            c["state"],
            when(c["raised_at"], tz),
            "" if c["acknowledged_at"] is None else when(c["acknowledged_at"], tz),
            c["acknowledged_by"] or "",
            "" if c["resolved_at"] is None else when(c["resolved_at"], tz),
            c["resolved_by"] or "",
            num(c["time_to_acknowledge_s"]),
            num(c["time_to_resolve_s"]),
            str(c["max_level"]),
        ]
        for c in line["andon"]
    ]
    return "andon response", ANDON_CSV_HEADER, rows


# A line's sections in the order of the CSV (and of the report on screen and on paper).
CSV_SECTIONS: tuple[Callable[[dict[str, Any], dict[str, Any]], Section], ...] = (
    _shift_section,
    _metrics_section,
    _data_quality_section,
    _waterfall_section,
    _pareto_section,
    _hourly_section,
    _andon_section,
)


JOBS_CSV_HEADER = [
    "job",
    "product",
    "target_quantity",
    "actual_quantity",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "availability",
    "performance",
    "quality",
    "oee",
]


def _local(text: str | None) -> str:
    # The jobs carry ISO times with their line's offset (core.job_figures): written as the rest.
    return "-" if text is None else datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")


def _jobs_section(report: dict[str, Any], line: dict[str, Any]) -> Section | None:
    """The jobs run or planned on the line in the window (`ms5 report` adds them), if any."""
    jobs = [j for j in report.get("jobs", ()) if j["line"] == line["id"]]
    if not jobs:
        return None
    times = ("planned_start", "planned_end", "actual_start", "actual_end")
    rows = [
        [_local(j[k]) if k in times else num(j[k]) if j[k] is not None else "" for k in JOBS_CSV_HEADER]
        for j in jobs
    ]
    return "jobs", JOBS_CSV_HEADER, rows


def csv_sections(report: dict[str, Any]) -> list[Section]:
    """(section name, header, rows) of every section of every line, as written to the CSV."""
    out: list[Section] = []
    for line in report["lines"]:
        for section in CSV_SECTIONS:
            name, header, rows = section(report, line)
            out.append((f"{line['id']} {name}", header, rows))
        jobs = _jobs_section(report, line)
        if jobs is not None:
            out.append((f"{line['id']} {jobs[0]}", jobs[1], jobs[2]))
    return out


def write_csv(report: dict[str, Any], path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for i, (name, header, rows) in enumerate(csv_sections(report)):
            if i:
                w.writerow([])
            w.writerow([f"# {name}"])
            w.writerow(header)
            w.writerows(rows)
    return target
