"""Security promises of the station, as an attacker at the keypad or on the socket meets them
(docs/ANDON.md, "People"; docs/SOCKET.md, "Security model").

Where each promise is tested (so nothing is tested twice; docs/RELIABILITY.md, Security):
- PIN hash format (salted scrypt n=2**14 r=8 p=1, no PIN in the row), lockout after 5 wrong PINs
  for exactly 300 s, per user, committed at once: tests/core/test_auth.py;
- five wrong PINs through the engine's gate: tests/core/test_gate.py;
- socket file mode 0660 whatever the umask, a PIN gives over the socket no more than on the
  panel (ack_andon without login, without PIN, with a wrong PIN): tests/test_socket.py;
- the audit chain after SIGKILLs: scripts/crash_harness.py checks it after every kill and runs
  `ms5 audit verify` at the end; tests/test_crash_harness.py runs it.

Here, what those leave open, end to end over the real socket and the real SQLite file:
- no PIN, right or wrong, is anywhere in the station's files in clear, after users were added
  with `ms5 user add`, logins, commands and refusals;
- the lockout holds over the socket and survives a station restart (it is in the file, not in
  the process), and ends 300 s later;
- every command that needs a login is refused over the socket without one and without a PIN,
  changes nothing, and each refusal is in an audit chain that still verifies.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.auth import LOCK_AFTER, LOCK_SECONDS, UserStore
from core.config import Config, parse_config
from core.permissions import PUBLIC, TABLE
from hmi.cli.main import main
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.link import LinkError
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
T0 = 1772427600.0  # Monday 2026-03-02 06:00 +01:00, inside the Early shift
ANDON = """
[andon.policies.maintenance]
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
]
"""
# Eight digits: such a string turning up by chance in a small SQLite file is not plausible.
SAM_PIN, OLGA_PIN = "73915268", "48260371"
WRONG_PINS = ("55501234", "90817263", "31415926", "27182818", "16180339")
HASH = re.compile(r"scrypt-pepper\$16384\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def folder() -> Iterator[Path]:
    # pytest's tmp_path can be longer than the 107 bytes a Unix socket path may have.
    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        yield Path(name)


@pytest.fixture
def config() -> Config:
    text = REFERENCE.read_text().replace("[[products]]", ANDON + "\n[[products]]", 1)
    return parse_config(text, REFERENCE)


def ms5(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """`ms5 ...` in this process, as a shell would run it (stdin for --pin-stdin)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def add_users(db: Path) -> None:
    for name, role, pin in (("sam", "supervisor", SAM_PIN), ("olga", "operator", OLGA_PIN)):
        code, _, err = ms5(
            "user", "add", name, "--role", role, "--pin-stdin", "--db", str(db), stdin=pin + "\n"
        )
        assert code == 0, err


@contextlib.asynccontextmanager
async def running(
    config: Config, db: Path, clock: Clock, monotonic: Clock | None = None
) -> AsyncIterator[tuple[Station, RemoteLink]]:
    """A station with its socket, and one console attached to it; `monotonic` is the lockouts'
    clock (core.auth), the machine's when not given."""
    station = Station(config, db, clock=clock)
    station.open()
    if monotonic is not None:
        assert station.gate is not None and station.store is not None
        station.gate.users = UserStore(station.store.conn, monotonic=monotonic)
    server = StationServer(station, socket_path(db))
    await server.start()
    link = await RemoteLink.connect(server.path)
    try:
        yield station, link
    finally:
        await link.close()
        await server.stop()
        await station.stop()


def audit_verify(db: Path) -> str:
    code, out, err = ms5("audit", "verify", "--db", str(db))
    assert code == 0, (out, err)
    return out.strip()


@pytest.mark.asyncio
async def test_no_pin_is_in_the_station_files_in_clear(folder: Path, config: Config) -> None:
    db = folder / "station.db"
    add_users(db)
    clock = Clock(T0)
    async with running(config, db, clock) as (station, link):
        assert (await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})).ok
        for wrong in WRONG_PINS[:2]:
            with pytest.raises(LinkError):
                await link.login("olga", wrong)
            assert (await link.command("ack_andon", {"equipment": "CAPPER"}, user="sam", pin=wrong)).refused
        assert await link.login("sam", SAM_PIN) == "supervisor"
        acked = await link.command("ack_andon", {"equipment": "FILLER"}, user="olga", pin=OLGA_PIN)
        assert acked.ok, acked.message
        clock.t += 2
        station.tick()

    files = sorted(p for p in folder.iterdir() if p.is_file())
    assert db in files
    for path in files:
        data = path.read_bytes()
        for pin in (SAM_PIN, OLGA_PIN, *WRONG_PINS[:2]):
            assert pin.encode() not in data, f"{pin} in clear in {path.name}"
            assert pin.encode("utf-16-le") not in data, f"{pin} in UTF-16 in {path.name}"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        hashes = dict(conn.execute("SELECT name, pin_hash FROM users").fetchall())
    assert set(hashes) == {"sam", "olga"}
    assert all(HASH.fullmatch(h) for h in hashes.values()), hashes
    assert audit_verify(db).startswith("audit chain holds")


