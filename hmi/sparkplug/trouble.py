"""What went wrong with the edge node, told apart as Home Assistant's DataUpdateCoordinator does.

*Expected* failures (the broker away or refusing, the network, the primary host offline) are a
state: one line in the log when it starts or its reason changes, one when the node is online
again, nothing per retry. *Unexpected* exceptions are our bugs: one line with the traceback per
place and reason, the faces' health says it while it lasts, and the edge node keeps its session
(the metric is skipped for that scan; see hmi.sparkplug.edge). Before, a bug (a ValueError of the
engine) was taken for a broker fault, ended the session and rebirthed the node for ever.
"""

from __future__ import annotations

import logging

from connectors.diagnostics import bug_line

log = logging.getLogger("ms5.sparkplug")


class Trouble:
    def __init__(self) -> None:
        self.offline: str | None = None  # why the last session ended or could not start
        self.bugs: dict[str, str] = {}  # where -> the bug's line, while it lasts

    def failed(self, why: str) -> None:
        """An expected failure: logged when it starts or its reason changes, not per retry."""
        if why != self.offline:
            log.warning("sparkplug: no session with the plant broker: %s", why)
        self.offline = why

    def online(self, where: str) -> None:
        """A session is live: said once, as a recovery after a failure."""
        if self.offline is not None:
            log.warning("sparkplug: online again at %s (was: %s)", where, self.offline)
        else:
            log.info("sparkplug: online at %s", where)
        self.offline = None

    def bug(self, where: str, exc: BaseException) -> str:
        """An unexpected exception at `where`: the traceback once per reason; returns its line."""
        line = bug_line(exc)
        if self.bugs.get(where) != line:
            log.error("sparkplug: internal error (a bug, not the broker) %s: %s", where, line, exc_info=exc)
        self.bugs[where] = line
        return line

    def fine(self, where: str) -> None:
        """`where` worked: a bug there is over (said once)."""
        if self.bugs.pop(where, None) is not None:
            log.warning("sparkplug: %s works again", where)
