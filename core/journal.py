"""The journal CSV of docs/OEE.md ("Inputs"): `ts,equipment,signal,value`, `BAD` for no valid data."""

from __future__ import annotations

import csv
import gzip
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, TypeVar

from core.config import Config, Equipment
from core.gcpause import gc_paused
from core.samples import COUNT_SIGNALS, SIGNALS, Quality, Sample

HEADER = ["ts", "equipment", "signal", "value"]
BAD = "BAD"


class JournalError(Exception):
    """A journal that cannot be read; the message names the file and line."""


# Times a datetime can show in any zone: 'nan', 'inf' or epoch milliseconds are not times.
_TS_MIN = datetime(2, 1, 1, tzinfo=UTC).timestamp()
_TS_MAX = datetime(9998, 12, 31, tzinfo=UTC).timestamp()
_COUNTS = frozenset(COUNT_SIGNALS)
GOOD_QUALITY, BAD_QUALITY = Quality.GOOD, Quality.BAD
new_sample = tuple.__new__


def _parse_ts(text: str) -> float:
    text = text.strip()
    # ISO first when it looks like a date: trying float() first would raise for every ISO row.
    if len(text) >= 10 and text[4] == "-":
        if not (text.endswith("Z") or "+" in text[10:] or "-" in text[10:]):
            raise ValueError(f"time {text!r} has no UTC offset")
        try:
            ts = datetime.fromisoformat(text).timestamp()
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO-8601 time or epoch seconds") from None
    else:
        try:
            ts = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO-8601 time or epoch seconds") from None
    if not _TS_MIN <= ts <= _TS_MAX:
        raise ValueError(f"time {text!r} is out of range")
    return ts


