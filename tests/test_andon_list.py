"""A station nobody answers for months (issue 12): thousands of open Andon calls must not cost the
faces their view. The `snapshot` answer over the real socket stays under the link's frame and
carries the true counts; a call left out of the list is acknowledged by its number all the same."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
from core.config import parse_config
from hmi.paths import socket_path
from hmi.socket.protocol import MAX_LINE
from hmi.socket.server import StationServer
from hmi.station.andon_list import LIMIT
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
pytestmark = pytest.mark.slow  # 3,000 calls through the engine and store, twice

CALLS = 3000
ACKED = 40  # answered by somebody: they stay open, but no longer sound
ESCALATING = range(ACKED + 1, ACKED + 6)  # maintenance calls, unanswered: level 2 after 300 s


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def unattended(folder: Path) -> Station:
    """A station whose line raised a call every second for CALLS seconds, nobody answering but
    for the first ACKED, through the real engine and store (journal rows, projections). Most are
    `help` calls, of one level: an escalation of each would only make the test slow (the board
    looks for its next due time among all open calls)."""
    config = parse_config(
        REFERENCE.read_text().replace("[[products]]", ANDON + "\n[[products]]", 1), REFERENCE
    )
    clock = Clock(T0)
    st = Station(config, folder / "station.db", clock=clock)
    st.open()
    assert st.gate is not None and st.store is not None and st.engine is not None
    st.gate.users.add("sam", Role.SUPERVISOR, "2580", T0)
    for i in range(CALLS):
        clock.t = T0 + i
        kind = "maintenance" if i + 1 in ESCALATING else "help"
        args = {"equipment": ("FILLER", "CAPPER")[i % 2], "kind": kind, "note": f"call {i + 1}"}
        # A bulk import's way (core.journal_import): journaled in order, committed as a batch.
        st.store.append_command(clock.t, None, "raise_andon", args, durable=False)
        st.engine.command("raise_andon", args, clock.t, None)
    for call in st.engine.andon.calls[:ACKED]:
        st.engine.andon.acknowledge(clock.t, call, "sam")
    clock.t = T0 + CALLS
    st.tick()  # the maintenance calls reach level 2
    return st


@pytest.fixture
def station() -> Iterator[Station]:
    # pytest's tmp_path can be longer than the 107 bytes a Unix socket path may have.
    with tempfile.TemporaryDirectory(prefix="ms5-") as name:
        st = unattended(Path(name))
        yield st
        asyncio.run(st.stop())


async def ask(path: Path, *requests: dict[str, Any]) -> list[bytes]:
    """The raw answer lines to `requests`, as a face's link reads them."""
    reader, writer = await asyncio.open_unix_connection(str(path), limit=2 * MAX_LINE)
    try:
        writer.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        await writer.drain()
        return [await reader.readline() for _ in requests]
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_thousands_of_open_calls_fit_the_snapshot_with_their_true_counts(station: Station) -> None:
    server = StationServer(station, socket_path(station.db_path))
    await server.start()
    try:
        snap, andon = await ask(
            server.path, {"id": 1, "op": "snapshot"}, {"id": 2, "op": "view", "name": "andon"}
        )
    finally:
        await server.stop()
    assert len(snap) <= MAX_LINE and len(andon) <= MAX_LINE
    overview = json.loads(snap)["result"]
    assert [line["id"] for line in overview["lines"]] == ["L1"]  # the figures came too
    counts = overview["andon_open"]
    assert counts["total"] == CALLS and counts["shown"] == LIMIT
    assert counts["unacknowledged"] == counts["sounding"] == CALLS - ACKED
    assert counts["by_level"] == {"1": CALLS - len(ESCALATING), "2": len(ESCALATING)}
    assert counts["by_state"] == {"active-acknowledged": ACKED, "active-unacknowledged": CALLS - ACKED}
    calls = overview["andon"]
    # The newest unanswered first: the call just raised is at the top however many wait.
    assert [c["id"] for c in calls] == list(range(CALLS, CALLS - LIMIT, -1))
    view = json.loads(andon)["result"]
    assert view["open"] == counts and [c["id"] for c in view["active"]] == [c["id"] for c in calls]


@pytest.mark.asyncio
async def test_a_call_left_out_of_the_list_is_acknowledged_by_its_number(station: Station) -> None:
    assert station.engine is not None
    oldest = station.engine.andon.calls[ACKED]  # #41: unanswered, at level 2, far down the list
    server = StationServer(station, socket_path(station.db_path))
    await server.start()
    try:
        (before,) = await ask(server.path, {"id": 1, "op": "snapshot"})
        sent = {c["id"] for c in json.loads(before)["result"]["andon"]}
        assert oldest.id not in sent
        ack = {"call": oldest.id}
        (done,) = await ask(
            server.path,
            {"id": 2, "op": "command", "command": "ack_andon", "args": ack, "user": "sam", "pin": "2580"},
        )
        (after,) = await ask(server.path, {"id": 3, "op": "snapshot"})
    finally:
        await server.stop()
    assert json.loads(done)["result"] == {
        "ok": True,
        "message": f"call #{oldest.id} acknowledged",
        "refused": False,
    }
    acked = [c.id for c in station.engine.andon.calls if c.acknowledged_by == "sam"]
    assert acked == [*range(1, ACKED + 1), oldest.id]  # that call, and no call of the list
    counts = json.loads(after)["result"]["andon_open"]
    assert counts["unacknowledged"] == CALLS - ACKED - 1 and counts["total"] == CALLS
