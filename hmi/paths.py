"""Where the station keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "ms5-floor"


def data_dir() -> Path:
    """The data folder: $MS5_DATA_DIR, else the platform's user data folder."""
    override = os.environ.get("MS5_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP)


def default_db() -> Path:
    return data_dir() / "station.db"
