"""Script files for `ms5 sim --script FILE`: faults, stops and outages at given seconds.

One event a line, `#` starts a comment, blank lines are ignored:

    [at] WHEN ACTION ARGS

WHEN and the durations are seconds after the simulator started, a plain number or a number with a
unit (`90`, `90s`, `1.5m`, `2h`); they are wall-clock seconds, not scaled by `--speed`.

    fault EQUIPMENT CODE for DURATION    the machine is Held with fault code CODE
    stop EQUIPMENT for DURATION          the machine is Stopped (no fault code)
    changeover EQUIPMENT for DURATION    changeover signal 1 for DURATION, then 0
    andon EQUIPMENT for DURATION         the Andon bit is raised for DURATION
    silence CONNECTION for DURATION      the PLC hangs: its port accepts and never answers
    down CONNECTION for DURATION         the PLC's server is stopped (connection refused)
    restart CONNECTION                   the PLC's server is stopped and started again at once
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from core.config import Config

Action = Literal["fault", "stop", "changeover", "andon", "silence", "down", "restart"]
EQUIPMENT_ACTIONS = ("fault", "stop", "changeover", "andon")
CONNECTION_ACTIONS = ("silence", "down", "restart")
_USAGE = {
    "fault": "fault EQUIPMENT CODE for DURATION",
    "stop": "stop EQUIPMENT for DURATION",
    "changeover": "changeover EQUIPMENT for DURATION",
    "andon": "andon EQUIPMENT for DURATION",
    "silence": "silence CONNECTION for DURATION",
    "down": "down CONNECTION for DURATION",
    "restart": "restart CONNECTION",
}
_SECONDS = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(s|m|h)?$")
_UNIT = {None: 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


class ScriptError(Exception):
    """A bad script; `lines` holds one `file:line: message` per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class ScriptEvent:
    at_s: float  # seconds after the start
    action: Action
    target: str  # an equipment id or a connection id
    duration_s: float = 0.0  # 0 for restart
    code: int = 0  # faults only
    line: int = 0

    @property
    def on_connection(self) -> bool:
        return self.action in CONNECTION_ACTIONS

    def describe(self) -> str:
        what = f"{self.action} {self.target}"
        if self.action == "fault":
            what += f" {self.code}"
        if self.action != "restart":
            what += f" for {_fmt(self.duration_s)}"
        return what


@dataclass(frozen=True)
class Script:
    name: str
    events: tuple[ScriptEvent, ...]  # in time order (file order within an instant)

    @property
    def equipment_events(self) -> list[ScriptEvent]:
        return [e for e in self.events if not e.on_connection]

    @property
    def connection_events(self) -> list[ScriptEvent]:
        return [e for e in self.events if e.on_connection]


def _fmt(seconds: float) -> str:
    return f"{seconds:g} s"


def parse_seconds(text: str) -> float:
    m = _SECONDS.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a time in seconds (like 90, 90s, 1.5m or 2h)")
    value = float(m.group(1)) * _UNIT[m.group(2)]
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large")
    return value


def _parse_line(words: list[str], config: Config | None) -> ScriptEvent:
    if words[0].lower() == "at":
        words = words[1:]
    if not words:
        raise ValueError("expected a time and an action after 'at'")
    at = parse_seconds(words[0])
    if len(words) < 2:
        raise ValueError(
            "expected an action after the time (fault, stop, changeover, andon, silence, down, restart)"
        )
    action = words[1].lower()
    if action not in _USAGE:
        raise ValueError(
            f"unknown action {words[1]!r} (expected fault, stop, changeover, andon, silence, down or restart)"
        )
    usage = f"expected '{_USAGE[action]}'"
    args = words[2:]
    if not args:
        raise ValueError(usage)
    target = args[0]
    code = 0
    rest = args[1:]
    if action == "fault":
        if not rest:
            raise ValueError(usage)
        try:
            code = int(rest[0])
        except ValueError:
            raise ValueError(f"fault code {rest[0]!r} is not a whole number") from None
        if code <= 0:
            raise ValueError(f"fault code {code} must be positive (0 means no fault)")
        rest = rest[1:]
    duration = 0.0
    if action == "restart":
        if rest:
            raise ValueError(f"{usage}: restart takes no duration")
    else:
        if len(rest) != 2 or rest[0].lower() != "for":
            raise ValueError(usage)
        duration = parse_seconds(rest[1])
        if duration <= 0:
            raise ValueError("the duration must be more than 0 s")
    if config is not None:
        if action in CONNECTION_ACTIONS:
            ids = [c.id for c in config.connections]
            if target not in ids:
                known = ", ".join(ids) or "none in the config"
                raise ValueError(f"unknown connection {target!r} (known: {known})")
        else:
            eq_ids = [eq.id for line in config.lines for eq in line.equipment]
            if target not in eq_ids:
                raise ValueError(f"unknown equipment {target!r} (known: {', '.join(eq_ids)})")
    return ScriptEvent(at, cast(Action, action), target, duration, code)


def parse_script(text: str, name: str = "<script>", config: Config | None = None) -> Script:
    """Parse a script; with `config`, equipment and connection ids are checked too. Raises
    ScriptError naming every bad line."""
    errors: list[str] = []
    events: list[ScriptEvent] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        try:
            ev = _parse_line(words, config)
        except ValueError as exc:
            errors.append(f"{name}:{number}: {exc}")
            continue
        events.append(ScriptEvent(ev.at_s, ev.action, ev.target, ev.duration_s, ev.code, number))
    if errors:
        raise ScriptError(errors)
    events.sort(key=lambda e: e.at_s)
    return Script(name, tuple(events))


def load_script(path: str | Path, config: Config | None = None) -> Script:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScriptError([f"{p}: cannot read script: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ScriptError([f"{p.name}: not a UTF-8 text file (byte offset {exc.start})"]) from None
    return parse_script(text, p.name, config)
