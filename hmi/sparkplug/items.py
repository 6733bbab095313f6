"""What goes from the edge node's scans to its session (a queue of items), and the session's
small asyncio helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiomqtt

from sparkplug.payload import Value

T = TypeVar("T")


class EndSession(Exception):
    """The session ends on purpose (the primary host went offline)."""


@dataclass(frozen=True)
class Data:
    device: str | None  # None: node metrics (NDATA)
    ts_ms: int
    values: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Life:
    device: str
    alive: bool


Item = Data | Life | None  # None: a rebirth was asked for


def raise_if_cancelled(cause: BaseException | None = None) -> None:
    """Python 3.11's wait_for (inside aiomqtt's publish) can swallow a cancellation that comes as
    the PUBACK does; the task still says it is being cancelled, so the stop is honoured here. (An
    error of the client's closing must not swallow the stop either, or the station waits for ever.)"""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from cause


async def until(awaitable: Coroutine[Any, Any, T], reader: asyncio.Task[None]) -> T:
    """`awaitable`'s result, or the reader's exception if the session ends first."""
    waiter: asyncio.Task[T] = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        waiter.cancel()
        raise
    if waiter in done:
        return waiter.result()
    waiter.cancel()
    reader.result()
    raise aiomqtt.MqttError("the broker connection ended")
