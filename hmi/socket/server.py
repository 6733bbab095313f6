"""The station socket: lets a second face (the console over SSH) use the station this process hosts.

The protocol is docs/SOCKET.md (hmi/socket/protocol.py). Two rules shape this module:

- Nothing a client does may slow the station. The station's event listener only appends encoded
  lines to each client's bounded queue; a writer task per client drains it. A client whose queue
  overflows is dropped with a last line saying so.
- The socket gives no more than the PINs give: commands go through hmi.station.link.run_command, the same
  gate (PIN, permission, audit) as the panel's buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import socket
import stat
import struct
from collections import deque
from pathlib import Path
from typing import Any

from core.auth import socket_place
from core.events import Event, event_dict
from core.sqlite_tx import StoreError
from core.store_files import ensure_data_folder
from hmi.socket import protocol as wire
from hmi.station.link import LinkError, answer_view, login, refuse_while_starting, run_command, start_state
from hmi.station.runtime import Station
from hmi.station.views import station_view

log = logging.getLogger("ms5.socket")

SOCKET_MODE = 0o660  # owner and the data folder's group: the maintenance staff who may attach
QUEUE_MESSAGES = 1000  # per client, lines waiting to be written
QUEUE_BYTES = 8 * 1024 * 1024  # per client; a few overview snapshots of a big line
MAX_BAD_REQUESTS = 20  # in a row: past that the client is not speaking this protocol
GOODBYE_GRACE_S = 2.0  # how long a dropped client gets to take its last line before it is cut


class ServerError(Exception):
    """The socket cannot be served; the message says why in one line."""


def _peer(sock: Any) -> tuple[str, int | None]:
    """Who connected (pid and uid from the kernel): for the station's log, and the uid as the
    place a PIN typed over this connection counts for (core.auth: one lockout per peer uid)."""
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return "a client", None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return "a client", None
    pid, uid, _gid = struct.unpack("3i", creds)
    return f"pid {pid} uid {uid}", uid


class _Client:
    """One connection: its queue of lines to write and the task that writes them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.peer, uid = _peer(writer.get_extra_info("socket"))
        self.place = socket_place(uid)
        self.queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.subscribed = False
        self.closing: str | None = None  # why the server ends this connection
        self.goodbye = True
        self.writer_task: asyncio.Task[None] | None = None

    def send(self, line: bytes) -> None:
        """Queue a line; never waits. An overflowing queue drops the client."""
        if self.closing is not None:
            return
        if len(self.queue) >= QUEUE_MESSAGES or self.queued_bytes + len(line) > QUEUE_BYTES:
            self.close("dropped: too slow")
            return
        self.queue.append(line)
        self.queued_bytes += len(line)
        self.wake.set()

    def close(self, why: str, *, tell: bool = True) -> None:
        """End the connection, after one last line saying why if `tell` and the client still reads.
        Never waits: the writer task does the rest."""
        if self.closing is not None:
            return
        self.closing = why
        self.goodbye = tell
        level = logging.WARNING if why.startswith("dropped") else logging.INFO
        log.log(level, "socket: %s %s", self.peer, why)
        self.queue.clear()
        self.queued_bytes = 0
        if self.writer_task is not None and self.writer_task is not asyncio.current_task():
            # It may be waiting for a client that stopped reading: that wait ends now.
            self.writer_task.cancel()

    async def write_loop(self) -> None:
        writer = self.writer
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    line = self.queue.popleft()
                    self.queued_bytes -= len(line)
                    writer.write(line)
                    await writer.drain()
        except asyncio.CancelledError:
            pass
        except (ConnectionError, OSError):
            self.close("disconnected", tell=False)
        finally:
            if self.closing is not None and self.goodbye:
                with contextlib.suppress(Exception):
                    writer.write(wire.encode(wire.goodbye(self.closing)))
            await self._shut()

    async def _shut(self) -> None:
        writer = self.writer
        with contextlib.suppress(Exception):
            writer.close()
        try:
            # A client that stopped reading never takes its buffered lines: cut it after a while.
            await asyncio.wait_for(writer.wait_closed(), GOODBYE_GRACE_S)
        except (TimeoutError, ConnectionError, OSError):
            writer.transport.abort()


