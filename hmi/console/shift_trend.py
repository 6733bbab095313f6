"""The OEE screen's last 14 days by shift, as text: the station's `shift_trend` view
(hmi/station/trend_view.py) laid out in a few lines, one a line of the plant, and the top insight.

Nothing is computed here: every figure is the view's. Over a slow SSH link the few lines change
when a shift closes, not with every count (the screen asks for the view rarely, hmi/console/oee.py).
"""

from __future__ import annotations

from typing import Any

from hmi.console.format import fit, pct
from hmi.console.trend import bar_rows

View = dict[str, Any]


def spark(values: list[float | None]) -> str:
    """One cell a shift, its height the OEE on a fixed 0..100 % scale (hmi/console/trend.py)."""
    return bar_rows(values, len(values), 1)[0] if values else ""


def line_text(line: View) -> str:
    """`L1  ▇▇▅▅  last 2026-03-03 Late: OEE 69.4 % (A 100.0 P 69.4 Q 100.0)`."""
    shifts = line["shifts"]
    name = fit(line["name"], 8)
    if not shifts:
        return f"{name:<8}  no closed shift in the last 14 days"
    last = shifts[-1]
    figures = " ".join(
        f"{k} {pct(last[key])}" for k, key in (("A", "availability"), ("P", "performance"), ("Q", "quality"))
    )
    return (
        f"{name:<8}  {spark([s['oee'] for s in shifts])}  last {last['period']}: "
        f"OEE {pct(last['oee'])} ({figures})"
    )


def trend_lines(view: View) -> list[str]:
    """The heading and one line a line of the plant; the view's note when it has no history."""
    head = f"Last {view['days']} days by shift (OEE, one bar a shift, oldest first)"
    if view.get("note"):
        return [head, f"  {view['note']}"]
    return [head, *(line_text(line) for line in view["lines"])]


def insight_text(view: View) -> str:
    """The top insight and what it compares: its text names the figures it rests on."""
    found = view.get("insights") or []
    if view.get("note"):
        return ""
    if not found:
        return "Insight: none (no rule's threshold was reached)"
    top = found[0]
    return f"Insight: {top['text']} [{top['comparison']}]"
