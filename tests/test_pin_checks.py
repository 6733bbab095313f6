"""PIN checks at the station (issue 14, problems 3 and 4; docs/SOCKET.md, "Security model").

- A socket client guessing PINs locks out its own tries (its uid, from the kernel), never the
  supervisor at the panel; reconnecting does not reset its count.
- The scrypt work of a check leaves the event loop: while a check runs, the station's other
  coroutines (PLC polling, ticks, other clients) go on. Proved without timing: the check waits
  for a coroutine on the loop, which could never run if the check held the loop.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.auth import LOCK_AFTER, PANEL, PinAttempt, Role, socket_place
from core.config import parse_config
from hmi.paths import socket_path
from hmi.socket.client import RemoteLink
from hmi.socket.server import StationServer
from hmi.station.link import LinkError, LocalLink
from hmi.station.runtime import Station

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference.toml"
T0 = 1772427600.0
SAM_PIN, WRONG = "73915268", "55501234"


@pytest.fixture
def station() -> Iterator[Station]:
    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        st = Station(
            parse_config(REFERENCE.read_text(), REFERENCE), Path(name) / "station.db", clock=lambda: T0
        )
        st.open()
        assert st.gate is not None
        st.gate.users.add("sam", Role.SUPERVISOR, SAM_PIN, T0)
        yield st
        asyncio.run(st.stop())


@pytest.mark.asyncio
async def test_a_socket_client_guessing_pins_cannot_lock_the_supervisor_out_of_the_panel(
    station: Station,
) -> None:
    server = StationServer(station, socket_path(station.db_path))
    await server.start()
    try:
        for _ in range(LOCK_AFTER):
            # A new connection for every guess: the count is the peer's uid's, not the connection's.
            link = await RemoteLink.connect(server.path)
            with pytest.raises(LinkError):
                await link.login("sam", WRONG)
            await link.close()
        link = await RemoteLink.connect(server.path)
        with pytest.raises(LinkError, match="locked until"):
            await link.login("sam", SAM_PIN)
        ack = await link.command("raise_andon", {"equipment": "FILLER", "kind": "maintenance"})
        assert ack.ok
        await link.close()
        panel = LocalLink(station)
        assert await panel.login("sam", SAM_PIN) == "supervisor"
        acked = await panel.command("ack_andon", {"equipment": "FILLER"}, user="sam", pin=SAM_PIN)
        assert acked.ok, acked.message
    finally:
        await server.stop()
    assert station.gate is not None
    audit = station.gate.audit.rows()
    place = socket_place(os.getuid())
    assert str([r.detail for r in audit if r.result == "refused"][-1]).endswith(f"(at {place})")
    assert station.gate.users.begin("sam", T0, PANEL).name == "sam"


@pytest.mark.asyncio
async def test_the_event_loop_goes_on_while_a_pin_is_checked(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_ran = threading.Event()
    real = PinAttempt.matches

    def matches(self: PinAttempt, pin: str) -> bool:
        # Held until a coroutine on the station's loop has run: a check on the loop would never
        # see it (the guard turns that deadlock into a failure).
        assert loop_ran.wait(timeout=60), "nothing else ran on the event loop during the PIN check"
        assert threading.current_thread() is not threading.main_thread()
        return real(self, pin)

    monkeypatch.setattr(PinAttempt, "matches", matches)

    async def meanwhile() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    panel = LocalLink(station)
    role, _ = await asyncio.gather(panel.login("sam", SAM_PIN), meanwhile())
    assert role == "supervisor"
