"""Operator commands for `ms5 replay --actions`: JSON Lines of {"ts", "user", "command", ...}."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.auth import ROLES
from core.clock_steps import COMMAND
from core.journal import JournalError, open_text
from core.timefmt import parse_time

COMMANDS = frozenset(
    {
        "raise_andon",
        "ack_andon",
        "resolve_andon",
        "take_andon",
        "note_andon",
        "shelve_andon",
        "set_reason",
        "split_stop",
        "note_stop",
        "start_changeover",
        "end_changeover",
        "start_job",
        "end_job",
        "start_planned_stop",
        "end_planned_stop",
        COMMAND,  # a step of the station's clock, as the station journaled it (core.clock_steps)
    }
)


@dataclass(frozen=True)
class Action:
    line: int
    ts: float
    user: str | None
    command: str
    args: dict[str, Any]
    role: str | None = None  # the role the user had when a station recorded it (ms5 export-journal)


def _time(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return parse_time(value)
    raise ValueError(f"{value!r} is not a time")


def parse_actions(lines: Iterable[str], name: str = "actions") -> list[Action]:
    out = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JournalError(f"{name}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise JournalError(f"{name}:{number}: expected a JSON object")
        missing = [k for k in ("ts", "command") if k not in obj]
        if missing:
            raise JournalError(f"{name}:{number}: missing {', '.join(missing)}")
        command = obj.pop("command")
        if command not in COMMANDS:
            raise JournalError(f"{name}:{number}: unknown command {command!r}")
        user = obj.pop("user", None)
        if user is not None and not isinstance(user, str):
            raise JournalError(f"{name}:{number}: user must be a name")
        role = obj.pop("role", None)
        if role is not None and role not in ROLES:
            raise JournalError(f"{name}:{number}: unknown role {role!r}")
        try:
            ts = _time(obj.pop("ts"))
            if "at" in obj:
                obj["at"] = _time(obj["at"])
        except ValueError as exc:
            raise JournalError(f"{name}:{number}: {exc}") from None
        out.append(Action(number, ts, user, command, obj, role))
    return out


def read_actions(path: str | Path) -> list[Action]:
    p = Path(path)
    try:
        with open_text(p) as fh:
            return parse_actions(fh, p.name)
    except gzip.BadGzipFile:
        raise JournalError(f"{p}: not a gzip file") from None
    except EOFError:
        raise JournalError(f"{p}: the gzip file is cut short") from None
    except OSError as exc:
        raise JournalError(f"{p}: cannot read actions: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise JournalError(f"{p}: not a UTF-8 text file") from None
