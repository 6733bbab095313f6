"""Text that fits its widget at every panel size: a label that shrinks its figure or elides its
text (the whole text a tap away), and a button that wraps, shrinks and at last elides its text.

Both keep their size hint independent of the text, so a figure that changes every second never
makes the layout run again; the fit itself is worked out when painting and kept until the text,
the size or the font change.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol, runtime_checkable

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.theme import TOUCH_PX

# A button asks for no more width than this: a 40-character name must not push its row apart.
MAX_HINT_PX = 320


@runtime_checkable
class Fitted(Protocol):
    """A widget that draws its text shrunk or elided: the lines it draws, in the font it draws them."""

    def drawn(self) -> tuple[list[str], QFont]: ...


def pixel_size(font: QFont) -> int:
    return font.pixelSize() if font.pixelSize() > 0 else QFontInfo(font).pixelSize()


def sized(font: QFont, px: int) -> QFont:
    out = QFont(font)
    out.setPixelSize(px)
    return out


def wrap(text: str, fm: QFontMetrics, width: int, max_lines: int, *, words: bool) -> tuple[list[str], bool]:
    """`text` in at most `max_lines` lines of at most `width` px (words wrapped when `words`):
    (the lines, whether anything had to be elided)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not words:
            lines.append(paragraph)
            continue
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and fm.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    elided = len(lines) > max_lines
    if elided:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    out = []
    for line in lines:
        short = fm.elidedText(line, Qt.TextElideMode.ElideRight, width)
        elided = elided or short != line
        out.append(short)
    return out, elided


class Fit(NamedTuple):
    lines: list[str]
    font: QFont
    elided: bool
    as_is: bool  # the text fits unchanged in the widget's own font: Qt draws it


