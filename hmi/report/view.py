"""The shift report as plain JSON-ready data: what the panel's report screen, its PDF and CSV show.

Every figure comes from the engine (core.metrics, the downtime events, the Andon board); this
module only cuts the shift into the report's four parts: the six big losses as a waterfall from
planned production time down to fully productive time, the downtime Pareto by reason, production
per hour against the pro-rata target and the Andon response times. No Qt, no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from core.andon import AndonCall
from core.config import Config, Line
from core.engine_figures import DowntimeEvent
from core.figure_source import FigureSource
from core.metrics import Metrics
from hmi.station.shift import engine_of, metrics_dict, shift_window, target_so_far

if TYPE_CHECKING:
    from hmi.station.runtime import Station

HOUR_S = 3600.0

# The waterfall's steps in the order of docs/DESIGN.md ("Where each figure is computed") and the
# losses table of docs/OEE.md: (key of Metrics.losses(), label, the OEE factor the loss is taken from).
LOSS_STEPS: tuple[tuple[str, str, str], ...] = (
    ("unplanned_stops_s", "Unplanned stops", "availability"),
    ("planned_stops_s", "Changeovers", "availability"),
    ("small_stops_s", "Small stops", "performance"),
    ("slow_cycles_s", "Slow cycles", "performance"),
    ("startup_rejects_s", "Startup rejects", "quality"),
    ("production_rejects_s", "Production rejects", "quality"),
)
SUBTOTAL_AFTER = {
    "availability": "Run time",
    "performance": "Net run time",
    "quality": "Fully productive time",
}


def _r(x: float) -> float:
    # Sums of interval lengths carry float noise; a report people compare by hand must not.
    v = round(x, 6)
    return 0.0 if v == 0 else v


def waterfall(m: Metrics) -> list[dict[str, Any]]:
    """Planned production time, each loss taken off it, a subtotal after each OEE factor.

    A step is {"label", "kind": "total" | "loss" | "subtotal", "factor", "seconds", "level"}:
    `level` is what is left after the step, so a chart draws a loss from level + seconds down
    to level. A negative slow-cycles loss (performance over 1) is kept as it is: it means a
    wrong ideal cycle time, and the metrics flag it.
    """
    level = m.planned_production_time_s
    steps: list[dict[str, Any]] = [
        {
            "label": "Planned production time",
            "kind": "total",
            "factor": None,
            "seconds": _r(level),
            "level": _r(level),
        }
    ]
    losses = m.losses()
    for i, (key, label, factor) in enumerate(LOSS_STEPS):
        level -= losses[key]
        steps.append(
            {"label": label, "kind": "loss", "factor": factor, "seconds": _r(losses[key]), "level": _r(level)}
        )
        last_of_factor = i + 1 == len(LOSS_STEPS) or LOSS_STEPS[i + 1][2] != factor
        if last_of_factor:
            kind = "total" if factor == "quality" else "subtotal"
            steps.append(
                {
                    "label": SUBTOTAL_AFTER[factor],
                    "kind": kind,
                    "factor": factor,
                    "seconds": _r(level),
                    "level": _r(level),
                }
            )
    return steps


def downtime_pareto(
    config: Config, engine: FigureSource, line: Line, a: float, b: float
) -> list[dict[str, Any]]:
    """Down time per reason over every machine of the line (a line stops wherever it stops),
    longest first, with the running share and the machines the reason stopped."""
    return pareto_rows(config, [ev for eq in line.equipment for ev in engine.downtime_events(eq.id, a, b)])


def pareto_rows(config: Config, events: Iterable[DowntimeEvent]) -> list[dict[str, Any]]:
    """The Pareto of `events` (downtime_pareto's rows; the panel's Week and Month views too)."""
    seconds_of: dict[str, float] = {}
    count_of: dict[str, int] = {}
    machines_of: dict[str, list[str]] = {}
    for ev in events:
        seconds_of[ev.reason] = seconds_of.get(ev.reason, 0.0) + ev.duration_s
        count_of[ev.reason] = count_of.get(ev.reason, 0) + 1
        machines = machines_of.setdefault(ev.reason, [])
        if ev.equipment not in machines:
            machines.append(ev.equipment)
    total = sum(seconds_of.values())
    out: list[dict[str, Any]] = []
    cumulative = 0.0
    for reason in sorted(seconds_of, key=lambda r: (-seconds_of[r], r)):
        seconds, count = seconds_of[reason], count_of[reason]
        cumulative += seconds
        out.append(
            {
                "reason": reason,
                "category": str(config.reason_category(reason)),
                "duration_s": _r(seconds),
                "count": count,
                "equipment": machines_of[reason],
                "share": seconds / total if total > 0 else None,
                "cumulative_share": cumulative / total if total > 0 else None,
            }
        )
    return out


def production_per_hour(
    engine: FigureSource, line: Line, shift: dict[str, Any], now: float
) -> list[dict[str, Any]]:
    """Every hour of the shift (from its start; the last one may be shorter): the constraint's
    counts, and the shift's target_count spread over its scheduled, non-break time. Hours that
    have not begun have no counts (None); the one under way counts so far."""
    calendar = engine.calendars[line.id]
    start, end = shift["start"], shift["end"]
    target = shift.get("target_count")
    whole = calendar.scheduled_seconds(start, end)
    out: list[dict[str, Any]] = []
    t = start
    while t < end:
        h_end = min(t + HOUR_S, end)
        hour_target: float | None = None
        so_far: float | None = None
        if target is not None and whole > 0:
            hour_target = int(target) * calendar.scheduled_seconds(t, h_end) / whole
            so_far = int(target) * calendar.scheduled_seconds(t, max(t, min(h_end, now))) / whole
        row: dict[str, Any] = {
            "start": t,
            "end": h_end,
            "target": None if hour_target is None else round(hour_target, 1),
            # The hour under way is judged against its target up to now.
            "target_so_far": None if so_far is None else round(so_far, 1),
            "total_count": None,
            "good_count": None,
            "reject_count": None,
        }
        if t < now:
            m = engine.metrics(line.constraint_id, t, min(h_end, now))
            row.update(total_count=m.total_count, good_count=m.good_count, reject_count=m.reject_count)
        out.append(row)
        t = h_end
    return out


def andon_response(call: AndonCall) -> dict[str, Any]:
    def since_raise(x: float | None) -> float | None:
        return None if x is None else _r(x - call.raised_at)

    return {
        "id": call.id,
        "equipment": call.equipment,
        "kind": call.kind,
        "source": call.source.value,
        "state": call.state.value,
        "raised_at": call.raised_at,
        "raised_by": call.raised_by,
        "acknowledged_at": call.acknowledged_at,
        "acknowledged_by": call.acknowledged_by,
        "resolved_at": call.resolved_at,
        "resolved_by": call.resolved_by,
        "max_level": call.level,
        "time_to_acknowledge_s": since_raise(call.acknowledged_at),
        "time_to_resolve_s": since_raise(call.resolved_at),
    }


def _mean(values: list[float]) -> float | None:
    return _r(sum(values) / len(values)) if values else None


def andon_summary(calls: list[dict[str, Any]]) -> dict[str, Any]:
    ack = [c["time_to_acknowledge_s"] for c in calls if c["time_to_acknowledge_s"] is not None]
    res = [c["time_to_resolve_s"] for c in calls if c["time_to_resolve_s"] is not None]
    return {
        "calls": len(calls),
        "acknowledged": len(ack),
        "resolved": len(res),
        "mean_to_acknowledge_s": _mean(ack),
        "max_to_acknowledge_s": max(ack) if ack else None,
        "mean_to_resolve_s": _mean(res),
        "max_to_resolve_s": max(res) if res else None,
    }


def line_report(
    config: Config, engine: FigureSource, line: Line, shift: dict[str, Any], end: float
) -> dict[str, Any]:
    """One line's report of `shift` ({name, start, end, target_count}) with figures up to `end`."""
    a, b = shift["start"], min(end, shift["end"])
    m = engine.metrics(line.constraint_id, a, b)
    equipment = {eq.id for eq in line.equipment}
    calls = [
        andon_response(c) for c in engine.andon.calls if c.equipment in equipment and a <= c.raised_at < b
    ]
    return {
        "id": line.id,
        "name": line.name or line.id,
        "timezone": str(line.tz),
        "constraint": line.constraint_id,
        "target_oee": line.target_oee,
        "shift": shift,
        "window": {"start": a, "end": b},
        "metrics": metrics_dict(m),
        "target_so_far": target_so_far(engine, line, shift, b),
        "waterfall": waterfall(m),
        "pareto": downtime_pareto(config, engine, line, a, b),
        "hourly": production_per_hour(engine, line, shift, b),
        "andon": calls,
        "andon_summary": andon_summary(calls),
    }


