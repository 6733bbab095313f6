"""Text for the console's cells: times in the line's zone, durations, ratios. No figures are
computed here; a missing figure is shown as a dash, never as 0."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DASH = "-"


def pct(x: float | None) -> str:
    return DASH if x is None else f"{x * 100:.1f}%"


def number(x: float | None, digits: int = 1) -> str:
    if x is None:
        return DASH
    return f"{x:.{digits}f}"


def value(x: float | None) -> str:
    """A tag value: whole numbers without a fraction, others with up to four significant places."""
    if x is None:
        return DASH
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.4g}"


def duration(seconds: float | None) -> str:
    """12s, 4m05s, 2h03m: short enough for a narrow column."""
    if seconds is None:
        return DASH
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def clock(ts: float | None, tz: ZoneInfo) -> str:
    return DASH if ts is None else datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def hhmm(ts: float | None, tz: ZoneInfo) -> str:
    return DASH if ts is None else datetime.fromtimestamp(ts, tz).strftime("%H:%M")


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` cells with an ellipsis, so a long error never widens a column."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
