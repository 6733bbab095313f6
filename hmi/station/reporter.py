"""The shift report at every shift's end: written into the reports folder, and mailed.

Which shifts are owed is `core.shift_reports` (no Qt, no I/O but the store). The report itself is
painted by Qt, and Qt painting belongs on a GUI thread of a process with a QGuiApplication: the
headless station has none, and the panel's GUI thread is the station's event loop. So each report
is written by a child process running `ms5 report ... --pdf --csv --json` (the same command a
person runs): the station's loop only awaits it, a crash or a hang of Qt cannot take the station
down, and the figures in the mail come from the child's JSON, which are those of the PDF.

Order, so that no shift is reported twice, even across a crash at any point: the child writes the
files (each through a temporary file and a rename), then the mail goes into the outbox (replacing
the one of an earlier attempt), then the store records the shift durably. A mail is sent only for
a shift the store records, so a crash before the record writes the same files and the same mail
again, once. Mail goes out on a worker thread; a failure keeps it in the outbox, retried with
backoff, and is said on both faces (`health_view`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core import shift_reports
from core.shift_reports import DueReport, due_reports
from core.sqlite_tx import one_line
from hmi.report.mail import MailError, MailSettings, compose, headline, send
from hmi.report.outbox import Outbox, backoff

if TYPE_CHECKING:
    from hmi.station.runtime import Station

log = logging.getLogger("ms5.reports")

CHECK_S = 10.0  # how often the station looks for a finished shift: well within a minute of its end


def ms5_command() -> list[str]:
    """`ms5` as a child process: the frozen build is `ms5` itself, else this Python's `-m hmi.cli`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "hmi.cli"]


def reports_folder(station: Station) -> Path:
    folder = station.config.reports.folder
    base = station.db_path.absolute().parent
    return base / (folder or "reports")


