"""Modal prompts: who is acting (user and PIN) and which reason a stop gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Tree
from textual.widgets.tree import TreeNode


class SteadyInput(Input):
    """An input whose cursor does not blink: a blink repaints twice a second, over SSH too."""

    cursor_blink = reactive(False, init=False)


@dataclass(frozen=True)
class Credentials:
    user: str
    pin: str
    extra: str = ""  # the note's text or the shelving minutes, when the command needs one


class PinPrompt(ModalScreen[Credentials | None]):
    """User and PIN for one command; the PIN is never kept, the user name is offered next time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, *, user: str = "", extra_label: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.user = user
        self.extra_label = extra_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.extra_label:
                yield Label(self.extra_label)
                yield SteadyInput(id="extra")
            yield Label("User")
            yield SteadyInput(self.user, id="user")
            yield Label("PIN")
            yield SteadyInput(password=True, id="pin")
            yield Label("Enter: confirm   Esc: cancel", classes="dialog-help")

    def on_mount(self) -> None:
        first = "extra" if self.extra_label else ("pin" if self.user else "user")
        self.query_one(f"#{first}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter moves on to the next empty field (the PIN at the latest); Enter on the PIN sends.
        pin = self.query_one("#pin", Input)
        if event.input is not pin:
            fields = list(self.query(Input))
            later = fields[fields.index(event.input) + 1 :]
            next((f for f in later if not f.value), pin).focus()
            return
        self.dismiss(
            Credentials(
                user=self.query_one("#user", Input).value.strip(),
                pin=pin.value,
                extra=self.query_one("#extra", Input).value if self.extra_label else "",
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonPicker(ModalScreen[str | None]):
    """The config's reason tree ("Mechanical/Jam/Infeed"); Enter on a leaf picks it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, reasons: dict[str, str], *, current: str | None = None) -> None:
        super().__init__()
        self.reasons = reasons
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Reason for the stop", classes="dialog-title")
            tree: Tree[str] = Tree("Reasons", id="reasons")
            tree.show_root = False
            children: dict[str, list[str]] = {}
            for path in self.reasons:
                parts = path.split("/")
                for depth in range(len(parts)):
                    parent = "/".join(parts[:depth])
                    key = "/".join(parts[: depth + 1])
                    if key not in children.setdefault(parent, []):
                        children[parent].append(key)
            self._add_nodes(tree.root, "", children)
            yield tree
            yield Label("Enter: pick   Esc: cancel", classes="dialog-help")

    def _add_nodes(self, node: TreeNode[str], parent: str, children: dict[str, list[str]]) -> None:
        for key in sorted(children.get(parent, [])):
            name = key.rsplit("/", 1)[-1]
            category = self.reasons.get(key)
            label = f"{name}  ({category})" if category else name
            # A node is a reason only when the config names it; the others just group reasons.
            child = node.add(label, data=key if category else None, expand=True)
            child.allow_expand = key in children
            if key in children:
                self._add_nodes(child, key, children)

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.focus()
        if self.current is not None:
            for line in range(tree.last_line + 1):
                node = tree.get_node_at_line(line)
                if node is not None and node.data == self.current:
                    tree.cursor_line = line
                    break

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data is not None:
            self.dismiss(event.node.data)

    def action_cancel(self) -> None:
        self.dismiss(None)
