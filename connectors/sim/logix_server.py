"""A simulated Logix controller: cpppo's EtherNet/IP server (`python -m cpppo.server.enip`) in a
subprocess, serving every tag of a connection, and a writer that sets their values over EtherNet/IP.

Why a subprocess: cpppo's server is a blocking program of its own; a process also makes outages
real (`kill()` is a controller that vanishes, `pause()` one that hangs with its sockets open).

`set()` only records the value and returns at once: it is called from asyncio code (the line
simulator) on every change. A writer thread sends what changed as pycomm3 multiple-service
writes (pycomm3's single-tag write sends its payload twice, which cpppo rejects), batching
everything set since its last write. `flush()` waits until the writes are done (tests use it).

What cpppo can serve, and the bytes written, are in logix_tags. A tag it cannot serve (a
multi-dimensional element, a member of an array element) the driver reads as BAD, and `set()` on
it raises ValueError.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pycomm3 import LogixDriver

from connectors.base import Tag
from connectors.sim.logix_tags import INTEGERS, Slot, encode, layout
from connectors.sim.server import SimServer
from core.config import Connection

log = logging.getLogger("ms5.connectors.logix.sim")

START_TIMEOUT_S = 15.0
WRITE_TIMEOUT_S = 1.0

_READY = b"Network TCP Server address"


def _die_with_parent() -> None:
    """A simulator killed with SIGKILL runs no clean-up: have Linux end its cpppo child too, so the
    port is free for the next run."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the atexit clean-up is all there is


_live: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


@atexit.register
def _reap() -> None:
    """A station that exits without stop() must not leave controllers holding their ports."""
    for proc in list(_live):
        with contextlib.suppress(Exception):
            proc.kill()


