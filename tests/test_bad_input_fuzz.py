"""Generated bad input for `ms5 check` and `ms5 replay` (docs/RELIABILITY.md).

The hand-written cases of tests/test_config_check.py and tests/test_journal_errors.py check the
exact message of each known mistake. Here hypothesis makes mistakes nobody thought of: configs
are the reference config and the demo line (which has connections, so the protocol address
checks run too) with keys dropped, values of the wrong type, bad times, unknown keys, random
bytes and truncations; journals are rows of random and half-valid fields and binary garbage.

Whatever the input, the command either accepts it (exit 0) or refuses it with exit 2 and one
line per problem on stderr, each naming the file or the command, with no traceback. The commands
run in this process through hmi.cli.main (a subprocess per example would take a second each);
a few examples also run as real `python -m hmi.cli` processes, as a user would run them.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_runs import Outcome, run_in_process, run_process

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
DEMO = ROOT / "assets" / "demo-line.toml"
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in (REFERENCE, DEMO)}
PARSED = {name: tomllib.loads(text) for name, text in SOURCES.items()}

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A directory per example (hypothesis cannot share pytest's function-scoped tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="ms5-fuzz-") as tmp:
        yield Path(tmp)


def assert_accepted_or_refused(result: Outcome, path: Path, command: str) -> None:
    """Exit 0, or exit 2 with one line per problem, each naming the file or the command."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    if result.returncode == 0:
        assert result.stderr == "", result.stderr
        return
    assert result.stdout == "", "a refused input printed figures"
    lines = result.stderr.splitlines()
    assert lines, "exit 2 without a reason"
    for line in lines:
        # A message's value is quoted with repr(), so a newline inside a key or a value cannot
        # break the one-line-per-problem promise; every line says where the problem is.
        assert line.startswith((path.name, str(path), f"ms5 {command}:")), result.stderr


# --------------------------------------------------------------------------- TOML out


def toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=True)


