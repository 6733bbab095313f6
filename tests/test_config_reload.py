"""A running `ms5 engine` and its config file (docs/CONFIG.md, "Changing the config of a running
station"): a change is said, SIGHUP applies a good one in place and refuses a bad one with the
`ms5 check` message; nothing read or acknowledged before is lost. Then the equipment that left the
config: `ms5 report` and `ms5 replay` of the exported journal refuse its history alike."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from core.samples import Sample
from core.store import Store
from hmi.paths import socket_path
from scripts import loopback_line
from tests.cli_runs import ROOT, run_in_process
from tests.ports import free_port

pytestmark = pytest.mark.slow  # real `ms5 sim` and `ms5 engine` processes, PLC servers on 127.0.0.1

LABELLER = """
[[lines.equipment]]
id = "LABELLER"
ideal_cycle_time_s = 0.4
counter_max = 2147483647
signals = [
  {{ signal = "running", connection = "labeller-plc", address = "DB1.DBX0.0", type = "bool" }},
  {{ signal = "total_count", connection = "labeller-plc", address = "DB1.DBD2", type = "int32" }},
]
"""
RETIRED = """
[[lines.equipment]]
id = "LABELLER"
ideal_cycle_time_s = 0.4
counter_max = 2147483647
"""
FILLER_PLC = loopback_line.modbus_connection(
    "filler-plc", "modbus", poll_s=0.1, timeout_s=0.5, reconnect_max_s=0.5
)
LABELLER_PLC = loopback_line.s7_connection(
    "labeller-plc", "s7", poll_s=0.1, timeout_s=0.5, reconnect_max_s=0.5
)


def config_text(*, with_labeller: bool, threshold: float = 1) -> str:
    text = loopback_line.line(
        site="Reload",
        small_stop_threshold_s=threshold,
        filler_plc="filler-plc",
        connections=FILLER_PLC + (LABELLER_PLC if with_labeller else ""),
        second=LABELLER if with_labeller else "",
    )
    return text


class Lines:
    """A process's output lines as they come, waited for with a deadline that only stops a hung test."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._q: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._q.put(line.rstrip("\n"))

    def until(self, prefix: str) -> str:
        deadline = time.monotonic() + 60
        while True:
            try:
                line = self._q.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r}; seen: {self.seen}") from None
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def rest(self) -> list[str]:
        out = []
        while not self._q.empty():
            out.append(self._q.get())
        return out


def ask(sock: Path, request: dict[str, Any]) -> Any:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(sock))
        s.sendall(json.dumps({"id": 1, **request}).encode() + b"\n")
        answer = json.loads(s.makefile(encoding="utf-8").readline())
    assert "error" not in answer, answer
    return answer["result"]


def tag_values(sock: Path) -> dict[tuple[str, str], float]:
    return {
        (t["equipment"], t["signal"]): t["value"]
        for t in ask(sock, {"op": "view", "name": "tags"})
        if t["value"] is not None
    }


def save(path: Path, text: str) -> None:
    """As editors save: the whole new file at once, never a half-written one for the station to see."""
    part = path.with_suffix(".part")
    part.write_text(text)
    os.replace(part, path)


def wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 60  # only stops a hung test
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_sighup_applies_a_good_config_and_refuses_a_bad_one(tmp_path: Path) -> None:
    ports = {"modbus": free_port(), "s7": free_port()}
    served = tmp_path / "sim.toml"
    served.write_text(config_text(with_labeller=True).format(**ports))
    cfg = tmp_path / "line.toml"
    cfg.write_text(config_text(with_labeller=True).format(**ports))
    db = tmp_path / "station.db"
    sock = socket_path(db)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start(*argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "hmi.cli", *argv],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip

    # The labeller stands still before the reload, so what the station showed of it is its last value.
    script = tmp_path / "script.txt"
    script.write_text("2 stop LABELLER for 600\n")
    sim = start("sim", str(served), "--speed", "10", "--script", str(script))
    station: subprocess.Popen[str] | None = None
    try:
        assert sim.stdout is not None
        Lines(sim.stdout).until("seed")
        station = start("engine", str(cfg), "--db", str(db))
        assert station.stdout is not None and station.stderr is not None
        out, err = Lines(station.stdout), Lines(station.stderr)
        out.until("station: 2 connection(s)")
        both = {("FILLER", "total_count"), ("LABELLER", "total_count")}
        wait_for(lambda: both <= tag_values(sock).keys(), "both machines read")
        raised = ask(
            sock,
            {"op": "command", "command": "raise_andon", "args": {"equipment": "FILLER", "kind": "safety"}},
        )
        assert raised

        # A bad config: said when it lands, refused on SIGHUP with what `ms5 check` says.
        save(
            cfg, config_text(with_labeller=True).format(**ports).replace('start = "00:00"', 'start = "25:00"')
        )
        out.until("station: config changed on disk; send SIGHUP to apply")
        check = run_in_process("check", str(cfg))
        assert check.returncode == 2 and check.stderr
        station.send_signal(signal.SIGHUP)
        assert out.until("station: config not applied") == (
            "station: config not applied: the file has the problems above; the running config stays"
        )
        refused = [err.until(f"{cfg.name}:") for _ in check.stderr.splitlines()]
        assert refused == check.stderr.splitlines()
        assert len(ask(sock, {"op": "view", "name": "connections"})) == 2  # the old config runs on

        # A good one without the labeller: applied in place, said in one line.
        wait_for(lambda: tag_values(sock)[("LABELLER", "running")] == 0, "the labeller stopped")
        before = tag_values(sock)
        save(cfg, config_text(with_labeller=False, threshold=2).format(**ports))
        out.until("station: config changed on disk; send SIGHUP to apply")
        station.send_signal(signal.SIGHUP)
        applied = out.until("station: config applied")
        assert applied == (
            "station: config applied: connections removed: labeller-plc; equipment removed: LABELLER; "
            "line L1 changed: small_stop_threshold_s; "
            "their history stays in the store (docs/CONFIG.md, reload)"
        )
        out.until("filler-plc [modbus]: connected")
        assert [c["connection"] for c in ask(sock, {"op": "view", "name": "connections"})] == ["filler-plc"]
        wait_for(
            lambda: tag_values(sock).get(("FILLER", "total_count")) != before[("FILLER", "total_count")],
            "counting on",
        )
        andon = ask(sock, {"op": "view", "name": "andon"})
        assert [(c["equipment"], c["kind"]) for c in andon["active"]] == [("FILLER", "safety")]

        station.send_signal(signal.SIGTERM)
        assert station.wait(timeout=30) == 0
        assert "Traceback" not in "\n".join(err.seen + err.rest())
    finally:
        if station is not None and station.poll() is None:
            station.kill()
        sim.send_signal(signal.SIGTERM)
        sim.communicate(timeout=30)

    # What the station had read of the labeller before the reload is in the journal.
    with Store.open(db) as store:
        last: dict[tuple[str, str], float | None] = {}
        for _id, record in store.journal():
            if isinstance(record, Sample):
                last[record.equipment, record.signal] = record.value
    assert last[("LABELLER", "total_count")] == before[("LABELLER", "total_count")]

    # The labeller has history but left the config: report and replay refuse it alike.
    message = (
        "unknown equipment 'LABELLER': the config does not name it; to report its history, "
        "keep it in the config (with no signals once it is retired)"
    )
    report = run_in_process("report", str(cfg), "--db", str(db))
    assert (report.returncode, report.stdout, report.stderr) == (2, "", f"{db}: {message}\n")
    journal = tmp_path / "journal.csv"
    actions = tmp_path / "actions.jsonl"
    exported = run_in_process(
        "export-journal", "--db", str(db), "-o", str(journal), "--actions", str(actions)
    )
    assert exported.returncode == 0
    replayed = run_in_process("replay", str(cfg), str(journal))
    assert replayed.returncode == 2 and replayed.stdout == ""
    assert replayed.stderr.startswith("journal.csv:") and replayed.stderr.endswith(f": {message}\n")

    # Kept in the config with no signals, as the message says: its history is reported again.
    cfg.write_text(config_text(with_labeller=False).format(**ports) + RETIRED)
    report = run_in_process("report", str(cfg), "--db", str(db), "--json")
    replayed = run_in_process("replay", str(cfg), str(journal), "--actions", str(actions), "--json")
    assert report.returncode == replayed.returncode == 0, report.stderr + replayed.stderr
    assert "LABELLER" in json.loads(report.stdout)["equipment"]
    assert report.stdout == replayed.stdout
