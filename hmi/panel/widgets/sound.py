"""The Andon sound: repeats while a call is unacknowledged; muted per station.

QtMultimedia plays assets/sounds/andon.wav where it is installed (PySide6-Essentials does not ship
it); otherwise the system bell. The mute switch is kept in panel-settings.json beside the
station's database, so it survives a restart of this station and only this one.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QApplication

from hmi.paths import ASSETS

REPEAT_MS = 3000
SETTINGS = "panel-settings.json"
SOUND_FILE = ASSETS / "sounds" / "andon.wav"
ALARMING = frozenset({"active-unacknowledged", "returned-to-normal-unacknowledged"})


def read_settings(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / SETTINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_settings(folder: Path, settings: dict[str, Any]) -> None:
    # A panel on a read-only disk still works; it only forgets the switch at restart.
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SETTINGS).write_text(json.dumps(settings, indent=1), encoding="utf-8")


def alarming(calls: list[dict[str, Any]], now: float) -> bool:
    """A call nobody acknowledged yet and nobody shelved."""
    return any(
        c["state"] in ALARMING and (c.get("shelved_until") is None or c["shelved_until"] <= now)
        for c in calls
    )


class AndonSound(QObject):
    def __init__(self, folder: Path, *, default_on: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        settings = read_settings(folder)
        self.muted = bool(settings.get("sound_muted", not default_on))
        self.plays = 0
        self.effect: Any = None
        self.backend = "bell"
        try:
            from PySide6.QtMultimedia import QSoundEffect

            if SOUND_FILE.exists():
                self.effect = QSoundEffect(self)
                self.effect.setSource(QUrl.fromLocalFile(str(SOUND_FILE)))
                self.backend = "QtMultimedia"
        except ImportError:
            pass
        self.timer = QTimer(self)
        self.timer.setInterval(REPEAT_MS)
        self.timer.timeout.connect(self.play)

    @property
    def sounding(self) -> bool:
        return self.timer.isActive()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        settings = read_settings(self.folder)
        settings["sound_muted"] = muted
        write_settings(self.folder, settings)
        if muted:
            self.timer.stop()

    def update(self, calls: list[dict[str, Any]], now: float) -> None:
        if self.muted or not alarming(calls, now):
            self.timer.stop()
            return
        if not self.timer.isActive():
            self.play()
            self.timer.start()

    def play(self) -> None:
        self.plays += 1
        if self.effect is not None:
            self.effect.play()
        else:
            QApplication.beep()

    def stop(self) -> None:
        self.timer.stop()
