"""What the faces show, as plain JSON-ready data computed from the station.

Both faces render these dicts and nothing else, read through their link (hmi/station/link.py):
in-process from a LocalLink, over the station socket (hmi/socket/server.py) from a RemoteLink.
Every figure comes from the engine; this module only picks windows (the current shift, the
previous one) and names things. No Qt, no Textual.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.config import ANDON_KINDS, Line
from core.engine import Engine
from core.events import event_dict
from core.store_jobs import planned_jobs
from hmi.report.view import shift_report
from hmi.station.andon_list import open_calls, open_counts
from hmi.station.clock import StationClock, step_text
from hmi.station.report_trend import report_compare, report_trend
from hmi.station.shift import engine_of, metrics_dict, shift_window, target_so_far
from hmi.station.trend_view import shift_trend_view

if TYPE_CHECKING:
    from hmi.station.runtime import Station


def job_view(engine: Engine, line: Line, now: float) -> dict[str, Any] | None:
    job = engine.jobs.get(line.id)
    if job is None:
        return None
    m = engine.metrics(line.constraint_id, job.started, now)
    calendar = engine.calendars[line.id]
    estimated_end: float | None = None
    if job.quantity is not None and m.good_count > 0:
        remaining = max(job.quantity - m.good_count, 0)
        worked = calendar.scheduled_seconds(job.started, now) or (now - job.started)
        rate = m.good_count / worked if worked > 0 else 0.0
        if remaining == 0:
            estimated_end = now
        elif rate > 0:
            estimated_end = calendar.advance(now, remaining / rate)
    return {
        "job": job.job,
        "product": job.product,
        "quantity": job.quantity,
        "started": job.started,
        "good_count": m.good_count,
        "progress": (m.good_count / job.quantity) if job.quantity else None,
        "estimated_end": estimated_end,
    }


def connections_view(station: Station) -> list[dict[str, Any]]:
    return [d.as_dict() for d in station.diagnostics()]


def health_view(station: Station) -> dict[str, Any]:
    """What is wrong with the station itself: shown loudly on every face."""
    lost = [d.connection for d in station.diagnostics() if d.state == "failed"]
    # Not "PLC lost": the PLC may be fine, the station's driver for it has a bug.
    broken = [d.connection for d in station.diagnostics() if d.state == "driver_error"]
    store = station.store
    return {
        "store_error": station.store_error,
        "store_loss": station.store_loss,
        # What opening the store found, one line each: a mode tightened, a snapshot skipped.
        "store_notes": list(station.notes),
        # The full quick check of the file (hmi/station/store_check.py): its state, and the one line
        # of a damage it found after a start that restored first.
        "store_check": station.check.state,
        "store_damage": station.check.problem,
        # While the database cannot be written: samples held in memory to write when it can,
        # and (ever since the station started) those dropped for good to bound that memory.
        "store_backlog": store.pending if store is not None else 0,
        "store_samples_not_kept": store.dropped_samples if store is not None else 0,
        "connections_lost": lost,
        "connections_driver_error": broken,
        # A shift report not written, or its mail waiting in the outbox (hmi/station/reporter.py).
        "reports_error": station.reporter.problem() if station.reporter is not None else None,
        # The last step of the wall clock since the station started (docs/RELIABILITY.md).
        "clock_step": _clock_step(station),
        # An archive run or a scheduled backup that failed (hmi/station/upkeep.py); tried again.
        "store_upkeep_error": station.upkeep.error if station.upkeep is not None else None,
        # The plant broker away, values waiting in the store-and-forward buffer, or dropped from it.
        "uplink_problem": station.uplink.problem() if station.uplink is not None else None,
        "uplink_status": station.uplink.status() if station.uplink is not None else None,  # its parts
        "uplink_buffered": station.uplink.buffer.count if station.uplink and station.uplink.buffer else 0,
        "uplink_dropped": station.uplink.buffer.dropped if station.uplink and station.uplink.buffer else 0,
    }


def _clock_step(station: Station) -> str | None:
    clock = station.clock
    if not isinstance(clock, StationClock) or not clock.steps:
        return None
    at, size = clock.steps[-1]
    return step_text(at, size, station.config.lines[0].tz, len(clock.steps))


RATE_WINDOW_S = 300.0  # the rate a tile shows: the last five whole minutes, steady enough to read


def rate_now(engine: Engine, eq_id: str, shift_start: float, now: float) -> float | None:
    """Parts a minute (total) over the last whole minutes of the shift, at most RATE_WINDOW_S:
    whole minutes because counts are kept per minute, so a window cut inside one would guess."""
    end = now - now % 60.0
    start = max(end - RATE_WINDOW_S, shift_start)
    if end - start < 60.0:
        return None
    made = sum(total for _end, total, _good, _reject in engine.counts_per_bucket(eq_id, start, end))
    return made / ((end - start) / 60.0)


def equipment_view(station: Station, eq_id: str, shift: dict[str, Any], now: float) -> dict[str, Any]:
    engine = engine_of(station)
    line, eq = station.config.equipment_by_id()[eq_id]
    status = engine.status(eq_id)
    fault = status["fault_code"]
    m = engine.metrics(eq_id, shift["start"], now)
    connections = sorted({b.connection for b in eq.signals})
    lost = {d.connection for d in station.diagnostics() if d.state == "failed"}
    broken = {d.connection for d in station.diagnostics() if d.state == "driver_error"}
    ideal = status["ideal_cycle_time_s"]
    ideal_rate = 60.0 / float(ideal) if ideal else None
    rate = rate_now(engine, eq_id, float(shift["start"]), now)
    return {
        **status,
        "name": eq.name or eq.id,
        "line": line.id,
        "fault_reason": eq.faults.get(fault) if fault else None,
        "rate_per_min": rate,
        "ideal_rate_per_min": ideal_rate,
        # The rate against ideal: what the tile shows; 1.0 is the ideal cycle time's pace.
        "rate_vs_ideal": rate / ideal_rate if rate is not None and ideal_rate else None,
        "metrics": metrics_dict(m),
        "connections": connections,
        "connection_lost": any(c in lost for c in connections),
        "connection_driver_error": any(c in broken for c in connections),
    }


def overview(station: Station, now: float) -> dict[str, Any]:
    """Everything the line overview, the Andon banner and the console's header need."""
    engine = engine_of(station)
    lines = []
    for line in station.config.lines:
        shift = shift_window(engine, line, now)
        constraint = engine.metrics(line.constraint_id, shift["start"], now)
        lines.append(
            {
                "id": line.id,
                "name": line.name or line.id,
                "constraint": line.constraint_id,
                "target_oee": line.target_oee,
                "shift": shift,
                "metrics": metrics_dict(constraint),
                "target_so_far": target_so_far(engine, line, shift, now),
                "job": job_view(engine, line, now),
                "equipment": [equipment_view(station, eq.id, shift, now) for eq in line.equipment],
            }
        )
    return {
        "now": now,
        "site": station.config.site.name,
        "lines": lines,
        # The most urgent open calls (at most andon_list.LIMIT) and the counts of all of them.
        "andon": open_calls(engine.andon.active(), now),
        "andon_open": open_counts(engine.andon.active(), now),
        "health": health_view(station),
        "connections": connections_view(station),
    }


