"""`ms5 jobs import` and `ms5 jobs list`: the production schedule into the station's store.

The schedule is a CSV or XLSX file from the MES or ERP, one job a row (core/job_plan.py names the
columns). The whole file is read and checked before the store is touched: a bad row is refused
with its line number, exit 2, and nothing is planned. The planned jobs then appear on the panel's
Jobs screen in order (hmi/station/views.py, `planned_jobs_view`). A running station may stay up:
the plan is one table of its own, written in one transaction.
"""

from __future__ import annotations

import argparse
import csv
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from core.config import Config, ConfigError, load_config
from core.job_plan import PlanRefused, Row, check_plan
from core.sqlite_tx import StoreError
from core.store import Store
from core.store_jobs import PlannedJob, add_planned, planned_jobs
from core.timefmt import iso
from hmi.errors import UsageError
from hmi.paths import default_db

__all__ = ["read_schedule", "register"]


def _csv_rows(path: Path) -> Iterator[Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # Excel writes a BOM
            sample = f.read(4096)
            f.seek(0)
            try:  # a German Excel writes ";"
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(f, dialect)
            for cells in reader:
                yield Row(reader.line_num, cells)
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a UTF-8 text file (save the schedule as CSV UTF-8 or XLSX)") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not a CSV file ({exc})") from None


def _xlsx_rows(path: Path) -> Iterator[Row]:
    import openpyxl  # loads only for a spreadsheet

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UsageError(f"{path}: not an XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]  # the schedule is the first sheet
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield Row(number, list(cells))  # the row numbers the spreadsheet shows
    finally:
        book.close()


def read_schedule(path: Path) -> list[Row]:
    """The rows of a schedule file, CSV or XLSX by its name; UsageError when it cannot be read."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        return list(_xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path))
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def _config(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None


def cmd_import(args: argparse.Namespace) -> int:
    config = _config(args.config)
    schedule = Path(args.schedule)
    rows = read_schedule(schedule)
    db = Path(args.db) if args.db else default_db()

    def checked(store: Store | None) -> list[PlannedJob]:
        try:
            return check_plan(config, rows, planned_jobs(store.conn) if store else ())
        except PlanRefused as exc:
            raise UsageError(f"{schedule}: {exc}; nothing imported", located=True) from None

    try:
        if not db.exists():
            checked(None)  # a refused schedule leaves no new store behind
        with Store.open(db) as store:
            jobs = checked(store)
            add_planned(store.conn, jobs, time.time())
    except StoreError as exc:
        raise UsageError(str(exc), located=True) from None
    print(f"{len(jobs)} jobs planned from {schedule} into {db}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    config = _config(args.config)
    db = Path(args.db) if args.db else default_db()
    zones = {line.id: line.timezone for line in config.lines}
    try:
        with Store.open_read_only(db) as store:
            jobs = planned_jobs(store.conn, args.line)
    except StoreError as exc:
        raise UsageError(str(exc), located=True) from None
    for j in jobs:
        tz = ZoneInfo(zones.get(j.line, "UTC"))
        start, end = iso(j.planned_start, tz), iso(j.planned_end, tz)
        print(f"{j.line}\t{j.job}\t{j.product}\t{j.quantity}\t{start}\t{end}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "jobs",
        help="The production schedule: plan jobs from a CSV or XLSX file, list the plan.",
        description="Plan jobs from the MES/ERP schedule; the panel's Jobs screen lists them in order.",
    )
    jobs_sub = p.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    imp = jobs_sub.add_parser(
        "import",
        help="Plan the jobs of a schedule file (job, product, quantity, line, planned start, planned end).",
        description="Plan the jobs of a CSV or XLSX schedule (columns: job, product, quantity, line, "
        "planned start, planned end; times ISO-8601, local to the line without an offset). A bad "
        "row is refused with its line number and nothing is imported. See docs/ANALYTICS.md.",
    )
    imp.set_defaults(func=cmd_import)
    imp.add_argument("config")
    imp.add_argument("schedule", metavar="SCHEDULE", help="a .csv or .xlsx file")
    imp.add_argument(
        "--db", metavar="PATH", help="the station's store (default: the data folder's station.db)"
    )
    ls = jobs_sub.add_parser("list", help="Print the planned jobs, by line and planned start.")
    ls.set_defaults(func=cmd_list)
    ls.add_argument("config")
    ls.add_argument(
        "--db", metavar="PATH", help="the station's store (default: the data folder's station.db)"
    )
    ls.add_argument("--line", metavar="ID", help="only this line's jobs")
