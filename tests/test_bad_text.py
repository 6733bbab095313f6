"""Text the store cannot write, or a person should not be shown, sent over the station socket
(issue 14, problem 1; docs/RELIABILITY.md, "Bad input").

A lone surrogate ("\\udfff") is valid JSON but no UTF-8: once such a note reached the engine the
store could write nothing again, every later command failed (a safety call included) and
`snapshot` dropped the connection. Whatever text or number a client sends, the station refuses
what it cannot keep with one line, keeps writing, answers every view, and its audit chain holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import AuditLog
from core.auth import Role
from core.config import Config, parse_config
from core.gate import GateError
from core.permissions import TABLE
from core.store import StoreError
from hmi.cli.main import main
from hmi.paths import socket_path
from hmi.socket.server import StationServer
from hmi.station.runtime import Station
from hmi.station.views import VIEWS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00, inside the Early shift
SAM_PIN = "73915268"
# Views a client may ask for without naming an equipment or a line; those two get one below.
PLAIN_VIEWS = sorted(set(VIEWS) - {"machine", "planned_jobs", "report_compare"})


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        yield Path(name)


def reference() -> Config:
    return parse_config(REFERENCE.read_text(), REFERENCE)


class Raw:
    """A client writing raw JSON text: what a script on the machine can send, escapes included."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.next_id = 0

    async def send(self, text: str) -> dict[str, Any]:
        self.writer.write(text.encode("ascii") + b"\n")
        await self.writer.drain()
        async with asyncio.timeout(60):  # a hang guard, not a speed limit
            line = await self.reader.readline()
        assert line, "the station dropped the connection"
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def request(self, op: str, **fields: Any) -> dict[str, Any]:
        self.next_id += 1
        # ensure_ascii: a lone surrogate goes out as the JSON escape a client may send.
        return await self.send(json.dumps({"id": self.next_id, "op": op, **fields}, ensure_ascii=True))

    async def command(self, command: str, args: dict[str, Any], **who: Any) -> dict[str, Any]:
        answer = await self.request("command", command=command, args=args, **who)
        assert "result" in answer, answer
        result: dict[str, Any] = answer["result"]
        return result