class LogixSimServer(SimServer):
    """cpppo serving a connection's tags on connection.host:connection.port (no UDP)."""

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        super().__init__(connection, tags)
        served = layout(self.tags)
        self._slots = served.slots
        self._why_not = served.why_not
        self._specs = served.specs
        self._write_tags = served.write_tags
        self._lock = threading.Condition()
        self._values: dict[str, bytes] = {}  # everything set so far, by written tag
        self._words: dict[str, int] = {}
        self._dirty: dict[str, tuple[str, bytes]] = {}
        self._seq = 0
        self._done = 0
        self._stopping = False
        self._writer: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._logdir: tempfile.TemporaryDirectory[str] | None = None
        self._failing = False
        self._fresh = False

    @property
    def unserved(self) -> list[str]:
        """Why each tag cpppo cannot serve is left out (one line per tag)."""
        return [w for w in self._why_not if w]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.running:
            return
        host, port = self.connection.host, self.connection.port
        if not port:
            raise ValueError(f"connection {self.connection.id}: the simulator needs a port")
        for why in self.unserved:
            log.warning("%s: not served: %s", self.connection.id, why)
        if self._logdir is None:
            self._logdir = tempfile.TemporaryDirectory(prefix="ms5-logix-sim-")
        logfile = Path(self._logdir.name) / "cpppo.log"
        _check_free(host, port)
        args = [sys.executable, "-m", "cpppo.server.enip", "--address", f"{host}:{port}", "--no-udp", "-A"]
        # A connection with no servable tag still answers (sessions, identity): serve a spare tag.
        args += self._specs or ["_ms5_spare=DINT[1]"]
        with open(logfile, "wb") as out:
            self._proc = proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                close_fds=True,
                preexec_fn=_die_with_parent,
            )
        _live.add(proc)
        try:
            await self._wait_listening(proc, logfile)
        except BaseException:
            await self._end_process()
            raise
        with self._lock:
            # A new process starts from zeros: send it every value set so far.
            for key, data in self._values.items():
                slot = next(s for s in self._slots if s is not None and s.key == key)
                self._dirty[key] = (slot.logix_type, data)
            self._seq += 1
            self._stopping = False
            self._fresh = True  # the writer's connection went with the old process
            self._lock.notify_all()
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(
                target=self._write_loop, name=f"ms5-sim-{self.connection.id}", daemon=True
            )
            self._writer.start()
        if self._values:
            # Serve the values set so far before anyone reads the new controller's zeros.
            await asyncio.to_thread(self.flush, 5.0)

    async def _wait_listening(self, proc: subprocess.Popen[bytes], logfile: Path) -> None:
        """Until cpppo says it listens (`-A` prints the bound address once it has bound)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"cpppo exited ({proc.returncode}): {_last_line(logfile)}")
            with contextlib.suppress(OSError):
                if _READY in logfile.read_bytes():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cpppo did not start within {START_TIMEOUT_S:g} s")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        writer = self._writer
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if writer is not None:
            await asyncio.to_thread(writer.join, 5.0)
            self._writer = None
        await self._end_process()
        if self._logdir is not None:
            self._logdir.cleanup()
            self._logdir = None

    async def _end_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)  # a paused process acts on SIGTERM only when resumed
            deadline = time.monotonic() + 3.0
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        _live.discard(proc)

    def kill(self) -> None:
        """The controller vanishes (SIGKILL): its sockets close. `start()` brings up a new one
        with the values set so far."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
            _live.discard(proc)

    def pause(self) -> None:
        """The controller hangs (SIGSTOP): connections stay open and nothing answers."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGCONT)

    # -- values ----------------------------------------------------------------------------------

    def set(self, index: int, value: float) -> None:
        slot = self._slot(index)
        b = self.tags[index].binding
        value = float(value)
        raw = (value - b.offset) / b.scale if (b.scale != 1.0 or b.offset != 0.0) else value
        if slot.bit is not None:
            bits = INTEGERS[slot.logix_type][0]
            if slot.bit >= bits:
                raise ValueError(f"bit {slot.bit} is beyond the {bits}-bit {slot.logix_type} it is served in")
            with self._lock:
                word = self._words.get(slot.key.lower(), 0)
                word = word | (1 << slot.bit) if raw else word & ~(1 << slot.bit)
                self._words[slot.key.lower()] = word  # Logix names ignore case
                self._queue(slot, encode(slot.logix_type, word))
            return
        data = encode(slot.logix_type, raw)
        with self._lock:
            self._queue(slot, data)

    def set_text(self, index: int, text: str) -> None:
        """Set a STRING tag's text."""
        slot = self._slot(index)
        if slot.logix_type != "STRING":
            raise ValueError(f"{self.tags[index].binding.address} is not a STRING tag")
        data = encode("STRING", text)
        with self._lock:
            self._queue(slot, data)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything set so far is written to cpppo (blocking); False on timeout."""
        with self._lock:
            target = self._seq
            return self._lock.wait_for(lambda: self._done >= target, timeout)

    def _slot(self, index: int) -> Slot:
        slot = self._slots[index]
        if slot is None:
            raise ValueError(f"not served: {self._why_not[index]}")
        return slot

    def _queue(self, slot: Slot, data: bytes) -> None:
        self._values[slot.key] = data
        self._dirty[slot.key] = (slot.logix_type, data)
        self._seq += 1
        self._lock.notify_all()

    def _write_loop(self) -> None:
        client: Any = None
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(lambda: self._stopping or bool(self._dirty))
                    if self._stopping:
                        return
                    batch, self._dirty = self._dirty, {}
                    seq = self._seq
                    fresh, self._fresh = self._fresh, False
                if fresh:
                    _close(client)
                    client = None
                try:
                    if client is None:
                        client = self._open_client()
                    self._write(client, batch)
                except Exception as exc:
                    _close(client)
                    client = None
                    if not self._failing:
                        log.debug("%s: simulator write failed: %s", self.connection.id, exc)
                    self._failing = True
                    with self._lock:
                        for key, item in batch.items():
                            self._dirty.setdefault(key, item)
                        # Retry after a pause; stop() ends the wait at once.
                        self._lock.wait_for(lambda: self._stopping, 0.2)
                    continue
                self._failing = False
                with self._lock:
                    self._done = seq  # later sets have higher numbers and are still dirty
                    self._lock.notify_all()
        finally:
            _close(client)

    def _open_client(self) -> Any:
        host, port = self.connection.host, self.connection.port
        client: Any = LogixDriver(f"{host}:{port}", init_tags=False, init_program_tags=False)
        client.socket_timeout = WRITE_TIMEOUT_S
        client._cfg["extended forward open"] = False
        client._cfg["connection_size"] = 500
        client.open()
        client._tags = self._write_tags
        return client

    def _write(self, client: Any, batch: dict[str, tuple[str, bytes]]) -> None:
        items = [(key, data) for key, (_, data) in batch.items()]
        if len(items) == 1:
            items.append(items[0])  # two make a multiple-service request
        results = client.write(*items)
        for result in results:
            if result.error:
                log.debug("%s: cpppo refused %s: %s", self.connection.id, result.tag, result.error)


def _close(client: Any) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def _check_free(host: str, port: int) -> None:
    """cpppo binds with SO_REUSEPORT, so a second cpppo (a stale one, say) would share the port
    and take half the connections: make sure nobody listens there first."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise RuntimeError(f"port {port} on {host} is in use ({exc.strerror or exc})") from None


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no output"
    return lines[-1][:200] if lines else "no output"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and the simulator's callers)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


SERVER = LogixSimServer
