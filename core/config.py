"""The station's configuration: one TOML file, validated into typed models.

`load_config` never raises anything but `ConfigError`, whose lines each name the file, the line
(where it can be found) and the key path, so that `ms5 check` can print them as they are.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.toml_locate import locate

COMMS_LOSS_REASON = "Communication loss"
UNASSIGNED_REASON = "Unassigned"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_COUNTER_MAX = 4294967295


class ReasonCategory(StrEnum):
    UNPLANNED = "unplanned"
    PLANNED = "planned"
    EXCLUDED = "excluded"


class ConfigError(Exception):
    """Bad configuration; `lines` holds one readable message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def parse_time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts):
            hour, minute = int(parts[0]), int(parts[1])
            if hour < 24 and minute < 60:
                return time(hour, minute)
    raise ValueError(f"{value!r} is not a time of day (HH:MM)")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Model):
    name: str


class Product(_Model):
    id: str
    name: str = ""
    ideal_cycle_time_s: float = Field(gt=0)


class Break(_Model):
    name: str = "Break"
    start: time
    end: time

    _times = field_validator("start", "end", mode="before")(parse_time_of_day)


class Shift(_Model):
    name: str
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time
    breaks: list[Break] = []
    target_count: int | None = Field(default=None, ge=0)

    _times = field_validator("start", "end", mode="before")(parse_time_of_day)

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start == self.end:
            raise ValueError("a shift cannot start and end at the same time")
        return self


AndonKind = Literal["maintenance", "quality", "material", "safety", "help"]
ANDON_KINDS: tuple[str, ...] = ("maintenance", "quality", "material", "safety", "help")


class EscalationLevel(_Model):
    level: int = Field(ge=1)
    after_s: float = Field(ge=0)
    notify: str


