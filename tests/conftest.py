from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Config, load_config

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def reference_config() -> Config:
    return load_config(DATA / "reference.toml")


@pytest.fixture(autouse=True)
def _qt_garbage_collected_in_the_main_thread() -> Iterator[None]:
    """Once Qt is loaded, collect each test's garbage here, in the GUI thread.

    Widgets left in reference cycles are otherwise freed by whichever thread next triggers a
    collection (a PLC driver's thread in a later test), and Qt crashes when a widget is deleted
    outside the GUI thread.
    """
    yield
    if "PySide6.QtCore" in sys.modules:
        gc.collect()
