"""A line of text that repaints itself and nothing else when its text changes.

`Static.update` asks for a new layout, and a new layout repaints every scrollbar on the screen:
over SSH, once a second for the clock, that is more bytes than the clock itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TextLine(Widget):
    """Give it a fixed height in CSS: a longer text is cut, never re-laid out."""

    DEFAULT_CSS = """
    TextLine {
        height: 1;
    }
    """

    def __init__(self, text: str | Text = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = Text(text) if isinstance(text, str) else text

    @property
    def text(self) -> Text:
        return self._text

    def set(self, text: str | Text) -> None:
        new = Text(text) if isinstance(text, str) else text
        if new != self._text:
            self._text = new
            self.refresh()

    def render(self) -> Text:
        return self._text
