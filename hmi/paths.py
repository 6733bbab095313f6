"""Where the station keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from hmi.errors import UsageError

APP = "ms5-floor"
# The project's assets folder (in the frozen build, the bundle's: this module is imported from it).
ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEMO_CONFIG = ASSETS / "demo-line.toml"


def data_dir() -> Path:
    """The data folder: $MS5_DATA_DIR, else the platform's user data folder."""
    override = os.environ.get("MS5_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP)


def default_db() -> Path:
    return data_dir() / "station.db"


# sun_path holds 108 bytes with the terminating NUL on Linux (104 on the BSDs and macOS).
SOCKET_PATH_MAX = 107


def socket_path(db: Path) -> Path:
    """The station socket of the station that owns `db`: beside it, named after it
    (station.db -> station.sock), so a demo and a real station in one data folder do not meet."""
    path = db.absolute().with_suffix(".sock")
    size = len(os.fsencode(path))
    if size > SOCKET_PATH_MAX:
        raise UsageError(
            f"{path}: {size} bytes, longer than the {SOCKET_PATH_MAX} a Unix socket path may be; "
            "use a shorter data folder (MS5_DATA_DIR) or --db path"
        )
    return path