class ShiftReporter:
    def __init__(self, station: Station, config_path: Path) -> None:
        self.station = station
        self.config_path = config_path
        self.folder = reports_folder(station)
        self.mail = MailSettings.of(station.config.reports)
        self.outbox = Outbox(self.folder / "outbox")
        self.write_error: str | None = None  # the last report that could not be written, and why
        self.mail_error: str | None = None  # mails waiting after a failure, and the last reason
        self._retry_at = 0.0
        self._failures = 0
        self._first_ts: float | None = None

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:  # our bug must not end the reports for the station's lifetime
                log.exception("shift reports: unexpected failure")
            await asyncio.sleep(CHECK_S)

    async def step(self) -> None:
        """Write every report owed now, then send what the outbox holds and is due."""
        now = self.station.clock()
        if self.station.config.reports.at_shift_end and now >= self._retry_at:
            for report in self.due(now):
                if not await self.write(report, now):
                    self._failures += 1
                    self._retry_at = now + backoff(self._failures)
                    break
                self._failures = 0
        if self.mail is not None:
            await self.send_due(now)
            self.mail_error = await asyncio.to_thread(self._mail_problem)

    def due(self, now: float) -> list[DueReport]:
        store = self.station.store
        if store is None:
            return []
        conn = store.conn
        if self._first_ts is None:  # it never changes once the journal has a row
            self._first_ts = shift_reports.first_journal_ts(conn)
        days = self.station.config.reports.catch_up_days
        return due_reports(
            self.station.config,
            now,
            shift_reports.done_reports(conn, since=now - (days + 1) * 86400),
            first_journal_ts=self._first_ts,
            catch_up_days=days,
        )

    # ------------------------------------------------------------------ one report

    def files(self, report: DueReport) -> tuple[Path, Path]:
        folder = report.folder(self.folder)
        return folder / f"{report.stem}.pdf", folder / f"{report.stem}.csv"

    async def write(self, report: DueReport, now: float) -> bool:
        store = self.station.store
        if store is None:
            return False
        with contextlib.suppress(Exception):  # a full disk: the child reports what is committed
            store.flush()
        pdf, csv = self.files(report)
        # What a child killed half-way through left behind (hmi/cli/report.py names it so).
        for path in (pdf, csv):
            for stale in path.parent.glob(f".{path.name}.*.tmp") if path.parent.is_dir() else []:
                with contextlib.suppress(OSError):
                    stale.unlink()
        args = [
            *ms5_command(),
            "report",
            str(self.config_path),
            "--db",
            str(self.station.db_path),
            "--line",
            report.line,
            "--from",
            repr(report.start),
            "--to",
            repr(report.end),
            "--pdf",
            str(pdf),
            "--csv",
            str(csv),
            "--json",
        ]
        # The child never shows a window: offscreen Qt even on the panel's display.
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
            )
        except OSError as exc:
            return self._failed(report, f"cannot start ms5 report: {one_line(exc)}")
        try:
            out, err = await proc.communicate()
        except asyncio.CancelledError:
            # The station stops: the report is written again at the next start, not left running.
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            return self._failed(report, lines[-1] if lines else f"ms5 report exited {proc.returncode}")
        try:
            result: dict[str, Any] = json.loads(out)
            if self.mail is not None:
                await asyncio.to_thread(self._queue_mail, report, result, pdf, now)
            shift_reports.mark_done(store.conn, report, now, [str(pdf), str(csv)])
        except (OSError, ValueError, KeyError, RuntimeError, MailError, sqlite3.Error) as exc:
            return self._failed(report, one_line(exc))
        self.write_error = None
        log.info("shift report %s written to %s", report.stem, pdf.parent)
        return True

    def _failed(self, report: DueReport, why: str) -> bool:
        message = f"shift report {report.line} {report.shift} not written: {why}"
        if message != self.write_error:
            log.error("%s", message)
        self.write_error = message
        return False

    def _queue_mail(self, report: DueReport, result: dict[str, Any], pdf: Path, now: float) -> None:
        assert self.mail is not None
        line = next(x for x in self.station.config.lines if x.id == report.line)
        day = datetime.fromtimestamp(report.start, ZoneInfo(report.timezone))
        subject = f"Shift report {line.name or line.id} ({line.id}), {report.shift} {day:%Y-%m-%d %H:%M}"
        body = headline(result["lines"][report.line], result["window"])
        key = f"{report.line}/{report.shift}/{report.start:.0f}"
        msg = compose(self.mail, subject, body, pdf, sent_at=now, key=key)
        self.outbox.put(report.stem, report.line, report.start, msg)

    # ------------------------------------------------------------------ mail

    async def send_due(self, now: float) -> None:
        store = self.station.store
        if self.mail is None or store is None:
            return
        done = shift_reports.done_reports(store.conn)
        for entry in await asyncio.to_thread(self.outbox.entries):
            if (entry.line, entry.start) not in done or entry.next_try > now:
                continue
            msg = await asyncio.to_thread(self.outbox.message, entry)
            try:
                await asyncio.to_thread(send, self.mail, msg)
            except MailError as exc:
                again = self.outbox.failed(entry, now, str(exc))
                log.warning("shift report mail %s not sent (attempt %d): %s", entry.name, again.attempts, exc)
                break  # the server is down for the others as well; the next try comes with backoff
            self.outbox.sent(entry)
            log.info("shift report mail %s sent", entry.name)

    # ------------------------------------------------------------------ health

    def _mail_problem(self) -> str | None:
        waiting = [e for e in self.outbox.entries() if e.attempts > 0]
        if not waiting:
            return None
        last = max(waiting, key=lambda e: e.attempts)
        return (
            f"{len(waiting)} shift report mail(s) not sent, kept in {self.outbox.folder} "
            f"({last.last_error}); trying again"
        )

    def problem(self) -> str | None:
        """What the faces say while a report is not written or a mail is waiting, else None."""
        return "; ".join(p for p in (self.write_error, self.mail_error) if p) or None
