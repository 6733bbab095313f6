"""`ms5 check CONFIG` and `load_config`, as a user sees them (docs/CONFIG.md).

Every broken config here is the reference config with one small edit. The expected line number is
looked up in the edited text, so each test also checks that the error points where the key is.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.config import DEFAULT_COUNTER_MAX, ConfigError, load_config
from tests.cli_runs import Outcome, run_in_process, run_process

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")


def run_check(path: Path) -> Outcome:
    return run_in_process("check", str(path))


def edited(replacements: list[tuple[str, str]], text: str = REFERENCE_TEXT) -> str:
    """The reference text with each `old` (which must occur exactly once) replaced by `new`."""
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} must occur exactly once in the text being edited"
        text = text.replace(old, new)
    return text


def write(tmp_path: Path, text: str, name: str = "line.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, snippet: str) -> int:
    """1-based number of the only line containing `snippet`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(hits) == 1, f"{snippet!r} is on lines {hits}"
    return hits[0]


def error_lines(stderr: str) -> list[str]:
    """The problem lines of `ms5 check`, without the optional `ms5 check: ` prefix."""
    prefix = "ms5 check: "
    return [line.removeprefix(prefix) for line in stderr.splitlines()]


def load_errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.lines


# --- the reference loads ------------------------------------------------------------------------


def test_reference_loads_as_it_is() -> None:
    cfg = load_config(REFERENCE)
    assert cfg.site.name == "Plant 1"
    assert [line.id for line in cfg.lines] == ["L1"]
    assert [eq.id for eq in cfg.lines[0].equipment] == ["FILLER", "CAPPER"]
    assert [s.name for s in cfg.lines[0].shifts] == ["Early", "Night"]


@pytest.mark.parametrize("run", [run_in_process, pytest.param(run_process, marks=pytest.mark.slow)])
def test_check_reference_exits_0(run: Callable[..., Outcome]) -> None:
    result = run("check", str(REFERENCE))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ok" in result.stdout


