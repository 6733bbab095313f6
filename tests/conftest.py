from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config, load_config

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def reference_config() -> Config:
    return load_config(DATA / "reference.toml")
