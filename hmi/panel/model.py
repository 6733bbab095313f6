"""The panel's side of the link: the views a frame paints from, commands, and how link calls run.

The panel holds a StationLink (hmi/station/link.py), as the console does, so it cannot tell a
station in this process (LocalLink) from one behind the station socket (RemoteLink). A frame first
loads the views it paints (`load`), then paints from them without waiting (`view`): a repaint never
shows half-old, half-new figures, and never waits for the link in the middle of a widget.

Link calls are coroutines. `start` runs one as a task of the running loop (the panel's qasync
loop, where a RemoteLink's answers arrive); with no loop running (the tests, scripts.screenshots)
it runs it to its end at once on a loop of its own, which a LocalLink's calls allow: its station is
in this process, so they wait for nothing but a PIN check's worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hmi.station.link import CommandResult, LinkError, StationLink

log = logging.getLogger("ms5.panel")

T = TypeVar("T")
ViewKey = tuple[str, tuple[tuple[str, Any], ...]]  # a named view and its arguments


def view_key(name: str, **args: Any) -> ViewKey:
    return name, tuple(sorted(args.items()))


OVERVIEW = view_key("overview")  # every frame: the Andon banner, the sound and most screens


def run_now(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end here, with no event loop running (a LocalLink's calls wait for
    nothing but the PIN check's worker thread, core.gate)."""
    return asyncio.run(work)


class PanelModel:
    """One station as the panel sees it: its config and identity (read once, at `attach`), the
    views of the last frame, commands and logins."""

    def __init__(self, link: StationLink, config: dict[str, Any], station: dict[str, Any]) -> None:
        self.link = link
        self.config = config  # the "config" view: it does not change while the station runs
        self.identity = station  # the "station" view: site, lines, pid, database
        self._views: dict[ViewKey, Any] = {view_key("config"): config}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def attach(cls, link: StationLink) -> PanelModel:
        """The model of the station behind `link`: LinkError when it cannot be read."""
        return cls(link, await link.view("config"), await link.view("station"))

    @property
    def station_folder(self) -> Path:
        """Where the station keeps its database: per-station panel settings go beside it."""
        return Path(self.identity["db"]).parent

    # ------------------------------------------------------------ views

    async def load(self, keys: Iterable[ViewKey]) -> None:
        """Read `keys` afresh; they replace the old ones together, once all have come."""
        fresh: dict[ViewKey, Any] = {}
        for key in dict.fromkeys(keys):
            name, args = key
            fresh[key] = await self.link.view(name, **dict(args))
        self._views.update(fresh)

    def view(self, name: str, **args: Any) -> Any:
        """A view as the last `load` of it read it (KeyError: never loaded)."""
        return self._views[view_key(name, **args)]

    # ------------------------------------------------------------ commands and PINs

    async def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        try:
            return await self.link.command(command, args, user=user, pin=pin)
        except LinkError as exc:
            return CommandResult(False, f"station unreachable: {exc}")

    async def login(self, user: str, pin: str) -> tuple[str | None, str]:
        """(role, "") when the PIN is right, else (None, why)."""
        try:
            return await self.link.login(user, pin), ""
        except LinkError as exc:
            return None, str(exc)

    async def users(self) -> list[str]:
        """Names for the PIN pad's list (a small read of the users table, when the pad opens)."""
        return [str(name) for name in await self.link.view("users")]

    # ------------------------------------------------------------ running link calls

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` (a frame, a command, a login): a task of the running loop, or without one
        at once (see the module's docstring)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            run_now(work)
            return
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("panel: a link call failed", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until every link call started so far (and those they started) has ended."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        """Cancel the link calls still under way: the window they would paint is gone."""
        for task in list(self._tasks):
            task.cancel()
