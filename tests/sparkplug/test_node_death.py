"""`ms5 engine` as a process on a real Mosquitto: killed with SIGKILL, the broker delivers its
NDEATH (the will) with the bdSeq of its NBIRTH; started again, its bdSeq is one more."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sparkplug.payload import BDSEQ
from tests.sparkplug.broker import Mosquitto, Received, subscriber
from tests.sparkplug.test_edge_node import REFERENCE, ROOT, by_name

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]


def bd_seq(message: Received) -> object:
    return by_name(message)[BDSEQ].value


async def test_sigkill_brings_the_matching_ndeath_and_a_restart_the_next_bdseq(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    config = tmp_path / "line.toml"
    config.write_text(
        REFERENCE + f'\n[sparkplug]\nbroker = "{broker.url}"\ngroup_id = "Plant1"\nedge_node_id = "Line-1"\n',
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "hmi.cli", "engine", str(config), "--db", str(tmp_path / "s.db")]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        async with subscriber(broker.port) as sub:
            procs.append(subprocess.Popen(argv, cwd=ROOT))
            await sub.wait_for(lambda _: len(sub.of("NBIRTH")) == 1)
            first = bd_seq(sub.of("NBIRTH")[0])
            assert sub.of("NBIRTH")[0].topic.edge_node_id == "Line-1"
            procs[0].send_signal(signal.SIGKILL)
            await asyncio.to_thread(procs[0].wait)
            await sub.wait_for(lambda _: len(sub.of("NDEATH")) == 1)
            (death,) = sub.of("NDEATH")
            assert death.topic.edge_node_id == "Line-1" and bd_seq(death) == first

            procs.append(subprocess.Popen(argv, cwd=ROOT))
            await sub.wait_for(lambda _: len(sub.of("NBIRTH")) == 2)
            assert bd_seq(sub.of("NBIRTH")[1]) == (int(first) + 1) % 256  # type: ignore[call-overload]
            procs[1].send_signal(signal.SIGTERM)  # a clean stop says its death itself
            assert await asyncio.to_thread(procs[1].wait, 60) == 0
            await sub.wait_for(lambda _: len(sub.of("NDEATH")) == 2)
            assert bd_seq(sub.of("NDEATH")[1]) == bd_seq(sub.of("NBIRTH")[1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        broker.kill()
