"""The one line `ms5 engine` says when it applies a new config: what changed, by id and by key."""

from __future__ import annotations

from pathlib import Path

from core.config import parse_config
from core.config_changes import config_changes

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "tests" / "data" / "reference.toml").read_text()


def changes(new_text: str) -> list[str]:
    return config_changes(parse_config(REFERENCE, Path("a.toml")), parse_config(new_text, Path("b.toml")))


def test_the_same_config_with_other_comments_changes_nothing() -> None:
    assert changes("# edited on the night shift\n" + REFERENCE.replace("\n\n", "\n\n\n")) == []


def test_equipment_lines_and_sections_are_named() -> None:
    capper = REFERENCE[REFERENCE.index('[[lines.equipment]]\nid = "CAPPER"') :]
    text = REFERENCE.replace(capper, capper.replace('id = "CAPPER"', 'id = "LABELLER"'))
    text = text.replace("ideal_cycle_time_s = 0.5\ncounter_max", "ideal_cycle_time_s = 0.45\ncounter_max")
    assert changes(text) == [
        "equipment added: LABELLER",
        "equipment removed: CAPPER",
        "equipment changed: FILLER",
    ]
    assert changes(REFERENCE.replace('[site]\nname = "', '[site]\nname = "New ')) == ["site changed"]
    assert changes(REFERENCE.replace("small_stop_threshold_s = 120", "small_stop_threshold_s = 90")) == [
        "line L1 changed: small_stop_threshold_s"
    ]
