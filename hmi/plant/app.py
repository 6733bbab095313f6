"""`ms5 plant`: every line on the broker in one table, Enter for a line's machines (docs/SPARKPLUG.md,
"Plant console"). Textual, 80x24 and up, for the supervisor's office and SSH.

The screens render what hmi/plant/model.py holds, which is what the stations published: no figure
is computed here, only formatted (a ratio as a percentage, an age in minutes).
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import RowDoesNotExist

from hmi.plant import model as names
from hmi.plant.host import PlantHost
from hmi.plant.model import Device, Node, PlantModel
from sparkplug.payload import Value

REFRESH_S = 1.0
DASH = "–"

LINE_COLUMNS = ("Line", "State", "OEE", "A  P  Q", "Good/target", "Andon", "Status")
MACHINE_COLUMNS = ("Machine", "State", "Fault", "OEE", "Good", "Andon", "Status")


def percent(value: Value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value * 100:.0f}"


def whole(value: Value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value:.0f}"


def minutes(value: Value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value / 60:.0f}m" if value >= 60 else f"{value:.0f}s"


def andon(count: Value, level: Value, age: Value) -> str:
    """`2 L3 12m`: open calls, the highest level, the oldest's age; blank without a call."""
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        return ""
    return " ".join(p for p in (str(count), f"L{whole(level)}", minutes(age)) if p)


def text(value: Value) -> str:
    return DASH if value is None else str(value)


def oldest_age(node: Node) -> Value:
    """The node publishes its calls' count and level; the oldest call's age is its devices'."""
    ages = [a for d in node.devices.values() if isinstance(a := d.values.get(names.ANDON_AGE), int | float)]
    return max(ages) if ages else None


def line_row(plant: PlantModel, node: Node) -> list[str | Text]:
    v = node.values
    stale = plant.stale(node)
    status = stale or (
        f"rebirth: {node.rebirth_reason}" if node.rebirth_reason else text(v.get(names.SHIFT_NAME))
    )
    oee, a, p, q = (percent(v.get(n)) for n in names.LINE_RATIOS)
    cells: list[str | Text] = [
        text(v.get(names.LINE_ID, node.edge_node_id)),
        text(v.get(names.LINE_CONDITION)),
        oee,
        f"{a:>2} {p:>2} {q:>2}",
        f"{whole(v.get(names.LINE_GOOD))}/{whole(v.get(names.TARGET_SO_FAR))}",
        andon(v.get(names.ANDON_OPEN), v.get(names.ANDON_LEVEL), oldest_age(node)),
        status,
    ]
    if stale:  # the values are the last ones heard: said on the row and dimmed
        dimmed: list[str | Text] = [Text(str(c), style="dim") for c in cells[:-1]]
        return [*dimmed, Text(f"STALE {stale}", style="bold red")]
    return cells


def machine_row(device: Device) -> list[str | Text]:
    v = device.values
    fault = v.get(names.FAULT_CODE)
    cells: list[str | Text] = [
        device.id,
        text(v.get(names.STATE_CONDITION) or v.get(names.STATE_NAME)),
        f"{fault} {text(v.get(names.REASON))}" if fault else "",
        percent(v.get(names.DEVICE_RATIOS[0])),
        whole(v.get(names.DEVICE_GOOD)),
        andon(v.get(names.ANDON_OPEN), v.get(names.ANDON_LEVEL), v.get(names.ANDON_AGE)),
        "",
    ]
    if device.dead:
        dimmed: list[str | Text] = [Text(str(c), style="dim") for c in cells[:-1]]
        return [*dimmed, Text("PLC lost (DDEATH)", style="bold red")]
    return cells


class RowTable(DataTable[str | Text]):
    """A table refreshed by rows: a cell is redrawn only when its text changed, the rows are
    rebuilt only when lines come or go, and the cursor stays on its line."""

    def __init__(self, columns: tuple[str, ...], *, id: str) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.column_ids = self.add_columns(*columns)
        self._shown: dict[str, list[str | Text]] = {}

    def show(self, rows: list[tuple[str, list[str | Text]]]) -> None:
        if [key for key, _ in rows] != list(self._shown):
            self._rebuild(rows)
            return
        for key, cells in rows:
            before = self._shown[key]
            for i, (old, new) in enumerate(zip(before, cells, strict=True)):
                if old != new:
                    self.update_cell(key, self.column_ids[i], new, update_width=True)
            self._shown[key] = cells

    def _rebuild(self, rows: list[tuple[str, list[str | Text]]]) -> None:
        keep = None
        if self.row_count:
            keep = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.clear()
        self._shown = {}
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._shown[key] = cells
        if keep is not None:
            with contextlib.suppress(RowDoesNotExist):  # the row is gone: the cursor stays at the top
                self.move_cursor(row=self.get_row_index(keep))


class LinesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Machines")]

    def __init__(self, plant: PlantModel, host: PlantHost | None) -> None:
        super().__init__()
        self.plant, self.host = plant, host

    def compose(self) -> ComposeResult:
        yield Header()
        yield RowTable(LINE_COLUMNS, id="lines")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.set_interval(REFRESH_S, self.refresh_rows)

    def nodes(self) -> list[Node]:
        return sorted(self.plant.nodes.values(), key=lambda n: n.key)

    def refresh_rows(self) -> None:
        nodes = self.nodes()
        self.query_one(RowTable).show([("/".join(n.key), line_row(self.plant, n)) for n in nodes])
        stale = sum(1 for n in nodes if self.plant.stale(n))
        broker = self.host.status if self.host is not None else "no broker"
        self.query_one("#status", Static).update(
            f"{len(nodes)} lines, {stale} stale, {self.plant.rebirths_asked} rebirths asked · {broker}"
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(str(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self._open(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def _open(self, key: str) -> None:
        group, _, node = key.partition("/")
        if (group, node) in self.plant.nodes:
            self.app.push_screen(MachinesScreen(self.plant, (group, node)))


class MachinesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Lines"),
        Binding("backspace", "app.pop_screen", "Lines", show=False),
    ]

    def __init__(self, plant: PlantModel, key: tuple[str, str]) -> None:
        super().__init__()
        self.plant, self.key = plant, key

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="line")
        yield RowTable(MACHINE_COLUMNS, id="machines")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.set_interval(REFRESH_S, self.refresh_rows)

    def refresh_rows(self) -> None:
        node = self.plant.nodes[self.key]
        stale = self.plant.stale(node)
        title = f"{text(node.values.get(names.LINE_ID, node.edge_node_id))} ({'/'.join(self.key)})"
        self.query_one("#line", Static).update(f"{title}: STALE {stale}" if stale else title)
        devices = sorted(node.devices.values(), key=lambda d: d.id)
        self.query_one(RowTable).show([(d.id, machine_row(d)) for d in devices])


class PlantApp(App[None]):
    TITLE = "MS5 plant"
    CSS = "DataTable { height: 1fr; } #status, #line { height: 1; padding: 0 1; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, plant: PlantModel, host: PlantHost | None = None) -> None:
        super().__init__()
        self.plant, self.host = plant, host

    def on_mount(self) -> None:
        if self.host is not None:
            self.run_worker(self.host.run(), name="broker", exclusive=True)
        self.push_screen(LinesScreen(self.plant, self.host))