def machine_view(station: Station, eq_id: str, now: float) -> dict[str, Any]:
    """Machine detail: the shift's rate per minute, state timeline, counts and downtime events."""
    engine = engine_of(station)
    line, _eq = station.config.equipment_by_id()[eq_id]
    shift = shift_window(engine, line, now)
    a = shift["start"]
    return {
        **equipment_view(station, eq_id, shift, now),
        "shift": shift,
        "rate": [
            {"end": end, "total": total, "good": good, "reject": reject}
            for end, total, good, reject in engine.counts_per_bucket(eq_id, a, now + 60)
        ],
        "timeline": [{"start": s, "end": e, "category": c} for s, e, c in engine.timeline(eq_id, a, now)],
        "downtime": downtime_view(station, eq_id, a, now),
    }


def downtime_view(station: Station, eq_id: str, a: float, b: float) -> list[dict[str, Any]]:
    engine = engine_of(station)
    return [
        {
            "equipment": ev.equipment,
            "start": ev.start,
            "end": ev.end,
            "duration_s": ev.duration_s,
            "reason": ev.reason,
            "fault_code": ev.fault_code,
            "open": ev.open,
            "note": ev.note,
        }
        for ev in engine.downtime_events(eq_id, a, b)
    ]


def shift_downtime(station: Station, now: float, *, previous: bool = False) -> list[dict[str, Any]]:
    """The shift's stops of every machine, newest first, those needing a reason before the rest."""
    engine = engine_of(station)
    out: list[dict[str, Any]] = []
    for line in station.config.lines:
        shift = shift_window(engine, line, now, previous=previous)
        for eq in line.equipment:
            out.extend(downtime_view(station, eq.id, shift["start"], min(now, shift["end"])))
    out.sort(key=lambda ev: (ev["reason"] != "Unassigned", -ev["start"]))
    return out


