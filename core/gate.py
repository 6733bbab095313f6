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

import asyncio
import bisect
import contextlib
import copy
import dataclasses
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.auth import PANEL, AuthError, User, UserStore
from core.engine import CommandError, Engine, Refused
from core.events import Event, EventBus
from core.permissions import PUBLIC, Actor
from core.store import Store, StoreError, write_failure
from core.text import KEY_MAX, TextError, check_args, check_text, writable

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
    memo[id(board._calls)] = {
        cid: copy.deepcopy(call, memo) if id(call) in live or cid == named else call
        for cid, call in board._calls.items()
    }
    return copy.deepcopy(engine, memo)


def _not_recorded(why: str) -> GateError:
    return GateError(f"not recorded: {why}; nothing was changed", refused=False)


# One thread for every PIN check of the process: scrypt costs tens of ms of CPU, and however many
# logins arrive at once they queue here and take at most one core from the station's event loop
# (its PLC polling), never the loop itself.
_PIN_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pin-check")

# Longer than any user name (core.auth) or PIN: past it, the text is not worth checking further.
_WHO_MAX = 64


def _check_input(command: str, args: Mapping[str, Any], user: str | None, pin: str | None) -> None:
    """The boundary every face and the socket pass: text and numbers the station may take
    (core.text). Refused before the PIN check, so bad text is neither audited nor counted."""
    try:
        check_text(command, "command", max_len=KEY_MAX)
        check_args(args)
        if user is not None:
            check_text(user, "user", max_len=_WHO_MAX)
        if pin is not None:
            check_text(pin, "PIN", max_len=_WHO_MAX)
    except TextError as exc:
        raise GateError(f"refused: {exc}; nothing was changed", refused=False) from None


def _at(exc: AuthError, place: str) -> str:
    """A refused PIN's audit detail, naming where it was typed when that was not the panel."""
    return str(exc) if place == PANEL else f"{exc} (at {place})"


def _unwritable(args: Mapping[str, Any], message: str, events: list[Event]) -> bool:
    """Whether the command's rows (journal, audit, and the projections its events become) hold
    something the store cannot write: then it must not reach the engine, or every later write
    would fail on it."""
    return not (
        writable(args) and writable(message) and all(writable(dataclasses.asdict(ev)) for ev in events)
    )


class CommandGate:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Callable[[], float],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` stamps commands and audit rows; lockouts run on `monotonic` (core.auth)."""
        self.engine = engine
        self.store = store
        self.clock = clock
        self.users = UserStore(store.conn, monotonic=monotonic)
        self.audit = store.audit()

    async def _verify(self, name: str, pin: str, place: str) -> User:
        """The PIN check, its scrypt work in the worker thread; the rows it reads and writes on
        this one (the store's connection is this thread's)."""
        attempt = self.users.begin(name, self.clock(), place)
        ok = await asyncio.get_running_loop().run_in_executor(_PIN_CHECKS, attempt.matches, pin)
        return self.users.finish(attempt, ok, pin, self.clock())

    async def login(self, name: str, pin: str, *, place: str = PANEL) -> Actor:
        """Check a PIN (for a face's login screen) typed at `place` (core.auth: the panel, or a
        socket peer); a failure is audited and raises GateError."""
        _check_input("login", {}, name, pin)
        try:
            user = await self._verify(name, pin, place)
        except AuthError as exc:
            self._audit_refusal(self.clock(), name, None, "login", None, "refused", _at(exc, place))
            raise GateError(str(exc), refused=True) from None
        except sqlite3.Error as exc:  # the failed-PIN counter cannot be written
            raise _not_recorded(write_failure(exc)) from None
        return Actor(user.name, user.role)

    def _audit_refusal(self, *row: Any) -> None:
        # A refusal changes nothing, so it stands even when the disk cannot take its audit row.
        with contextlib.suppress(sqlite3.Error, ValueError, OverflowError):
            self.audit.append(*row)

    async def run(
        self,
        command: str,
        args: Mapping[str, Any],
        *,
        user: str | None = None,
        pin: str | None = None,
        place: str = PANEL,
    ) -> str:
        """Carry out `command` for `user` (PIN checked here, typed at `place`) and return what was
        done. Only the PIN check waits; from the trial on nothing else runs in between."""
        _check_input(command, args, user, pin)
        target = _target(args)
        actor: Actor | None = None
        if user is not None:
            try:
                found = await self._verify(user, pin or "", place)
            except AuthError as exc:
                ts = self.engine.effective_time(self.clock())
                self._audit_refusal(ts, user, None, command, target, "refused", _at(exc, place))
                raise GateError(str(exc), refused=True) from None
            except sqlite3.Error as exc:
                raise _not_recorded(write_failure(exc)) from None
            actor = Actor(found.name, found.role)
        ts = self.engine.effective_time(self.clock())
        if actor is None and command not in PUBLIC:
            why = f"{command} needs a login"
            self._audit_refusal(ts, None, None, command, target, "refused", why)
            raise GateError(why, refused=True)
        name = actor.name if actor else None
        role = str(actor.role) if actor else None
        trial = trial_copy(self.engine, args)
        events: list[Event] = []
        trial.bus.subscribe_all(events.append)
        try:
            message = trial.command(command, args, ts, actor)
        except Refused as exc:
            self._audit_refusal(ts, name, role, command, target, "refused", str(exc))
            raise GateError(str(exc), refused=True) from None
        except CommandError as exc:
            self._audit_refusal(ts, name, role, command, target, "failed", str(exc))
            raise GateError(str(exc), refused=False) from None
        if _unwritable(args, message, events):
            raise _not_recorded("the command holds text or a number the database cannot store")
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
