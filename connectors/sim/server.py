"""A simulated PLC: a real protocol server on 127.0.0.1 whose tag values the line simulator sets."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from connectors.base import Tag
from core.config import Connection


class SimServer(ABC):
    """Serves `tags` at the connection's address with the protocol's real server library.

    `set` takes engineering values (as a driver would deliver them, before scaling is undone:
    the server stores (value - offset) / scale in the tag's data type and byte order).
    """

    def __init__(self, connection: Connection, tags: Sequence[Tag]) -> None:
        self.connection = connection
        self.tags = list(tags)

    @abstractmethod
    async def start(self) -> None:
        """Listen on connection.host:connection.port (port 0 is not allowed: tests pick free ports)."""

    @abstractmethod
    def set(self, index: int, value: float) -> None:
        """Make tag `index` show `value` from now on."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop listening and drop clients."""

    def requests(self) -> int:
        """Requests served so far, where the server library lets us count them; else 0."""
        return 0