def _try(text: str, font: QFont, box: QSize, *, words: bool) -> tuple[list[str], bool, bool]:
    """`text` in `font` within `box`: (the lines, whether any was elided, whether they fit)."""
    fm = QFontMetrics(font)
    max_lines = max(1, box.height() // max(fm.height(), 1))
    lines, elided = wrap(text, fm, box.width(), max_lines, words=words)
    return lines, elided, not elided and fm.height() * len(lines) <= box.height()


def fit(text: str, font: QFont, box: QSize, *, min_px: int, words: bool, font_key: str | None = None) -> Fit:
    """The largest font from `font` down to `min_px` in which `text` fits `box`; at `min_px` the
    text is elided. `font_key`: `font.key()`, when the caller keeps it."""
    key = (text, font.key() if font_key is None else font_key, box.width(), box.height(), min_px, words)
    found = _FITS.get(key)
    if found is None:
        found = _fit(text, font, box, min_px=min_px, words=words)
        if len(_FITS) >= FIT_CACHE:
            _FITS.pop(next(iter(_FITS)))  # the oldest: figures move on, old texts do not return
        _FITS[key] = found
    return found


def _fit(text: str, font: QFont, box: QSize, *, min_px: int, words: bool) -> Fit:
    top = pixel_size(font)
    lines, elided, fits = _try(text, font, box, words=words)
    if fits or top <= min_px:
        return Fit(lines, font, elided, lines == text.split("\n"))
    if not words:
        return _fit_lines(text, font, box, top=top, min_px=min_px)
    # A smaller font never needs more room, so the largest that fits is found by halving
    # (five tries from 40 px to 14 px, not 27): a figure that changes every second refits cheaply.
    lo, hi = min_px, top - 1  # `hi` and above (up to `top`) are known not to fit
    best: tuple[int, list[str]] | None = None
    while lo <= hi:
        px = (lo + hi) // 2
        lines, _, fits = _try(text, sized(font, px), box, words=words)
        if fits:
            best, lo = (px, lines), px + 1
        else:
            hi = px - 1
    if best is None:
        f = sized(font, min_px)
        lines, elided, _ = _try(text, f, box, words=words)
        return Fit(lines, f, elided, False)
    return Fit(best[1], sized(font, best[0]), False, False)


def _fit_lines(text: str, font: QFont, box: QSize, *, top: int, min_px: int) -> Fit:
    """`_fit` for text that does not wrap: its width and height grow with the font's size, so
    the size where it just fits is first estimated from the full font's, then stepped to (one or
    two tries, against five of halving: twenty tiles' times in state refit every second)."""
    fm = QFontMetrics(font)
    paragraphs = text.split("\n")
    wide = max(max(fm.horizontalAdvance(line) for line in paragraphs), 1)
    high = max(fm.height() * len(paragraphs), 1)
    px = max(min_px, min(top - 1, math.floor(top * min(box.width() / wide, box.height() / high))))
    lines, _, fits = _try(text, sized(font, px), box, words=False)
    if fits:
        while px + 1 < top:  # the largest that fits: hinting may leave a pixel to spare
            bigger, _, fits = _try(text, sized(font, px + 1), box, words=False)
            if not fits:
                break
            px, lines = px + 1, bigger
        return Fit(lines, sized(font, px), False, False)
    while px > min_px:
        px -= 1
        lines, _, fits = _try(text, sized(font, px), box, words=False)
        if fits:
            return Fit(lines, sized(font, px), False, False)
    f = sized(font, min_px)
    lines, elided, _ = _try(text, f, box, words=False)
    return Fit(lines, f, elided, False)


# Fits shared by every fitted widget: twenty tiles showing "0:42" in the same font and box work
# it out once. Keyed by text, font, box and mode; a Fit is never changed once made.
FIT_CACHE = 512
_FITS: dict[tuple[str, str, int, int, int, bool], Fit] = {}


# What invalidates a widget's fit besides its text and size.
REFIT = (
    QEvent.Type.FontChange,
    QEvent.Type.StyleChange,
    QEvent.Type.ContentsRectChange,
    QEvent.Type.LayoutDirectionChange,
    QEvent.Type.PaletteChange,
    QEvent.Type.EnabledChange,
)


class FullTextDialog(QDialog):
    """The whole of an elided text, for a finger: a touch panel shows no tooltips."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Full text"))
        layout = QVBoxLayout(self)
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        self.text.setObjectName("heading")
        self.text.setMinimumWidth(480)
        layout.addWidget(self.text)
        close = QPushButton(self.tr("Close"))
        close.setAccessibleName("close full text")
        close.setMinimumSize(TOUCH_PX * 2, TOUCH_PX)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.accept)
        layout.addWidget(close)


class FitLabel(QLabel):
    """A label that never clips: with `shrink` it lowers the font down to `min_px` (a big figure
    in its tile) before it elides, without it keeps the font and cuts the end with “…”; with
    `words` it wraps, asking its layout for up to `max_lines` lines, onto the lines its height
    holds. When cut, a tap opens the whole text.

    It keeps its text itself and paints it itself: QLabel.setText asks the parent layout to run
    again (and with it the window's), which for a figure that changes every frame on twenty tiles
    was most of a frame. A new text here only repaints the label; only a wrapping label whose
    line count changes asks its layout for the new height. Its colour is set with `set_colour`,
    not a style sheet, which would re-polish it."""

    def __init__(
        self,
        text: str = "",
        object_name: str = "",
        *,
        shrink: bool = True,
        words: bool = False,
        max_lines: int = 2,
        min_px: int = 14,
    ) -> None:
        super().__init__()
        if object_name:
            self.setObjectName(object_name)
        self._text = text
        self.colour = ""
        self.shrink = shrink
        self.words = words
        self.max_lines = max_lines
        self._height_key: tuple[str, int, int] | None = None
        self._height = 0
        self.min_px = min_px
        self.full_dialog: FullTextDialog | None = None
        self._fit_key: tuple[str, int, int] | None = None
        self._fit = Fit([], self.font(), False, True)
        # What the paint needs besides the fit, worked out with it: a tile label is painted
        # every frame, its fit rarely changes.
        self._paint_box = QRect()
        self._paint_align = 0
        self._paint_text = ""
        self._paint_palette = self.palette()
        self._paint_font = self.font()
        self._paint_font_key = ""
        self._background: QColor | None = None
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text == self._text:
            return
        lines_before = self._lines_for(self.width()) if self.words else 0
        self._text = text
        if self.words and self._lines_for(self.width()) != lines_before:
            self.updateGeometry()
        self.update()

    def set_colour(self, colour: str) -> None:
        """Draw the text in `colour` (#rrggbb), or in the style's text colour when empty."""
        if colour != self.colour:
            self.colour = colour
            self._fit_key = None
            self.update()

    def set_shrink(self, shrink: bool) -> None:
        """Shrink the text to fit (a figure) or keep the font and elide (a fault's text)."""
        if shrink != self.shrink:
            self.shrink = shrink
            self._fit_key = None
            self.update()

    def set_background(self, colour: str) -> None:
        """Paint on `colour` (#rrggbb), the colour of what lies under the label, instead of letting
        the parent paint under it: Qt then repaints a new text on this label alone, not on the tile
        beneath it and that tile's parents (most of a frame's cost is per widget painted). Only for
        a label lying wholly on that one colour; empty: transparent again."""
        self._background = QColor(colour) if colour else None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, bool(colour))
        self.update()

    def _lines_for(self, width: int) -> int:
        fm = QFontMetrics(self.font())
        c = self.contentsMargins()
        inner = width - 2 * self.margin() - c.left() - c.right()
        lines, _ = wrap(self._text, fm, max(inner, 1), self.max_lines, words=True)
        return len(lines)

    def sizeHint(self) -> QSize:
        # One line of the full font, whatever the text: the tile keeps its height.
        fm = QFontMetrics(self.font())
        m = self.margin() * 2
        c = self.contentsMargins()
        return QSize(
            fm.horizontalAdvance(self._text) + m + c.left() + c.right(),
            fm.height() + m + c.top() + c.bottom(),
        )

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def hasHeightForWidth(self) -> bool:
        return self.words

    def heightForWidth(self, width: int) -> int:
        # Room for up to `max_lines` lines in the full font; past that the text shrinks.
        key = (self._text, width, 0)
        if key != self._height_key:
            fm = QFontMetrics(self.font())
            c = self.contentsMargins()
            self._height_key = key
            self._height = fm.height() * self._lines_for(width) + 2 * self.margin() + c.top() + c.bottom()
        return self._height

    def _box(self) -> QRect:
        m = self.margin()
        return self.contentsRect().adjusted(m, m, -m, -m)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in REFIT:
            self._fit_key = self._height_key = None
        super().changeEvent(event)

    def setAlignment(self, alignment: Qt.AlignmentFlag) -> None:
        self._fit_key = None
        super().setAlignment(alignment)

    def fitted(self) -> Fit:
        # Keyed on what changes often; the font, style and colour invalidate it themselves.
        text = self._text
        width, height = self.width(), self.height()
        key = (text, width, height)
        if key == self._fit_key:
            return self._fit
        if self._fit_key is None or self._fit_key[1:] != (width, height):
            # What the paint needs besides the lines changes with the size, font, style and colour
            # only: a new time in state (every second, on twenty tiles) does not work it out again.
            self._paint_box = self._box()
            self._paint_align = int(QStyle.visualAlignment(self.layoutDirection(), self.alignment()))
            palette = self.palette()
            if self.colour:
                palette.setColor(self.foregroundRole(), QColor(self.colour))
            self._paint_palette = palette
            self._paint_font = self.font()
            self._paint_font_key = self._paint_font.key()
        self._fit_key = key
        font = self._paint_font
        min_px = self.min_px if self.shrink else pixel_size(font)
        self._fit = fit(
            text, font, self._paint_box.size(), min_px=min_px, words=self.words, font_key=self._paint_font_key
        )
        self._paint_text = "\n".join(self._fit.lines)
        return self._fit

    def drawn(self) -> tuple[list[str], QFont]:
        return self.fitted().lines, self.fitted().font

    def elided(self) -> bool:
        return self.fitted().elided

    def paintEvent(self, event: QPaintEvent) -> None:
        fitted = self.fitted()
        p = QPainter(self)
        if self._background is not None:
            p.fillRect(event.rect(), self._background)
        self.drawFrame(p)
        if self._paint_text:
            p.setFont(fitted.font)
            self.style().drawItemText(
                p,
                self._paint_box,
                self._paint_align,
                self._paint_palette,
                self.isEnabled(),
                self._paint_text,
                self.foregroundRole(),
            )
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.elided():
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self.elided():
            super().mouseReleaseEvent(event)
            return
        event.accept()
        self.full_dialog = FullTextDialog(self._text, self.window())
        self.full_dialog.open()


class FitButton(QPushButton):
    """A button whose text wraps onto the lines its height holds, shrinks down to `min_px`, and
    only then is elided; it never asks the layout for the width of its whole text."""

    def __init__(self, text: str = "", *, min_px: int = 14) -> None:
        super().__init__(text)
        self.min_px = min_px
        self._fit_key: tuple[str, int, int] | None = None
        self._fit = Fit([], self.font(), False, True)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), MAX_HINT_PX), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(TOUCH_PX, super().minimumSizeHint().height())

    def _box(self) -> QRect:
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        return self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in REFIT:
            self._fit_key = None
        super().changeEvent(event)

    def fitted(self) -> Fit:
        key = (self.text(), self.width(), self.height())
        if key != self._fit_key:
            self._fit_key = key
            self._fit = fit(self.text(), self.font(), self._box().size(), min_px=self.min_px, words=True)
        return self._fit

    def drawn(self) -> tuple[list[str], QFont]:
        return self.fitted().lines, self.fitted().font

    def paintEvent(self, event: QPaintEvent) -> None:
        lines, font, _, as_is = self.fitted()
        if as_is:
            super().paintEvent(event)
            return
        p = QStylePainter(self)
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        p.drawControl(QStyle.ControlElement.CE_PushButtonBevel, opt)
        box = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self)
        # The style sheet sets the label's font itself: the painter's scale makes it smaller.
        scale = pixel_size(font) / pixel_size(self.font())
        opt.text = "\n".join(lines)
        opt.rect = QRect(0, 0, math.ceil(box.width() / scale), math.ceil(box.height() / scale))
        p.translate(box.topLeft())
        p.scale(scale, scale)
        p.drawControl(QStyle.ControlElement.CE_PushButtonLabel, opt)
        p.end()
