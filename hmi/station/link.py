"""How a face talks to a station: the same four calls in-process and over the station socket.

`LocalLink` wraps a `Station` hosted in the face's own process (the panel, `ms5 console --demo`);
`hmi.socket.client.RemoteLink` speaks the socket protocol of docs/SOCKET.md to a station hosted by
another process. A face is written against `StationLink` and cannot tell them apart.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.auth import PANEL
from core.gate import GateError
from hmi.station.runtime import Station
from hmi.station.views import VIEWS


class LinkError(Exception):
    """The station cannot be reached, or answered something this face does not understand."""


class StationStarting(LinkError):
    """Refused while the station restores its engine; `status` is what a face shows meanwhile."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the station is {status}: this needs it running, try again then")
        self.status = status


_STARTING = re.compile(r"the station is (starting \(.*\)): this needs it running, try again then")


def starting_status(error: LinkError) -> str | None:
    """`starting (42 %)` when `error` is the refusal of a station still starting (in this
    process, or its text over the socket), else None: what a face shows instead of "unreachable"."""
    if isinstance(error, StationStarting):
        return error.status
    found = _STARTING.fullmatch(str(error))
    return found.group(1) if found else None


# What needs no engine, so a face can show them while the station starts (docs/SOCKET.md).
VIEWS_WHILE_STARTING = frozenset({"config", "station", "users", "connections", "tags"})


def start_state(station: Station) -> dict[str, Any]:
    """`hello`'s word on the start-up: `starting` with the journal rows restored so far and in
    all, or `running`."""
    if station.engine is not None:
        return {"state": "running"}
    done, total = station.restore.progress
    return {"state": "starting", "stage": station.restore.stage, "progress": [done, total]}


def refuse_while_starting(station: Station, name: str | None = None) -> None:
    """StationStarting (`starting (42 %)`) for what needs the engine while it is being restored."""
    starting = station.starting()
    if starting is not None and name not in VIEWS_WHILE_STARTING:
        raise StationStarting(starting)


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    message: str  # what was done, or why not: shown to the user as it is
    refused: bool = False  # a permission or PIN refusal (audited), not a failure of the command


class StationLink(Protocol):
    async def view(self, name: str, **args: Any) -> Any:
        """One of hmi.station.views.VIEWS, computed now."""
        ...

    async def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        """An engine command on behalf of `user` (PIN checked by the station, audited there)."""
        ...

    async def login(self, user: str, pin: str) -> str:
        """Check a PIN; returns the user's role or raises LinkError with the reason."""
        ...

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every engine event a face lists: a face only needs to know that
        its views changed, not the event itself. Returns the unsubscribe."""
        ...

    async def close(self) -> None: ...


async def run_command(
    station: Station,
    command: str,
    args: Mapping[str, Any],
    user: str | None,
    pin: str | None,
    place: str = PANEL,
) -> CommandResult:
    """The one place both links turn a command into a gate call and its outcome into a result.
    `place`: where the PIN was typed (core.auth), which its lockout counts for."""
    starting = station.starting()
    if starting is not None:
        return CommandResult(False, f"not done: the station is {starting}")
    gate = station.gate
    if gate is None:
        return CommandResult(False, "the station is not open")
    try:
        return CommandResult(True, await gate.run(command, args, user=user, pin=pin, place=place))
    except GateError as exc:
        return CommandResult(False, str(exc), refused=exc.refused)


async def login(station: Station, user: str, pin: str, place: str = PANEL) -> str:
    gate = station.gate
    if gate is None:
        raise LinkError("the station is not open")
    try:
        return str((await gate.login(user, pin, place=place)).role)
    except GateError as exc:
        raise LinkError(str(exc)) from None


def compute_view(station: Station, name: str, args: Mapping[str, Any]) -> Any:
    view = VIEWS.get(name)
    if view is None:
        raise LinkError(f"unknown view {name!r}")
    refuse_while_starting(station, name)
    params = list(inspect.signature(view).parameters)[2:]  # after the station and the time
    unknown = sorted(set(args) - set(params))
    if unknown:
        raise LinkError(
            f"view {name!r} takes no argument {unknown[0]!r} (it takes: {', '.join(params) or 'none'})"
        )
    try:
        return view(station, station.clock(), **args)
    except TypeError:
        raise LinkError(f"view {name!r} needs the arguments: {', '.join(params)}") from None
    except KeyError as exc:
        raise LinkError(f"view {name!r}: unknown {exc}") from None


async def answer_view(station: Station, name: str, args: Mapping[str, Any]) -> Any:
    """`compute_view`, awaited when the view reads off the loop (hmi/station/trend_view.py)."""
    value = compute_view(station, name, args)
    return await value if inspect.isawaitable(value) else value


class LocalLink:
    """A station in this process."""

    def __init__(self, station: Station) -> None:
        self.station = station

    async def view(self, name: str, **args: Any) -> Any:
        return await answer_view(self.station, name, args)

    async def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        return await run_command(self.station, command, args, user, pin)

    async def login(self, user: str, pin: str) -> str:
        refuse_while_starting(self.station)
        return await login(self.station, user, pin)

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.station.listen(lambda _event: callback())

    async def close(self) -> None:
        return None
