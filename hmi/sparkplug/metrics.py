"""What the edge node publishes: every metric's name, Sparkplug type and unit, and its value now.

Values are read from the engine and the station's views; nothing is computed here that a face
does not show. Metrics are `fast` (states, codes and counts: compared every scan, sent at once on a
change) or not (ratios and times, which change all the time: sent on a change at most once per
`figures_interval_s`). docs/SPARKPLUG.md lists them; `DEVICE_METRICS` and `NODE_METRICS` are that
list in code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.engine import Engine
from hmi.station.shift import engine_of, shift_window, target_so_far
from hmi.station.views import health_view
from sparkplug.payload import BDSEQ, REBIRTH, DataType, Metric, Value, now_ms

if TYPE_CHECKING:
    from hmi.station.runtime import Station

# PackML (ISA-TR88.00.02) state numbers and their names.
PACKML_NAMES = {
    0: "Undefined", 1: "Clearing", 2: "Stopped", 3: "Starting", 4: "Idle", 5: "Suspended",
    6: "Execute", 7: "Stopping", 8: "Aborting", 9: "Aborted", 10: "Holding", 11: "Held",
    12: "Unholding", 13: "Suspending", 14: "Unsuspending", 15: "Resetting", 16: "Completing",
    17: "Complete",
}  # fmt: skip
HOUR_S = 3600.0


@dataclass(frozen=True)
class Spec:
    name: str
    datatype: DataType
    unit: str | None = None
    fast: bool = True


I32, I64, F64, TXT, BOOL = DataType.Int32, DataType.Int64, DataType.Double, DataType.String, DataType.Boolean

DEVICE_METRICS: tuple[Spec, ...] = (
    Spec("State/PackML", I32),
    Spec("State/PackMLName", TXT),
    Spec("State/Condition", TXT),
    Spec("State/Running", BOOL),
    Spec("State/FaultCode", I32),
    Spec("State/Reason", TXT),
    Spec("State/TimeInState", F64, "s", fast=False),
    Spec("Counts/Total", I64, "parts"),
    Spec("Counts/Good", I64, "parts"),
    Spec("Counts/Reject", I64, "parts"),
    Spec("Shift/Total", I64, "parts", fast=False),
    Spec("Shift/Good", I64, "parts", fast=False),
    Spec("Shift/Reject", I64, "parts", fast=False),
    Spec("Shift/Availability", F64, "ratio", fast=False),
    Spec("Shift/Performance", F64, "ratio", fast=False),
    Spec("Shift/Quality", F64, "ratio", fast=False),
    Spec("Shift/OEE", F64, "ratio", fast=False),
    Spec("Shift/DownTime", F64, "s", fast=False),
    Spec("Shift/SmallStops", I64, "stops", fast=False),
    Spec("Shift/SmallStopTime", F64, "s", fast=False),
    Spec("Job/Product", TXT),
    Spec("Job/Quantity", I64, "parts"),
    Spec("Job/Good", I64, "parts", fast=False),
    Spec("Job/Progress", F64, "ratio", fast=False),
    Spec("Andon/OpenCalls", I32),
    Spec("Andon/HighestLevel", I32),
    Spec("Andon/OldestAge", F64, "s", fast=False),
)

NODE_METRICS: tuple[Spec, ...] = (
    Spec(BDSEQ, I64),
    Spec(REBIRTH, BOOL),
    Spec("Line/Id", TXT),
    Spec("Line/Constraint", TXT),
    Spec("Line/Condition", TXT),
    Spec("Line/Total", I64, "parts", fast=False),
    Spec("Line/Good", I64, "parts", fast=False),
    Spec("Line/Reject", I64, "parts", fast=False),
    Spec("Line/Availability", F64, "ratio", fast=False),
    Spec("Line/Performance", F64, "ratio", fast=False),
    Spec("Line/Quality", F64, "ratio", fast=False),
    Spec("Line/OEE", F64, "ratio", fast=False),
    Spec("Line/TargetOEE", F64, "ratio"),
    Spec("Shift/Name", TXT),
    Spec("Shift/Target", I64, "parts"),
    Spec("Shift/TargetSoFar", I64, "parts", fast=False),
    Spec("Andon/OpenCalls", I32),
    Spec("Andon/HighestLevel", I32),
    Spec("Health/StoreError", TXT),
    Spec("Health/StoreBacklog", I64, "samples", fast=False),
    Spec("Health/SamplesNotKept", I64, "samples"),
    Spec("Health/ConnectionsLost", I32),
    Spec("Health/ConnectionsTotal", I32),
    Spec("Health/BufferedValues", I64, "messages", fast=False),
    Spec("Health/BufferDropped", I64, "messages"),
)


def _ratio(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 6)


class Reader:
    """Reads the metrics' values; keeps the cumulative counts' base, summed once an hour."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self._base: dict[str, tuple[float, tuple[int, int, int]]] = {}  # equipment -> (hour, counts)

    def _stored(self, eq: str, before: float) -> tuple[int, int, int]:
        store = self.station.store
        assert store is not None
        row = store.conn.execute(
            "SELECT coalesce(sum(total), 0), coalesce(sum(good), 0), coalesce(sum(reject), 0) "
            "FROM minute_counts WHERE equipment = ? AND minute < ?",
            (eq, before),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def _cumulative(self, engine: Engine, eq: str, now: float) -> tuple[int, int, int]:
        """Every part the engine counted for `eq`: whole hours summed once, the hour so far each time."""
        hour = now - now % HOUR_S
        cached = self._base.get(eq)
        if cached is None or cached[0] != hour:
            # What the engine no longer keeps (bounded memory: it is pruned at shift ends) comes
            # from the store's per-minute counts, long written by then; the rest from the engine.
            kept = engine.pruned_before
            older = self._stored(eq, kept) if kept > -math.inf else (0, 0, 0)
            buckets = engine.counts_per_bucket(eq, kept, hour) if hour > kept else []
            sums = (
                older[0] + sum(b[1] for b in buckets),
                older[1] + sum(b[2] for b in buckets),
                older[2] + sum(b[3] for b in buckets),
            )
            cached = self._base[eq] = (hour, sums)
        recent = engine.counts_per_bucket(eq, hour, now + 60.0)
        base = cached[1]
        return (
            base[0] + sum(b[1] for b in recent),
            base[1] + sum(b[2] for b in recent),
            base[2] + sum(b[3] for b in recent),
        )

    def device(self, eq_id: str, now: float, *, figures: bool) -> dict[str, Value]:
        """The values of one equipment; those not `fast` only when `figures`."""
        station = self.station
        engine = engine_of(station)
        line, eq = station.config.equipment_by_id()[eq_id]
        status = engine.status(eq_id)
        packml = status["packml_state"]
        fault = int(status["fault_code"] or 0)
        cond = str(status["state"])
        calls = [c for c in engine.andon.active() if c.equipment == eq_id]
        total, good, reject = self._cumulative(engine, eq_id, now)
        job = engine.jobs.get(line.id)
        values: dict[str, Value] = {
            "State/PackML": None if packml is None else int(packml),
            "State/PackMLName": None if packml is None else PACKML_NAMES.get(int(packml), "Unknown"),
            "State/Condition": cond,
            "State/Running": cond == "running",
            "State/FaultCode": fault,
            "State/Reason": eq.faults.get(fault) if fault else None,
            "Counts/Total": total,
            "Counts/Good": good,
            "Counts/Reject": reject,
            "Job/Product": job.product if job else None,
            "Job/Quantity": job.quantity if job else None,
            "Andon/OpenCalls": len(calls),
            "Andon/HighestLevel": max((c.level for c in calls), default=0),
        }
        if figures:
            shift = shift_window(engine, line, now)
            m = engine.metrics(eq_id, shift["start"], now)
            job_good = engine.metrics(line.constraint_id, job.started, now).good_count if job else None
            values |= {
                "State/TimeInState": round(max(now - float(status["since"]), 0.0), 3),
                "Shift/Total": m.total_count,
                "Shift/Good": m.good_count,
                "Shift/Reject": m.reject_count,
                "Shift/Availability": _ratio(m.availability),
                "Shift/Performance": _ratio(m.performance),
                "Shift/Quality": _ratio(m.quality),
                "Shift/OEE": _ratio(m.oee),
                "Shift/DownTime": round(m.down_time_s, 3),
                "Shift/SmallStops": m.small_stop_count,
                "Shift/SmallStopTime": round(m.small_stop_time_s, 3),
                "Job/Good": job_good,
                "Job/Progress": _ratio(job_good / job.quantity)
                if job and job.quantity and job_good is not None
                else None,
                "Andon/OldestAge": round(now - min(c.raised_at for c in calls), 3) if calls else None,
            }
        return values

    def node(self, now: float, *, figures: bool, buffered: int, dropped: int) -> dict[str, Value]:
        """The line's values (the first line of the config: the edge node is a line)."""
        station = self.station
        engine = engine_of(station)
        line = station.config.lines[0]
        health = health_view(station)
        calls = [c for c in engine.andon.active() if c.equipment in {eq.id for eq in line.equipment}]
        shift = shift_window(engine, line, now)
        values: dict[str, Value] = {
            "Line/Id": line.id,
            "Line/Constraint": line.constraint_id,
            "Line/Condition": str(engine.status(line.constraint_id)["state"]),
            "Line/TargetOEE": line.target_oee,
            "Shift/Name": shift["name"],
            "Shift/Target": shift["target_count"],
            "Andon/OpenCalls": len(calls),
            "Andon/HighestLevel": max((c.level for c in calls), default=0),
            "Health/StoreError": health["store_error"] or health["store_loss"],
            "Health/SamplesNotKept": int(health["store_samples_not_kept"]),
            "Health/ConnectionsLost": len(health["connections_lost"]),
            "Health/ConnectionsTotal": len(station.diagnostics()),
            "Health/BufferDropped": dropped,
        }
        if figures:
            m = engine.metrics(line.constraint_id, shift["start"], now)
            values |= {
                "Line/Total": m.total_count,
                "Line/Good": m.good_count,
                "Line/Reject": m.reject_count,
                "Line/Availability": _ratio(m.availability),
                "Line/Performance": _ratio(m.performance),
                "Line/Quality": _ratio(m.quality),
                "Line/OEE": _ratio(m.oee),
                "Shift/TargetSoFar": target_so_far(engine, line, shift, now),
                "Health/StoreBacklog": int(health["store_backlog"]),
                "Health/BufferedValues": buffered,
            }
        return values


def birth_metrics(
    values: dict[str, Value], specs: tuple[Spec, ...], aliases: dict[str, int]
) -> tuple[Metric, ...]:
    """A birth's metrics: name, alias, type, value and the engUnit property, stamped now."""
    ts = now_ms()
    return tuple(
        Metric(
            s.name,
            values.get(s.name),
            s.datatype,
            alias=aliases[s.name],
            timestamp_ms=ts,
            properties={"engUnit": s.unit} if s.unit else {},
        )
        for s in specs
    )
