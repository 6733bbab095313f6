"""A station fed with the bundled demo shift (assets/demo-journal.csv) under a manual clock.

The screenshots, the report tests and the panel benchmark need a station with a real shift's
figures behind it, the same on every run: the journal's samples go through `Station.ingest`
in time order, the clock following them, and a few people's commands (Andon calls acknowledged
and resolved, a reason given to a stop) go through the command gate at fixed times.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.andon import Source
from core.auth import Role, UserStore
from core.config import COMMS_LOSS_REASON, UNASSIGNED_REASON, Config, load_config
from core.journal import read_journal
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "assets" / "demo-line.toml"
DEMO_JOURNAL = ROOT / "assets" / "demo-journal.csv"
TZ = ZoneInfo("Europe/Berlin")
DAY = "2026-03-02"

# People of the scripted commands: (name, role, PIN).
USERS = (("mia", Role.MAINTENANCE, "1357"), ("sam", Role.SUPERVISOR, "2468"))
PINS = {name: pin for name, _, pin in USERS}


def at(hhmm: str) -> float:
    """Epoch seconds of a local time on the journal's day."""
    return datetime.fromisoformat(f"{DAY}T{hhmm}").replace(tzinfo=TZ).timestamp()


CORRECTED_REASON = "Material/Labels empty"

# Mid-shift: the Early shift (06:00-14:00, lunch 10:00-10:30) is under way with most of it behind.
DEFAULT_NOW = at("12:30")


@dataclass(frozen=True)
class Scripted:
    ts: float
    command: str
    args: dict[str, Any]
    user: str | None = None


SCRIPT: tuple[Scripted, ...] = (
    Scripted(
        at("07:05"), "raise_andon", {"equipment": "FILLER", "kind": "maintenance", "note": "Infeed noisy"}
    ),
    Scripted(at("07:08:30"), "ack_andon", {"equipment": "FILLER"}, "mia"),
    Scripted(at("07:31"), "resolve_andon", {"equipment": "FILLER"}, "mia"),
    Scripted(at("09:40"), "raise_andon", {"equipment": "LABELLER", "kind": "material"}),
    Scripted(at("09:42:10"), "ack_andon", {"equipment": "LABELLER"}, "sam"),
    Scripted(at("09:55"), "resolve_andon", {"equipment": "LABELLER"}, "sam"),
    Scripted(at("11:50"), "raise_andon", {"equipment": "PACKER", "kind": "quality"}),
    Scripted(at("11:56"), "ack_andon", {"equipment": "PACKER"}, "sam"),
    # Nobody has answered this one yet: the banner shows it.
    Scripted(at("12:20"), "raise_andon", {"equipment": "CAPPER", "kind": "material"}),
)


class ManualClock:
    """The station's clock: moved by the caller, never by the wall."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def replayed_station(
    db: Path, *, until: float = DEFAULT_NOW, config: Config | None = None, script: bool = True
) -> tuple[Station, ManualClock]:
    """An open station whose engine has the demo journal up to `until` (and the scripted
    commands, with `script`), its clock standing at `until`. The caller stops it."""
    cfg = config or load_config(DEMO_CONFIG)
    samples = sorted(read_journal(DEMO_JOURNAL, cfg), key=lambda s: s.ts)
    clock = ManualClock(samples[0].ts)
    station = Station(cfg, db, clock=clock)
    station.open()
    assert station.store is not None and station.gate is not None
    gate = station.gate
    if script:
        users = UserStore(station.store.conn)
        for name, role, pin in USERS:
            users.add(name, role, pin, clock.now)
    pending = [s for s in SCRIPT if s.ts <= until] if script else []
    batch: list[Any] = []
    for sample in samples:
        if sample.ts > until:
            break
        while pending and pending[0].ts < sample.ts:
            if batch:
                station.ingest(batch)
                batch = []
            step = pending.pop(0)
            clock.now = step.ts
            station.tick()
            asyncio.run(
                gate.run(step.command, _args(station, step), user=step.user, pin=PINS.get(step.user or ""))
            )
        if batch and batch[0].ts != sample.ts:
            station.ingest(batch)
            batch = []
            clock.now = sample.ts
            station.tick()
        clock.now = sample.ts
        batch.append(sample)
    if batch:
        station.ingest(batch)
    clock.now = until
    station.tick()
    if script:
        correct_first_stop(station, CORRECTED_REASON, "sam")
    return station, clock


def _args(station: Station, step: Scripted) -> dict[str, Any]:
    """A scripted answer names the operator's own call: the machine may have a PLC call open too."""
    if step.command == "raise_andon":
        return step.args
    assert station.engine is not None
    calls = [
        c
        for c in station.engine.andon.calls
        if c.equipment == step.args["equipment"] and c.source == Source.OPERATOR
    ]
    return {"call": calls[-1].id}


def correct_first_stop(station: Station, reason: str, user: str) -> None:
    """The supervisor puts right the reason of the shift's first stop the PLC explained (a
    "drive fault" that was really the labels running out), as they would on the panel."""
    engine, gate = station.engine, station.gate
    assert engine is not None and gate is not None
    start = at("06:00")
    events = [
        ev
        for line in station.config.lines
        for eq in line.equipment
        for ev in engine.downtime_events(eq.id, start, station.clock())
        if ev.reason not in (COMMS_LOSS_REASON, UNASSIGNED_REASON, reason)
    ]
    first = min(events, key=lambda ev: ev.start)
    asyncio.run(
        gate.run(
            "set_reason",
            {"equipment": first.equipment, "at": first.start, "reason": reason},
            user=user,
            pin=PINS[user],
        )
    )