@contextlib.asynccontextmanager
async def station_and_client(db: Path, clock: Clock) -> AsyncIterator[tuple[Station, Raw]]:
    station = Station(reference(), db, clock=clock)
    station.open()
    assert station.gate is not None
    if station.gate.users.get("sam") is None:
        station.gate.users.add("sam", Role.SUPERVISOR, SAM_PIN, clock())
    server = StationServer(station, socket_path(db))
    await server.start()
    reader, writer = await asyncio.open_unix_connection(str(server.path))
    try:
        yield station, Raw(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        await server.stop()
        await station.stop()


async def assert_station_sound(station: Station, client: Raw, clock: Clock) -> None:
    """The store writes, a safety call goes through and is kept, every view answers."""
    assert station.store is not None
    clock.t += 2
    station.tick()
    assert station.store_error is None, station.store_error
    before = station.store.last_id
    safety = await client.command("raise_andon", {"equipment": "CAPPER", "kind": "safety", "note": "ok"})
    assert safety["ok"], safety
    assert station.store.last_id == before + 1
    clock.t += 2
    station.tick()
    assert station.store_error is None, station.store_error
    for name in PLAIN_VIEWS:
        answer = await client.request("view", name=name)
        assert "result" in answer, (name, answer)
    answer = await client.request("view", name="machine", args={"equipment": "FILLER"})
    assert "result" in answer, answer
    answer = await client.request("view", name="planned_jobs", args={"line": "L1"})
    assert answer.get("result") == [], answer
    answer = await client.request("view", name="report_compare", args={"line": "L1"})
    assert "result" in answer, answer
    answer = await client.request("snapshot")
    assert "result" in answer, answer
    assert AuditLog(station.store.conn).verify() is None


@pytest.mark.asyncio
async def test_a_lone_surrogate_in_a_note_is_refused_and_the_station_goes_on_writing(folder: Path) -> None:
    db = folder / "station.db"
    clock = Clock(T0)
    async with station_and_client(db, clock) as (station, client):
        assert station.store is not None
        before = station.store.last_id
        bad = await client.command("raise_andon", {"equipment": "FILLER", "kind": "safety", "note": "\udfff"})
        assert not bad["ok"]
        assert "note" in bad["message"] and "\n" not in bad["message"], bad
        assert station.store.last_id == before  # nothing journaled
        andon = (await client.request("view", name="andon"))["result"]
        assert andon["active"] == [], "the refused call reached the engine"
        await assert_station_sound(station, client, clock)


@pytest.mark.asyncio
async def test_control_characters_and_overlong_text_are_refused_with_one_line(folder: Path) -> None:
    db = folder / "station.db"
    clock = Clock(T0)
    async with station_and_client(db, clock) as (station, client):
        assert station.store is not None
        before = station.store.last_id
        cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
            ("raise_andon", {"equipment": "FIL\nLER", "kind": "help"}, {}),
            ("raise_andon", {"equipment": "FILLER", "kind": "help", "note": "bell\x07"}, {}),
            ("raise_andon", {"equipment": "FILLER", "kind": "help", "note": "x" * 201}, {}),
            ("raise_andon", {"equipment": "FILLER\u202e", "kind": "help"}, {}),
            ("raise_andon", {"equipment": "FILLER", "kind": "help", "n\x00te": "hi"}, {}),
            ("ack_andon", {"equipment": "FILLER"}, {"user": "sam\udc80", "pin": SAM_PIN}),
            ("ack_andon", {"equipment": "FILLER"}, {"user": "s" * 1000, "pin": SAM_PIN}),
            ("raise_andon", {"equipment": "FILLER", "kind": "help", "call": 2**70}, {}),
        ]
        for command, args, who in cases:
            answer = await client.command(command, args, **who)
            assert not answer["ok"], (args, answer)
            assert "\n" not in answer["message"] and len(answer["message"]) < 300, answer
        login = await client.request("login", user="sam\ud800", pin=SAM_PIN)
        assert "error" in login and "\n" not in login["error"], login
        assert station.store.last_id == before
        # "Jürgen", "Łukasz" and an emoji are text a note may hold.
        fine = await client.command(
            "raise_andon", {"equipment": "FILLER", "kind": "help", "note": "Jürgen & Łukasz 👍"}
        )
        assert fine["ok"], fine
        await assert_station_sound(station, client, clock)


@pytest.mark.asyncio
async def test_a_surrogate_already_in_the_journal_breaks_no_view_and_no_write(folder: Path) -> None:
    """A file written by a station before this check (the journal keeps args as escaped JSON)."""
    db = folder / "station.db"
    clock = Clock(T0)
    async with station_and_client(db, clock):
        pass
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "INSERT INTO journal(ts, command, user, role, args) VALUES (?, 'raise_andon', NULL, NULL, ?)",
            (T0 + 1, '{"equipment":"FILLER","kind":"safety","note":"\\udfff"}'),
        )
        conn.commit()
    clock.t = T0 + 5
    async with station_and_client(db, clock) as (station, client):
        andon = (await client.request("view", name="andon"))["result"]
        assert [c["kind"] for c in andon["active"]] == ["safety"]  # the call is kept, its note made safe
        await assert_station_sound(station, client, clock)


def test_the_gate_keeps_an_unwritable_row_from_the_engine_without_the_text_check(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal-first order holds for encoding on its own: with the boundary check gone, a
    note the store cannot write is refused before the live engine takes it."""
    monkeypatch.setattr("core.gate._check_input", lambda *_: None)
    clock = Clock(T0)
    station = Station(reference(), folder / "station.db", clock=clock)
    station.open()
    assert station.gate is not None and station.store is not None and station.engine is not None
    before = station.store.last_id
    with pytest.raises(GateError, match="nothing was changed"):
        asyncio.run(
            station.gate.run("raise_andon", {"equipment": "FILLER", "kind": "safety", "note": "\udfff"})
        )
    assert station.engine.andon.calls == []
    assert station.store.last_id == before
    with pytest.raises(StoreError, match="not UTF-8"):
        station.store.append_command(T0, None, "raise_andon", {"note": "\udfff"})
    clock.t += 2
    station.tick()
    assert station.store_error is None
    asyncio.run(station.stop())


# ----------------------------------------------------------------------------- generated

KEYS = ("equipment", "line", "kind", "note", "text", "call", "at", "split_at", "reason", "seconds", "product")
# Every code point, surrogates and controls included.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e999", "-1e999", str(T0 + 3)]),  # raw number text: JSON's overflow to inf
)
values = st.one_of(
    any_text,
    numbers,
    st.sampled_from(["FILLER", "CAPPER", "L1", "safety", "help", "Mechanical/Jam/Infeed", "A500"]),
    st.none(),
    st.booleans(),
    st.lists(any_text, max_size=3),
)
commands = st.one_of(st.sampled_from(sorted(TABLE)), any_text)
requests = st.tuples(
    commands,
    st.dictionaries(st.one_of(st.sampled_from(KEYS), any_text), values, max_size=6),
    st.sampled_from(["nobody", "sam", "stranger"]),
    any_text,
)


RAW_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?(e[0-9]+)?")


def raw_json(value: Any) -> str:
    """JSON text with raw number strings (the "1e999" above) written as numbers."""
    if isinstance(value, str) and RAW_NUMBER.fullmatch(value):
        return value
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{raw_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(raw_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests, min_size=1, max_size=8))
def test_any_json_text_and_number_over_the_socket_leaves_the_station_sound(
    batch: list[tuple[str, dict[str, Any], str, str]],
) -> None:
    async def run(db: Path) -> None:
        clock = Clock(T0)
        async with station_and_client(db, clock) as (station, client):
            for command, args, who, text in batch:
                fields = {"user": "sam", "pin": SAM_PIN} if who == "sam" else {}
                if who == "stranger":
                    fields = {"user": text, "pin": "1357"}
                line = (
                    f'{{"id":1,"op":"command","command":{json.dumps(command)},"args":{raw_json(args)}'
                    + "".join(f",{json.dumps(k)}:{json.dumps(v)}" for k, v in fields.items())
                    + "}"
                )
                # The same text as a login and as a view's name and argument.
                recent = raw_json(args.get("call", 5))
                extra = [
                    json.dumps({"id": 2, "op": "login", "user": text, "pin": text}),
                    json.dumps({"id": 3, "op": "view", "name": text, "args": {text: text}}),
                    '{"id":4,"op":"view","name":"andon","args":{"recent":' + recent + "}}",
                ]
                for sent in (line, *extra):
                    answer = await client.send(sent)
                    assert ("result" in answer) != ("error" in answer), answer
                    message = answer.get("error") or answer["result"]
                    if isinstance(message, dict):
                        message = message.get("message", "")
                    assert isinstance(message, str | list), answer
                    assert "Traceback" not in str(message), answer
                    if isinstance(message, str):
                        assert "\n" not in message, answer
                clock.t += 1
                station.tick()
                assert station.store_error is None, (command, args, station.store_error)
                view = await client.request("view", name="andon", args={"recent": 5})
                assert "result" in view, view
            await assert_station_sound(station, client, clock)
        # And after a restart, the rebuilt engine is as writable and as viewable.
        clock.t += 10
        async with station_and_client(db, clock) as (station, client):
            await assert_station_sound(station, client, clock)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["audit", "verify", "--db", str(db)])
        assert code == 0 and out.getvalue().startswith("audit chain holds"), (out.getvalue(), err.getvalue())

    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        asyncio.run(run(Path(name) / "station.db"))
