"""`ms5 demo`: the simulated line and a station together, figures printed as they change.

Until the faces exist this is a plain terminal view: a line per connection when it changes state
and every few seconds a line per machine with its state, the current shift's OEE and counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from connectors.base import FAILING, Diagnostics
from connectors.sim.runner import SimError
from core.config import Config
from hmi.errors import UsageError
from hmi.paths import data_dir, socket_path
from hmi.socket.server import ServerError, StationServer
from hmi.station.demo_shift import start_demo_line, users_lines
from hmi.station.runtime import Station


def _pct(x: float | None) -> str:
    return "  -  " if x is None else f"{x * 100:4.1f}%"


def figures_lines(station: Station, now: float, since: float) -> list[str]:
    """Figures of the current shift, from `since` on (the demo's history starts at the shift's start)."""
    engine = station.engine
    assert engine is not None
    out = []
    for line in station.config.lines:
        occ = engine.calendars[line.id].shift_at(now)
        start = max(occ.start if occ else now - 3600, since)
        label = f"{line.id} {occ.name}" if occ else f"{line.id} (no shift)"
        for eq in line.equipment:
            state, state_since, fault = engine.state_of(eq.id)
            m = engine.metrics(eq.id, start, now)
            fault_text = f" fault {fault}" if fault else ""
            out.append(
                f"{label:<14} {eq.id:<9} {state:<12} {int(now - state_since):>5}s{fault_text:<10} "
                f"OEE {_pct(m.oee)} A {_pct(m.availability)} P {_pct(m.performance)} Q {_pct(m.quality)} "
                f"good {m.good_count:>6} reject {m.reject_count:>4}"
            )
    calls = engine.andon.active()
    if calls:
        out.append("Andon: " + ", ".join(f"#{c.id} {c.kind} at {c.equipment} level {c.level}" for c in calls))
    return out


async def run_demo(config: Config, *, seconds: float | None, every: float, speed: float, seed: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.db"

    def status(d: Diagnostics) -> None:
        error = f" ({d.last_error})" if d.state in FAILING else ""
        print(f"station: {d.connection} {d.state}{error}", flush=True)

    station = Station(config, db, on_connection=status)
    server = StationServer(station, socket_path(db))
    try:
        # Before the store is wiped: a demo already running keeps its record.
        await server.start()
    except ServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        sim, shift = await start_demo_line(config, db, seed=seed, speed=speed, on_event=print)
    except SimError as exc:
        await server.stop()
        raise UsageError(str(exc)) from None
    print(*users_lines(), sep="\n", flush=True)
    for conn, n in sim.connections:
        print(f"simulated {conn.protocol} PLC {conn.id} on {conn.host}:{conn.port} ({n} tags)", flush=True)

    station.open()
    await station.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"station: store {db}, socket {server.path}; Ctrl-C stops", flush=True)
    if station.uplink is not None:
        sp = station.uplink
        print(f"sparkplug: edge node {sp.group}/{sp.node} on {sp.sp.broker}", flush=True)
    started = time.monotonic()
    since = shift.start
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            print("", *figures_lines(station, time.time(), since), sep="\n", flush=True)
            if seconds is not None and time.monotonic() - started >= seconds:
                break
    finally:
        await server.stop()
        await station.stop()
        await sim.stop()
        print("demo stopped", flush=True)
