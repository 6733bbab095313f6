"""What text and numbers a person's command may carry into the station (docs/RELIABILITY.md, "Bad
input"): the one check every face and the socket pass through (`core.gate` calls it).

Text must be something the store can write and a panel can show on one line: valid UTF-8 (no
lone surrogate, which JSON can carry but UTF-8 cannot), no control characters (a newline would
break the one-line audit and log rows, a bidirectional override would make a note read
backwards), and short. Numbers must be finite and fit the file's 64-bit integers. Commands take
flat arguments: a string, a number, true/false or null each.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["TEXT_MAX", "TextError", "check_args", "check_text", "writable", "writable_text"]

TEXT_MAX = 200  # characters of one value: a note is a line on the panel (engine_commands.NOTE_MAX)
KEY_MAX = 32
ARGS_MAX = 16  # arguments of one command; none takes more than five
# SQLite's INTEGER is 64-bit signed; a larger int cannot be written (OverflowError, not a sqlite3.Error).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

# Explicit bidirectional embeddings, overrides and isolates: they reorder what follows them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
_LINE_SPACE = frozenset("\t\n\r")
FREE_TEXT = frozenset({"note", "text"})  # the arguments a person types in full
_SURROGATE = re.compile("[\ud800-\udfff]")


class TextError(ValueError):
    """Text or a number the station will not take; the message is one line and names the field."""


def _shown(value: str) -> str:
    # ascii(): the refusal itself must be one line of writable text, whatever it quotes.
    return ascii(value if len(value) <= 40 else value[:40] + "…")


def check_text(value: str, what: str, *, max_len: int = TEXT_MAX, free: bool = False) -> str:
    """`value` if a person may send it as `what`; else TextError saying why. `free` text (a note)
    may also hold tabs and line breaks, which the engine folds into spaces."""
    if len(value) > max_len:
        raise TextError(f"{what}: at most {max_len} characters, not {len(value)}")
    for ch in value:
        if free and ch in _LINE_SPACE:
            continue
        if ch in _BIDI or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            kind = "a lone surrogate (not UTF-8)" if "\ud800" <= ch <= "\udfff" else "a control character"
            raise TextError(f"{what} {_shown(value)} holds {kind} U+{ord(ch):04X}")
    return value


def _check_number(value: int | float, what: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise TextError(f"{what}: {value if value.bit_length() < 100 else 'the number'} is out of range")
    elif not math.isfinite(value):
        raise TextError(f"{what}: {value} is not a finite number")


def check_args(args: Mapping[str, Any]) -> None:
    """A command's arguments as a person may send them; TextError names the first bad one."""
    if len(args) > ARGS_MAX:
        raise TextError(f"at most {ARGS_MAX} arguments, not {len(args)}")
    for key, value in args.items():
        if not isinstance(key, str):
            raise TextError(f"argument name {key!r} is not text")
        check_text(key, "argument name", max_len=KEY_MAX)
        if isinstance(value, str):
            check_text(value, f"'{key}'", free=key in FREE_TEXT)
        elif isinstance(value, int | float):
            _check_number(value, f"'{key}'")
        elif value is not None:
            raise TextError(f"'{key}' must be text, a number, true/false or null")


def writable(value: Any) -> bool:
    """Whether SQLite can store `value` and everything in it: no lone surrogate in any text, no
    integer past 64 bits (the check before a row reaches the engine, whatever the checks in front
    of it let through). Other values (floats, enums, None) always can."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is None
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return INT_MIN <= value <= INT_MAX
    if isinstance(value, Mapping):
        return all(writable(k) and writable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(writable(v) for v in value)
    return True


def writable_text(value: str) -> str:
    """`value` with any lone surrogate replaced by U+FFFD: for text read back from a file written
    before these checks, so that no view or write breaks on it."""
    return _SURROGATE.sub("\ufffd", value)
