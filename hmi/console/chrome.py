"""The two lines above every screen: where you are (the screen tabs) and how the station is."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from hmi.console.format import clock, hhmm, pct
from hmi.console.text_line import TextLine

# (mode, key, label): the order of the tabs and their keys.
SCREENS: tuple[tuple[str, str, str], ...] = (
    ("connections", "1", "Connections"),
    ("tags", "2", "Tags"),
    ("andon", "3", "Andon"),
    ("downtime", "4", "Downtime"),
    ("oee", "5", "OEE"),
    ("events", "6", "Events"),
)


def tabs_text(current: str) -> Text:
    text = Text()
    for mode, key, label in SCREENS:
        style = "reverse bold" if mode == current else ""
        text.append(f" {key} {label} ", style=style)
    return text


class Tabs(Static):
    def __init__(self, current: str) -> None:
        super().__init__(tabs_text(current), classes="tabs")


def status_text(overview: dict[str, Any], tz: ZoneInfo) -> Text:
    """Site, line, shift, the line's OEE against target, open calls and what is broken."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(str(overview.get("site") or ""), style="bold")
    for line in overview.get("lines", []):
        shift = line["shift"]
        name = shift["name"] or "no shift"
        text.append(f"  {line['name']}  {name} {hhmm(shift['start'], tz)}-{hhmm(shift['end'], tz)}")
        oee = line["metrics"].get("oee")
        target = line.get("target_oee")
        style = "" if oee is None or target is None else ("green" if oee >= target else "yellow")
        text.append("  OEE ")
        text.append(pct(oee), style=style)
    calls = overview.get("andon", [])
    # The station sends the most urgent calls only (hmi/station/andon_list.py); the counts are all.
    counts = overview.get("andon_open") or {}
    total = max(int(counts.get("total", 0)), len(calls))
    unacked = int(counts.get("unacknowledged", sum(1 for c in calls if c["acknowledged_at"] is None)))
    if total:
        text.append("  ")
        text.append(f" Andon {total} ({unacked} unack) ", style="bold reverse red" if unacked else "bold")
    health = overview.get("health", {})
    if health.get("store_error"):
        text.append("  ")
        text.append(f" STORE: {health['store_error']} ", style="bold reverse red")
    if health.get("store_loss"):
        text.append("  ")
        text.append(f" STORE: {health['store_loss']} ", style="bold reverse red")
    if health.get("store_damage"):
        text.append("  ")
        text.append(f" STORE: {health['store_damage']} ", style="bold reverse red")
    lost = health.get("connections_lost") or []
    if lost:
        text.append("  ")
        text.append(f" LOST: {', '.join(lost)} ", style="bold reverse red")
    broken = health.get("connections_driver_error") or []
    if broken:
        text.append("  ")
        text.append(f" DRIVER ERROR: {', '.join(broken)} ", style="bold reverse magenta")
    if health.get("store_upkeep_error"):
        text.append("  ")
        text.append(f" STORE: {health['store_upkeep_error']} ", style="bold reverse yellow")
    if health.get("reports_error"):
        text.append("  ")
        text.append(f" REPORTS: {health['reports_error']} ", style="bold reverse yellow")
    if health.get("clock_step"):
        text.append("  ")
        text.append(f" CLOCK: {health['clock_step']} ", style="bold reverse yellow")
    if health.get("uplink_problem"):
        text.append("  ")
        text.append(f" {health['uplink_problem']} ", style="bold reverse yellow")
    return text


class StatusBar(Horizontal):
    """The clock repaints every second, the rest only when it changes."""

    def __init__(self) -> None:
        super().__init__(classes="status")
        # Held, not queried: the first refresh may come before the bar's children are mounted.
        self._info = TextLine("connecting to the station...", classes="status-info")
        self._clock = TextLine("", classes="status-clock")

    def compose(self) -> ComposeResult:
        yield self._info
        yield self._clock

    def show(self, overview: dict[str, Any], tz: ZoneInfo) -> None:
        self._info.set(status_text(overview, tz))
        self._clock.set(clock(overview.get("now"), tz))

    def show_error(self, message: str) -> None:
        text = Text(f"station unreachable: {message}", style="bold reverse red", no_wrap=True)
        self._info.set(text)

    def show_starting(self, status: str) -> None:
        """The station restores its engine (`starting (42 %)`): no figures yet, nothing wrong."""
        self._info.set(Text(f"station {status}", style="bold", no_wrap=True))
