"""The one way a person's command reaches a live engine: who (PIN), may they (engine), the audit
row and the journal row (one durable commit), then the answer.

Faces (panel, console, the socket) call `CommandGate.run`; they never call `Engine.command`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.audit import AuditLog
from core.auth import AuthError, UserStore
from core.engine import CommandError, Engine, Refused
from core.permissions import PUBLIC, Actor
from core.store import Store


class GateError(Exception):
    """The command was not carried out; the message says why in one line. It was audited."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


def _target(args: Mapping[str, Any]) -> str | None:
    for key in ("call", "equipment", "line"):
        if key in args:
            return f"{key} {args[key]}"
    return None


class CommandGate:
    def __init__(self, engine: Engine, store: Store, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.store = store
        self.clock = clock
        self.users = UserStore(store.conn)
        self.audit = AuditLog(store.conn)

    def login(self, name: str, pin: str) -> Actor:
        """Check a PIN (for a face's login screen); a failure is audited and raises GateError."""
        now = self.clock()
        try:
            user = self.users.verify(name, pin, now)
        except AuthError as exc:
            self.audit.append(now, name, None, "login", None, "refused", str(exc))
            raise GateError(str(exc), refused=True) from None
        return Actor(user.name, user.role)

    def run(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> str:
        """Carry out `command` for `user` (PIN checked here) and return what was done."""
        ts = self.engine.effective_time(self.clock())
        target = _target(args)
        actor: Actor | None = None
        if user is not None:
            try:
                found = self.users.verify(user, pin or "", ts)
            except AuthError as exc:
                self.audit.append(ts, user, None, command, target, "refused", str(exc))
                raise GateError(str(exc), refused=True) from None
            actor = Actor(found.name, found.role)
        elif command not in PUBLIC:
            why = f"{command} needs a login"
            self.audit.append(ts, None, None, command, target, "refused", why)
            raise GateError(why, refused=True)
        name = actor.name if actor else None
        role = str(actor.role) if actor else None
        try:
            message = self.engine.command(command, args, ts, actor)
        except Refused as exc:
            self.audit.append(ts, name, role, command, target, "refused", str(exc))
            raise GateError(str(exc), refused=True) from None
        except CommandError as exc:
            self.audit.append(ts, name, role, command, target, "failed", str(exc))
            raise GateError(str(exc), refused=False) from None
        self.store.append_command(
            ts,
            actor,
            command,
            args,
            also=lambda _conn: self.audit.append_in_transaction(
                ts, name, role, command, target, "ok", message
            ),
        )
        return message
