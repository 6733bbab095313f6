"""Andon: open and recent calls; take, acknowledge, resolve, note or shelve one after a PIN."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from hmi.console.format import DASH, clock, fit
from hmi.console.live_table import Cell, Col, LiveTable
from hmi.console.prompts import Credentials, PinPrompt
from hmi.console.table import Row, TableScreen, one_line
from hmi.console.text_line import TextLine

STATE_TEXT = {
    "active-unacknowledged": ("UNACK", "bold reverse red"),
    "active-acknowledged": ("ACK", "yellow"),
    "returned-to-normal-unacknowledged": ("RTN UNACK", "bold red"),
    "closed": ("closed", "dim"),
}

ACTIVE_COLUMNS = (
    Col("id", "#", 3),
    Col("equipment", "Machine", 9),
    Col("kind", "Kind", 11),
    Col("state", "State", 9),
    Col("level", "Lvl", 3),
    Col("raised", "Raised", 8),
    Col("owner", "Owner", 9),
    Col("ack", "Ack by", 9),
)
RECENT_COLUMNS = (
    Col("id", "#", 3),
    Col("equipment", "Machine", 9),
    Col("kind", "Kind", 11),
    Col("raised", "Raised", 8),
    Col("resolved", "Closed", 8),
    Col("by", "By", 9),
    Col("owner", "Owner", 9),
)

# action -> (engine command, prompt title, extra field)
ACTIONS: dict[str, tuple[str, str, str | None]] = {
    "take": ("take_andon", "Take call #{id}", None),
    "ack": ("ack_andon", "Acknowledge call #{id}", None),
    "resolve": ("resolve_andon", "Resolve call #{id}", None),
    "note": ("note_andon", "Note on call #{id}", "Note"),
    "shelve": ("shelve_andon", "Shelve call #{id}", "Minutes"),
}


def open_heading(counts: dict[str, Any], listed: int) -> str:
    """The list's heading: the true count when the station sent only the most urgent calls
    (at most a hundred, hmi/station/andon_list.py)."""
    total = max(int(counts.get("total", listed)), listed)
    if total <= listed:
        return "Open calls"
    unack = counts.get("unacknowledged", 0)
    return f"Open calls: {total} ({unack} unack), {listed} listed, +{total - listed} more"


class AndonScreen(TableScreen):
    MODE = "andon"
    TABLE = "active"
    COLUMNS = ACTIVE_COLUMNS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "call('take')", "Take"),
        Binding("a", "call('ack')", "Ack"),
        Binding("r", "call('resolve')", "Resolve"),
        Binding("n", "call('note')", "Note"),
        Binding("s", "call('shelve')", "Shelve"),
    ]

    def above(self) -> ComposeResult:
        yield Label("Open calls", id="open-calls", classes="section")

    def below(self) -> ComposeResult:
        yield TextLine(id="call-detail", classes="detail")
        yield Label("Recent calls", classes="section")
        yield LiveTable(RECENT_COLUMNS, id="recent")

    async def refresh_data(self) -> None:
        view = await self.link.view("andon")
        self.show_rows(view["active"])
        self.query_one("#open-calls", Label).update(open_heading(view["open"], len(view["active"])))
        recent = self.query_one("#recent", LiveTable)
        recent.sync([(str(c["id"]), self._recent_cells(c)) for c in view["recent"]])

    def row_key(self, row: Row) -> str:
        return str(row["id"])

    def cells(self, row: Row) -> list[Cell]:
        return [
            str(row["id"]),
            fit(row["equipment"], 9),
            fit(row["kind"], 11),
            self._state(row),
            str(row["max_level"]),
            clock(row["raised_at"], self.tz),
            fit(row["owner"] or DASH, 9),
            fit(row["acknowledged_by"] or DASH, 9),
        ]

    def _state(self, c: Row) -> Text:
        shelved = c["shelved_until"] is not None and c["shelved_until"] > self.host.now
        if shelved:
            return Text("shelved", style="dim")
        label, style = STATE_TEXT.get(c["state"], (c["state"], ""))
        return Text(label, style=style)

    def _recent_cells(self, c: Row) -> list[Cell]:
        return [
            str(c["id"]),
            fit(c["equipment"], 9),
            fit(c["kind"], 11),
            clock(c["raised_at"], self.tz),
            clock(c["resolved_at"], self.tz),
            fit(c["resolved_by"] or "condition", 9),
            fit(c["owner"] or DASH, 9),
        ]

    def show_detail(self) -> None:
        c = self.selected
        if c is None:
            text = "no open calls" if not self.rows else ""
        else:
            who = c["raised_by"] or c["source"].replace("_", " ")
            text = f"#{c['id']} {c['kind']} at {c['equipment']}, raised by {who}"
            if c["notes"]:
                last = c["notes"][-1]
                text += f"; note ({last['user'] or DASH}): {last['text']}"
        self.set_line("#call-detail", one_line(text))

    def action_call(self, action: str) -> None:
        call = self.selected
        if call is None:
            self.notify("select an open call first", severity="warning")
            return
        command, title, extra = ACTIONS[action]
        call_id = int(call["id"])

        async def send(creds: Credentials | None) -> None:
            if creds is None:
                return
            args: dict[str, Any] = {"call": call_id}
            if command == "note_andon":
                args["text"] = creds.extra
            elif command == "shelve_andon":
                try:
                    args["seconds"] = float(creds.extra) * 60
                except ValueError:
                    self.notify(f"shelve: {creds.extra!r} is not a number of minutes", severity="error")
                    return
            await self.host.send_command(command, args, creds)

        prompt = PinPrompt(title.format(id=call_id), user=self.host.last_user, extra_label=extra)
        self.app.push_screen(prompt, send)
