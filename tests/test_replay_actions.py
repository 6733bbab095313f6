"""`ms5 replay --actions`: a shift with operator commands gives its Andon events and the commands
the permission table refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role, UserStore
from core.store import Store

pytestmark = pytest.mark.slow  # runs ms5 as a process

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

EXTRA = """
[andon.policies.maintenance]
auto_raise_after_s = 120
levels = [
  { level = 1, after_s = 0, notify = "line lead" },
  { level = 2, after_s = 300, notify = "supervisor" },
]

[[replay.users]]
name = "olga"
role = "operator"

[[replay.users]]
name = "sam"
role = "supervisor"
"""

JOURNAL = """ts,equipment,signal,value
2026-03-02T06:00:00+01:00,FILLER,running,1
2026-03-02T06:00:00+01:00,FILLER,total_count,0
2026-03-02T06:30:00+01:00,FILLER,running,0
2026-03-02T06:30:00+01:00,FILLER,fault_code,101
2026-03-02T06:45:00+01:00,FILLER,running,1
2026-03-02T06:45:00+01:00,FILLER,fault_code,0
2026-03-02T07:00:00+01:00,FILLER,total_count,5000
"""

ACTIONS = [
    {"ts": "2026-03-02T06:10:00+01:00", "user": None, "command": "raise_andon", "equipment": "CAPPER",
     "kind": "material"},
    {"ts": "2026-03-02T06:12:00+01:00", "user": "olga", "command": "ack_andon", "equipment": "CAPPER"},
    {"ts": "2026-03-02T06:20:00+01:00", "user": "sam", "command": "resolve_andon", "equipment": "CAPPER"},
    # The fault raised a maintenance call at 06:32; it escalated at 06:37; olga may not ack it then.
    {"ts": "2026-03-02T06:38:00+01:00", "user": "olga", "command": "ack_andon", "equipment": "FILLER"},
    {"ts": "2026-03-02T06:39:00+01:00", "user": "sam", "command": "ack_andon", "equipment": "FILLER"},
    {"ts": "2026-03-02T06:50:00+01:00", "user": "olga", "command": "set_reason", "equipment": "FILLER",
     "at": "2026-03-02T06:40:00+01:00", "reason": "Electrical/Drive fault"},
    {"ts": "2026-03-02T06:51:00+01:00", "user": "olga", "command": "set_reason", "equipment": "FILLER",
     "at": "2026-03-02T06:40:00+01:00", "reason": "Mechanical/Jam/Infeed"},
    {"ts": "2026-03-02T06:52:00+01:00", "user": "mallory", "command": "start_changeover",
     "equipment": "FILLER"},
]  # fmt: skip


def run(tmp_path: Path, *extra: str, config_extra: str = EXTRA) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "line.toml"
    cfg.write_text((DATA / "reference.toml").read_text() + config_extra)
    journal = tmp_path / "journal.csv"
    journal.write_text(JOURNAL)
    actions = tmp_path / "actions.jsonl"
    actions.write_text("".join(json.dumps(a) + "\n" for a in ACTIONS))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hmi.cli",
            "replay",
            str(cfg),
            str(journal),
            "--actions",
            str(actions),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_a_shift_with_actions_gives_andon_events_and_rejected_commands(tmp_path: Path) -> None:
    result = run(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    (material,) = out["equipment"]["CAPPER"]["andon_events"]
    assert material | {"escalations": None, "notes": None} == material | {
        "raised_at": "2026-03-02T06:10:00+01:00",
        "kind": "material",
        "source": "operator",
        "acknowledged_at": "2026-03-02T06:12:00+01:00",
        "acknowledged_by": "olga",
        "resolved_at": "2026-03-02T06:20:00+01:00",
        "resolved_by": "sam",
        "max_level": 1,
        "time_to_acknowledge_s": 120.0,
        "time_to_resolve_s": 600.0,
        "escalations": None,
        "notes": None,
    }
    (fault,) = out["equipment"]["FILLER"]["andon_events"]
    assert (fault["raised_at"], fault["kind"], fault["source"]) == (
        "2026-03-02T06:32:00+01:00",
        "maintenance",
        "plc_fault",
    )
    assert [(e["level"], e["at"]) for e in fault["escalations"]] == [
        (1, "2026-03-02T06:32:00+01:00"),
        (2, "2026-03-02T06:37:00+01:00"),
    ]
    assert (fault["acknowledged_by"], fault["acknowledged_at"]) == ("sam", "2026-03-02T06:39:00+01:00")
    # Acknowledged, then the fault cleared at 06:45: the PLC call closed itself.
    assert (fault["state"], fault["resolved_at"], fault["resolved_by"]) == (
        "closed",
        "2026-03-02T06:45:00+01:00",
        None,
    )

    rejected = [(r["line"], r["user"], r["command"]) for r in out["rejected_commands"]]
    assert rejected == [
        (4, "olga", "ack_andon"),
        (7, "olga", "set_reason"),
        (8, "mallory", "start_changeover"),
    ]
    reasons = [r["reason"] for r in out["rejected_commands"]]
    assert "level-1 calls" in reasons[0]
    assert "stops without a reason" in reasons[1]
    assert reasons[2] == "unknown user 'mallory'"
    (event,) = out["equipment"]["FILLER"]["downtime_events"]
    assert (
        event["reason"] == "Electrical/Drive fault"
    )  # olga's first reason stands, her correction was refused


def test_users_may_come_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    with Store.open(db) as store:
        UserStore(store.conn).add("olga", Role.SUPERVISOR, "1470", 0)
    no_users = EXTRA.split("[[replay.users]]")[0]
    result = run(tmp_path, "--json", "--db", str(db), config_extra=no_users)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # olga is a supervisor in this store: her acknowledgement and her correction go through.
    assert [r["user"] for r in out["rejected_commands"]] == ["sam", "sam", "mallory"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "actions.jsonl:1: not valid JSON"),
        ('{"ts": "2026-03-02T06:10:00+01:00", "command": "fly"}', "actions.jsonl:1: unknown command 'fly'"),
        ('{"command": "end_job"}', "actions.jsonl:1: missing ts"),
        ('{"ts": "yesterday", "command": "end_job"}', "actions.jsonl:1: 'yesterday' is not"),
    ],
)
def test_a_bad_action_line_is_named_and_nothing_is_printed(tmp_path: Path, line: str, message: str) -> None:
    cfg = tmp_path / "line.toml"
    cfg.write_text((DATA / "reference.toml").read_text())
    journal = tmp_path / "journal.csv"
    journal.write_text(JOURNAL)
    actions = tmp_path / "actions.jsonl"
    actions.write_text(line + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "hmi.cli", "replay", str(cfg), str(journal), "--actions", str(actions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr
