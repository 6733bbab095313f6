"""Mails not yet sent, kept on disk: one `<name>.eml` (the message as it will go out) and one
`<name>.json` (whose shift it is, how often it failed, when to try again, why) per mail.

A mail stays here until the server has taken it, across restarts; a failure waits longer each
time (30 s, 1 min, 2 min, ... at most an hour). Every file is written through a temporary file
and a rename, so a crash leaves a mail whole or absent, never half.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

BACKOFF_FIRST_S = 30.0
BACKOFF_MAX_S = 3600.0


def backoff(attempts: int) -> float:
    """How long to wait after the `attempts`-th failure in a row."""
    return min(BACKOFF_FIRST_S * 2.0 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class Entry:
    name: str
    line: str
    start: float  # the shift's start: (line, start) is the shift, as the store records it
    attempts: int
    next_try: float
    last_error: str | None


class Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, name: str, line: str, start: float, msg: EmailMessage) -> None:
        """Keep `msg` to send; the same name again replaces it (a report written again)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _write(self.folder / f"{name}.eml", bytes(msg))
        self._state(Entry(name, line, start, 0, 0.0, None))

    def _state(self, e: Entry) -> None:
        state = {
            "line": e.line,
            "start": e.start,
            "attempts": e.attempts,
            "next_try": e.next_try,
            "last_error": e.last_error,
        }
        _write(self.folder / f"{e.name}.json", json.dumps(state).encode())

    def entries(self) -> list[Entry]:
        out = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            if not (path.with_suffix(".eml")).exists():
                continue
            try:
                s: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                out.append(
                    Entry(
                        path.stem,
                        str(s["line"]),
                        float(s["start"]),
                        int(s["attempts"]),
                        float(s["next_try"]),
                        s.get("last_error"),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a state file we cannot read is left for a person to look at
        return out

    def message(self, e: Entry) -> EmailMessage:
        with open(self.folder / f"{e.name}.eml", "rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh)
        assert isinstance(msg, EmailMessage)
        return msg

    def sent(self, e: Entry) -> None:
        # The state first: a crash in between leaves an .eml without state, which is never sent again.
        for suffix in (".json", ".eml"):
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{e.name}{suffix}").unlink()

    def failed(self, e: Entry, now: float, error: str) -> Entry:
        attempts = e.attempts + 1
        again = Entry(e.name, e.line, e.start, attempts, now + backoff(attempts), error)
        self._state(again)
        return again
