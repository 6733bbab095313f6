"""Small touch dialogs: a note (on the on-screen keyboard, or a common phrase), a time inside a
stop, a shelving time. Opened non-modally; each emits its answer."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QSlider, QVBoxLayout, QWidget

from hmi.panel.language import QT_TRANSLATE_NOOP
from hmi.panel.widgets.common import button, duration, label
from hmi.panel.widgets.keyboard import OnScreenKeyboard

NOTE_MAX = 200

# The default `[panel] phrases` (core.config_models), named here so that lupdate gives them a
# translation: the plant's own phrases are shown as written, in the plant's language already.
DEFAULT_PHRASES = (
    QT_TRANSLATE_NOOP("NoteDialog", "Waiting for maintenance"),
    QT_TRANSLATE_NOOP("NoteDialog", "Waiting for material"),
    QT_TRANSLATE_NOOP("NoteDialog", "Cleared by operator"),
    QT_TRANSLATE_NOOP("NoteDialog", "Part replaced"),
    QT_TRANSLATE_NOOP("NoteDialog", "Quality check"),
    QT_TRANSLATE_NOOP("NoteDialog", "Called the supervisor"),
)


class NoteDialog(QDialog):
    """A note typed on the on-screen keyboard, or picked from the plant's phrases."""

    chosen = Signal(str)

    def __init__(self, purpose: str, phrases: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Note"))
        layout = QVBoxLayout(self)
        layout.addWidget(label(purpose, "heading", wrap=True))
        self.text = QLineEdit()
        self.text.setMaxLength(NOTE_MAX)
        self.text.setPlaceholderText(self.tr("Type a note, or tap a phrase"))
        layout.addWidget(self.text)
        self.keyboard = OnScreenKeyboard(self.text, [self.tr(p) for p in phrases])
        layout.addWidget(self.keyboard)
        row = QHBoxLayout()
        row.addWidget(button(self.tr("Cancel"), self.reject, name="cancel"))
        self.ok_button = button(self.tr("Save note"), self._ok, name="ok")
        row.addWidget(self.ok_button)
        layout.addLayout(row)

    def _ok(self) -> None:
        text = self.text.text().strip()
        if text:
            self.accept()
            self.chosen.emit(text)


class SplitDialog(QDialog):
    """Where to split a stop: minutes and seconds after its start, on big +/- keys."""

    chosen = Signal(float)

    def __init__(self, start: float, end: float, describe: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Split stop"))
        self.start = start
        self.length = max(int(end - start), 2)
        layout = QVBoxLayout(self)
        layout.addWidget(label(describe, "heading", wrap=True))
        self.where = label("", "figureSmall")
        layout.addWidget(self.where)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, self.length - 1)
        self.slider.setMinimumHeight(56)
        self.slider.valueChanged.connect(lambda _v: self._show())
        layout.addWidget(self.slider)
        keys = QHBoxLayout()
        for text, step in (
            (self.tr("−1 min"), -60),
            (self.tr("−10 s"), -10),
            (self.tr("+10 s"), 10),
            (self.tr("+1 min"), 60),
        ):
            keys.addWidget(button(text, partial(self.step, step), object_name="key", name=text))
        layout.addLayout(keys)
        row = QHBoxLayout()
        row.addWidget(button(self.tr("Cancel"), self.reject, name="cancel"))
        self.ok_button = button(self.tr("Split here"), self._ok, name="ok")
        row.addWidget(self.ok_button)
        layout.addLayout(row)
        self.slider.setValue(self.length // 2)
        self._show()

    @property
    def offset(self) -> int:
        return self.slider.value()

    def step(self, seconds: int) -> None:
        self.slider.setValue(self.slider.value() + seconds)  # the slider keeps it inside the stop

    def _show(self) -> None:
        self.where.setText(
            self.tr("{after} after the start, {before} before the end").format(
                after=duration(self.offset), before=duration(self.length - self.offset)
            )
        )

    def _ok(self) -> None:
        self.accept()
        self.chosen.emit(self.start + self.offset)


class ShelveDialog(QDialog):
    chosen = Signal(float)

    def __init__(self, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Shelve"))
        layout = QVBoxLayout(self)
        layout.addWidget(label(purpose, "heading", wrap=True))
        row = QHBoxLayout()
        for minutes in (5, 15, 30, 60):
            row.addWidget(
                button(
                    self.tr("{minutes} min").format(minutes=minutes),
                    partial(self._ok, minutes * 60.0),
                    object_name="key",
                    name=f"{minutes} min",
                )
            )
        layout.addLayout(row)
        layout.addWidget(button(self.tr("Cancel"), self.reject, name="cancel"))

    def _ok(self, seconds: float) -> None:
        self.accept()
        self.chosen.emit(seconds)
