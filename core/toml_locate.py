"""Find the line of a key path in TOML text, so config errors can say where to look.

tomllib keeps no positions, so this reads the text once more: it follows table headers (with
array-of-tables indices) and `key =` lines and returns the line whose path best matches.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*\.?""")

Loc = tuple[int | str, ...]


def _split_key(key: str) -> list[str]:
    parts = []
    for m in _PART.finditer(key):
        token = m.group(1)
        if token[0] in "\"'":
            token = token[1:-1]
        parts.append(token)
    return parts


def _common(a: Loc, b: Loc) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if str(x) != str(y):
            break
        n += 1
    return n


def locate(text: str, loc: Loc) -> int | None:
    """1-based line number of the best match for `loc`, or None when nothing matches."""
    if not loc:
        return None
    counts: dict[Loc, int] = {}
    table: Loc = ()
    best_line: int | None = None
    best_len = 0
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        path: Loc
        if header and not _KEY.match(line):
            names = _split_key(header.group(2))
            is_array = header.group(1) == "[["
            # Resolve parent arrays to their current element, as TOML does.
            resolved: list[int | str] = []
            for depth, name in enumerate(names, start=1):
                resolved.append(name)
                key = tuple(resolved)
                if key in counts and not (is_array and depth == len(names)):
                    resolved.append(counts[key] - 1)
            if is_array:
                key = tuple(resolved)
                counts[key] = counts.get(key, 0) + 1
                resolved.append(counts[key] - 1)
            table = tuple(resolved)
            path = table
        else:
            m = _KEY.match(line)
            if not m:
                continue
            path = table + tuple(_split_key(m.group(1)))
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = True
        n = _common(path, loc)
        if n == len(path) and n > best_len:
            best_len, best_line = n, number
    return best_line