@pytest.mark.asyncio
async def test_the_lockout_holds_over_the_socket_and_across_a_restart(folder: Path, config: Config) -> None:
    db = folder / "station.db"
    add_users(db)
    clock, mono = Clock(T0), Clock(1000.0)
    async with running(config, db, clock, mono) as (_, link):
        messages = []
        for wrong in WRONG_PINS[:LOCK_AFTER]:
            with pytest.raises(LinkError) as exc:
                await link.login("sam", wrong)
            messages.append(str(exc.value))
        assert "1 tries left" in messages[-2] or "1 try left" in messages[-2], messages
        assert "locked until" in messages[-1] and "after 5 wrong PINs" in messages[-1], messages
        with pytest.raises(LinkError, match="locked until"):
            await link.login("sam", SAM_PIN)  # the right PIN, too late
        refused = await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
        assert refused.ok  # raising a call never needs a login, locked out or not
        ack = await link.command("ack_andon", {"equipment": "FILLER"}, user="sam", pin=SAM_PIN)
        assert ack.refused and "locked until" in ack.message
        assert await link.login("olga", OLGA_PIN) == "operator"  # the lock is sam's alone

    # Killing the station does not lift a lock: it is in the file. Setting the clock back or on
    # does not move it either: it runs on the monotonic clock.
    clock.t, mono.t = T0 + 10 + 3600, mono.t + 10
    async with running(config, db, clock, mono) as (_, link):
        with pytest.raises(LinkError, match="locked until"):
            await link.login("sam", SAM_PIN)
    clock.t, mono.t = T0 - 3600, mono.t + LOCK_SECONDS
    async with running(config, db, clock, mono) as (_, link):
        assert await link.login("sam", SAM_PIN) == "supervisor"
        andon = (await link.view("overview"))["andon"]
        assert [c["state"] for c in andon] == ["active-unacknowledged"]
    assert audit_verify(db).startswith("audit chain holds")


# Arguments that would be accepted with a login: the refusal must come from the missing PIN.
ARGS: dict[str, dict[str, object]] = {
    "set_reason": {"equipment": "FILLER", "at": T0, "reason": "Mechanical/Jam/Infeed"},
    "split_stop": {"equipment": "FILLER", "at": T0, "split_at": T0 + 1},
    "note_stop": {"equipment": "FILLER", "at": T0, "text": "checked"},
    "note_andon": {"equipment": "FILLER", "text": "on my way"},
    "shelve_andon": {"equipment": "FILLER", "seconds": 60},
    "start_job": {"equipment": "FILLER", "product": "A500", "quantity": 100},
}


@pytest.mark.asyncio
async def test_no_command_but_raising_a_call_goes_through_the_socket_without_a_pin(
    folder: Path, config: Config
) -> None:
    db = folder / "station.db"
    add_users(db)
    clock = Clock(T0)
    needs_login = sorted(set(TABLE) - PUBLIC)
    assert "ack_andon" in needs_login and "start_planned_stop" in needs_login
    async with running(config, db, clock) as (_, link):
        assert (await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})).ok
        before = await link.view("overview")
        audit_before = len(await link.view("audit", limit=1000))
        for command in needs_login:
            args = ARGS.get(command, {"equipment": "FILLER"})
            nobody = await link.command(command, args)
            assert nobody.refused and not nobody.ok, (command, nobody)
            assert nobody.message == f"{command} needs a login"
            # A name without its PIN is a wrong PIN: refused, and counted towards the lockout.
            no_pin = await link.command(command, args, user="olga")
            assert no_pin.refused and not no_pin.ok, (command, no_pin)
        assert await link.view("overview") == before
        audit = await link.view("audit", limit=1000)
        refusals = audit[audit_before:]
        assert len(refusals) == 2 * len(needs_login)
        assert all(r["result"] == "refused" for r in refusals)
        assert [r["user"] for r in refusals] == [None, "olga"] * len(needs_login)
        # After five, olga's name without a PIN locked her out: a script cannot probe for ever.
        assert "locked until" in refusals[-1]["detail"]
    assert audit_verify(db).startswith("audit chain holds")
