"""`ms5 engine` and its config file: it says when the file changed, and applies it on SIGHUP.

The file is looked at once a second. A change is said once ("config changed on disk; send SIGHUP
to apply"); SIGHUP checks the file as `ms5 check` does and refuses a bad one with the same
message, the running config untouched; a good one is applied by a restart of the station inside
the process (`Station.reload`) and said in one line (docs/CONFIG.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

from core.config import Config
from core.config_changes import config_changes
from core.store import StoreError
from hmi.errors import UsageError
from hmi.station.runtime import Station

WATCH_S = 1.0


def fingerprint(path: Path) -> str | None:
    """What the file holds, as a digest; None when it cannot be read (deleted, say)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def check_message(exc: UsageError) -> str:
    """What `ms5 check` prints for the same problem."""
    return str(exc) if exc.located else f"ms5 check: {exc}"


class ConfigReloader:
    def __init__(
        self,
        station: Station,
        path: Path,
        load: Callable[[str], Config],
        *,
        say: Callable[[str], None],
    ) -> None:
        self.station = station
        self.path = path
        self.load = load
        self.say = say
        self.applied = fingerprint(path)  # what the running config was loaded from
        self._said: str | None = self.applied
        self.wanted = asyncio.Event()

    def request(self) -> None:
        """SIGHUP: apply the file's config as soon as the station is between two reloads."""
        self.wanted.set()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            now = fingerprint(self.path)
            if now != self._said:
                self._said = now
                if now != self.applied:
                    self.say("config changed on disk; send SIGHUP to apply")

    async def serve(self) -> None:
        """Apply on each request, one at a time: SIGHUPs during a reload give one more reload."""
        while True:
            await self.wanted.wait()
            self.wanted.clear()
            await self.apply()

    async def apply(self) -> None:
        read = fingerprint(self.path)
        try:
            config = self.load(str(self.path))
        except UsageError as exc:
            print(check_message(exc), file=sys.stderr, flush=True)
            self.say("config not applied: the file has the problems above; the running config stays")
            return
        changes = config_changes(self.station.config, config)
        if not changes:
            self.applied = self._said = read
            self.say("config unchanged; nothing to apply")
            return
        try:
            await self.station.reload(config)
        except StoreError as exc:
            if self.station.engine is None:
                raise  # the store would not open again: nothing runs, `ms5 engine` stops with it
            self.say(f"config not applied: {exc}; the running config stays")
            return
        self.applied = self._said = read
        removed = [c for c in changes if c.startswith("equipment removed")]
        note = "; their history stays in the store (docs/CONFIG.md, reload)" if removed else ""
        self.say(f"config applied: {'; '.join(changes)}{note}")
