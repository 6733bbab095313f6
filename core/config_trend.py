"""`[trends]` of the config: where a calendar week starts, and the thresholds of the rule-based
insights of `ms5 trend` (core.insights, docs/ANALYTICS.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Trends(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    week_starts: str = "mon"  # the weekday a `--by week` period begins on
    # Top loss: said when the period's largest downtime reason grew by at least this much on the
    # period compared (or is new), and lasted at least `top_loss_min_s`.
    top_loss_min_change_pct: float = Field(default=20, ge=0)
    top_loss_min_s: float = Field(default=600, ge=0)
    # Small stops: said when a period has `small_stops_factor` times the compared period's count
    # (and at least `small_stops_min_count` of them).
    small_stops_factor: float = Field(default=2.0, gt=1)
    small_stops_min_count: int = Field(default=5, ge=1)
    # Shift gap: one shift's availability at least this many points below another's ...
    shift_gap_points: float = Field(default=5, gt=0, le=100)
    # ... in each of the last this many periods (production days with --by shift) both ran.
    shift_gap_periods: int = Field(default=3, ge=1)

    @field_validator("week_starts")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value not in WEEKDAY_NAMES:
            raise ValueError(f"{value!r} is not a weekday (one of {', '.join(WEEKDAY_NAMES)})")
        return value
