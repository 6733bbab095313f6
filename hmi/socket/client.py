"""`RemoteLink`: a face's StationLink to a station hosted by another process, over its socket.

The protocol is docs/SOCKET.md. Requests are matched to answers by id, so a face may have several
in flight; one reader task takes every line and hands engine events to the listen() callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hmi.socket import protocol as wire
from hmi.station.link import CommandResult, LinkError

log = logging.getLogger("ms5.link")

# A station that holds a request this long is stuck; the face says so instead of hanging with it.
REQUEST_TIMEOUT_S = 30.0


class StationNotRunning(LinkError):
    """Nothing serves the socket: no station runs for this data folder."""


class RemoteLink:
    """A station in another process, reached through its Unix socket."""

    def __init__(self, path: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.path = path
        self.hello: dict[str, Any] = {}
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._listeners: list[Callable[[], None]] = []
        self._event_listeners: list[Callable[[dict[str, Any]], None]] = []
        self._closed: str | None = None
        self._gone = asyncio.Event()
        self._task = asyncio.create_task(self._read_loop(), name=f"station link {path}")

    @classmethod
    async def connect(cls, path: Path, *, subscribe: bool = True) -> RemoteLink:
        """Attach to the station serving `path`; with `subscribe`, its events reach listen() from
        the moment this returns. Raises StationNotRunning when no station serves it."""
        try:
            reader, writer = await asyncio.open_unix_connection(str(path), limit=wire.MAX_LINE + 1024)
        except (FileNotFoundError, ConnectionRefusedError):
            raise StationNotRunning(f"no station runs at {path}") from None
        except PermissionError:
            raise LinkError(
                f"{path}: permission denied; the station's socket is for its data folder's group"
            ) from None
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ECONNREFUSED):
                raise StationNotRunning(f"no station runs at {path}") from None
            raise LinkError(f"cannot reach the station at {path}: {exc.strerror or exc}") from None
        link = cls(path, reader, writer)
        try:
            link.hello = await link._request({"op": "hello", "protocol": wire.PROTOCOL})
            if link.hello.get("protocol") != wire.PROTOCOL:
                raise LinkError(
                    f"the station at {path} speaks protocol {link.hello.get('protocol')}, "
                    f"this face {wire.PROTOCOL}: run the same ms5 version on both"
                )
            if subscribe:
                await link._request({"op": "subscribe"})
        except BaseException:
            await link.close()
            raise
        return link

    @property
    def closed(self) -> str | None:
        """Why the link is down (the station stopped, dropped this face, ...), or None while up."""
        return self._closed

    async def wait_closed(self) -> str:
        """Wait until the link goes down; returns why."""
        await self._gone.wait()
        return self._closed or "closed"

    async def view(self, name: str, **args: Any) -> Any:
        return await self._request({"op": "view", "name": name, "args": args})

    async def command(
        self, command: str, args: Mapping[str, Any], *, user: str | None = None, pin: str | None = None
    ) -> CommandResult:
        answer = await self._request(
            {"op": "command", "command": command, "args": dict(args), "user": user, "pin": pin}
        )
        return CommandResult(bool(answer["ok"]), str(answer["message"]), bool(answer.get("refused")))

    async def login(self, user: str, pin: str) -> str:
        answer = await self._request({"op": "login", "user": user, "pin": pin})
        return str(answer["role"])

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        return _add(self._listeners, callback)

    def listen_events(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call `callback` with every event as the station sent it (`core.events.event_dict`), for
        a client that uses the content, not only the fact; returns the unsubscribe."""
        return _add(self._event_listeners, callback)

    async def close(self) -> None:
        self._down("closed by this face")
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def _request(self, message: dict[str, Any]) -> Any:
        if self._closed is not None:
            raise LinkError(self._closed)
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            self._writer.write(wire.encode({"id": request_id, **message}))
            await self._writer.drain()
            return await asyncio.wait_for(future, REQUEST_TIMEOUT_S)
        except TimeoutError:
            raise LinkError(
                f"the station at {self.path} did not answer {message['op']} in {REQUEST_TIMEOUT_S:.0f} s"
            ) from None
        except (ConnectionError, OSError) as exc:
            self._down(f"lost the station at {self.path}: {exc.strerror or exc}")
            raise LinkError(self._closed or "closed") from None
        finally:
            self._pending.pop(request_id, None)

    def _down(self, why: str) -> None:
        if self._closed is None:
            self._closed = why
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkError(self._closed))
        self._pending.clear()
        self._gone.set()

    async def _read_loop(self) -> None:
        why = f"the station at {self.path} closed the connection"
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                goodbye = self._dispatch(line)
                if goodbye is not None:
                    why = f"the station at {self.path} ended the connection: {goodbye}"
        except ValueError:
            why = f"the station at {self.path} sent a line longer than {wire.MAX_LINE} bytes"
        except (ConnectionError, OSError) as exc:
            why = f"lost the station at {self.path}: {exc.strerror or exc}"
        self._down(why)

    def _dispatch(self, line: bytes) -> str | None:
        """Hand one line to its waiting request or to the listeners; returns a goodbye's reason."""
        try:
            message = json.loads(line)
        except ValueError:
            log.warning("station link: not JSON: %.80r", line)
            return None
        if not isinstance(message, dict):
            return None
        if "event" in message:
            for notify in list(self._listeners):
                _call_safely(notify)
            for callback in list(self._event_listeners):
                _call_safely(callback, message["event"])
            return None
        request_id = message.get("id")
        future = self._pending.get(request_id) if isinstance(request_id, int) else None
        if future is None:
            if "error" in message and "id" not in message:
                return str(message["error"])
            return None
        if future.done():
            return None
        if "error" in message:
            future.set_exception(LinkError(str(message["error"])))
        else:
            future.set_result(message.get("result"))
        return None


_T = TypeVar("_T")


def _add(listeners: list[_T], callback: _T) -> Callable[[], None]:
    listeners.append(callback)

    def unlisten() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(callback)

    return unlisten


def _call_safely(callback: Callable[..., None], *args: Any) -> None:
    # A face's bug must not end the link's reader, which every other listener depends on.
    try:
        callback(*args)
    except Exception:
        log.exception("station link: a listener failed")
