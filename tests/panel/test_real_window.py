"""`ms5 panel --demo` in a real window on an X server (Xvfb, Qt's xcb platform, not offscreen),
tapped from outside with xdotool as a finger would: raise a call, acknowledge it with a
supervisor's PIN on the PIN pad, and see the banner change on the screen.

The buttons are found by the map the panel writes with MS5_PANEL_WIDGET_MAP (hmi/panel/widget_map.py),
so the test follows the layout wherever it moves. The station's socket says what was done; a
screenshot of the X screen (`import -window root`) shows the banner there in its kind's colour.
Needs the Debian packages of scripts/bootstrap.sh's test tools: xvfb, xdotool, imagemagick.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtGui import QColor, QImage

from core.auth import Role
from hmi.panel.theme import andon_colour
from hmi.paths import socket_path
from hmi.station.demo_shift import DEMO_USERS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "assets" / "demo-line.toml"
SIZE = (1280, 800)
# The demo's own supervisor, as `ms5 panel --demo` prints it (hmi/station/demo_shift.py).
SUPERVISOR, PIN = next((name, pin) for name, role, pin in DEMO_USERS if role == Role.SUPERVISOR)
WAIT_S = 90.0  # how long a step may take on a busy machine before the test gives up on it
T = TypeVar("T")


def active(panel: RealPanel) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = panel.view("andon")["active"]
    return calls


def wait_for(what: str, probe: Callable[[], T | None], panel: subprocess.Popen[str]) -> T:
    """Poll `probe` until it returns something; fails with `what` if the panel exits first."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        if panel.poll() is not None:
            pytest.fail(f"the panel exited ({panel.returncode}) while waiting for {what}")
        time.sleep(0.1)
    pytest.fail(f"no {what} after {WAIT_S:.0f} s")


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb screen of SIZE on a free display number."""
    for tool in ("Xvfb", "xdotool", "import"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/bootstrap.sh"
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # Xvfb writes it once it accepts clients
    assert number, "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait()


class RealPanel:
    def __init__(self, tmp_path: Path, display: str) -> None:
        self.display = display
        self.data = tmp_path / "data"
        self.map_file = tmp_path / "widgets.json"
        self.env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        self.env |= {
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "MS5_DATA_DIR": str(self.data),
            "MS5_PANEL_WIDGET_MAP": str(self.map_file),
        }
        size = f"{SIZE[0]}x{SIZE[1]}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hmi.cli", "panel", str(DEMO), "--demo", "--size", size],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @property
    def db(self) -> Path:
        return self.data / "demo.db"  # where `--demo` keeps its fresh record (hmi/cli/panel.py)

    def buttons(self) -> dict[str, dict[str, Any]]:
        try:
            return {b["name"]: b for b in json.loads(self.map_file.read_text(encoding="utf-8"))}
        except (OSError, ValueError):
            return {}

    def button(self, name: str, ready: Callable[[dict[str, Any]], bool] = lambda b: True) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            b = self.buttons().get(name)
            return b if b is not None and b["enabled"] and ready(b) else None

        return wait_for(f"button {name!r}", found, self.proc)

    def tap(self, name: str) -> None:
        x, y, w, h = self.button(name)["rect"]
        xdotool = ["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1"]
        subprocess.run(xdotool, env=self.env, check=True)

    def view(self, name: str) -> Any:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(socket_path(self.db)))
            s.sendall(json.dumps({"id": 1, "op": "view", "name": name}).encode() + b"\n")
            answer = s.makefile("rb").readline()
        return json.loads(answer)["result"]

    def screenshot(self, path: Path) -> QImage:
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True)
        return QImage(str(path))

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=60)
        return out


@pytest.fixture
def panel(tmp_path: Path, display: str) -> Iterator[RealPanel]:
    p = RealPanel(tmp_path, display)
    try:
        yield p
    finally:
        if p.proc.poll() is None:
            p.stop()


def test_the_real_window_raises_a_call_and_a_supervisor_acknowledges_it(
    panel: RealPanel, tmp_path: Path
) -> None:
    panel.button("screen andon")  # the window is up and mapped
    wait_for("the station's socket", lambda: True if socket_path(panel.db).exists() else None, panel.proc)
    before = {int(c["id"]) for c in panel.view("andon")["active"]}

    panel.tap("screen andon")
    panel.tap("raise maintenance")
    call = wait_for(
        "the raised call",
        lambda: next((c for c in panel.view("andon")["active"] if int(c["id"]) not in before), None),
        panel.proc,
    )
    call_id = int(call["id"])
    assert call["kind"] == "maintenance" and call["state"] == "active-unacknowledged"
    assert "NEW" in panel.button(f"banner call {call_id}")["text"]

    panel.tap(f"call {call_id}")
    panel.tap("ack_andon")
    panel.tap(f"user {SUPERVISOR}")
    for digit in PIN:
        panel.tap(f"key {digit}")
    panel.tap("ok")

    done = wait_for(
        "the acknowledgement",
        lambda: next((c for c in active(panel) if c["id"] == call_id and c["acknowledged_by"]), None),
        panel.proc,
    )
    assert done["acknowledged_by"] == SUPERVISOR and done["state"] == "active-acknowledged"
    chip = panel.button(f"banner call {call_id}", ready=lambda b: "ACK" in b["text"].split(" · ")[-1])

    # On the X screen itself: the chip is drawn where the panel says, in the maintenance colour.
    shot = panel.screenshot(tmp_path / "acknowledged.png")
    assert (shot.width(), shot.height()) == SIZE
    x, y, _, h = chip["rect"]
    edge = shot.pixelColor(x + 6, y + h // 2)  # inside the chip, left of its text
    assert edge.name() == QColor(andon_colour("maintenance")).name(), (edge.name(), chip)
    out = panel.stop()
    assert panel.proc.returncode == 0, out
    assert "Traceback" not in out
