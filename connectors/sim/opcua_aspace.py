"""The simulated OPC UA server's standard address space, kept between runs.

asyncua builds the standard address space (thousands of nodes) from Python code at every
`Server.init()`: about 1.3 s of CPU, the longest part of the demo's start (docs/BENCHMARKS.md).
asyncua can load it instead from a shelf it made on an earlier start, lazily, node by node as
they are read (`Server.init(shelf_file)`, made for slow devices). Here the shelf lives in the
user's cache folder, one per asyncua version. asyncua tests for it by the file name itself while
Python's built-in dbm (the only one some Pythons have) writes `NAME.dat` and `NAME.dir`, so each
shelf is a folder holding those and an empty `NAME` beside them, written under a temporary name
and renamed whole: a start that meets a half-made shelf, or two first starts at once, cannot
load a broken one. The first start pays for making it (in asyncua's worker thread).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import platformdirs

SHELF = "aspace"


def cache_folder() -> Path:
    """$MS5_CACHE_DIR, else the platform's user cache folder."""
    override = os.environ.get("MS5_CACHE_DIR")
    return Path(override) if override else platformdirs.user_cache_path("ms5-floor")


def shelf_folder() -> Path:
    return cache_folder() / f"opcua-aspace-{version('asyncua')}"


def ready_shelf() -> Path | None:
    """The shelf to load, when an earlier start made it whole."""
    path = shelf_folder() / SHELF
    return path if path.is_file() else None


def new_shelf() -> Path | None:
    """Where asyncua makes the shelf this time (a temporary folder, see `keep`); None when the
    cache folder cannot be written: the server then builds the address space every time."""
    parent = cache_folder()
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".opcua-aspace-", dir=parent)) / SHELF
    except OSError:
        return None


def keep(made: Path) -> None:
    """Put the shelf asyncua made at `made` in place, whole, unless another start did first."""
    folder = made.parent
    try:
        made.touch()  # the name asyncua looks for; the dbm files beside it hold the nodes
        os.rename(folder, shelf_folder())
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def drop(made: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(made.parent)
