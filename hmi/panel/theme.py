"""Colours and sizes of the panel (ISA-101: grey for normal, colour only for what is abnormal).

The Andon board and banner are the exception: there the colour says the kind of call, as the
line's Andon lights do.
"""

from __future__ import annotations

from hmi.paths import ASSETS

STYLESHEET = ASSETS / "panel.qss"

TOUCH_PX = 48  # the smallest touch target: a gloved fingertip
KEY_PX = 72  # PIN and number keys: pressed with gloves on

BACKGROUND = "#d4d7da"
SURFACE = "#e6e8ea"
TEXT = "#1f2328"
MUTED = "#5b6168"
ALARM = "#c62828"  # down, lost, refused: needs someone now
WARNING = "#c77700"  # behind target, a stop without a reason: needs attention
OK_TEXT = "#2e4a62"  # a done command's message: calm, not green (ISA-101)

ANDON_COLOURS: dict[str, str] = {
    "safety": "#c62828",
    "maintenance": "#ef6c00",
    "quality": "#f9a825",
    "material": "#1565c0",
    "help": "#6a1b9a",
}

# The state strip and the machine tiles: only down, no data and a stop stand out.
CATEGORY_COLOURS: dict[str, str] = {
    "running": "#8a949e",
    "small_stop": "#e0a030",
    "down": "#c62828",
    "no_data": "#7b1fa2",
    "changeover": "#5f7d95",
    "planned_stop": "#b8c2cb",
    "unscheduled": "#e6e8ea",
}

STATE_LABELS: dict[str, str] = {
    "running": "Running",
    "stopped": "Stopped",
    "no_data": "No data",
    "changeover": "Changeover",
    "planned_stop": "Planned stop",
}

# States a tile shows in colour; running, changeover and a planned stop are normal.
STATE_ALARM: dict[str, str] = {"stopped": WARNING, "no_data": ALARM}


def andon_colour(kind: str) -> str:
    return ANDON_COLOURS.get(kind, ALARM)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (#rrggbb)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return TEXT if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def stylesheet() -> str:
    try:
        return STYLESHEET.read_text(encoding="utf-8")
    except OSError:
        return ""  # a missing style leaves Qt's own look: still usable
