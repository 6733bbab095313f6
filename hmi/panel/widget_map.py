"""Where the panel's buttons are on the screen, for a test that taps the real window from outside
(tests/panel/test_real_window.py taps it with xdotool under Xvfb).

With MS5_PANEL_WIDGET_MAP=<file> set, the panel writes every visible button with an accessible
name to that file twice a second: its name, its text and its rectangle in screen pixels. Without
it nothing is written. The file is replaced whole, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtWidgets import QPushButton, QWidget

ENV = "MS5_PANEL_WIDGET_MAP"
EVERY_MS = 500


def widget_map(window: QWidget) -> list[dict[str, object]]:
    """The visible named buttons of `window` and of its dialogs, in screen pixels."""
    out: list[dict[str, object]] = []
    for b in window.findChildren(QPushButton):
        if not b.isVisible() or not b.accessibleName():
            continue
        top_left = b.mapToGlobal(QPoint(0, 0))
        out.append(
            {
                "name": b.accessibleName(),
                "text": b.text(),
                "enabled": b.isEnabled(),
                "rect": [top_left.x(), top_left.y(), b.width(), b.height()],
            }
        )
    return out


def start_writing(window: QWidget) -> QObject | None:
    """A timer that writes the map of `window` while it lives, when MS5_PANEL_WIDGET_MAP is set."""
    target = os.environ.get(ENV)
    if not target:
        return None
    path = Path(target)
    timer = QTimer(window)

    def write() -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(widget_map(window)), encoding="utf-8")
        tmp.replace(path)

    timer.timeout.connect(write)
    timer.start(EVERY_MS)
    return timer
