#!/usr/bin/env bash
# Sets up a fresh Debian machine with only Python 3.11: the system libraries Qt needs (apt-get,
# only when missing), then a virtual environment with the pinned packages of constraints.txt.
set -euo pipefail
venv=${1:-.venv}
cd "$(dirname "$0")/.."

qt_libs=(libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3 fonts-dejavu-core)
python=${PYTHON:-python3}
# tmux: the console's smoke test runs `ms5 console --demo` in a real 80x24 terminal; binutils and
# the shared libpython: PyInstaller needs objdump and the library for the build test (and `make package`).
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# xvfb, xdotool, imagemagick and the xcb libraries: tests/panel/test_real_window.py taps the panel
# in a real X window (Xvfb), not only offscreen, and takes a screenshot of it; `make demo` on a
# screen needs the xcb libraries too.
# mosquitto (and its clients): the Sparkplug B tests start a real broker of their own on 127.0.0.1.
test_tools=(tmux binutils "libpython$py_version" xvfb xdotool imagemagick mosquitto mosquitto-clients)
xcb_libs=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0)
missing=()
for pkg in "${qt_libs[@]}" "${test_tools[@]}" "${xcb_libs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -c constraints.txt -e '.[dev,parquet]'
echo "bootstrap: ready ($("$venv/bin/python" --version))"
