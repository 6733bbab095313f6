"""The station's configuration: one TOML file, validated into the typed models of
`core.config_models` (importable from here too), then checked as a whole (`core.config_checks`).

`load_config` never raises anything but `ConfigError`, whose lines each name the file, the line
(where it can be found) and the key path, so that `ms5 check` can print them as they are.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.config_checks import semantic_errors
from core.config_models import (
    ANDON_KINDS,
    COMMS_LOSS_REASON,
    DEFAULT_COUNTER_MAX,
    UNASSIGNED_REASON,
    WEEKDAYS,
    Andon,
    AndonKind,
    AndonPolicy,
    Break,
    Config,
    Connection,
    DataType,
    Equipment,
    EscalationLevel,
    Line,
    Panel,
    Product,
    Protocol,
    QualityAlert,
    ReasonCategory,
    ReplaySection,
    ReplayUser,
    Shift,
    SignalBinding,
    Site,
    parse_time_of_day,
)
from core.config_store import StoreSection
from core.toml_locate import locate

__all__ = [
    "ANDON_KINDS",
    "COMMS_LOSS_REASON",
    "DEFAULT_COUNTER_MAX",
    "UNASSIGNED_REASON",
    "WEEKDAYS",
    "Andon",
    "AndonKind",
    "AndonPolicy",
    "Break",
    "Config",
    "ConfigError",
    "Connection",
    "DataType",
    "Equipment",
    "EscalationLevel",
    "Line",
    "Panel",
    "Product",
    "Protocol",
    "QualityAlert",
    "ReasonCategory",
    "ReplaySection",
    "ReplayUser",
    "Shift",
    "SignalBinding",
    "Site",
    "StoreSection",
    "format_error",
    "key_path",
    "load_config",
    "parse_config",
    "parse_time_of_day",
]


class ConfigError(Exception):
    """Bad configuration; `lines` holds one readable message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad dict key: the path already names the key
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # A key is the user's text: one with a newline or another control character, quoted,
            # keeps the message on one line.
            name = str(part)
            out += ("." if out else "") + (name if name.isprintable() else json.dumps(name))
    return out


def _clean_message(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def format_error(path: Path, text: str, loc: tuple[int | str, ...], message: str) -> str:
    """`file:line: key.path: message`, the line found in the text when it can be."""
    line = locate(text, loc)
    where = f"{path.name}:{line}" if line else path.name
    key = key_path(loc)
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def parse_config(text: str, path: Path) -> Config:
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        # Python 3.11's TOMLDecodeError has no lineno attribute: the line is only in the message.
        found = re.search(r"\(at line (\d+), column \d+\)$", msg)
        line: int | None = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        if line is None and msg.endswith("(at end of document)"):
            line = max(len(text.splitlines()), 1)
        where = f"{path.name}:{line}" if line else path.name
        raise ConfigError([f"{where}: not valid TOML: {msg}"]) from None
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = _clean_message(err["msg"])
            if err["type"] == "missing":
                msg = "required key is missing"
            elif err["type"] == "extra_forbidden":
                msg = "unknown key"
            lines.append(format_error(path, text, loc, msg))
        raise ConfigError(lines) from None
    problems = semantic_errors(cfg)
    if problems:
        raise ConfigError([format_error(path, text, loc, msg) for loc, msg in problems])
    return cfg


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{p}: cannot read config: {exc.strerror or exc}"]) from None
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise ConfigError([f"{p.name}:{line}: not a UTF-8 text file (byte 0x{bad})"]) from None
    return parse_config(text, p)
