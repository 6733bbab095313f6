"""`ms5 replay CONFIG JOURNAL` on journals that cannot be read (docs/OEE.md, "Inputs").

A bad row stops the replay with exit 2 and one line naming the row's line in the CSV file; nothing
is printed on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Config
from core.journal import JournalError, read_journal
from core.samples import Quality
from tests.cli_runs import Outcome, run_in_process, run_process

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"

HEADER = "ts,equipment,signal,value\n"
# Two good rows, so that a bad row appended after them is on line 4 of the file.
GOOD = "2026-03-02T06:00:00+01:00,FILLER,running,1\n2026-03-02T06:00:00+01:00,FILLER,total_count,0\n"
LATER = "2026-03-02T06:10:00+01:00"


def run_replay(journal: Path, *extra: str) -> Outcome:
    return run_in_process("replay", str(REFERENCE), str(journal), *extra)


def write(tmp_path: Path, text: str, name: str = "journal.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


BAD_ROWS = {
    "bad_time": ("2026-03-02T06:61:00+01:00,FILLER,running,0\n", "2026-03-02T06:61:00+01:00"),
    "not_a_time": ("yesterday,FILLER,running,0\n", "'yesterday'"),
    "time_without_utc_offset": ("2026-03-02T06:10:00,FILLER,running,0\n", "no UTC offset"),
    "date_without_offset": ("2026-03-02,FILLER,running,0\n", "no UTC offset"),
    "empty_time": (",FILLER,running,0\n", "time"),
    "time_nan": ("nan,FILLER,running,0\n", "time 'nan' is out of range"),
    "time_inf": ("inf,FILLER,running,0\n", "time 'inf' is out of range"),
    "epoch_milliseconds": ("1772427600000,FILLER,running,0\n", "time '1772427600000' is out of range"),
    "year_1": ("0001-01-01T00:00:00+01:00,FILLER,running,0\n", "is out of range"),
    "unknown_equipment": (f"{LATER},LABELER,running,0\n", "unknown equipment 'LABELER'"),
    "unknown_signal": (f"{LATER},FILLER,speed,0\n", "unknown signal 'speed'"),
    "value_not_a_number": (f"{LATER},FILLER,running,abc\n", "value 'abc' is not a number"),
    "empty_value": (f"{LATER},FILLER,running,\n", "is not a number"),
    "value_nan": (f"{LATER},FILLER,running,nan\n", "'nan' is not a finite number"),
    "negative_count": (
        f"{LATER},FILLER,total_count,-1\n",
        "total_count '-1' is not a count between 0 and 65535",
    ),
    # FILLER has counter_max = 65535 in the reference
    "count_beyond_counter_max": (
        f"{LATER},FILLER,good_count,65536\n",
        "good_count '65536' is not a count between 0 and 65535",
    ),
    # CAPPER has the default counter_max 4294967295
    "count_beyond_default_counter_max": (
        f"{LATER},CAPPER,reject_count,4294967296\n",
        "reject_count '4294967296' is not a count between 0 and 4294967295",
    ),
    "fractional_count": (f"{LATER},FILLER,total_count,1.5\n", "is not a count"),
    "too_few_fields": (f"{LATER},FILLER,running\n", "expected 4 fields, found 3"),
    "too_many_fields": (f"{LATER},FILLER,running,1,extra\n", "expected 4 fields, found 5"),
}


def assert_stops_at(path: Path, line: int, message: str) -> None:
    """The replay stops with exit 2 and one line naming `<file>:<line>:`, and prints no result."""
    for extra in ((), ("--json",)):
        result = run_replay(path, *extra)
        assert result.returncode == 2, (extra, result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert f"{path.name}:{line}: " in lines[0], lines[0]
        assert message in lines[0], lines[0]


@pytest.mark.parametrize("name", sorted(BAD_ROWS))
def test_bad_row_stops_replay_naming_its_line(tmp_path: Path, name: str) -> None:
    row, message = BAD_ROWS[name]
    path = write(tmp_path, HEADER + GOOD + row + GOOD)
    assert_stops_at(path, 4, message)


@pytest.mark.parametrize("name", ["unknown_equipment", "value_not_a_number", "time_without_utc_offset"])
def test_read_journal_raises_journal_error_naming_the_line(
    tmp_path: Path, reference_config: Config, name: str
) -> None:
    row, message = BAD_ROWS[name]
    path = write(tmp_path, HEADER + GOOD + row)
    with pytest.raises(JournalError) as info:
        read_journal(path, reference_config)
    assert str(info.value).startswith("journal.csv:4: ")
    assert message in str(info.value)


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "\n\n" + f"{LATER},FILLER,running,x\n")
    assert_stops_at(path, 6, "value 'x' is not a number")


def test_line_numbers_with_windows_line_ends(tmp_path: Path) -> None:
    text = (HEADER + GOOD + f"{LATER},FILLER,running,x\n").replace("\n", "\r\n")
    assert_stops_at(write(tmp_path, text), 4, "value 'x' is not a number")


def test_row_with_a_quoted_line_break_is_named_by_its_first_line(tmp_path: Path) -> None:
    row = f'{LATER},FILLER,running,"1\n2"\n'
    assert_stops_at(write(tmp_path, HEADER + GOOD + row + GOOD), 4, "is not a number")
    # ...and the rows after it keep their own line numbers.
    after = f"{LATER},FILLER,speed,1\n"
    assert_stops_at(write(tmp_path, HEADER + f'{LATER},FILLER,running,"1\n"\n' + after), 4, "unknown signal")


@pytest.mark.parametrize(
    "header",
    ["time,equipment,signal,value\n", "ts,equipment,signal\n", "ts,equipment,value,signal\n"],
    ids=["renamed", "missing_column", "reordered"],
)
def test_wrong_header(tmp_path: Path, header: str) -> None:
    assert_stops_at(write(tmp_path, header + GOOD), 1, "the header must be ts,equipment,signal,value")


def test_header_only_first_row_missing(tmp_path: Path) -> None:
    assert_stops_at(write(tmp_path, GOOD), 1, "the header must be ts,equipment,signal,value")


def test_empty_file(tmp_path: Path) -> None:
    assert_stops_at(write(tmp_path, ""), 1, "the header must be")


def test_header_without_rows(tmp_path: Path) -> None:
    result = run_replay(write(tmp_path, HEADER))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "no rows" in result.stderr


def test_missing_journal(tmp_path: Path) -> None:
    result = run_replay(tmp_path / "nowhere.csv")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "nowhere.csv" in line


def test_non_utf8_journal(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + f"{LATER},F\u00e4LLER,running,1\n").encode("latin-1"))
    result = run_replay(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "latin1.csv" in line and "UTF-8" in line


@pytest.mark.slow
def test_bad_config_stops_before_the_journal(tmp_path: Path) -> None:
    config = tmp_path / "line.toml"
    config.write_text(REFERENCE.read_text(encoding="utf-8").replace("Europe/Berlin", "Europe/Nowhere"))
    journal = write(tmp_path, HEADER + GOOD)
    result = run_process("replay", str(config), str(journal), "--json")  # a real process stands for the rest
    assert result.returncode == 2
    assert result.stdout == ""
    assert "line.toml:17: lines[0].timezone: unknown time zone 'Europe/Nowhere'" in result.stderr


# --- rows that are fine ---------------------------------------------------------------------------


def test_epoch_seconds_and_bad_values_are_accepted(tmp_path: Path) -> None:
    # 1772427600 is 2026-03-02T06:00:00+01:00 (a Monday, inside the Early shift).
    t0 = 1772427600
    text = HEADER + (
        f"{t0},FILLER,running,1\n"
        f"{t0},FILLER,total_count,0\n"
        f"{t0 + 3600},FILLER,running,BAD\n"
        f"{t0 + 3600},FILLER,total_count,bad\n"
        f"{t0 + 7200},FILLER,running,1\n"
        f"{t0 + 7200},FILLER,total_count,100\n"
    )
    path = write(tmp_path, text)
    result = run_replay(path, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = json.loads(result.stdout)
    assert out["window"] == {"from": "2026-03-02T06:00:00+01:00", "to": "2026-03-02T08:00:00+01:00"}
    filler = out["equipment"]["FILLER"]
    assert filler["all_time_s"] == 7200
    # Running when the link went: the 100 parts counted when it is back (50 s at 0.5 s) are run
    # time inferred across the loss (docs/OEE.md, "Parts across a communication loss").
    assert filler["comms_loss_time_s"] == 3550
    assert filler["run_time_s"] == 3650
    reasons = [ev["reason"] for ev in filler["downtime_events"]]
    assert reasons == ["Communication loss"]


def test_bad_value_is_read_as_a_bad_quality_sample(tmp_path: Path, reference_config: Config) -> None:
    path = write(tmp_path, HEADER + "1772427600,FILLER,running,BAD\n1772427600.25,FILLER,good_count,7\n")
    bad, good = read_journal(path, reference_config)
    assert (bad.ts, bad.value, bad.quality, bad.valid) == (1772427600.0, None, Quality.BAD, False)
    assert (good.ts, good.signal, good.value, good.valid) == (1772427600.25, "good_count", 7.0, True)


@pytest.mark.parametrize(
    "ts",
    [
        "2026-03-02T05:00:00Z",
        "2026-03-02T00:00:00-05:00",
        "2026-03-02T06:00:00+01:00",
        "2026-03-02 06:00:00+01:00",
    ],
)
def test_iso_times_with_offset_are_accepted(tmp_path: Path, reference_config: Config, ts: str) -> None:
    [sample] = read_journal(write(tmp_path, HEADER + f"{ts},FILLER,running,1\n"), reference_config)
    assert sample.ts == 1772427600.0


def test_counter_max_itself_is_a_valid_count(tmp_path: Path, reference_config: Config) -> None:
    text = HEADER + f"{LATER},FILLER,total_count,65535\n{LATER},CAPPER,total_count,4294967295\n"
    assert [s.value for s in read_journal(write(tmp_path, text), reference_config)] == [65535, 4294967295]


def test_spreadsheet_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD).encode("utf-8"))
    result = run_replay(path, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["equipment"]["FILLER"]["all_time_s"] == 0