def oee_view(station: Station, now: float, *, previous: bool = False) -> list[dict[str, Any]]:
    """Per machine and line for the current (or previous) shift, with an hourly OEE series."""
    engine = engine_of(station)
    out = []
    for line in station.config.lines:
        shift = shift_window(engine, line, now, previous=previous)
        end = min(now, shift["end"])
        for eq_id in [eq.id for eq in line.equipment] + [None]:
            target = eq_id or line.constraint_id
            m = engine.metrics(target, shift["start"], end)
            hourly = []
            t = shift["start"]
            while t < end:
                hourly.append(engine.metrics(target, t, min(t + 3600, end)).oee)
                t += 3600
            out.append(
                {
                    "line": line.id,
                    "equipment": eq_id,  # None: the line (its constraint)
                    "shift": shift,
                    "metrics": metrics_dict(m),
                    "hourly_oee": hourly,
                }
            )
    return out


def tags_view(station: Station, now: float) -> list[dict[str, Any]]:
    """Every bound signal, and every other signal seen, with its last value, quality and age."""
    bound: dict[tuple[str, str], tuple[str | None, str | None]] = {
        (eq.id, str(b.signal)): (b.connection, b.address)
        for line in station.config.lines
        for eq in line.equipment
        for b in eq.signals
    }
    keys = list(bound) + sorted(k for k in station.tags if k not in bound)
    out = []
    for key in keys:
        tag = station.tags.get(key)
        connection, address = bound.get(key, (None, None))
        out.append(
            {
                "equipment": key[0],
                "signal": key[1],
                "connection": connection,
                "address": address,
                "value": tag.value if tag else None,
                "quality": ("bad", "uncertain", "good")[tag.quality] if tag else "none",
                "age_s": (now - tag.received) if tag else None,
            }
        )
    return out


def audit_view(station: Station, limit: int = 100) -> list[dict[str, Any]]:
    gate = station.gate
    if gate is None:
        return []
    rows = gate.audit.rows()[-limit:]
    return [
        {
            "id": r.id,
            "ts": r.ts,
            "user": r.user,
            "role": r.role,
            "command": r.command,
            "target": r.target,
            "result": r.result,
            "detail": r.detail,
        }
        for r in rows
    ]


def andon_view(station: Station, now: float, recent: int = 20) -> dict[str, Any]:
    """The open calls as the overview bounds them, and the last `recent` closed ones (what the
    shift already dealt with)."""
    engine = engine_of(station)
    closed = [c for c in engine.andon.calls if not c.open][-recent:] if recent > 0 else []
    return {
        "active": open_calls(engine.andon.active(), now),
        "open": open_counts(engine.andon.active(), now),
        "recent": [c.to_dict() for c in reversed(closed)],
    }


def reasons_view(station: Station) -> dict[str, str]:
    """The reason tree: path -> category ("Mechanical/Jam/Infeed" -> "unplanned")."""
    return {name: str(category) for name, category in station.config.reasons.items()}


