"""The station's configuration as typed models: every key of the TOML file, its type, its bounds
and its default. Loading a file into them, with readable errors, is `core.config`.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.config_reports import Reports
from core.config_sparkplug import SparkplugConfig
from core.config_store import StoreSection
from core.config_trend import Trends

COMMS_LOSS_REASON = "Communication loss"
UNASSIGNED_REASON = "Unassigned"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_COUNTER_MAX = 4294967295
# The languages the panel ships translations for (hmi/panel/i18n/); the console stays English.
PANEL_LANGUAGES = ("en", "de")
LOCALE_NAME = re.compile(r"[a-z]{2}(_[A-Z]{2})?")


class ReasonCategory(StrEnum):
    UNPLANNED = "unplanned"
    PLANNED = "planned"
    EXCLUDED = "excluded"


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


# A glove cannot type well: the plant's usual words for a note are one tap away on the panel.
DEFAULT_PHRASES = (
    "Waiting for maintenance",
    "Waiting for material",
    "Cleared by operator",
    "Part replaced",
    "Quality check",
    "Called the supervisor",
)
PHRASES_MAX = 12  # one-tap buttons beside the keyboard: more would not fit the note dialog
PHRASE_MAX_CHARS = 40  # a phrase is a button's text, and a note holds 200 characters


class Panel(_Model):
    """How the faces behave at this station."""

    idle_lock_s: float = Field(default=120, gt=0)  # the panel locks after this long untouched
    sound: bool = True  # the Andon sound; a station beside a quiet lab may switch it off
    phrases: tuple[str, ...] = DEFAULT_PHRASES

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > PHRASES_MAX:
            raise ValueError(f"at most {PHRASES_MAX} phrases, not {len(value)}")
        seen: set[str] = set()
        for phrase in value:
            if not phrase.strip():
                raise ValueError("a phrase is empty")
            if len(phrase) > PHRASE_MAX_CHARS:
                raise ValueError(f"phrase {phrase!r} is longer than {PHRASE_MAX_CHARS} characters")
            if phrase.casefold() in seen:
                raise ValueError(f"phrase {phrase!r} is listed twice")
            seen.add(phrase.casefold())
        return tuple(p.strip() for p in value)

    # The panel's language and formats ("de", "de_AT", "en_US"); empty: the system's locale.
    language: str = ""

    @field_validator("language")
    @classmethod
    def _shipped_language(cls, value: str) -> str:
        if value and not (LOCALE_NAME.fullmatch(value) and value[:2] in PANEL_LANGUAGES):
            shipped = ", ".join(PANEL_LANGUAGES)
            raise ValueError(
                f"'{value}' is not a language the panel ships: {shipped}, optionally with a region"
                " (de_AT, en_US); leave it out for the system's"
            )
        return value


class People(_Model):
    """Which PINs `ms5 user add` and `reset-pin` accept (core.pin.PinPolicy)."""

    pin_min_digits: int = Field(default=4, ge=4, le=8)
    simple_pins: bool = False  # all one digit (0000) or a straight run (1234, 4321) are refused


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (`[::1]:9108` for IPv6) as (host, port); ValueError saying what is wrong."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f'{value!r} is not host:port (e.g. "127.0.0.1:9108"; the port 1 to 65535)')
    return host, int(port)


class MetricsEndpoint(_Model):
    """`[metrics]`: where the station serves Prometheus text and /healthz for plant IT
    (hmi/station/metrics_http.py). Left out, nothing listens."""

    listen: str | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value

    @property
    def address(self) -> tuple[str, int] | None:
        return None if self.listen is None else parse_listen(self.listen)


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
    # The longest wait between two full reconnects. Short, as for a PLC on the LAN: between
    # them a TCP connect probe ends the wait as soon as the PLC accepts again (connectors.base).
    # `backoff_max_s` is its older name, still read so that configs written for it load.
    reconnect_max_s: float = Field(
        default=5.0, gt=0, le=3600, validation_alias=AliasChoices("reconnect_max_s", "backoff_max_s")
    )
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
    # A counter read a few counts low (a wobbling PLC value) is not a reset (docs/OEE.md, "Counts").
    counter_jitter: int = Field(default=10, ge=0)
    state_model: Literal["running", "packml"] = "running"
    faults: dict[int, str] = {}
    startup_window_s: float | None = Field(default=None, ge=0)
    quality_alert: QualityAlert | None = None
    andon_kind: AndonKind = "help"  # the kind of call the PLC's Andon bit raises
    signals: list[SignalBinding] = []

    @model_validator(mode="after")
    def _jitter_inside_range(self) -> Equipment:
        if 2 * self.counter_jitter >= self.counter_max + 1:
            raise ValueError(
                f"counter_jitter ({self.counter_jitter}) must be less than half the counter's range "
                f"(counter_max + 1 = {self.counter_max + 1})"
            )
        return self


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
    people: People = People()
    store: StoreSection = StoreSection()
    reports: Reports = Reports()
    trends: Trends = Trends()
    metrics: MetricsEndpoint = MetricsEndpoint()
    sparkplug: SparkplugConfig | None = None  # the station as a Sparkplug B edge node (docs/SPARKPLUG.md)
    connections: list[Connection] = []

    def reason_category(self, reason: str) -> ReasonCategory:
        if reason in (COMMS_LOSS_REASON, UNASSIGNED_REASON):
            return ReasonCategory.UNPLANNED
        return self.reasons.get(reason, ReasonCategory.UNPLANNED)

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def equipment_by_id(self) -> dict[str, tuple[Line, Equipment]]:
        return {eq.id: (line, eq) for line in self.lines for eq in line.equipment}
