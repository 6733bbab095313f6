"""An on-screen keyboard for a short text (a note): a panel has no physical keyboard.

Letters, digits, a little punctuation, space and back-space on keys big enough for gloves, and the
plant's common phrases (`[panel] phrases`) as one-tap keys. It types into a QLineEdit, which keeps
the text's length limit and its cursor; a physical keyboard, where there is one, still works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from hmi.panel.widgets.common import button

KEYBOARD_KEY_PX = 56  # above TOUCH_PX: a gloved fingertip hits one letter among ten in a row
ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm,.-")
PHRASE_COLUMNS = 3


class OnScreenKeyboard(QWidget):
    """Types into `target`. The shift key makes the next letter a capital, as does an empty text."""

    def __init__(self, target: QLineEdit, phrases: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.shift = False
        self.keys: dict[str, QPushButton] = {}
        self.phrase_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if phrases:
            grid = QGridLayout()
            for i, phrase in enumerate(phrases):
                b = button(phrase, partial(self.add_phrase, phrase), name=phrase)
                self.phrase_buttons[phrase] = b
                grid.addWidget(b, i // PHRASE_COLUMNS, i % PHRASE_COLUMNS)
            layout.addLayout(grid)
        for chars in ROWS:
            row = QHBoxLayout()
            row.setSpacing(6)
            row.addStretch(1)
            for ch in chars:
                row.addWidget(self._key(ch, ch, partial(self.type_char, ch)))
            if chars == ROWS[-1]:
                row.addWidget(self._key("backspace", "⌫", self.backspace))
            row.addStretch(1)
            layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self._key("shift", "⇧", self.toggle_shift))
        space = self._key("space", self.tr("Space"), partial(self.type_char, " "))
        space.setStyleSheet(f"min-width: {KEYBOARD_KEY_PX * 6}px;")  # the sheet's min-width wins over Qt's
        bottom.addWidget(space)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        self._show_case()

    def _key(self, name: str, text: str, on_click: Callable[[], None]) -> QPushButton:
        b = button(text, on_click, name=f"key {name}", checkable=name == "shift")
        b.setMinimumSize(KEYBOARD_KEY_PX, KEYBOARD_KEY_PX)
        self.keys[name] = b
        return b

    @property
    def capital(self) -> bool:
        return self.shift or not self.target.text()

    def type_char(self, ch: str) -> None:
        self.target.insert(ch.upper() if self.capital else ch)
        self.shift = False
        self._show_case()

    def backspace(self) -> None:
        self.target.backspace()
        self._show_case()

    def toggle_shift(self) -> None:
        self.shift = not self.shift
        self._show_case()

    def add_phrase(self, phrase: str) -> None:
        """A phrase after what is typed, as the next part of one sentence."""
        current = self.target.text().rstrip()
        if not current:
            self.target.setText(phrase)
        else:
            joiner = " " if current.endswith((",", ".", "-")) else ", "
            self.target.setText(f"{current}{joiner}{phrase[:1].lower()}{phrase[1:]}")
        self.shift = False
        self._show_case()

    def _show_case(self) -> None:
        upper = self.capital
        self.keys["shift"].setChecked(self.shift)
        for chars in ROWS:
            for ch in chars:
                self.keys[ch].setText(ch.upper() if upper else ch)