@pytest.mark.slow
def test_check_via_console_script_entry_point() -> None:
    # `make test` installs the project into the venv, so the entry point is always there.
    script = Path(sys.executable).with_name("ms5")
    assert script.exists(), f"{script}: the ms5 console script is not installed"
    result = subprocess.run(
        [str(script), "check", str(REFERENCE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_reference_with_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + REFERENCE_TEXT.encode("utf-8"))
    assert load_config(path).site.name == "Plant 1"
    assert run_check(path).returncode == 0


# --- located errors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    replacements: list[tuple[str, str]]
    # (where: the only line holding this snippet, or a line number; key path; message), one per problem
    expected: list[tuple[str | int, str, str]]


CASES = [
    Case(
        "time_25_00",
        [('start = "22:00"', 'start = "25:00"')],
        [('start = "25:00"', "lines[0].shifts[1].start", "'25:00' is not a time of day")],
    ),
    Case(
        "break_time_25_00",
        [('start = "10:00", end', 'start = "25:00", end')],
        [("breaks = [", "lines[0].shifts[0].breaks[0].start", "'25:00' is not a time of day")],
    ),
    Case(
        "unknown_time_zone",
        [('timezone = "Europe/Berlin"', 'timezone = "Europe/Nowhere"')],
        [("timezone =", "lines[0].timezone", "unknown time zone 'Europe/Nowhere'")],
    ),
    Case(
        "overlapping_shifts_same_day",
        [('end = "14:00"', 'end = "23:00"')],
        # line 28 is the Night shift's [[lines.shifts]] header
        [(28, "lines[0].shifts[1]", "shift 'Night' overlaps shift 'Early'")],
    ),
    Case(
        "sunday_night_overlaps_monday_across_week_end",
        [
            ('days = ["mon", "tue", "wed", "thu", "fri"]', 'days = ["mon"]'),
            ('start = "06:00"', 'start = "05:00"'),
            ('end = "14:00"', 'end = "13:00"'),
            ('days = ["sun", "mon", "tue", "wed", "thu"]', 'days = ["sun"]'),
        ],
        # line 28 is the Night shift's [[lines.shifts]] header
        [(28, "lines[0].shifts[1]", "shift 'Night' overlaps shift 'Early'")],
    ),
    Case(
        "break_outside_its_shift",
        [('start = "10:00", end = "10:30"', 'start = "15:00", end = "15:30"')],
        [
            (
                "breaks = [",
                "lines[0].shifts[0].breaks[0]",
                "break 'Lunch' 15:00-15:30 is outside shift 'Early'",
            )
        ],
    ),
    Case(
        "break_running_past_the_night_shift_end",
        [('end = "06:00"', 'end = "06:00"\nbreaks = [{ name = "Tea", start = "05:45", end = "06:15" }]')],
        [("Tea", "lines[0].shifts[1].breaks[0]", "break 'Tea' 05:45-06:15 is outside shift 'Night'")],
    ),
    Case(
        "fault_reason_missing_from_reasons",
        [('101 = "Mechanical/Jam/Infeed"', '101 = "Mechanical/Jam"')],
        [
            (
                '101 = "Mechanical/Jam"',
                "lines[0].equipment[0].faults.101",
                "reason 'Mechanical/Jam' is not in [reasons]",
            )
        ],
    ),
    Case(
        "unknown_constraint",
        [('constraint = "FILLER"', 'constraint = "LABELER"')],
        [("constraint =", "lines[0].constraint", "unknown constraint 'LABELER'")],
    ),
    Case(
        "reason_with_unknown_category",
        [('"Meeting" = "excluded"', '"Meeting" = "excludde"')],
        [('"Meeting"', "reasons.Meeting", "'unplanned', 'planned' or 'excluded'")],
    ),
    Case(
        "missing_equipment_id",
        [('id = "FILLER"\n', "")],
        # no line holds the missing key: the error points at its table, [[lines.equipment]] on line 34
        [(34, "lines[0].equipment[0].id", "required key is missing")],
    ),
    Case(
        "unknown_key_typo",
        [("counter_max = 65535", "counter_mx = 65535")],
        [("counter_mx", "lines[0].equipment[0].counter_mx", "unknown key")],
    ),
    Case(
        "typo_in_a_required_key_gives_both_problems",
        [("ideal_cycle_time_s = 0.4", "ideal_cycle_tme_s = 0.4")],
        [
            (41, "lines[0].equipment[1].ideal_cycle_time_s", "required key is missing"),
            ("ideal_cycle_tme_s", "lines[0].equipment[1].ideal_cycle_tme_s", "unknown key"),
        ],
    ),
    Case(
        "negative_ideal_cycle_time",
        [("ideal_cycle_time_s = 0.4", "ideal_cycle_time_s = -0.4")],
        [("= -0.4", "lines[0].equipment[1].ideal_cycle_time_s", "greater than 0")],
    ),
    Case(
        "negative_equipment_small_stop_threshold",
        [("counter_max = 65535", "counter_max = 65535\nsmall_stop_threshold_s = -5")],
        [("= -5", "lines[0].equipment[0].small_stop_threshold_s", "greater than or equal to 0")],
    ),
    Case(
        "fault_code_not_an_integer",
        [("101 = ", "jam = ")],
        [("jam = ", "lines[0].equipment[0].faults.jam", "valid integer")],
    ),
    Case(
        "two_problems_two_lines",
        [
            ('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"'),
            ('start = "22:00"', 'start = "25:00"'),
        ],
        [
            ("timezone =", "lines[0].timezone", "unknown time zone 'Mars/Olympus'"),
            ('start = "25:00"', "lines[0].shifts[1].start", "'25:00' is not a time of day"),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_located_error(tmp_path: Path, case: Case) -> None:
    text = edited(case.replacements)
    path = write(tmp_path, text)
    # As the issue writes them: `<file>:<line>: <key path>: <message>`.
    expected = [
        (f"line.toml:{where if isinstance(where, int) else line_of(text, where)}: {key}: ", message)
        for where, key, message in case.expected
    ]

    lines = load_errors(path)
    assert len(lines) == len(expected), lines
    for got, (head, message) in zip(sorted(lines), sorted(expected), strict=True):
        assert got.startswith(head), (got, head)
        assert message in got, (got, message)

    result = run_check(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    shown = error_lines(result.stderr)
    assert sorted(shown) == sorted(lines), result.stderr


def test_time_error_is_exactly_as_the_issue_writes_it(tmp_path: Path) -> None:
    path = write(tmp_path, edited([('start = "22:00"', 'start = "25:00"')]))
    assert REFERENCE_TEXT.splitlines()[30] == 'start = "22:00"'  # line 31 of the reference
    result = run_check(path)
    assert result.returncode == 2
    [line] = error_lines(result.stderr)
    assert line.startswith("line.toml:31: lines[0].shifts[1].start: '25:00' is not a time of day"), line


# --- shift calendars that are fine --------------------------------------------------------------


def test_night_shift_does_not_overlap_next_mornings_early_shift(tmp_path: Path) -> None:
    # The reference itself: Night sun-thu 22:00-06:00 ends exactly when Early mon-fri 06:00 starts.
    assert load_config(REFERENCE).lines[0].shifts[1].end.hour == 6
    # Also with the night shift every day, saturday included, running into sunday and monday.
    text = edited(
        [
            (
                'days = ["sun", "mon", "tue", "wed", "thu"]',
                'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
            )
        ]
    )
    assert run_check(write(tmp_path, text)).returncode == 0


def test_break_across_midnight_inside_night_shift_is_fine(tmp_path: Path) -> None:
    text = edited(
        [('end = "06:00"', 'end = "06:00"\nbreaks = [{ name = "Midnight", start = "23:45", end = "00:15" }]')]
    )
    result = run_check(write(tmp_path, text))
    assert result.returncode == 0, result.stderr


# --- files that cannot be read ------------------------------------------------------------------


def assert_one_clean_line(path: Path, must_contain: list[str]) -> str:
    result = run_check(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for part in must_contain:
        assert part in lines[0], (lines[0], part)
    return lines[0]


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = edited([('name = "Filler"', 'name = "Filler')])
    path = write(tmp_path, text)
    line = line_of(text, 'name = "Filler')
    [message] = load_errors(path)
    assert message.startswith(f"line.toml:{line}: not valid TOML"), message
    assert_one_clean_line(path, [f"line.toml:{line}: not valid TOML"])


def test_toml_syntax_error_at_end_of_document_names_the_last_line(tmp_path: Path) -> None:
    text = REFERENCE_TEXT.rstrip("\n") + "\nextra = [1,\n"
    path = write(tmp_path, text)
    last = len(text.splitlines())
    assert_one_clean_line(path, [f"line.toml:{last}: not valid TOML"])


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    [message] = load_errors(path)
    assert "nowhere.toml" in message and "No such file" in message
    assert_one_clean_line(path, ["nowhere.toml", "cannot read config"])


def test_directory_instead_of_file(tmp_path: Path) -> None:
    path = tmp_path / "dir.toml"
    path.mkdir()
    assert_one_clean_line(path, ["dir.toml", "cannot read config"])


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(REFERENCE_TEXT.replace("Plant 1", "Pl\u00e4nt 1").encode("latin-1"))
    [message] = load_errors(path)
    assert message.startswith("latin1.toml:2: "), message
    assert "UTF-8" in message
    assert_one_clean_line(path, ["latin1.toml:2: ", "UTF-8"])


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "", name="empty.toml")
    lines = load_errors(path)
    assert lines == [
        "empty.toml: site: required key is missing",
        "empty.toml: lines: required key is missing",
    ]
    result = run_check(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == lines


# --- defaults -----------------------------------------------------------------------------------


def test_equipment_small_stop_threshold_overrides_the_lines(tmp_path: Path) -> None:
    text = edited([('state_model = "packml"', 'state_model = "packml"\nsmall_stop_threshold_s = 30')])
    line = load_config(write(tmp_path, text)).lines[0]
    filler, capper = line.equipment
    assert line.small_stop_threshold_s == 120
    assert line.threshold_for(filler) == 120
    assert line.threshold_for(capper) == 30


def test_counter_max_defaults_to_32_bits() -> None:
    filler, capper = load_config(REFERENCE).lines[0].equipment
    assert filler.counter_max == 65535
    assert capper.counter_max == DEFAULT_COUNTER_MAX == 4294967295


def test_constraint_defaults_to_the_last_equipment(tmp_path: Path) -> None:
    assert load_config(REFERENCE).lines[0].constraint_id == "FILLER"
    text = edited([('constraint = "FILLER"\n', "")])
    assert load_config(write(tmp_path, text)).lines[0].constraint_id == "CAPPER"


# --- a connection's reconnect cap -----------------------------------------------------------------

CONNECTION = '\n[[connections]]\nid = "plc"\nprotocol = "modbus"\nhost = "10.0.0.5"\n'


def test_the_reconnect_cap_is_five_seconds_unless_set(tmp_path: Path) -> None:
    (conn,) = load_config(write(tmp_path, REFERENCE_TEXT + CONNECTION)).connections
    assert conn.reconnect_max_s == 5.0
    text = REFERENCE_TEXT + CONNECTION + "reconnect_max_s = 2.5\n"
    (conn,) = load_config(write(tmp_path, text)).connections
    assert conn.reconnect_max_s == 2.5


def test_a_config_written_for_the_older_key_name_loads(tmp_path: Path) -> None:
    (conn,) = load_config(write(tmp_path, REFERENCE_TEXT + CONNECTION + "backoff_max_s = 12\n")).connections
    assert conn.reconnect_max_s == 12.0


@pytest.mark.parametrize(
    ("line", "message"),
    [("reconnect_max_s = 0", "greater than 0"), ("reconnect_max_s = 7200", "less than or equal to 3600")],
)
def test_a_wrong_reconnect_cap_is_a_located_error(tmp_path: Path, line: str, message: str) -> None:
    text = REFERENCE_TEXT + CONNECTION + line + "\n"
    result = run_check(write(tmp_path, text))
    assert result.returncode == 2
    (shown,) = error_lines(result.stderr)
    assert shown.startswith(f"line.toml:{line_of(text, line)}: connections[0].reconnect_max_s: "), shown
    assert message in shown


# --- the panel's note phrases ---------------------------------------------------------------------


def test_the_plants_phrases_replace_the_default_ones(tmp_path: Path) -> None:
    assert "Waiting for material" in load_config(REFERENCE).panel.phrases
    text = REFERENCE_TEXT + '\n[panel]\nphrases = ["Warte auf Instandhaltung", "Material fehlt"]\n'
    assert load_config(write(tmp_path, text)).panel.phrases == ("Warte auf Instandhaltung", "Material fehlt")


@pytest.mark.parametrize(
    ("phrases", "message"),
    [
        ('["Jam", "  "]', "a phrase is empty"),
        ('["Jam", "jam"]', "phrase 'jam' is listed twice"),
        (f'["{"x" * 41}"]', "longer than 40 characters"),
        ("[" + ", ".join(f'"p{i}"' for i in range(13)) + "]", "at most 12 phrases, not 13"),
    ],
)
def test_a_wrong_phrase_list_is_a_located_error(tmp_path: Path, phrases: str, message: str) -> None:
    line = f"phrases = {phrases}"
    text = REFERENCE_TEXT + "\n[panel]\n" + line + "\n"
    result = run_check(write(tmp_path, text))
    assert result.returncode == 2
    (shown,) = error_lines(result.stderr)
    assert shown.startswith(f"line.toml:{line_of(text, line)}: panel.phrases: "), shown
    assert message in shown


def test_a_panel_language_it_does_not_ship_is_a_located_error(tmp_path: Path) -> None:
    text = REFERENCE_TEXT + '\n[panel]\nlanguage = "fr"\n'
    result = run_check(write(tmp_path, text))
    assert result.returncode == 2 and result.stdout == ""
    [line] = error_lines(result.stderr)
    assert line.startswith(f"line.toml:{line_of(text, 'language =')}: panel.language: "), line
    assert "'fr' is not a language the panel ships: en, de" in line


def test_the_panel_language_defaults_to_the_systems_and_takes_a_region(tmp_path: Path) -> None:
    assert load_config(REFERENCE).panel.language == ""
    path = write(tmp_path, REFERENCE_TEXT + '\n[panel]\nlanguage = "de_AT"\n')
    assert load_config(path).panel.language == "de_AT"


SPARKPLUG_OK = '[sparkplug]\nbroker = "mqtt://broker.plant:1883"\ngroup_id = "Plant1"\n'


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            'broker = "mqtt://u:secret@broker:1883"\ngroup_id = "P"\n',
            "a password does not belong in the config",
        ),
        ('broker = "http://broker"\ngroup_id = "P"\n', "starts mqtt:// or mqtts://"),
        ('broker = "mqtt://broker"\ngroup_id = "Plant/1"\n', "cannot be part of a topic"),
        ('broker = "mqtt://broker"\ngroup_id = "P"\nca = "ca.pem"\n', "ca is for TLS"),
        ('broker = "mqtt://broker"\ngroup_id = "P"\npassword_env = "PW"\n', "needs a user: set username"),
        ('broker = "mqtt://broker"\ngroup_id = "P"\npassword = "x"\n', "password"),
    ],
)
def test_sparkplug_section_is_checked(tmp_path: Path, section: str, expected: str) -> None:
    path = write(tmp_path, REFERENCE_TEXT + "\n[sparkplug]\n" + section)
    assert any(expected in line for line in load_errors(path))
    outcome = run_check(path)
    assert outcome.returncode == 2 and expected in outcome.stderr


def test_a_good_sparkplug_section_loads_with_its_defaults(tmp_path: Path) -> None:
    sp = load_config(write(tmp_path, REFERENCE_TEXT + "\n" + SPARKPLUG_OK)).sparkplug
    assert sp is not None and sp.group_id == "Plant1" and sp.keepalive_s == 30 and sp.max_buffer_mb == 64
