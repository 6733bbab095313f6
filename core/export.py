"""A station's store as a journal CSV and an actions file: what `ms5 replay` reads back.

`ms5 report` is a replay of exactly this, so its figures equal a replay of the export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from core.actions import Action
from core.journal import exact_time_text
from core.samples import Sample
from core.store import CommandRecord, Store
from core.store_archive import archived_up_to


def recorded(store: Store) -> tuple[list[Sample], list[Action]]:
    """The journal the database holds past its archive files (core.store_archive): with them,
    the whole journal once."""
    samples: list[Sample] = []
    actions: list[Action] = []
    for row_id, item in store.journal(archived_up_to(store.conn)):
        if isinstance(item, CommandRecord):
            role = None if item.role is None else str(item.role)
            actions.append(Action(row_id, item.ts, item.user, item.command, dict(item.args), role))
        else:
            samples.append(item)
    return samples, actions


def write_actions(actions: Iterable[Action], out: TextIO) -> int:
    n = 0
    for a in actions:
        obj = {"ts": exact_time_text(a.ts), "user": a.user, "role": a.role, "command": a.command, **a.args}
        out.write(json.dumps(obj, sort_keys=False) + "\n")
        n += 1
    return n
