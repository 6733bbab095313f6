"""The one way a person's command reaches a live engine: who (PIN), may they (engine), the audit
row and the journal row (one durable commit), then the answer.

Faces (panel, console, the socket) call `CommandGate.run`; they never call `Engine.command`.

Order matters: a command the operator saw done must be on disk, and a command that could not be
written (a full or read-only disk) must have changed nothing. So the command is first tried on a
throw-away copy of the engine (for its answer, or its refusal), then journaled with its audit row
in one durable commit, and only then applied to the live engine, which gives the same answer:
the engine is a deterministic function of its inputs (that is what makes a rebuild work).
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from core.audit import AuditLog
from core.auth import AuthError, UserStore
from core.engine import CommandError, Engine, Refused
from core.events import EventBus
from core.permissions import PUBLIC, Actor
from core.store import Store, StoreError, write_failure

# Segments at the end of an equipment's history that a command may change: the open one, the one
# a zero-length segment gives back, and the stop before a communication loss.
_TAIL = 4


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


def trial_copy(engine: Engine, args: Mapping[str, Any]) -> Engine:
    """A copy of `engine` to try a command with `args` on, its events going nowhere.

    Copying a whole engine costs in proportion to its history (about 20 ms per day of a four-
    machine line), so only what a command can change is copied: the last few segments of every
    equipment and those around an `at` time, the open Andon calls and the one named by number.
    The rest (config, calendars, count buckets, closed history) is shared, and a command never
    writes to it.
    """
    memo: dict[int, Any] = {id(engine.bus): EventBus(), id(engine.config): engine.config}
    for line in engine.config.lines:
        memo[id(line)] = line
        for eq in line.equipment:
            memo[id(eq)] = eq
    for calendar in engine.calendars.values():
        memo[id(calendar)] = calendar
    at = args.get("at")
    for st in engine._eq.values():
        for shared in (
            st.counts,
            st.bucket_keys,
            st.quality,
            st.validity,
            st.resets,
            st.jitters,
            st.down_keys,
            st.down_counts,
        ):
            memo[id(shared)] = shared
        segments = st.segments[:]
        n = len(segments)
        touched = set(range(max(n - _TAIL, 0), n))
        if isinstance(at, int | float):
            i = bisect.bisect_right(st.seg_starts, float(at)) - 1
            touched.update(k for k in (i - 1, i, i + 1) if 0 <= k < n)
        copies = {id(segments[k]): copy.copy(segments[k]) for k in touched}
        for k in touched:
            seg = copies[id(segments[k])]
            if seg.continued_by is not None:
                seg.continued_by = copies.get(id(seg.continued_by), seg.continued_by)
            segments[k] = seg
        memo[id(st.segments)] = segments
        memo[id(st.seg_starts)] = st.seg_starts[:]
    board = engine.andon
    live = {id(call) for call in board._open}
    named = args.get("call")
    board_calls = [
        copy.deepcopy(call, memo) if id(call) in live or call.id == named else call for call in board.calls
    ]
    memo[id(board.calls)] = board_calls
    return copy.deepcopy(engine, memo)


def _not_recorded(why: str) -> GateError:
    return GateError(f"not recorded: {why}; nothing was changed", refused=False)


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
            self._audit_refusal(now, name, None, "login", None, "refused", str(exc))
            raise GateError(str(exc), refused=True) from None
        except sqlite3.Error as exc:  # the failed-PIN counter cannot be written
            raise _not_recorded(write_failure(exc)) from None
        return Actor(user.name, user.role)

    def _audit_refusal(self, *row: Any) -> None:
        # A refusal changes nothing, so it stands even when the disk cannot take its audit row.
        with contextlib.suppress(sqlite3.Error):
            self.audit.append(*row)

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
                self._audit_refusal(ts, user, None, command, target, "refused", str(exc))
                raise GateError(str(exc), refused=True) from None
            except sqlite3.Error as exc:
                raise _not_recorded(write_failure(exc)) from None
            actor = Actor(found.name, found.role)
        elif command not in PUBLIC:
            why = f"{command} needs a login"
            self._audit_refusal(ts, None, None, command, target, "refused", why)
            raise GateError(why, refused=True)
        name = actor.name if actor else None
        role = str(actor.role) if actor else None
        try:
            message = trial_copy(self.engine, args).command(command, args, ts, actor)
        except Refused as exc:
            self._audit_refusal(ts, name, role, command, target, "refused", str(exc))
            raise GateError(str(exc), refused=True) from None
        except CommandError as exc:
            self._audit_refusal(ts, name, role, command, target, "failed", str(exc))
            raise GateError(str(exc), refused=False) from None
        try:
            self.store.append_command(
                ts,
                actor,
                command,
                args,
                also=lambda _conn: self.audit.append_in_transaction(
                    ts, name, role, command, target, "ok", message
                ),
            )
        except StoreError as exc:
            raise _not_recorded(self.store.write_error or str(exc)) from None
        # On disk now: the live engine takes it, with the answer the copy gave.
        return self.engine.command(command, args, ts, actor)