def config_view(station: Station) -> dict[str, Any]:
    """The parts of the config a face needs to offer choices: products, reasons, kinds, machines."""
    return {
        "site": station.config.site.name,
        "products": [
            {"id": p.id, "name": p.name or p.id, "ideal_cycle_time_s": p.ideal_cycle_time_s}
            for p in station.config.products
        ],
        "reasons": reasons_view(station),
        "andon_kinds": list(ANDON_KINDS),
        "lines": [
            {
                "id": line.id,
                "name": line.name or line.id,
                "equipment": [eq.id for eq in line.equipment],
                "equipment_names": {eq.id: eq.name or eq.id for eq in line.equipment},
                "timezone": line.timezone,
            }
            for line in station.config.lines
        ],
        "panel": {
            "idle_lock_s": station.config.panel.idle_lock_s,
            "sound": station.config.panel.sound,
            "phrases": list(station.config.panel.phrases),
            "language": station.config.panel.language,
        },
    }


def station_view(station: Station) -> dict[str, Any]:
    """Which station this is: its site and lines, its process, and its database (beside which a
    face keeps its settings for this station, as the panel's sound switch)."""
    return {
        "site": station.config.site.name,
        "lines": [line.name or line.id for line in station.config.lines],
        "pid": os.getpid(),
        "db": str(station.db_path),
    }


def users_view(station: Station) -> list[str]:
    """The users' names, for a PIN pad to offer; the PIN is checked by `login` and every command."""
    gate = station.gate
    return [] if gate is None else [u.name for u in gate.users.list()]


PLAN_KEPT_S = 12 * 3600.0  # a planned job drops off the list this long after its planned end


def planned_jobs_view(station: Station, line: str, now: float) -> list[dict[str, Any]]:
    """The line's planned jobs (`ms5 jobs import`) in order of planned start, the one running
    marked; one ended more than PLAN_KEPT_S ago is off the list (the journal says it ran)."""
    store = station.store
    if store is None:  # the store could not be opened: the faces say so already
        return []
    running = engine_of(station).jobs.get(line)
    return [
        {
            "job": j.job,
            "product": j.product,
            "quantity": j.quantity,
            "planned_start": j.planned_start,
            "planned_end": j.planned_end,
            "running": running is not None and running.job == j.job,
        }
        for j in planned_jobs(store.conn, line)
        if j.planned_end > now - PLAN_KEPT_S
    ]


def report_view(station: Station, now: float, *, previous: bool = False) -> dict[str, Any]:
    """The shift report (hmi/report/view.py)."""
    return shift_report(station, now, previous=previous)


# The named views a remote face may ask for; each takes the station, the time and its arguments.
VIEWS: dict[str, Callable[..., Any]] = {
    "overview": lambda st, now: overview(st, now),
    "machine": lambda st, now, equipment: machine_view(st, str(equipment), now),
    "downtime": lambda st, now, previous=False: shift_downtime(st, now, previous=bool(previous)),
    "oee": lambda st, now, previous=False: oee_view(st, now, previous=bool(previous)),
    "tags": lambda st, now: tags_view(st, now),
    "connections": lambda st, now: connections_view(st),
    "events": lambda st, now: [event_dict(e) for e in st.events],
    "audit": lambda st, now, limit=100: audit_view(st, int(limit)),
    "andon": lambda st, now, recent=20: andon_view(st, now, int(recent)),
    "config": lambda st, now: config_view(st),
    "station": lambda st, now: station_view(st),
    "users": lambda st, now: users_view(st),
    "report": lambda st, now, previous=False: report_view(st, now, previous=bool(previous)),
    "planned_jobs": lambda st, now, line: planned_jobs_view(st, str(line), now),
    "shift_trend": lambda st, now: shift_trend_view(st, now),
    "report_trend": lambda st, now, span="week": report_trend(st, now, str(span)),
    "report_compare": lambda st, now, line, kind="shifts", a="", b="": report_compare(
        st, now, str(line), str(kind), str(a), str(b)
    ),
}
