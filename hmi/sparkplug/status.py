"""The edge node's state in words, for the log, the console and the health line: one English
line from its parts (`EdgeNode.status()`); the panel words the same parts in its own language
(hmi/panel/screens/overview.py)."""

from __future__ import annotations

from typing import Any

Status = dict[str, Any]  # see EdgeNode.status(): plain values, as the socket sends them too


def state_words(st: Status) -> str:
    """starting, connecting, waiting for primary host …, sending buffered values, online, offline (…)."""
    phase = st["phase"]
    if phase == "waiting":
        return f"waiting for primary host {st['primary_host']}"
    if phase == "sending":
        return "sending buffered values"
    if phase == "offline":
        return f"offline ({st['why']})"
    if phase == "error":
        return f"offline (stopped by an internal error, tried again in {st['retry_s']:.0f} s)"
    return str(phase)


def problem_line(st: Status) -> str | None:
    """One line while values wait, were dropped, or a bug of ours lasts; None when all is sent."""
    parts = []
    if not st["online"]:
        parts.append(f"plant broker {state_words(st)}")
    if st["bug"] is not None:
        more = f" and {st['bugs'] - 1} more" if st["bugs"] > 1 else ""
        parts.append(f"internal error {st['bug_where']}: {st['bug']}{more} (a bug: see the log)")
    if st["buffered"]:
        parts.append(f"{st['buffered']} messages buffered ({st['buffer_mb']:.1f} MB)")
    if st["dropped"]:
        parts.append(f"{st['dropped']} dropped (buffer full, max_buffer_mb {st['max_buffer_mb']:g})")
    return "Sparkplug: " + ", ".join(parts) if parts else None
