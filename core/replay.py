"""`ms5 replay`: a recorded journal through the engine, and the figures of its window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from core.actions import Action
from core.andon import AndonCall
from core.auth import Role
from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.figure_source import FigureSource
from core.gcpause import gc_paused
from core.job_figures import job_figures, job_runs
from core.permissions import Actor
from core.samples import Sample
from core.timefmt import iso


@dataclass(frozen=True)
class Window:
    start: float
    end: float


def default_window(samples: Sequence[Sample]) -> Window:
    if not samples:
        raise ValueError("the journal has no rows")
    return Window(min(s.ts for s in samples), max(s.ts for s in samples))


@dataclass(frozen=True)
class Rejected:
    action: Action
    reason: str


def run_engine(
    config: Config,
    samples: Sequence[Sample],
    window: Window,
    actions: Sequence[Action] = (),
    users: dict[str, Role] | None = None,
    marks: tuple[float, ...] = (),
) -> tuple[Engine, list[Rejected]]:
    """Feed samples and actions in time order; an action runs after the samples of its second.
    Count buckets split at the window's edges and at `marks` (the hours of a report)."""
    engine = Engine(config, marks=(window.start, window.end, *marks))
    users = users if users is not None else {u.name: Role(u.role) for u in config.replay.users}
    rejected: list[Rejected] = []
    # Journals from several connections may interleave slightly out of order; replay them in time
    # order (stable, so same-time rows keep their file order).
    ordered = sorted(samples, key=lambda s: s.ts)
    pending = sorted(actions, key=lambda a: a.ts)
    i = 0
    for action in pending:
        while i < len(ordered) and ordered[i].ts <= action.ts:
            engine.ingest_one(ordered[i])
            i += 1
        actor = None
        if action.user is not None:
            role = Role(action.role) if action.role is not None else users.get(action.user)
            if role is None:
                rejected.append(Rejected(action, f"unknown user {action.user!r}"))
                continue
            actor = Actor(action.user, role)
        try:
            apply_recorded(engine, action.command, action.args, action.ts, actor)
        except CommandError as exc:
            rejected.append(Rejected(action, str(exc)))
    engine.ingest(ordered[i:])
    engine.tick(window.end)
    return engine, rejected


def _andon_event(call: AndonCall, tz: tzinfo) -> dict[str, Any]:
    def t(x: float | None) -> str | None:
        return None if x is None else iso(x, tz)

    return {
        "id": call.id,
        "raised_at": t(call.raised_at),
        "kind": call.kind,
        "source": call.source.value,
        "state": call.state.value,
        "raised_by": call.raised_by,
        "acknowledged_at": t(call.acknowledged_at),
        "acknowledged_by": call.acknowledged_by,
        "resolved_at": t(call.resolved_at),
        "resolved_by": call.resolved_by,
        "owner": call.owner,
        "max_level": call.level,
        "escalations": [{"level": e.level, "at": t(e.at), "notify": e.notify} for e in call.escalations],
        "notes": [{"at": t(n.at), "user": n.user, "text": n.text} for n in call.notes],
        "time_to_acknowledge_s": None
        if call.acknowledged_at is None
        else call.acknowledged_at - call.raised_at,
        "time_to_resolve_s": None if call.resolved_at is None else call.resolved_at - call.raised_at,
    }


def report(engine: FigureSource, window: Window) -> dict[str, Any]:
    """The replay object of the foundation issue: equipment, lines and shifts over the window."""
    config = engine.config
    a, b = window.start, window.end
    first_tz = config.lines[0].tz
    out: dict[str, Any] = {
        "window": {"from": iso(a, first_tz), "to": iso(b, first_tz)},
        "equipment": {},
        "lines": {},
        "shifts": [],
    }
    for line in config.lines:
        tz = line.tz
        for eq in line.equipment:
            figures = engine.metrics(eq.id, a, b).to_dict()
            figures["downtime_events"] = [
                {
                    "start": iso(ev.start, tz),
                    "end": iso(ev.end, tz),
                    "duration_s": round(ev.duration_s, 6),
                    "reason": ev.reason,
                    "fault_code": ev.fault_code,
                }
                for ev in engine.downtime_events(eq.id, a, b)
            ]
            figures["andon_events"] = [
                _andon_event(call, tz)
                for call in engine.andon.calls
                if call.equipment == eq.id and a <= call.raised_at <= b
            ]
            out["equipment"][eq.id] = figures
        constraint = line.constraint_id
        out["lines"][line.id] = {"constraint": constraint, **engine.metrics(constraint, a, b).to_dict()}
        for occ in engine.shifts(line.id, a, b):
            s, e = max(occ.start, a), min(occ.end, b)
            out["shifts"].append(
                {
                    "line": line.id,
                    "shift": occ.name,
                    "start": iso(s, tz),
                    "end": iso(e, tz),
                    **engine.metrics(constraint, s, e).to_dict(),
                }
            )
    return out


def replay(
    config: Config,
    samples: Sequence[Sample],
    window: Window | None = None,
    actions: Sequence[Action] = (),
    users: dict[str, Role] | None = None,
) -> dict[str, Any]:
    window = window or default_window(samples)
    if window.end < window.start:
        raise ValueError("the window ends before it starts")
    # Count buckets split where the jobs start and end: their figures are exact (core.job_figures).
    edges = tuple(x for r in job_runs(config, actions) for x in (r.start, r.end) if x is not None)
    with gc_paused():
        engine, rejected = run_engine(config, samples, window, actions, users, marks=edges)
    out = replay_result(engine, window, rejected)
    runs = job_runs(config, actions, [r.action for r in rejected])
    out["jobs"] = job_figures(engine, runs, (), window.start, window.end, window.end)
    return out


def replay_result(engine: FigureSource, window: Window, rejected: Sequence[Rejected]) -> dict[str, Any]:
    """The replay object of an engine `run_engine` fed: the window's figures, the refused commands."""
    out = report(engine, window)
    tz = engine.config.lines[0].tz
    out["rejected_commands"] = [
        {
            "line": r.action.line,
            "ts": iso(r.action.ts, tz),
            "user": r.action.user,
            "command": r.action.command,
            "reason": r.reason,
        }
        for r in rejected
    ]
    return out
