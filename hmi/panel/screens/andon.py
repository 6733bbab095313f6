"""The Andon board: active calls with kind, machine, level, age and owner; raise by kind; take,
acknowledge, resolve, note and shelve with a PIN (the PIN pad asks every time: the person who
acknowledges is the person at the panel, not whoever logged in earlier)."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hmi.panel.context import PanelContext
from hmi.panel.model import OVERVIEW, ViewKey
from hmi.panel.theme import andon_colour, kind_label, text_on
from hmi.panel.widgets.banner import call_state
from hmi.panel.widgets.common import button, clear_layout, clock_time, duration, label, scrolled_list
from hmi.panel.widgets.dialogs import NoteDialog, ShelveDialog
from hmi.panel.widgets.raise_panel import RaisePanel


class AndonScreen(QWidget):
    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.ctx = ctx
        self.selected: int | None = None
        self.call_buttons: dict[int, QPushButton] = {}
        self._listed: list[str] = []
        self._calls: dict[int, dict[str, Any]] = {}

        layout = QVBoxLayout(self)
        body = QHBoxLayout()
        left, self.call_list = scrolled_list(self.tr("Active calls"))
        # The true count: the station sends at most a hundred calls (hmi/station/andon_list.py).
        self.count = label("", "caption")
        left.insertWidget(1, self.count)
        self.more: QLabel | None = None
        body.addLayout(left, 3)

        right = QVBoxLayout()
        self.detail = label(self.tr("Choose a call"), "heading", wrap=True)
        right.addWidget(self.detail)
        self.history = label("", "caption", wrap=True)
        right.addWidget(self.history, 1)
        self.action_buttons: dict[str, QPushButton] = {}
        for text, command in (
            (self.tr("Take"), "take_andon"),
            (self.tr("Acknowledge"), "ack_andon"),
            (self.tr("Resolve"), "resolve_andon"),
            (self.tr("Note"), "note_andon"),
            (self.tr("Shelve"), "shelve_andon"),
        ):
            b = button(text, partial(self.action, command), name=command)
            b.setMinimumHeight(64)
            self.action_buttons[command] = b
            right.addWidget(b)
        body.addLayout(right, 2)
        layout.addLayout(body, 1)

        machines = list(ctx.names.items())
        kinds = list(ctx.model.config["andon_kinds"])
        self.raise_panel = RaisePanel(machines, kinds)
        self.raise_panel.raise_requested.connect(self.raise_call)
        layout.addWidget(self.raise_panel)
        self._show_detail(0.0)

    def views(self, now: float) -> list[ViewKey]:
        return [OVERVIEW]

    def refresh(self, now: float) -> None:
        overview = self.ctx.model.view("overview")
        calls = overview["andon"]
        counts = overview["andon_open"]
        total = max(int(counts["total"]), len(calls))
        self.count.setText(
            self.tr("{n} open, {unack} not acknowledged").format(n=total, unack=counts["unacknowledged"])
            if total
            else ""
        )
        self._calls = {int(c["id"]): c for c in calls}
        texts = [self._call_text(c, now) for c in calls]
        if total > len(calls):
            texts.append(str(total - len(calls)))  # the "+N more" line changes the list too
        if texts != self._listed:
            self._listed = texts
            clear_layout(self.call_list)
            self.call_buttons = {}
            for call, text in zip(calls, texts[: len(calls)], strict=True):
                colour = andon_colour(str(call["kind"]))
                b = button(text, partial(self.select, int(call["id"])), checkable=True, object_name="call")
                b.setAccessibleName(f"call {call['id']}")
                b.setMinimumHeight(88)  # two lines of text on a key
                b.setStyleSheet(
                    f"QPushButton {{ border-left: 18px solid {colour}; }}"
                    f" QPushButton:checked {{ background: {colour}; color: {text_on(colour)}; }}"
                )
                b.setChecked(int(call["id"]) == self.selected)
                self.call_buttons[int(call["id"])] = b
                self.call_list.addWidget(b)
            self.more = None
            if total > len(calls):
                self.more = label(
                    self.tr("+{n} more, older or answered: the counts above are all of them").format(
                        n=total - len(calls)
                    ),
                    "caption",
                    wrap=True,
                )
                self.call_list.addWidget(self.more)
            self.call_list.addStretch(1)
        if self.selected is not None and self.selected not in self._calls:
            self.selected = None
        self._show_detail(now)

    def _call_text(self, call: dict[str, Any], now: float) -> str:
        name = self.ctx.names.get(str(call["equipment"]), str(call["equipment"]))
        state = call_state(call)
        if call.get("shelved_until") is not None and call["shelved_until"] > now:
            state = self.tr("shelved until {time}").format(
                time=clock_time(call["shelved_until"], self.ctx.tz)
            )
        owner = self.tr(" · taken by {user}").format(user=call["owner"]) if call.get("owner") else ""
        level = self.tr("level {level}").format(level=call["max_level"])
        return (
            f"#{call['id']} {kind_label(str(call['kind'])).upper()} · {name} · {level}\n"
            f"{duration(now - float(call['raised_at']))} · {state}{owner}"
        )

    def select(self, call_id: int) -> None:
        self.selected = call_id
        for i, b in self.call_buttons.items():
            b.setChecked(i == call_id)
        self._show_detail(self.ctx.model.view("overview")["now"])

    def _show_detail(self, now: float) -> None:
        call = self._calls.get(self.selected) if self.selected is not None else None
        for b in self.action_buttons.values():
            b.setEnabled(call is not None)
        if call is None:
            self.detail.setText(self.tr("Choose a call"))
            self.history.setText("")
            return
        tz = self.ctx.tz
        self.detail.setText(self._call_text(call, now).replace("\n", " · "))
        by = call["raised_by"] or self.tr("the line")
        lines = [self.tr("{time} raised by {user}").format(time=clock_time(call["raised_at"], tz), user=by)]
        lines += [
            self.tr("{time} level {level}: {notify}").format(
                time=clock_time(e["at"], tz), level=e["level"], notify=e["notify"]
            )
            for e in call["escalations"]
        ]
        if call["acknowledged_by"]:
            lines.append(
                self.tr("{time} acknowledged by {user}").format(
                    time=clock_time(call["acknowledged_at"], tz), user=call["acknowledged_by"]
                )
            )
        lines += [f"{clock_time(n['at'], tz)} {n['user'] or ''}: {n['text']}" for n in call["notes"]]
        self.history.setText("\n".join(lines))

    def raise_call(self, equipment: str, kind: str) -> None:
        self.ctx.act(
            "raise_andon",
            {"equipment": equipment, "kind": kind},
            purpose=self.tr("Raise a call: {kind}").format(kind=kind_label(kind)),
        )

    def action(self, command: str) -> None:
        call_id = self.selected
        if call_id is None:
            return
        purpose = {
            "take_andon": self.tr("Take call #{call}: your PIN"),
            "ack_andon": self.tr("Acknowledge call #{call}: your PIN"),
            "resolve_andon": self.tr("Resolve call #{call}: your PIN"),
            "note_andon": self.tr("Note on call #{call}: your PIN"),
            "shelve_andon": self.tr("Shelve call #{call}: your PIN"),
        }[command].format(call=call_id)
        if command == "note_andon":
            self.note_dialog = NoteDialog(
                self.tr("Note on call #{call}").format(call=call_id),
                self.ctx.model.config["panel"].get("phrases", ()),
                self,
            )
            self.note_dialog.chosen.connect(
                lambda text: self.ctx.act(
                    command, {"call": call_id, "text": text}, purpose=purpose, ask_pin=True
                )
            )
            self.note_dialog.open()
        elif command == "shelve_andon":
            self.shelve_dialog = ShelveDialog(self.tr("Shelve call #{call} for").format(call=call_id), self)
            self.shelve_dialog.chosen.connect(
                lambda seconds: self.ctx.act(
                    command, {"call": call_id, "seconds": seconds}, purpose=purpose, ask_pin=True
                )
            )
            self.shelve_dialog.open()
        else:
            self.ctx.act(command, {"call": call_id}, purpose=purpose, ask_pin=True)