class AndonPolicy(_Model):
    levels: list[EscalationLevel] = Field(
        default_factory=lambda: [EscalationLevel(level=1, after_s=0, notify="line lead")], min_length=1
    )
    escalate_until: Literal["acknowledged", "resolved"] = "acknowledged"
    # Only for the kind that faults raise: a fault lasting this long raises a call by itself.
    auto_raise_after_s: float | None = Field(default=None, ge=0)
    priority: int = Field(default=3, ge=1, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> AndonPolicy:
        for before, after in zip(self.levels, self.levels[1:], strict=False):
            if after.level <= before.level or after.after_s < before.after_s:
                raise ValueError("levels must rise in level and in after_s")
        return self


class Andon(_Model):
    fault_kind: AndonKind = "maintenance"
    shelve_max_s: float = Field(default=3600, gt=0)
    policies: dict[AndonKind, AndonPolicy] = {}

    def policy(self, kind: str) -> AndonPolicy:
        for name, policy in self.policies.items():
            if name == kind:
                return policy
        return _DEFAULT_POLICY


_DEFAULT_POLICY = AndonPolicy()


class Panel(_Model):
    """How the faces behave at this station."""

    idle_lock_s: float = Field(default=120, gt=0)  # the panel locks after this long untouched
    sound: bool = True  # the Andon sound; a station beside a quiet lab may switch it off


class ReplayUser(_Model):
    name: str
    role: Literal["operator", "maintenance", "supervisor", "admin"]


class ReplaySection(_Model):
    users: list[ReplayUser] = []


class QualityAlert(_Model):
    window_parts: int = Field(default=100, gt=0)
    max_reject_rate: float = Field(default=0.05, gt=0, le=1)


Protocol = Literal["modbus", "opcua", "s7", "logix"]
DataType = Literal["bool", "int16", "uint16", "int32", "uint32", "float32", "float64", "string"]


class Connection(_Model):
    """A PLC the station polls. Protocol details (`options`, address syntax) are checked by the
    protocol's connector, which `ms5 check` asks too."""

    id: str
    protocol: Protocol
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    poll_interval_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    options: dict[str, Any] = {}


class SignalBinding(_Model):
    """Where an equipment's signal lives in a PLC, and how to read it."""

    signal: Literal[
        "running", "state", "total_count", "good_count", "reject_count", "fault_code", "changeover", "andon"
    ]
    connection: str
    address: str
    type: DataType = "int16"
    byte_order: Literal["big", "little"] = "big"
    word_order: Literal["big", "little"] = "big"
    length: int = Field(default=0, ge=0, le=256)  # characters, for strings
    scale: float = 1.0
    offset: float = 0.0


class Equipment(_Model):
    id: str
    name: str = ""
    ideal_cycle_time_s: float = Field(gt=0)
    small_stop_threshold_s: float | None = Field(default=None, ge=0)
    counter_max: int = Field(default=DEFAULT_COUNTER_MAX, gt=0)
    state_model: Literal["running", "packml"] = "running"
    faults: dict[int, str] = {}
    startup_window_s: float | None = Field(default=None, ge=0)
    quality_alert: QualityAlert | None = None
    andon_kind: AndonKind = "help"  # the kind of call the PLC's Andon bit raises
    signals: list[SignalBinding] = []


class Line(_Model):
    id: str
    name: str = ""
    timezone: str
    constraint: str | None = None
    small_stop_threshold_s: float = Field(default=120, ge=0)
    startup_window_s: float = Field(default=600, ge=0)
    target_oee: float | None = Field(default=None, gt=0, le=1)
    quality_alert: QualityAlert | None = None
    shifts: list[Shift] = []
    equipment: list[Equipment] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def constraint_id(self) -> str:
        return self.constraint or self.equipment[-1].id

    def threshold_for(self, eq: Equipment) -> float:
        if eq.small_stop_threshold_s is not None:
            return eq.small_stop_threshold_s
        return self.small_stop_threshold_s

    def startup_window_for(self, eq: Equipment) -> float:
        if eq.startup_window_s is not None:
            return eq.startup_window_s
        return self.startup_window_s

    def quality_alert_for(self, eq: Equipment) -> QualityAlert | None:
        return eq.quality_alert or self.quality_alert


class Config(_Model):
    # A misspelt section ([[product]]) must be an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

    site: Site
    reasons: dict[str, ReasonCategory] = {}
    products: list[Product] = []
    lines: list[Line] = Field(min_length=1)
    andon: Andon = Andon()
    replay: ReplaySection = ReplaySection()
    panel: Panel = Panel()
    connections: list[Connection] = []

    def reason_category(self, reason: str) -> ReasonCategory:
        if reason in (COMMS_LOSS_REASON, UNASSIGNED_REASON):
            return ReasonCategory.UNPLANNED
        return self.reasons.get(reason, ReasonCategory.UNPLANNED)

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def equipment_by_id(self) -> dict[str, tuple[Line, Equipment]]:
        return {eq.id: (line, eq) for line in self.lines for eq in line.equipment}


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


def _week_minutes(day: int, t: time) -> int:
    return day * 1440 + t.hour * 60 + t.minute


def _shift_spans(shift: Shift) -> list[tuple[int, int]]:
    """Minutes of the week a shift covers, as [start, end) spans (wrapping at the week's end)."""
    spans = []
    length = (_week_minutes(0, shift.end) - _week_minutes(0, shift.start)) % 1440
    for day in shift.days:
        start = _week_minutes(WEEKDAYS.index(day), shift.start)
        end = start + length
        if end <= 7 * 1440:
            spans.append((start, end))
        else:
            spans.extend([(start, 7 * 1440), (0, end - 7 * 1440)])
    return spans


def _offset_in_shift(shift: Shift, t: time) -> int:
    return (_week_minutes(0, t) - _week_minutes(0, shift.start)) % 1440


def _semantic_errors(cfg: Config) -> list[tuple[tuple[int | str, ...], str]]:
    errors: list[tuple[tuple[int | str, ...], str]] = []
    product_ids = [p.id for p in cfg.products]
    for i, pid in enumerate(product_ids):
        if pid in product_ids[:i]:
            errors.append((("products", i, "id"), f"duplicate product id {pid!r}"))
    conn_ids = [c.id for c in cfg.connections]
    for i, cid in enumerate(conn_ids):
        if cid in conn_ids[:i]:
            errors.append((("connections", i, "id"), f"duplicate connection id {cid!r}"))
    seen_eq: set[str] = set()
    seen_lines: set[str] = set()
    for li, line in enumerate(cfg.lines):
        if line.id in seen_lines:
            errors.append((("lines", li, "id"), f"duplicate line id {line.id!r}"))
        seen_lines.add(line.id)
        ids = [eq.id for eq in line.equipment]
        if line.constraint is not None and line.constraint not in ids:
            errors.append(
                (("lines", li, "constraint"), f"unknown constraint {line.constraint!r} (not an equipment id)")
            )
        for ei, eq in enumerate(line.equipment):
            if eq.id in seen_eq:
                errors.append((("lines", li, "equipment", ei, "id"), f"duplicate equipment id {eq.id!r}"))
            seen_eq.add(eq.id)
            bound: set[str] = set()
            for bi, binding in enumerate(eq.signals):
                where = ("lines", li, "equipment", ei, "signals", bi)
                if binding.connection not in conn_ids:
                    errors.append(((*where, "connection"), f"unknown connection {binding.connection!r}"))
                if binding.signal in bound:
                    errors.append(((*where, "signal"), f"{binding.signal!r} is bound twice"))
                bound.add(binding.signal)
                if binding.type == "string" and binding.length == 0:
                    errors.append(((*where, "length"), "a string needs a length"))
            for code, reason in eq.faults.items():
                if reason not in cfg.reasons:
                    errors.append(
                        (
                            ("lines", li, "equipment", ei, "faults", str(code)),
                            f"reason {reason!r} is not in [reasons]",
                        )
                    )
        spans = [(si, span) for si, shift in enumerate(line.shifts) for span in _shift_spans(shift)]
        reported: set[tuple[int, int]] = set()
        for a, (si, (s1, e1)) in enumerate(spans):
            for sj, (s2, e2) in spans[a + 1 :]:
                if si != sj and s1 < e2 and s2 < e1 and (si, sj) not in reported:
                    reported.add((si, sj))
                    errors.append(
                        (
                            ("lines", li, "shifts", sj),
                            f"shift {line.shifts[sj].name!r} overlaps shift {line.shifts[si].name!r}",
                        )
                    )
        for si, shift in enumerate(line.shifts):
            length = (_week_minutes(0, shift.end) - _week_minutes(0, shift.start)) % 1440
            for bi, brk in enumerate(shift.breaks):
                b_start = _offset_in_shift(shift, brk.start)
                b_len = (_week_minutes(0, brk.end) - _week_minutes(0, brk.start)) % 1440
                if b_len == 0 or b_start + b_len > length:
                    errors.append(
                        (
                            ("lines", li, "shifts", si, "breaks", bi),
                            f"break {brk.name!r} {brk.start:%H:%M}-{brk.end:%H:%M} is outside shift "
                            f"{shift.name!r} {shift.start:%H:%M}-{shift.end:%H:%M}",
                        )
                    )
    return errors


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
    problems = _semantic_errors(cfg)
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
