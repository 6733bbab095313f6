"""Colours and sizes of the panel (ISA-101: grey for normal, colour only for what is abnormal).

The Andon board and banner are the exception: there the colour says the kind of call, as the
line's Andon lights do.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from hmi.panel.language import QT_TRANSLATE_NOOP
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

# Marked for translation here, translated where shown (state_label, kind_label, category_label).
STATE_LABELS: dict[str, str] = {
    "running": QT_TRANSLATE_NOOP("state", "Running"),
    "stopped": QT_TRANSLATE_NOOP("state", "Stopped"),
    "no_data": QT_TRANSLATE_NOOP("state", "No data"),
    "changeover": QT_TRANSLATE_NOOP("state", "Changeover"),
    "planned_stop": QT_TRANSLATE_NOOP("state", "Planned stop"),
}
KIND_LABELS: dict[str, str] = {
    "safety": QT_TRANSLATE_NOOP("kind", "Safety"),
    "maintenance": QT_TRANSLATE_NOOP("kind", "Maintenance"),
    "quality": QT_TRANSLATE_NOOP("kind", "Quality"),
    "material": QT_TRANSLATE_NOOP("kind", "Material"),
    "help": QT_TRANSLATE_NOOP("kind", "Help"),
}
CATEGORY_LABELS: dict[str, str] = {
    "running": QT_TRANSLATE_NOOP("category", "running"),
    "small_stop": QT_TRANSLATE_NOOP("category", "small stop"),
    "down": QT_TRANSLATE_NOOP("category", "down"),
    "no_data": QT_TRANSLATE_NOOP("category", "no data"),
    "changeover": QT_TRANSLATE_NOOP("category", "changeover"),
    "planned_stop": QT_TRANSLATE_NOOP("category", "planned stop"),
}


ROLE_LABELS: dict[str, str] = {
    "operator": QT_TRANSLATE_NOOP("role", "operator"),
    "maintenance": QT_TRANSLATE_NOOP("role", "maintenance"),
    "supervisor": QT_TRANSLATE_NOOP("role", "supervisor"),
    "admin": QT_TRANSLATE_NOOP("role", "admin"),
}


# The engine's own reasons; the plant's reasons come from its config, in its own words.
BUILT_IN_REASONS: dict[str, str] = {
    "Unassigned": QT_TRANSLATE_NOOP("reason", "Unassigned"),
    "Communication loss": QT_TRANSLATE_NOOP("reason", "Communication loss"),
}


def reason_label(reason: str) -> str:
    known = BUILT_IN_REASONS.get(reason)
    return QCoreApplication.translate("reason", known) if known else reason


def role_label(role: str) -> str:
    return QCoreApplication.translate("role", ROLE_LABELS[role]) if role in ROLE_LABELS else role


def state_label(state: str) -> str:
    return QCoreApplication.translate("state", STATE_LABELS[state]) if state in STATE_LABELS else state


def kind_label(kind: str) -> str:
    """An Andon kind as a word of the panel's language ("Maintenance", "Instandhaltung")."""
    return QCoreApplication.translate("kind", KIND_LABELS[kind]) if kind in KIND_LABELS else kind.capitalize()


def category_label(category: str) -> str:
    label = CATEGORY_LABELS.get(category)
    return QCoreApplication.translate("category", label) if label else category.replace("_", " ")


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
