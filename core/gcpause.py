"""Bulk work that allocates millions of small objects and frees none (parsing a journal,
replaying it) pays the cyclic garbage collector again and again for nothing: pause it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
