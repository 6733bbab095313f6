"""Rule-based insights over the rows of a trend (docs/ANALYTICS.md, "Insights").

Each insight says what it found in words, and carries the figures it rests on and the
comparison it makes, so a reader can check it against the rows; the thresholds are the
config's (`[trends]`, core.config_trend). No rule fires on figures it cannot see: a period
without a compared period gives no "grew" or "doubled", a ratio that is unknown no gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.config_trend import Trends
from core.metrics import Metrics
from core.trend import Row

__all__ = ["Insight", "duration_text", "insights"]


@dataclass(frozen=True)
class Insight:
    rule: str
    subject: str
    period: str
    text: str
    figures: dict[str, Any]
    comparison: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "subject": self.subject,
            "period": self.period,
            "text": self.text,
            "figures": self.figures,
            "comparison": self.comparison,
        }


def duration_text(seconds: float) -> str:
    s = round(seconds)
    h, m = s // 3600, s % 3600 // 60
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min {s % 60:02d} s" if m else f"{s} s"


def _subjects(rows: Sequence[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row.subject.name, []).append(row)
    return out


def insights(rows: Sequence[Row], cfg: Trends) -> list[Insight]:
    out: list[Insight] = []
    for name, mine in _subjects(rows).items():
        last = mine[-1]
        out.extend(_top_loss(name, last, cfg))
        out.extend(_small_stops(name, last, cfg))
        out.extend(_shift_gap(name, mine, cfg))
        out.extend(_performance_over_1(name, mine))
    return out


def _loss_seconds(row: Row, equipment: str, reason: str) -> float:
    return sum(e.duration_s for e in row.downtime if e.equipment == equipment and e.reason == reason)


def _top_loss(name: str, row: Row, cfg: Trends) -> list[Insight]:
    """The last period's largest downtime (equipment, reason), if it grew on the period compared."""
    pareto = row.pareto("reason")
    if not pareto or row.base is None:
        return []
    top = pareto[0]
    seconds, eq, reason = top["seconds"], top["equipment"], top["reason"]
    if seconds < cfg.top_loss_min_s:
        return []
    before = _loss_seconds(row.base, eq, reason)
    change = None if before <= 0 else (seconds - before) / before * 100
    if change is not None and change < cfg.top_loss_min_change_pct:
        return []
    grew = "new on" if change is None else f"up {change:.0f} % on"
    text = (
        f"Top loss in {row.period.key}: {reason} on {eq}, {duration_text(seconds)} in {top['stops']} "
        f"stop(s), {grew} {row.base.period.key} ({duration_text(before)})"
    )
    figures = {
        "equipment": eq,
        "reason": reason,
        "seconds": seconds,
        "stops": top["stops"],
        "compared_seconds": round(before, 6),
        "change_pct": None if change is None else round(change, 1),
    }
    return [Insight("top_loss", name, row.period.key, text, figures, _vs(row))]


def _vs(row: Row) -> str:
    assert row.base is not None
    return f"{row.period.key} against {row.base.period.key}"


def _small_stops(name: str, row: Row, cfg: Trends) -> list[Insight]:
    if row.base is None:
        return []
    now, then = row.metrics.small_stop_count, row.base.metrics.small_stop_count
    if now < cfg.small_stops_min_count or now < cfg.small_stops_factor * then:
        return []
    times = "against none" if then == 0 else f"{now / then:.1f} times the {then}"
    times_s = (
        f"({duration_text(row.metrics.small_stop_time_s)} against "
        f"{duration_text(row.base.metrics.small_stop_time_s)})"
    )
    if row.job is not None:  # a job's run against the run before it on the line
        text = (
            f"Small stops on {row.subject.figures_of} {_grew(now, then)} since job {row.period.key}: "
            f"{now} in it against {then} in {row.base.period.key} {times_s}"
        )
    else:
        text = (
            f"Small stops on {row.subject.figures_of} in {row.period.key}: {now}, {times} in "
            f"{row.base.period.key} {times_s}"
        )
    figures = {
        "equipment": row.subject.figures_of,
        "small_stop_count": now,
        "compared_small_stop_count": then,
        "small_stop_time_s": round(row.metrics.small_stop_time_s, 6),
        "compared_small_stop_time_s": round(row.base.metrics.small_stop_time_s, 6),
    }
    return [Insight("small_stops_up", name, row.period.key, text, figures, _vs(row))]


def _grew(now: int, then: int) -> str:
    if then == 0:
        return "appeared"
    factor = now / then
    if 2 <= factor < 3:
        return "doubled"
    return "tripled" if 3 <= factor < 4 else f"rose {factor:.1f} times"


def _buckets(rows: Sequence[Row]) -> list[tuple[str, dict[str, Metrics]]]:
    """Per period (per production day with --by shift), each shift name's summed figures."""
    if rows and rows[0].period.shift is None:
        return [(r.period.key, r.by_shift) for r in rows]
    days: dict[date, dict[str, Metrics]] = {}
    for r in rows:
        shifts = days.setdefault(r.period.day, {})
        name = r.period.shift or ""
        shifts[name] = shifts[name] + r.metrics if name in shifts else r.metrics
    return [(day.isoformat(), shifts) for day, shifts in days.items()]


def _shift_gap(name: str, rows: Sequence[Row], cfg: Trends) -> list[Insight]:
    """A shift whose availability is `shift_gap_points` below another's in each of the last
    `shift_gap_periods` periods both ran."""
    buckets = _buckets(rows)
    names = sorted({n for _key, shifts in buckets for n in shifts})
    out = []
    for low in names:
        for high in names:
            if low == high:
                continue
            both = [
                (key, shifts[low].availability, shifts[high].availability)
                for key, shifts in buckets
                if low in shifts and high in shifts
            ]
            last = both[-cfg.shift_gap_periods :]
            if len(last) < cfg.shift_gap_periods:
                continue
            gaps = [None if lo is None or hi is None else (hi - lo) * 100 for _k, lo, hi in last]
            if any(g is None or g < cfg.shift_gap_points for g in gaps):
                continue
            real = [g for g in gaps if g is not None]
            text = (
                f"{low} shift availability {min(real):.1f} points or more below {high} shift on "
                f"{rows[0].subject.figures_of} for {len(last)} periods ({last[0][0]} to {last[-1][0]})"
            )
            figures = {
                "equipment": rows[0].subject.figures_of,
                "periods": [
                    {"period": k, f"{low}_availability": lo, f"{high}_availability": hi} for k, lo, hi in last
                ],
                "gap_points": [round(g, 2) for g in real],
            }
            comparison = f"{low} against {high}, period by period"
            out.append(Insight("shift_gap", name, last[-1][0], text, figures, comparison))
    return out


def _performance_over_1(name: str, rows: Sequence[Row]) -> list[Insight]:
    over = [(r.period.key, r.metrics.performance) for r in rows]
    hits = [(k, p) for k, p in over if p is not None and p > 1]
    if not hits:
        return []
    worst = max(hits, key=lambda kp: kp[1])
    eq = rows[0].subject.figures_of
    text = (
        f"Performance over 1 on {eq} in {len(hits)} of {len(rows)} periods (highest {worst[1]:.3f} "
        f"in {worst[0]}): check its ideal cycle time"
    )
    figures = {
        "equipment": eq,
        "periods": [{"period": k, "performance": round(p, 6)} for k, p in hits],
    }
    comparison = "performance (ideal time of the counted parts / run time) against 1"
    return [Insight("performance_over_1", name, hits[-1][0], text, figures, comparison)]
