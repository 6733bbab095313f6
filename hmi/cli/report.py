"""`ms5 report`: a station's figures (--json, or the printed table), and the panel's shift report
of any window or shift as PDF and CSV (offscreen Qt, no display needed).

The figures are the store's closed hourly figure slices added up (core.store_figures), and the
pieces of slices at the window's edges from an engine that holds them (core.store_exact): those of
a replay of the window, to the second. `--replay` feeds the whole journal to an engine instead.
The PDF, the CSV and `--json` come from one source, so the figures of the paper are those of the
JSON object for the same window.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.calendar import ShiftCalendar
from core.config import Config, ConfigError, Line, load_config
from core.export import recorded
from core.figure_source import FigureSource
from core.job_figures import job_figures
from core.job_source import job_source
from core.journal import not_in_config
from core.replay import Rejected, Window, replay_result, run_engine
from core.report_insights import window_insights
from core.store import Store
from core.store_exact import ExactFigures, PieceEngines
from core.store_figures import NotProjected, closed_slices, journal_end, journal_start, sliced_equipment
from core.store_open import damaged
from core.timefmt import parse_time
from hmi.cli.people import read_store
from hmi.errors import UsageError
from hmi.paths import default_db
from hmi.report.export_csv import write_csv
from hmi.report.text import print_result
from hmi.report.view import HOUR_S, window_report


def _lines(cfg: Config, ids: list[str] | None) -> list[Line]:
    if not ids:
        return list(cfg.lines)
    known = {line.id: line for line in cfg.lines}
    for line_id in ids:
        if line_id not in known:
            raise UsageError(f"--line: unknown line {line_id!r} (the config has: {', '.join(known)})")
    return [known[i] for i in ids]


def _time(text: str, cfg: Config, name: str) -> float:
    try:
        return parse_time(text, cfg.lines[0].tz)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def shift_window(line: Line, which: str, at: float) -> Window:
    """The shift under way at `at` (up to `at`), or the one before it (whole)."""
    calendar = ShiftCalendar(line)
    occ = calendar.shift_at(at)
    if which == "current":
        if occ is None:
            raise UsageError(f"--shift current: line {line.id} has no shift under way at that time")
        return Window(occ.start, at)
    before = occ.start if occ is not None else at
    earlier = calendar.occurrences(before - 7 * 86400, before)
    if not earlier:
        raise UsageError(f"--shift previous: line {line.id} has no shift in the week before")
    return Window(earlier[-1].start, earlier[-1].end)


def _window(args: argparse.Namespace, cfg: Config, lines: list[Line], times: list[float]) -> Window:
    if args.shift is not None:
        if args.start is not None:
            raise UsageError("--shift and --from cannot go together: --shift chooses the window")
        if len(lines) > 1:
            raise UsageError("--shift needs --line: each line has its own shifts")
        at = _time(args.end, cfg, "--to") if args.end else time.time()
        return shift_window(lines[0], args.shift, at)
    start = _time(args.start, cfg, "--from") if args.start else min(times)
    end = _time(args.end, cfg, "--to") if args.end else max(times)
    if end < start:
        raise UsageError("--to is before --from")
    return Window(start, end)


def _hour_marks(window: Window) -> tuple[float, ...]:
    """The report's hours start at its window's start: count buckets must split there too."""
    marks = []
    t = window.start + HOUR_S
    while t < window.end:
        marks.append(t)
        t += HOUR_S
    return tuple(marks)


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary file beside `path`, then rename: a reader (or a crash) never
    sees half a report, and writing the same report again replaces it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def _write_pdf(report: dict[str, Any], path: Path) -> None:
    # A PDF needs fonts and a paint device, not a screen: offscreen Qt when there is no display.
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication  # Qt loads only when a PDF is asked for

    from hmi.report.export import write_pdf

    _app = QGuiApplication.instance() or QGuiApplication([])
    write_atomically(path, lambda tmp: write_pdf(report, tmp))


def _replayed(
    args: argparse.Namespace, cfg: Config, lines: list[Line], store: Store
) -> tuple[FigureSource, Window, list[Rejected]]:
    """`--replay`: the journal through an engine, for the window exactly as asked."""
    samples, actions = recorded(store)
    # As `ms5 replay` of the exported journal does: a report that left it out would look complete.
    known = {eq.id for line in cfg.lines for eq in line.equipment}
    gone = next((s.equipment for s in samples if s.equipment not in known), None)
    if gone is not None:
        raise UsageError(f"{store.path}: {not_in_config(gone)}", located=True)
    times = [s.ts for s in samples] + [a.ts for a in actions]
    if not times:
        raise UsageError("the store holds no journal yet")
    window = _window(args, cfg, lines, times)
    engine, rejected = run_engine(cfg, samples, window, actions, marks=_hour_marks(window))
    return engine, window, rejected


def _projected(
    args: argparse.Namespace, cfg: Config, lines: list[Line], store: Store
) -> tuple[FigureSource, Window] | None:
    """The figures of the window from the figure slices and the journal of its edge pieces
    (docs/REPORTS.md); None when the store has no closed slice yet."""
    try:
        return _from_slices(args, cfg, lines, store)
    except sqlite3.DatabaseError as exc:
        raise damaged(exc, store.path) from None


def _from_slices(
    args: argparse.Namespace, cfg: Config, lines: list[Line], store: Store
) -> tuple[FigureSource, Window] | None:
    conn = store.conn
    held = closed_slices(conn)
    if held is None:
        return None
    known = {eq.id for line in cfg.lines for eq in line.equipment}
    gone = next((eq for eq in sliced_equipment(conn) if eq not in known), None)
    if gone is not None:
        raise UsageError(f"{store.path}: {not_in_config(gone)}", located=True)
    first, closed = held
    # By default the journal's first and last rows, as `--replay` and `ms5 replay` take them.
    asked = _window(args, cfg, lines, [journal_start(conn) or first, journal_end(conn) or closed])
    # The whole closed slices from the rows, the pieces at the window's edges (and the hour
    # under way) from an engine that holds them: the figures of a replay, to the second.
    engines = PieceEngines(cfg, store, asked.end, (asked.start, asked.end, *_hour_marks(asked)))
    return ExactFigures(cfg, conn, asked.start, asked.end, engines), asked


def cmd_report(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    lines = _lines(cfg, args.line)
    with read_store(args.db) as store:

        def write(source: FigureSource, window: Window, rejected: list[Rejected]) -> int:
            return _write(
                args,
                cfg,
                lines,
                source,
                window,
                rejected,
                jobs(args, cfg, store, window),
                _insights(args, cfg, lines, store, window),
            )

        projected = None if args.replay else _projected(args, cfg, lines, store)
        if projected is None:
            # No closed slice in the window: the journal of the hour under way is at hand.
            return write(*_replayed(args, cfg, lines, store))
        try:
            return write(*projected, [])
        except NotProjected:
            # Slices with a gap (a store written by an older station): the journal it is.
            return write(*_replayed(args, cfg, lines, store))


def jobs(args: argparse.Namespace, cfg: Config, store: Store, window: Window) -> list[dict[str, Any]] | None:
    """The `jobs` of `--json`, `--csv` and `--pdf`: each job run or planned in the window, from
    the journal replayed with the jobs' edges (core/job_source.py, core/job_figures.py)."""
    if not (args.json or args.csv or args.pdf):
        return None
    found = job_source(cfg, store, window)
    if found is None:
        return []
    return job_figures(found.engine, found.runs, found.planned, window.start, window.end, found.now)


