"""When two user names are one person to the eye: NFKC, case folding, and Unicode's confusables
(the `confusable-homoglyphs` package's table of UTS #39 look-alikes, kept behind this module).

"Ѕаm" in Cyrillic letters lists exactly like "Sam" on the panel: it must not become a second
admin. "Jürgen" and "Łukasz" look like nobody else and stay what they are.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

__all__ = ["same_to_the_eye", "skeleton"]


@functools.cache
def _table() -> dict[str, Any]:
    # Loaded at the first name added, not when the station starts.
    from confusable_homoglyphs import confusables

    table: dict[str, Any] = confusables.confusables_data
    return table


@functools.cache
def _prototype(ch: str) -> str:
    """The ASCII letter or digit `ch` is confused with, else `ch`."""
    if ch.isascii():
        return ch
    for glyph in _table().get(ch, ()):
        c = str(glyph.get("c", ""))
        if len(c) == 1 and c.isascii() and c.isalnum():
            return c.casefold()
    return ch


def skeleton(name: str) -> str:
    """What `name` looks like: equal skeletons read the same on a screen."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(_prototype(ch) for ch in folded)


def same_to_the_eye(a: str, b: str) -> bool:
    return skeleton(a) == skeleton(b)
