"""`python -m scripts.screenshots`: a PNG of every panel screen at the sizes asked for, each the
window's size, each showing something (not one flat colour), the same on a second run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from scripts import screenshots

pytestmark = pytest.mark.slow  # the panel under Qt

SCREENS = ("overview", "machine", "downtime", "andon", "jobs", "report")


def _colours(img: QImage) -> int:
    step = 16
    return len({img.pixel(x, y) for x in range(0, img.width(), step) for y in range(0, img.height(), step)})


def test_screenshots_of_every_screen_at_the_size_asked_for(qapp: QApplication, tmp_path: Path) -> None:
    written = screenshots.take(tmp_path / "a", sizes=[(1280, 800)])
    assert [p.name for p in written] == [f"{name}-1280x800.png" for name in SCREENS]
    for path in written:
        img = QImage(str(path))
        assert (img.width(), img.height()) == (1280, 800), path.name
        assert _colours(img) > 8, f"{path.name} looks blank"
    again = screenshots.take(tmp_path / "b", sizes=[(1280, 800)])
    for first, second in zip(written, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between runs"
