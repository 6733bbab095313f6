"""Who may do what: the one table the engine checks every command against.

Each command maps each role that may use it to the scope it may use it in. A role missing from a
command's row may not use it at all. `docs/PERMISSIONS.md` is this table in prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.auth import Role


class Scope(StrEnum):
    ANY = "any"
    LEVEL_1_CALLS = "level-1 calls"
    LEVEL_1_OR_MAINTENANCE_CALLS = "level-1 and maintenance calls"
    MAINTENANCE_CALLS = "maintenance calls"
    UNEXPLAINED_STOPS = "stops without a reason"


OP, MAINT, SUP, ADMIN = Role.OPERATOR, Role.MAINTENANCE, Role.SUPERVISOR, Role.ADMIN
_EVERYONE = {OP: Scope.ANY, MAINT: Scope.ANY, SUP: Scope.ANY, ADMIN: Scope.ANY}
_SUPERVISORS = {SUP: Scope.ANY, ADMIN: Scope.ANY}
_ACK = {
    OP: Scope.LEVEL_1_CALLS,
    MAINT: Scope.LEVEL_1_OR_MAINTENANCE_CALLS,
    SUP: Scope.ANY,
    ADMIN: Scope.ANY,
}

# Commands that need no login at all: raising a call must never wait for a PIN.
PUBLIC = frozenset({"raise_andon"})

TABLE: dict[str, dict[Role, Scope]] = {
    "ack_andon": _ACK,
    "take_andon": _ACK,
    "resolve_andon": {MAINT: Scope.MAINTENANCE_CALLS, SUP: Scope.ANY, ADMIN: Scope.ANY},
    "note_andon": _EVERYONE,
    "shelve_andon": _SUPERVISORS,
    "set_reason": {
        OP: Scope.UNEXPLAINED_STOPS,
        MAINT: Scope.UNEXPLAINED_STOPS,
        SUP: Scope.ANY,
        ADMIN: Scope.ANY,
    },
    "split_stop": {
        OP: Scope.UNEXPLAINED_STOPS,
        MAINT: Scope.UNEXPLAINED_STOPS,
        SUP: Scope.ANY,
        ADMIN: Scope.ANY,
    },
    "note_stop": _EVERYONE,
    "start_changeover": _EVERYONE,
    "end_changeover": _EVERYONE,
    "start_job": _EVERYONE,
    "end_job": _EVERYONE,
    "start_planned_stop": _SUPERVISORS,
    "end_planned_stop": _SUPERVISORS,
    "manage_users": {ADMIN: Scope.ANY},
}


@dataclass(frozen=True)
class Actor:
    """A user whose identity was checked (PIN on the panel, the config's users in a replay)."""

    name: str
    role: Role


@dataclass(frozen=True)
class Target:
    """What the scope of a command depends on; only the fields that apply are set."""

    call_kind: str | None = None
    call_level: int | None = None
    reason_given: bool = False


def refusal_at_all(actor: Actor | None, command: str) -> str | None:
    """The reason when `actor` may never run `command`, whatever it applies to."""
    if command in PUBLIC:
        return None
    row = TABLE.get(command)
    if row is None:
        return f"unknown command {command!r}"
    if actor is None:
        return f"{command} needs a login"
    if actor.role not in row:
        allowed = ", ".join(r.value for r in row)
        return f"{actor.name} ({actor.role}) may not {command}: only {allowed}"
    return None


def refusal(actor: Actor | None, command: str, target: Target | None = None) -> str | None:
    """None when `actor` may run `command` on `target`, else the reason, in one line."""
    why = refusal_at_all(actor, command)
    if why is not None or command in PUBLIC or actor is None:
        return why
    scope = TABLE[command][actor.role]
    target = target or Target()
    ok = {
        Scope.ANY: True,
        Scope.LEVEL_1_CALLS: (target.call_level or 1) <= 1,
        Scope.LEVEL_1_OR_MAINTENANCE_CALLS: (target.call_level or 1) <= 1
        or target.call_kind == "maintenance",
        Scope.MAINTENANCE_CALLS: target.call_kind == "maintenance",
        Scope.UNEXPLAINED_STOPS: not target.reason_given,
    }[scope]
    if ok:
        return None
    return f"{actor.name} ({actor.role}) may {command} only on {scope.value}"