class StationServer:
    """Serves `station` on the Unix socket `path` (hmi.paths.socket_path) until stop()."""

    def __init__(self, station: Station, path: Path) -> None:
        self.station = station
        self.path = path
        self._server: asyncio.Server | None = None
        self._lock_fd: int | None = None
        self._inode: int | None = None
        self._clients: set[_Client] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._unlisten: Any = None

    @property
    def clients(self) -> int:
        """Connected clients (a dropped one stops counting at once)."""
        return sum(1 for c in self._clients if c.closing is None)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    async def start(self) -> None:
        """Bind the socket (mode 0660) and accept clients; ServerError if a station already serves
        this path or the path cannot be used."""
        self._claim()
        try:
            sock = self._bind()
            self._server = await asyncio.start_unix_server(self._serve, sock=sock, limit=wire.MAX_LINE)
        except BaseException:
            self._release()
            raise
        self._unlisten = self.station.listen(self._on_event)
        log.info("socket: serving %s", self.path)

    def _claim(self) -> None:
        """Hold an exclusive lock beside the socket for as long as this server runs, so two stations
        starting together cannot both decide the other's socket is stale."""
        try:
            ensure_data_folder(self.path.parent)  # 0700 from the start, as the store wants it
        except StoreError as exc:
            raise ServerError(str(exc)) from None
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, SOCKET_MODE)
        except OSError as exc:
            raise ServerError(f"cannot create {self.lock_path}: {exc.strerror}") from None
        with contextlib.suppress(OSError):  # not ours to change when another user made it
            # Past the umask: a group member hosting the station next time must open it too.
            os.fchmod(fd, SOCKET_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                who = f" (pid {pid})" if pid.isdigit() else ""
                raise ServerError(f"a station already runs on {self.path}{who}") from None
            raise ServerError(f"cannot lock {self.lock_path}: {exc.strerror}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _bind(self) -> socket.socket:
        path = str(self.path)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISSOCK(st.st_mode):
                raise ServerError(f"{path} exists and is not a socket; not touching it")
            # Stale: we hold the lock, so whoever made it is gone.
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # The umask closes the window between bind and chmod in which others could connect.
        old = os.umask(0o777 & ~SOCKET_MODE)
        try:
            sock.bind(path)
        except OSError as exc:
            sock.close()
            raise ServerError(f"cannot serve {path}: {exc.strerror or exc}") from None
        finally:
            os.umask(old)
        os.chmod(path, SOCKET_MODE)
        self._inode = os.stat(path).st_ino
        sock.setblocking(False)
        return sock

    def _release(self) -> None:
        if self._inode is not None:
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
            self._inode = None
        if self._lock_fd is not None:
            # The lock file stays: unlinking it would let a starter lock an orphaned inode.
            os.ftruncate(self._lock_fd, 0)
            os.close(self._lock_fd)
            self._lock_fd = None

    async def stop(self) -> None:
        """Stop accepting, tell every client the station is stopping, remove the socket file."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for client in list(self._clients):
            client.close("the station is stopping")
        for task in list(self._handlers):
            task.cancel()
        tasks = [c.writer_task for c in self._clients if c.writer_task is not None]
        await asyncio.gather(*self._handlers, *tasks, return_exceptions=True)
        self._release()
        log.info("socket: stopped")

    def _on_event(self, event: Event) -> None:
        # Runs inside engine.ingest: it must neither raise nor wait. The event is converted here,
        # once for all subscribers, and only when there is one.
        try:
            subscribed = [client for client in self._clients if client.subscribed]
            if not subscribed:
                return
            line = wire.encode(wire.event(event_dict(event)))
            for client in subscribed:
                client.send(line)
        except Exception:
            log.exception("socket: cannot pass an event on")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        client = _Client(reader, writer)
        self._clients.add(client)
        client.writer_task = asyncio.create_task(client.write_loop(), name=f"socket writer {client.peer}")
        log.info("socket: %s connected", client.peer)
        try:
            await self._read_loop(client)
        except asyncio.CancelledError:
            pass
        finally:
            client.close("disconnected", tell=False)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.writer_task
            if not writer.is_closing():  # its writer was cancelled before it ever ran
                writer.transport.abort()
            self._clients.discard(client)
            if task is not None:
                self._handlers.discard(task)

    async def _read_loop(self, client: _Client) -> None:
        bad = 0
        while client.closing is None:
            try:
                line = await client.reader.readline()
            except ValueError:
                client.close(f"dropped: a line longer than {wire.MAX_LINE} bytes")
                return
            except (ConnectionError, OSError):
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                request = wire.decode_request(line)
            except wire.ProtocolError as exc:
                bad += 1
                client.send(wire.encode(wire.error(exc.request_id, str(exc))))
                if bad >= MAX_BAD_REQUESTS:
                    client.close(f"dropped: {bad} bad requests in a row")
                continue
            bad = 0
            client.send(await self._reply(client, request))
            # Lines already buffered are read without a pause: a burst of requests must still let
            # the station's polling and ticks run in between.
            await asyncio.sleep(0)

    async def _reply(self, client: _Client, request: wire.Request) -> bytes:
        """The encoded answer to one request; a failure is an error line, never a traceback."""
        try:
            value = await self._answer(client, request)
        except (LinkError, wire.ProtocolError) as exc:
            return wire.encode(wire.error(request.id, str(exc)))
        except Exception as exc:
            log.exception("socket: %s failed", request.op)
            return wire.encode(wire.error(request.id, f"{request.op} failed: {wire.one_line(exc)}"))
        line = wire.encode(wire.result(request.id, value))
        if len(line) > wire.MAX_LINE:
            return wire.encode(wire.error(request.id, f"the answer is larger than {wire.MAX_LINE} bytes"))
        return line

    async def _answer(self, client: _Client, request: wire.Request) -> Any:
        station = self.station
        op = request.op
        if op == "hello":
            return {"protocol": wire.PROTOCOL, **station_view(station), **start_state(station)}
        if op in ("view", "snapshot"):
            name, args = wire.view_args(request)
            return await answer_view(station, name, args)
        if op == "subscribe":
            client.subscribed = True
            return {"subscribed": True}
        if op == "unsubscribe":
            client.subscribed = False
            return {"subscribed": False}
        if op == "command":
            command, args, user, pin = wire.command_args(request)
            outcome = await run_command(station, command, args, user, pin, client.place)
            if outcome.refused:
                log.warning("socket: %s: %s as %s refused: %s", client.peer, command, user, outcome.message)
            return {"ok": outcome.ok, "message": outcome.message, "refused": outcome.refused}
        if op == "login":
            user, pin = str(request.fields["user"]), str(request.fields["pin"])
            refuse_while_starting(station)
            return {"role": await login(station, user, pin, client.place)}
        raise wire.ProtocolError(f"unknown op {op!r}", request.id)