def open_text(path: Path) -> TextIO:
    """A journal or actions file for reading, gzip-compressed when its name ends in .gz (the
    station's archives, docs/STORE.md "Retention")."""
    # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark before the header.
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def read_journal(path: str | Path, config: Config) -> list[Sample]:
    p = Path(path)
    try:
        with open_text(p) as fh, gc_paused():
            return list(parse_journal(fh, config, p.name))
    except gzip.BadGzipFile:
        raise JournalError(f"{p}: not a gzip file") from None
    except EOFError:
        raise JournalError(f"{p}: the gzip file is cut short") from None
    except OSError as exc:
        raise JournalError(f"{p}: cannot read journal: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise JournalError(f"{p}: not a UTF-8 text file") from None


JOURNAL_NAMES = (".csv", ".csv.gz")
ACTIONS_NAMES = (".jsonl", ".jsonl.gz")


def journal_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """The journal files and the actions files `paths` name, in order: a file by its name
    (*.jsonl and *.jsonl.gz are actions), a folder (a station's archive) as its files by name."""
    journals: list[Path] = []
    actions: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            (actions if path.name.endswith(ACTIONS_NAMES) else journals).append(path)
            continue
        try:
            names = sorted(entry.name for entry in os.scandir(path) if entry.is_file())
        except OSError as exc:
            raise JournalError(f"{path}: cannot read the folder: {exc.strerror or exc}") from None
        found = [path / n for n in names if n.endswith(JOURNAL_NAMES) and not n.startswith(".")]
        if not found:
            raise JournalError(f"{path}: a folder with no journal file (*.csv, *.csv.gz) in it")
        journals += found
        actions += [path / n for n in names if n.endswith(ACTIONS_NAMES) and not n.startswith(".")]
    return journals, actions


def parse_journal(lines: Iterable[str], config: Config, name: str = "journal") -> Iterator[Sample]:
    """The samples of a journal CSV, in file order; `JournalError` names the first bad row.

    The loop runs for every row of a month-long journal: what is common (a known equipment and
    signal, a number) is decided inline, and only what is rare (stray spaces, BAD, errors) calls out.
    """
    equipment = {eq.id: eq for line in config.lines for eq in line.equipment}
    reader = csv.reader(lines)
    _check_header(reader, name)
    next_line = reader.line_num + 1
    signals = {signal: signal for signal in SIGNALS}
    last_ts_text = ""
    last_ts = 0.0
    try:
        for row in reader:
            # A quoted field may span lines: a row is named by its first line, not its last.
            line_no, next_line = next_line, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != 4:
                raise JournalError(f"{name}:{line_no}: expected 4 fields, found {len(row)}")
            ts_text, eq_id, signal, value_text = row
            # Rows of one instant share its time: parse each distinct time text once.
            if ts_text != last_ts_text:
                try:
                    last_ts = _parse_ts(ts_text)
                except ValueError as exc:
                    raise JournalError(f"{name}:{line_no}: {exc}") from None
                last_ts_text = ts_text
            ts = last_ts
            eq = equipment.get(eq_id)
            if eq is None:
                eq = equipment.get(eq_id.strip())
                if eq is None:
                    raise JournalError(f"{name}:{line_no}: {not_in_config(eq_id.strip())}")
            eq_id = eq.id  # one string object per equipment, not one per row
            known = signals.get(signal)
            if known is None:
                known = _named(signals, signal.strip(), "signal", f"{name}:{line_no}")
            signal = known
            try:
                value = float(value_text)  # float() takes surrounding spaces itself
            except ValueError:
                if value_text.strip().upper() != BAD:
                    raise JournalError(
                        f"{name}:{line_no}: value {value_text.strip()!r} is not a number"
                    ) from None
                yield new_sample(Sample, (ts, eq_id, signal, None, BAD_QUALITY, None))
                continue
            # NaN or an infinity; or a count that is no count of this equipment's counter.
            if value - value != 0.0 or (
                signal in _COUNTS and not (0 <= value <= eq.counter_max and value == int(value))
            ):
                raise JournalError(f"{name}:{line_no}: {_bad_number(signal, value, value_text, eq)}")
            # tuple.__new__ skips the NamedTuple's Python-level __new__: one call less per row.
            yield new_sample(Sample, (ts, eq_id, signal, value, GOOD_QUALITY, None))
    except csv.Error as exc:
        raise JournalError(f"{name}:{next_line}: {exc}") from None


def not_in_config(equipment: str) -> str:
    """Why a journal with rows of an equipment the config does not name is refused: by `ms5
    replay` and `ms5 report` alike (docs/RELIABILITY.md). Its figures need its definition (ideal
    cycle time, counter range, state model), and a report that left it out would look complete."""
    return (
        f"unknown equipment {equipment!r}: the config does not name it; to report its history, "
        "keep it in the config (with no signals once it is retired)"
    )


def _check_header(reader: Iterator[list[str]], name: str) -> None:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise JournalError(f"{name}:1: {exc}") from None
    if header is None or [h.strip() for h in header] != HEADER:
        raise JournalError(f"{name}:1: the header must be {','.join(HEADER)}")


_T = TypeVar("_T")


def _named(known: Mapping[str, _T], key: str, what: str, where: str) -> _T:
    """`known[key]` for a key found only once stripped of spaces; else the row's error."""
    found = known.get(key)
    if found is None:
        raise JournalError(f"{where}: unknown {what} {key!r}")
    return found


def _bad_number(signal: str, value: float, value_text: str, eq: Equipment) -> str:
    text = value_text.strip()
    if value - value != 0.0:
        return f"value {text!r} is not a finite number"
    return f"{signal} {text!r} is not a count between 0 and {eq.counter_max}"


def format_value(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def exact_time_text(ts: float) -> str:
    """ISO-8601 in UTC when that reads back as the same float, else exact epoch seconds: a journal
    written out and read back must give the same figures to the last digit."""
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace(".000000", "")
    return text if datetime.fromisoformat(text).timestamp() == ts else repr(ts)


def write_journal(samples: Iterable[Sample], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    n = 0
    for s in samples:
        value = format_value(s.value) if s.valid and s.value is not None else BAD
        writer.writerow([exact_time_text(s.ts), s.equipment, s.signal, value])
        n += 1
    return n