def window_shift(engine: FigureSource, line: Line, a: float, b: float) -> dict[str, Any]:
    """The report's "shift" for the window [a, b]: the line's shift when the window starts where
    one starts and ends inside it (a whole shift, or one so far), else the window itself, unnamed
    and with no target."""
    for occ in engine.calendars[line.id].occurrences(a, max(b, a + 1e-6)):
        if occ.start == a and b <= occ.end:
            return {"name": occ.name, "start": occ.start, "end": occ.end, "target_count": occ.target_count}
    return {"name": None, "start": a, "end": b, "target_count": None}


def report_of(
    config: Config,
    engine: FigureSource,
    lines: list[tuple[Line, dict[str, Any]]],
    now: float,
    *,
    previous: bool,
) -> dict[str, Any]:
    return {
        "now": now,
        "site": config.site.name,
        "previous": previous,
        "lines": [line_report(config, engine, line, shift, now) for line, shift in lines],
    }


def window_report(
    config: Config, engine: FigureSource, a: float, b: float, lines: list[Line] | None = None
) -> dict[str, Any]:
    """The report of the window [a, b] for `lines` (default: every line), as `ms5 report` writes it."""
    chosen = config.lines if lines is None else lines
    return report_of(
        config, engine, [(line, window_shift(engine, line, a, b)) for line in chosen], b, previous=False
    )


def shift_report(station: Station, now: float, previous: bool = False) -> dict[str, Any]:
    """The current (or previous) shift's report of every line of the station."""
    engine = engine_of(station)
    config = station.config
    lines = [(line, shift_window(engine, line, now, previous=previous)) for line in config.lines]
    return report_of(config, engine, lines, now, previous=previous)
