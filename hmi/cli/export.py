"""`ms5 export`: a window of a station's history as tables (core/export_tables.py) for a
spreadsheet or a data tool: a CSV file each, or a Parquet file each, in the folder `-o`, or one
XLSX workbook with a sheet each.

The store is opened read-only, as `ms5 report` opens it; the tables come from its projections
(core/export_projected.py), read as `ms5 report` reads them, so their figures are those of
`ms5 report --json` for the same window. A store without a closed figure slice yet replays its
journal through one engine (core/export_tables.py), as the report does.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import sqlite3
from pathlib import Path
from typing import Any

from core.config import Config, ConfigError, load_config
from core.export import recorded
from core.export_projected import projected_tables
from core.export_tables import Table, history_tables
from core.job_figures import job_runs
from core.replay import Window, run_engine
from core.store import Store
from core.store_figures import NotProjected
from core.store_jobs import planned_jobs
from core.store_open import damaged
from core.timefmt import parse_time
from hmi.cli.people import read_store
from hmi.cli.report import write_atomically
from hmi.errors import UsageError
from hmi.paths import default_db

FORMATS = ("csv", "xlsx", "parquet")


def _cell(v: object) -> object:
    return "" if v is None else v


def write_csv_folder(tables: list[Table], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in tables:

        def write(tmp: Path, t: Table = t) -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(t.header)
                w.writerows([[_cell(v) for v in row] for row in t.rows])

        paths.append(write_atomically(folder / f"{t.name}.csv", write))
    return paths


def write_xlsx(tables: list[Table], path: Path) -> list[Path]:
    from openpyxl import Workbook  # loads only for a workbook

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        for t in tables:
            ws = wb.create_sheet(t.name)
            ws.append(list(t.header))
            for row in t.rows:
                ws.append(list(row))
        wb.save(tmp)

    return [write_atomically(path, write)]


_FRACTIONS = frozenset({"availability", "performance", "quality", "oee"})
_WHOLE = frozenset({"id", "max_level", "fault_code"})


def _arrow_type(pa: Any, column: str) -> Any:
    """Each column's type from its name, so that a column empty in one window (no job, no note)
    has the type it has in every other and the files of many windows read as one table."""
    if column.endswith("_s") or column in _FRACTIONS:
        return pa.float64()
    if column.endswith(("_count", "_quantity")) or column in _WHOLE:
        return pa.int64()
    if column in ("running", "open"):
        return pa.bool_()
    return pa.string()  # names, and times as ISO 8601 text with the line's offset


def write_parquet_folder(tables: list[Table], folder: Path) -> list[Path]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("--format parquet needs pyarrow, which is not installed") from None
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in tables:
        columns = {
            name: pa.array([row[i] for row in t.rows], _arrow_type(pa, name))
            for i, name in enumerate(t.header)
        }
        table: Any = pa.table(columns)

        def write(tmp: Path, table: Any = table) -> None:
            pq.write_table(table, tmp)

        paths.append(write_atomically(folder / f"{t.name}.parquet", write))
    return paths


def _projected(cfg: Config, store: Store, start: float, end: float) -> list[Table] | None:
    try:
        return projected_tables(cfg, store, start, end)
    except NotProjected:
        return None  # slices with a gap (a store written by an older station): the journal it is


def replayed_tables(cfg: Config, store: Store, start: float, end: float) -> list[Table]:
    """The tables from the journal replayed through one engine: a store without a closed figure
    slice yet, and the benchmark's baseline (scripts/bench_export.py)."""
    planned = planned_jobs(store.conn)
    samples, actions = recorded(store)
    times = [s.ts for s in samples] + [a.ts for a in actions]
    now = max(times, default=end)
    first = min(times, default=start)
    runs = job_runs(cfg, actions)
    edges = tuple(t for r in runs for t in (r.start, r.end) if t is not None)
    engine, refused = run_engine(
        cfg, samples, Window(min(first, start), max(now, end)), actions, marks=(start, end, *edges)
    )
    runs = job_runs(cfg, actions, [r.action for r in refused])
    return history_tables(engine, runs, planned, start, end, now)


def cmd_export(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r} (csv, xlsx or parquet)")
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    tz = cfg.lines[0].tz
    try:
        start, end = parse_time(args.start, tz), parse_time(args.end, tz)
    except ValueError as exc:
        raise UsageError(f"--from/--to: {exc}") from None
    if end < start:
        raise UsageError("--to is before --from")
    if args.format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UsageError("--format parquet needs pyarrow, which is not installed") from None
    db = Path(args.db) if args.db else default_db()
    if not db.exists():
        raise UsageError(f"{db}: no such database")
    with read_store(str(db)) as store:
        try:
            tables = _projected(cfg, store, start, end)
            if tables is None:
                tables = replayed_tables(cfg, store, start, end)
        except sqlite3.DatabaseError as exc:
            raise damaged(exc, store.path) from None
    out = Path(args.output)
    try:
        if args.format == "csv":
            written = write_csv_folder(tables, out)
        elif args.format == "xlsx":
            written = write_xlsx(tables, out)
        else:
            written = write_parquet_folder(tables, out)
    except OSError as exc:
        raise UsageError(f"cannot write the export: {exc.strerror or exc} ({exc.filename})") from None
    rows = sum(len(t.rows) for t in tables)
    print(f"exported {len(tables)} tables, {rows} rows, to {', '.join(str(p) for p in written)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="A window of a station's history as tables: CSV, XLSX or Parquet.",
        description="Per-minute counts, state intervals, downtime events, Andon calls, jobs and "
        "shift figures of a window, from a station's store (read-only): a CSV or Parquet file "
        "each in the folder -o, or a sheet each in the XLSX workbook -o.",
    )
    p.set_defaults(func=cmd_export)
    p.add_argument("config")
    p.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")
    p.add_argument("--from", dest="start", metavar="ISO", required=True, help="window start")
    p.add_argument("--to", dest="end", metavar="ISO", required=True, help="window end")
    p.add_argument("--format", required=True, metavar="FORMAT", help="csv, xlsx or parquet")
    p.add_argument(
        "-o",
        dest="output",
        metavar="PATH",
        required=True,
        help="the folder (csv, parquet) or the workbook (xlsx)",
    )
