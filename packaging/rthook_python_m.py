# PyInstaller runtime hook: lets the frozen `ms5` stand in for `python -m MODULE ...`.
#
# The demo's Logix simulator runs cpppo's EtherNet/IP server as a child process,
# `sys.executable -m cpppo.server.enip ...` (connectors/sim/logix_server.py). In the frozen build
# sys.executable is `ms5` itself and there is no Python next to it, so `ms5 -m MODULE ARGS` runs
# MODULE as __main__ out of the bundle, for the modules listed here only.
# ruff: noqa
import runpy
import sys

_RUNNABLE = {"cpppo.server.enip"}

if getattr(sys, "frozen", False) and len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2] in _RUNNABLE:
    _module = sys.argv[2]
    sys.argv = [sys.argv[0], *sys.argv[3:]]
    runpy.run_module(_module, run_name="__main__", alter_sys=True)  # its sys.exit() ends ms5 too
    sys.exit(0)
