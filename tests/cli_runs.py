"""`ms5` as a user runs it: in this process (fast, for the many cases of one rule) or as a real
process (`python -m hmi.cli`, marked slow, for the few cases that stand for the rest)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hmi.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def run_in_process(*argv: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own exits (usage errors, --help)
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, out.getvalue(), err.getvalue())


def run_process(*argv: str) -> Outcome:
    proc = subprocess.run(
        [sys.executable, "-m", "hmi.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)
