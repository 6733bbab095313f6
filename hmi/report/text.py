"""The readable table `ms5 replay` prints without --json."""

from __future__ import annotations

import json
import sys
from typing import Any


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{x * 100:5.1f}%"


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


_COLUMNS = (
    f"{'':<22} {'OEE':>6} {'Avail':>6} {'Perf':>6} {'Qual':>6} {'PPT':>9} {'Run':>9} {'Down':>9} "
    f"{'Total':>8} {'Good':>8}"
)


def _row(name: str, m: dict[str, Any]) -> str:
    flag = " !" if m["flags"] else ""
    return (
        f"{name:<22} {_pct(m['oee'])} {_pct(m['availability'])} {_pct(m['performance'])} "
        f"{_pct(m['quality'])} {_hms(m['planned_production_time_s']):>9} {_hms(m['run_time_s']):>9} "
        f"{_hms(m['down_time_s']):>9} {m['total_count']:>8} {m['good_count']:>8}{flag}"
    )


def render_text(result: dict[str, Any]) -> str:
    out = [f"Window {result['window']['from']} .. {result['window']['to']}", ""]
    out.append(_COLUMNS)
    for line_id, m in result["lines"].items():
        out.append(_row(f"line {line_id} ({m['constraint']})", m))
    for eq_id, m in result["equipment"].items():
        out.append(_row(f"  {eq_id}", m))
    if result["shifts"]:
        out += ["", "Shifts"]
        for sh in result["shifts"]:
            out.append(_row(f"{sh['line']} {sh['shift']} {sh['start'][5:16]}", sh))
    events = [(eq_id, ev) for eq_id, m in result["equipment"].items() for ev in m["downtime_events"]]
    if events:
        out += ["", "Downtime events"]
        for eq_id, ev in events:
            code = "" if ev["fault_code"] is None else f" (fault {ev['fault_code']})"
            out.append(f"  {eq_id:<10} {ev['start'][:19]}  {_hms(ev['duration_s']):>8}  {ev['reason']}{code}")
    calls = [(eq_id, c) for eq_id, m in result["equipment"].items() for c in m.get("andon_events", [])]
    if calls:
        out += ["", "Andon calls"]
        for eq_id, c in calls:
            ack = (
                f"ack {c['acknowledged_by']} +{_hms(c['time_to_acknowledge_s'])}"
                if c["acknowledged_at"]
                else "not acked"
            )
            done = f"resolved +{_hms(c['time_to_resolve_s'])}" if c["resolved_at"] else c["state"]
            head = f"  #{c['id']:<3} {eq_id:<10} {c['raised_at'][:19]} {c['kind']:<11}"
            out.append(f"{head} level {c['max_level']}  {ack}, {done}")
    rejected = result.get("rejected_commands", [])
    if rejected:
        out += ["", "Rejected commands"]
        for r in rejected:
            out.append(f"  line {r['line']}: {r['user'] or '-'} {r['command']}: {r['reason']}")
    notes = _flag_notes(result["equipment"])
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


_FLAG_NOTES = {
    "performance_over_1": "performance over 100 %: check the ideal cycle time",
    "counts_while_down": "parts counted while stopped: check the running bit and the counters",
    "signal_missing": "bound signals without a good value in the window",
}


def _flag_notes(equipment: dict[str, Any]) -> list[str]:
    """One line per flag raised, with the machines that raised it (and the signals they lacked)."""
    out = []
    for flag, note in _FLAG_NOTES.items():
        raised = [(eq_id, m) for eq_id, m in equipment.items() if flag in m["flags"]]
        if not raised:
            continue
        if flag == "signal_missing":
            lacking = {eq_id: " ".join(m["data_quality"]["signals_missing"]) for eq_id, m in raised}
            which = ", ".join(f"{eq_id} ({signals})" for eq_id, signals in lacking.items())
        else:
            which = ", ".join(eq_id for eq_id, _m in raised)
        out.append(f"! {note}: {which}")
    return out


def print_result(result: dict[str, Any], *, as_json: bool) -> None:
    """What `ms5 replay` and `ms5 report` print: one JSON object, or the table."""
    if as_json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(result))
