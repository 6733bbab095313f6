"""Downtime: the shift's stops, those needing a reason first; the reason tree as large buttons.

A reason takes at most three taps after choosing the stop: two levels of the tree, then every
reason below them at once. A stop can be split in two (each part then gets its own reason) and
noted; the engine decides who may do which.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hmi.panel.context import PanelContext
from hmi.panel.model import ViewKey, view_key
from hmi.panel.theme import WARNING, reason_label
from hmi.panel.widgets.common import button, clear_layout, clock_time, duration, label, scrolled_list
from hmi.panel.widgets.dialogs import NoteDialog, SplitDialog
from hmi.station.link import CommandResult

UNASSIGNED = "Unassigned"
SHOWN = 40  # stops listed; a shift with more has bigger problems than scrolling
TREE_TAPS = 3
ROW_PX = 88  # two lines of text on a key


def stop_key(ev: dict[str, Any]) -> tuple[str, float]:
    return str(ev["equipment"]), float(ev["start"])


def choices(reasons: list[str], prefix: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], bool]]:
    """The buttons under `prefix`: (text, path, is a whole reason). At the last tap every reason
    below `prefix` is offered whole, so no reason is more than TREE_TAPS taps away."""
    below = [tuple(r.split("/")) for r in reasons if tuple(r.split("/")[: len(prefix)]) == prefix]
    if len(prefix) >= TREE_TAPS - 1:
        return [("/".join(p[len(prefix) :]) or p[-1], p, True) for p in below]
    out: list[tuple[str, tuple[str, ...], bool]] = []
    seen: set[str] = set()
    for path in below:
        if len(path) == len(prefix):
            continue  # the prefix itself is a reason: offered with its children below
        head = path[len(prefix)]
        if head in seen:
            continue
        seen.add(head)
        node = (*prefix, head)
        has_children = any(len(p) > len(node) and p[: len(node)] == node for p in below)
        if has_children:
            out.append((f"{head} ›", node, False))
        else:
            out.append((head, node, True))
    whole = [p for p in below if p == prefix]
    if whole and prefix:
        general = QCoreApplication.translate("DowntimeScreen", "{reason} (general)")
        out.insert(0, (general.format(reason=prefix[-1]), prefix, True))
    return out


class DowntimeScreen(QWidget):
    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.ctx = ctx
        self.selected: dict[str, Any] | None = None
        self.prefix: tuple[str, ...] = ()
        self.stop_buttons: dict[tuple[str, float], QPushButton] = {}
        self.reason_buttons: dict[str, QPushButton] = {}
        self._listed: list[tuple[Any, ...]] = []
        self._reasons: list[str] = []

        layout = QHBoxLayout(self)
        left, self.stop_list = scrolled_list(self.tr("Stops this shift"))
        layout.addLayout(left, 5)

        right = QVBoxLayout()
        self.heading = label(self.tr("Choose a stop"), "heading", wrap=True)
        right.addWidget(self.heading)
        self.path_label = label("", "caption")
        right.addWidget(self.path_label)
        self.tree = QGridLayout()
        # Two equal columns whatever the reasons' lengths: a long one wraps, it does not push.
        self.tree.setColumnStretch(0, 1)
        self.tree.setColumnStretch(1, 1)
        right.addLayout(self.tree)
        right.addStretch(1)
        actions = QHBoxLayout()
        self.back_button = button(self.tr("‹ Back"), self.back, name="back")
        self.split_button = button(self.tr("Split stop"), self.split, name="split")
        self.note_button = button(self.tr("Note"), self.note, name="note")
        for b in (self.back_button, self.split_button, self.note_button):
            actions.addWidget(b)
        right.addLayout(actions)
        layout.addLayout(right, 6)
        self._show_tree()

    # ------------------------------------------------------------ data

    def views(self, now: float) -> list[ViewKey]:
        return [view_key("downtime")]

    def refresh(self, now: float) -> None:
        self._reasons = sorted(self.ctx.model.config["reasons"])
        stops = self.ctx.model.view("downtime")[:SHOWN]
        rows = [
            (
                *stop_key(ev),
                ev["end"],
                ev["reason"],
                ev["fault_code"],
                ev["open"],
                ev.get("note"),
                int(ev["duration_s"]),
            )
            for ev in stops
        ]
        if rows == self._listed:
            return
        self._listed = rows
        clear_layout(self.stop_list)
        self.stop_buttons = {}
        for ev in stops:
            self.stop_list.addWidget(self._stop_button(ev))
        self.stop_list.addStretch(1)
        if self.selected is not None:
            key = stop_key(self.selected)
            fresh = next((ev for ev in stops if stop_key(ev) == key), None)
            self.selected = fresh
            if fresh is None:
                self.prefix = ()
            self._show_tree()

    def _stop_text(self, ev: dict[str, Any]) -> str:
        tz = self.ctx.tz
        name = self.ctx.names.get(str(ev["equipment"]), str(ev["equipment"]))
        end = self.tr("now") if ev["open"] else clock_time(ev["end"], tz)
        fault = self.tr(" · fault {code}").format(code=ev["fault_code"]) if ev["fault_code"] else ""
        note = f" · “{ev['note']}”" if ev.get("note") else ""
        # Said in words as well as by the frame's colour: what the operator still has to do.
        reason = (
            self.tr("⚠ Needs a reason") if ev["reason"] == UNASSIGNED else reason_label(str(ev["reason"]))
        )
        return (
            f"{name} · {clock_time(ev['start'], tz)}–{end} · {duration(ev['duration_s'])}\n"
            f"{reason}{fault}{note}"
        )

    def _stop_button(self, ev: dict[str, Any]) -> QPushButton:
        key = stop_key(ev)
        b = button(self._stop_text(ev), partial(self.select, ev), checkable=True, object_name="stop")
        b.setAccessibleName(f"stop {key[0]} {key[1]:.0f}")
        b.setMinimumHeight(ROW_PX)
        if ev["reason"] == UNASSIGNED:
            b.setStyleSheet(f"QPushButton {{ border: 3px solid {WARNING}; }}")
        b.setChecked(self.selected is not None and stop_key(self.selected) == key)
        self.stop_buttons[key] = b
        return b

    # ------------------------------------------------------------ taps

    def select(self, ev: dict[str, Any]) -> None:
        self.selected = ev
        self.prefix = ()
        for key, b in self.stop_buttons.items():
            b.setChecked(key == stop_key(ev))
        self._show_tree()

    def back(self) -> None:
        self.prefix = self.prefix[:-1]
        self._show_tree()

    def _show_tree(self) -> None:
        clear_layout(self.tree)
        self.reason_buttons = {}
        ev = self.selected
        has_stop = ev is not None
        for b in (self.split_button, self.note_button):
            b.setEnabled(has_stop)
        self.back_button.setEnabled(bool(self.prefix))
        if ev is None:
            self.heading.setText(self.tr("Choose a stop"))
            self.path_label.setText("")
            return
        self.heading.setText(self._stop_text(ev).replace("\n", " · "))
        self.path_label.setText(" › ".join(self.prefix) if self.prefix else self.tr("Reason:"))
        for i, (text, path, whole) in enumerate(choices(self._reasons, self.prefix)):
            b = button(text, partial(self.tap, path, whole), object_name="reason")
            b.setAccessibleName("/".join(path))
            self.reason_buttons["/".join(path)] = b
            self.tree.addWidget(b, i // 2, i % 2)

    def tap(self, path: tuple[str, ...], whole: bool) -> None:
        if not whole:
            self.prefix = path
            self._show_tree()
            return
        ev = self.selected
        if ev is None:
            return
        reason = "/".join(path)
        self.ctx.act(
            "set_reason",
            {"equipment": ev["equipment"], "at": ev["start"], "reason": reason},
            purpose=self.tr("Reason '{reason}' for this stop").format(reason=reason),
            then=self._done,
        )

    def _done(self, result: CommandResult) -> None:
        if result.ok:
            self.prefix = ()
            self._listed = []  # the list is read again at the next repaint
            self._show_tree()

    def split(self) -> None:
        ev = self.selected
        if ev is None:
            return
        end = float(ev["end"])
        self.split_dialog = SplitDialog(
            float(ev["start"]), end, self.tr("Split this stop where its cause changed"), self
        )
        self.split_dialog.chosen.connect(
            lambda at: self.ctx.act(
                "split_stop",
                {"equipment": ev["equipment"], "at": at},
                purpose=self.tr("Split this stop in two"),
                then=self._done,
            )
        )
        self.split_dialog.open()

    def note(self) -> None:
        ev = self.selected
        if ev is None:
            return
        phrases = self.ctx.model.config["panel"].get("phrases", ())
        self.note_dialog = NoteDialog(self.tr("A note on this stop"), phrases, self)
        self.note_dialog.chosen.connect(
            lambda text: self.ctx.act(
                "note_stop",
                {"equipment": ev["equipment"], "at": ev["start"], "text": text},
                purpose=self.tr("Note on this stop"),
                then=self._done,
            )
        )
        self.note_dialog.open()
