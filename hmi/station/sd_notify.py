"""systemd's notify protocol (sd_notify(3)): a datagram to $NOTIFY_SOCKET per message.

A few lines rather than a library: `READY=1` once the station serves, `WATCHDOG=1` from the
station's tick loop at half the unit's `WatchdogSec`, `STOPPING=1` on the way out. The pings come
from the loop that ticks the engine, so a loop that hangs, or a tick that fails and ends the
loop, stops them and systemd restarts the station (packaging/ms5-engine.service). A store that
cannot write does not stop them: a restart would lose the samples held in memory, and /healthz
says it instead (docs/PACKAGING.md).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger("ms5.systemd")


class Notifier:
    def __init__(self, address: str, watchdog_s: float | None = None) -> None:
        # A leading '@' names a socket in the abstract namespace (sd_notify(3)).
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = watchdog_s
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._pinged: float | None = None
        self._failing = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Notifier | None:
        """A notifier when systemd runs this process with Type=notify, else None."""
        address = env.get("NOTIFY_SOCKET", "")
        if not address:
            return None
        watchdog_s: float | None = None
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        # WATCHDOG_PID names the process meant; a child that inherited the variables is not it.
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog_s = int(usec) / 1e6
        return cls(address, watchdog_s)

    def send(self, message: str) -> None:
        try:
            self._socket.sendto(message.encode("utf-8"), self.address)
        except OSError as exc:
            if not self._failing:  # once, not at every ping
                log.warning("systemd: cannot notify %s: %s", self.address.lstrip("\0"), exc.strerror or exc)
            self._failing = True
        else:
            self._failing = False

    def ping(self) -> None:
        """WATCHDOG=1 when half the watchdog's interval has passed since the last one."""
        if self.watchdog_s is None:
            return
        now = time.monotonic()
        if self._pinged is None or now - self._pinged >= self.watchdog_s / 2:
            self.send("WATCHDOG=1")
            self._pinged = now

    def close(self) -> None:
        self._socket.close()