def _insights(
    args: argparse.Namespace, cfg: Config, lines: list[Line], store: Store, window: Window
) -> list[dict[str, Any]] | None:
    """The insights of the PDF: those of the window's closed shifts (core/report_insights.py);
    None (no section) without such a shift."""
    if not args.pdf:
        return None
    try:
        found = window_insights(cfg, store.conn, lines, window.start, window.end)
        return None if found is None else [i.to_dict() for i in found]
    except sqlite3.DatabaseError as exc:
        raise damaged(exc, store.path) from None


def _write(
    args: argparse.Namespace,
    cfg: Config,
    lines: list[Line],
    source: FigureSource,
    window: Window,
    rejected: list[Rejected],
    jobs: list[dict[str, Any]] | None = None,
    insights: list[dict[str, Any]] | None = None,
) -> int:
    files = []
    if args.pdf or args.csv:
        report = window_report(cfg, source, window.start, window.end, lines)
        if jobs:
            report["jobs"] = jobs  # the jobs section of the CSV and the PDF
        if insights is not None:
            report["insights"] = insights  # the PDF's insights (with none, a line that says so)
        try:
            if args.pdf:
                _write_pdf(report, Path(args.pdf))
                files.append(args.pdf)
            if args.csv:
                write_atomically(Path(args.csv), lambda tmp: write_csv(report, tmp))
                files.append(args.csv)
        except OSError as exc:
            raise UsageError(f"cannot write the report: {exc.strerror or exc} ({exc.filename})") from None
    if args.json or not files:
        result = replay_result(source, window, rejected)
        if jobs is not None:
            result["jobs"] = jobs
        print_result(result, as_json=args.json)
    else:
        print(f"report written to {' and '.join(files)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="Figures from a station's store; the shift report as PDF and CSV.",
        description="Figures from a station's store (a replay of the journal it recorded: the same "
        "object as ms5 replay), and the panel's shift report of the window as PDF and CSV.",
    )
    p.set_defaults(func=cmd_report)
    p.add_argument("config")
    p.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")
    p.add_argument(
        "--from", dest="start", metavar="ISO", help="window start (default: the journal's first row)"
    )
    p.add_argument(
        "--to",
        dest="end",
        metavar="ISO",
        help="window end (default: the journal's last row; with --shift, now)",
    )
    p.add_argument(
        "--shift",
        choices=("current", "previous"),
        help="the window is the shift under way at --to (up to --to), or the one before it",
    )
    p.add_argument(
        "--line", action="append", metavar="ID", help="only this line in the PDF and CSV (repeatable)"
    )
    p.add_argument("--pdf", metavar="FILE", help="write the shift report as an A4 PDF")
    p.add_argument("--csv", metavar="FILE", help="write the shift report as CSV")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument(
        "--replay",
        action="store_true",
        help="replay the whole journal instead of adding up the store's closed hourly figure "
        "slices and the journal of the window's edges (the same figures, slower; needs the "
        "window's journal in the database)",
    )