def toml_value(value: Any) -> str:
    """Inline TOML for any value the generators make (JSON's string escapes are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))  # datetimes and times tomllib may give: as strings, still TOML


def toml_document(doc: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


# --------------------------------------------------------------------------- broken configs

TIMES = st.sampled_from(["24:00", "6:00", "06:60", "", "noon", "06-00", "25:99", "06:00:00", "-1:00"])
WRONG = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
    TIMES,
)


def _containers(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict | list):
        yield path, node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            yield from _containers(v, (*path, k))


@st.composite
def mutated_document(draw: st.DrawFn) -> str:
    """A source config with 1-3 structural edits, written back as TOML."""
    name = draw(st.sampled_from(sorted(PARSED)))
    doc: dict[str, Any] = json.loads(json.dumps(PARSED[name], default=str))  # a deep, plain copy
    for _ in range(draw(st.integers(1, 3))):
        containers = [(p, c) for p, c in _containers(doc) if c]
        _, target = draw(st.sampled_from(containers))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        key = draw(st.sampled_from(keys))
        edit = draw(st.sampled_from(["drop", "wrong", "unknown", "duplicate"]))
        if edit == "drop":
            del target[key]
        elif edit == "wrong":
            target[key] = draw(WRONG)
        elif edit == "unknown" and isinstance(target, dict):
            target[draw(st.text(min_size=1, max_size=8))] = draw(WRONG)
        elif isinstance(target, list):  # a duplicated equipment, shift or binding: ids collide
            target.append(json.loads(json.dumps(target[key])))
    return toml_document(doc)


@st.composite
def mangled_text(draw: st.DrawFn) -> bytes:
    """A source config's text cut, spliced with random bytes, or with a line replaced."""
    text = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
    data = text.encode()
    how = draw(st.sampled_from(["truncate", "insert", "replace-line", "bad-time"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if how == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if how == "bad-time":
        times = [t for t in ('"06:00"', '"14:00"', '"22:00"', '"10:00"', '"10:30"') if t in text]
        old = draw(st.sampled_from(times))
        return text.replace(old, json.dumps(draw(TIMES)), 1).encode()
    lines = text.splitlines(keepends=True)
    n = draw(st.integers(0, len(lines) - 1))
    lines[n] = draw(st.text(max_size=30)) + "\n"
    return "".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(mutated_document())
def test_a_config_with_wrong_keys_or_values_is_refused_in_one_line_each(text: str) -> None:
    with scratch() as tmp:
        path = tmp / "line.toml"
        path.write_text(text, encoding="utf-8")
        assert_accepted_or_refused(run_in_process("check", str(path)), path, "check")


@FUZZ
@given(mangled_text())
def test_a_truncated_or_garbled_config_file_is_refused_in_one_line_each(data: bytes) -> None:
    with scratch() as tmp:
        path = tmp / "line.toml"
        path.write_bytes(data)
        assert_accepted_or_refused(run_in_process("check", str(path)), path, "check")


# --------------------------------------------------------------------------- broken journals

JOURNAL_CONFIG = REFERENCE
HEADER = "ts,equipment,signal,value\n"
EQUIPMENT = ["FILLER", "CAPPER", "filler", "", "NOPE", "FILLER "]
SIGNALS = [
    "running",
    "state",
    "total_count",
    "good_count",
    "reject_count",
    "fault_code",
    "changeover",
    "andon",
]
TS = st.one_of(
    st.sampled_from(
        [
            "2026-03-02T06:00:00+01:00",
            "2026-03-02T06:61:00+01:00",
            "2026-03-02T06:00:00",
            "2026-02-30T06:00:00+01:00",
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00+00:00",
            "1772427600",
            "1e308",
            "nan",
            "-inf",
            "",
            "2026-03-02T06:00:00+25:00",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=25),
)
VALUE = st.one_of(
    st.sampled_from(["0", "1", "BAD", "bad", "", "nan", "inf", "-1", "1e400", "65536", "4294967296", "0x10"]),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=10),
)
ROW = st.tuples(
    TS,
    st.one_of(st.sampled_from(EQUIPMENT), st.text(max_size=8)),
    st.one_of(st.sampled_from(SIGNALS), st.text(max_size=8)),
    VALUE,
)


def csv_field(text: str) -> str:
    """Quoted when it holds a comma or a newline, so the row keeps the fields the generator meant;
    left as it is when it holds a quote too: a broken row is what the generator is after then."""
    return f'"{text}"' if any(c in text for c in ",\n\r") and '"' not in text else text


@st.composite
def journal_text(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([HEADER, "\ufeff" + HEADER, "ts,equipment,value\n", ""]))
    rows = draw(st.lists(ROW, min_size=0, max_size=12))
    extra = draw(st.sampled_from(["", ",extra", "\r"]))
    body = "".join(",".join(csv_field(f) for f in row) + extra + "\n" for row in rows)
    return (header + body).encode("utf-8", "surrogatepass")


@FUZZ
@given(journal_text())
def test_a_journal_with_random_rows_is_replayed_or_refused_in_one_line(data: bytes) -> None:
    with scratch() as tmp:
        path = tmp / "journal.csv"
        path.write_bytes(data)
        result = run_in_process("replay", str(JOURNAL_CONFIG), str(path), "--json")
        assert_accepted_or_refused(result, path, "replay")
        if result.returncode == 0:
            json.loads(result.stdout)  # what was accepted gives figures a program can read


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_a_binary_journal_is_refused_in_one_line(garbage: bytes, with_header: bool) -> None:
    with scratch() as tmp:
        path = tmp / "journal.csv"
        path.write_bytes((b"ts,equipment,signal,value\n" if with_header else b"") + garbage)
        assert_accepted_or_refused(run_in_process("replay", str(JOURNAL_CONFIG), str(path)), path, "replay")


# --------------------------------------------------------------------------- as a user runs them


@pytest.mark.slow
def test_a_few_generated_bad_inputs_as_real_processes() -> None:
    """The in-process runs above stand for real ones: the same inputs through `python -m hmi.cli`
    give the same exit code and the same lines."""
    rng = random.Random(7)
    with scratch() as tmp:
        cases: list[tuple[Path, list[str], str]] = []
        text = SOURCES[REFERENCE.name]
        for i, data in enumerate(
            [
                text.encode()[: len(text) // 3],
                text.replace('"06:00"', '"6:00"', 1).encode(),
                text.encode() + bytes(rng.randrange(256) for _ in range(40)),
            ]
        ):
            path = tmp / f"line{i}.toml"
            path.write_bytes(data)
            cases.append((path, ["check", str(path)], "check"))
        for i, data in enumerate(
            [
                b"ts,equipment,signal,value\n2026-03-02T06:00:00+01:00,FILLER,running,maybe\n",
                b"ts,equipment,signal,value\n" + bytes(rng.randrange(256) for _ in range(80)),
            ]
        ):
            path = tmp / f"journal{i}.csv"
            path.write_bytes(data)
            cases.append((path, ["replay", str(REFERENCE), str(path)], "replay"))
        for path, argv, command in cases:
            real = run_process(*argv)
            assert_accepted_or_refused(real, path, command)
            assert real.returncode == 2, real
            assert real == run_in_process(*argv)


def test_a_key_with_a_control_character_is_named_on_one_line(tmp_path: Path) -> None:
    """Found by the generator above: an unknown key holding a record separator (or a newline)
    was printed as it was, and split its message in two."""
    for key in ("a\nb", "\x1e", "tab\there"):
        path = tmp_path / "line.toml"
        path.write_text(f"[site]\nname = 'x'\n{json.dumps(key)} = 1\n", encoding="utf-8")
        result = run_in_process("check", str(path))
        assert result.returncode == 2
        first, *others = result.stderr.splitlines()
        assert first.endswith(f": site.{json.dumps(key)}: unknown key"), result.stderr
        assert others == ["line.toml: lines: required key is missing"], result.stderr
