"""Jobs and changeovers: start a planned job (the schedule `ms5 jobs import` planned) with one
tap, or a job from the product list with a target quantity; start and end a changeover; the
running job's progress and estimated end."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from hmi.panel.context import PanelContext
from hmi.panel.model import OVERVIEW, ViewKey, view_key
from hmi.panel.widgets.common import button, clock_time, count, duration, label, pct
from hmi.panel.widgets.pinpad import Keypad

QUANTITY_DIGITS = 7
PLANNED_SHOWN = 4  # the next planned jobs, in order: the rest come up as these are done


class JobsScreen(QWidget):
    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.ctx = ctx
        config = ctx.model.config
        self.line_id = str(config["lines"][0]["id"])
        self.product: str | None = None
        self.product_buttons: dict[str, QPushButton] = {}
        self.planned_buttons: list[QPushButton] = []
        self._planned: list[dict[str, Any]] = []
        layout = QHBoxLayout(self)
        layout.addLayout(self._build_running(), 1)
        layout.addLayout(self._build_new_job(config["products"]), 1)
        self.keypad.set_text("")
        self._update_start()

    def _build_running(self) -> QVBoxLayout:
        """The running job with its progress, the planned jobs, and the changeover."""
        left = QVBoxLayout()
        left.addWidget(label(self.tr("Running job"), "heading"))
        self.job = label("", "figureSmall", wrap=True)
        left.addWidget(self.job)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        left.addWidget(self.progress)
        self.eta = label("", "heading")
        left.addWidget(self.eta)
        self.end_job_button = button(self.tr("End job"), self.end_job, name="end_job")
        left.addWidget(self.end_job_button)
        left.addSpacing(12)
        # The plan in the left column: the right one's keypad already takes the panel's height.
        left.addWidget(label(self.tr("Planned jobs"), "heading"))
        self.no_plan = label(self.tr("No job planned"), "caption")
        left.addWidget(self.no_plan)
        for i in range(PLANNED_SHOWN):
            b = button("", partial(self.start_planned, i), name=f"planned {i}")
            b.hide()
            self.planned_buttons.append(b)
            left.addWidget(b)
        left.addSpacing(12)
        left.addWidget(label(self.tr("Changeover"), "heading"))
        self.changeover = label("", "heading", wrap=True)
        left.addWidget(self.changeover)
        row = QHBoxLayout()
        self.start_changeover_button = button(
            self.tr("Start changeover"), self.start_changeover, name="start_changeover"
        )
        self.end_changeover_button = button(
            self.tr("End changeover"), self.end_changeover, name="end_changeover"
        )
        row.addWidget(self.start_changeover_button)
        row.addWidget(self.end_changeover_button)
        left.addLayout(row)
        left.addStretch(1)
        return left

    def _build_new_job(self, products: list[dict[str, Any]]) -> QVBoxLayout:
        """A new job: the product buttons, the target quantity's keys, Start job."""
        right = QVBoxLayout()
        right.addWidget(label(self.tr("New job: product"), "heading"))
        grid = QGridLayout()
        for i, p in enumerate(products):
            b = button(
                str(p["name"]),
                partial(self.choose, str(p["id"])),
                checkable=True,
                name=f"product {p['id']}",
            )
            b.setMinimumHeight(64)
            self.product_buttons[str(p["id"])] = b
            grid.addWidget(b, i // 3, i % 3)
        right.addLayout(grid)
        right.addWidget(label(self.tr("Target quantity (empty: none)"), "caption"))
        self.quantity = label("", "figureSmall")
        right.addWidget(self.quantity)
        self.keypad = Keypad(max_len=QUANTITY_DIGITS)
        self.keypad.changed.connect(lambda text: self.quantity.setText(count(int(text)) if text else "–"))
        right.addWidget(self.keypad)
        self.start_job_button = button(self.tr("Start job"), self.start_job, name="start_job")
        self.start_job_button.setMinimumHeight(72)
        right.addWidget(self.start_job_button)
        return right

    def choose(self, product: str) -> None:
        self.product = product
        for pid, b in self.product_buttons.items():
            b.setChecked(pid == product)
        self._update_start()

    def _update_start(self) -> None:
        self.start_job_button.setEnabled(self.product is not None)

    def views(self, now: float) -> list[ViewKey]:
        return [OVERVIEW, view_key("planned_jobs", line=self.line_id)]

    def _show_plan(self) -> None:
        self._planned = list(self.ctx.model.view("planned_jobs", line=self.line_id))
        shown = self._planned[:PLANNED_SHOWN]
        self.no_plan.setVisible(not shown)
        for i, b in enumerate(self.planned_buttons):
            if i >= len(shown):
                b.hide()
                continue
            j = shown[i]
            times = (
                f"{clock_time(j['planned_start'], self.ctx.tz)}–{clock_time(j['planned_end'], self.ctx.tz)}"
            )
            text = f"{j['job']} · {j['product']} · {count(j['quantity'])} · {times}"
            b.setText(self.tr("{job} (running)").format(job=text) if j["running"] else text)
            b.setEnabled(not j["running"])
            b.show()

    def start_planned(self, index: int) -> None:
        """One tap: the planned job's product, quantity and id go to the station as start_job."""
        if index >= len(self._planned):
            return
        j = self._planned[index]
        args = {"line": self.line_id, "product": j["product"], "quantity": j["quantity"], "job": j["job"]}
        self.ctx.act("start_job", args, purpose=self.tr("Start job {product}").format(product=j["job"]))

    def refresh(self, now: float) -> None:
        data = self.ctx.model.view("overview")
        line = next((ln for ln in data["lines"] if ln["id"] == self.line_id), None)
        if line is None:
            return
        self._show_job(line["job"], now)
        self._show_plan()
        open_at = [eq for eq in line["equipment"] if eq["changeover_open"]]
        if open_at:
            in_changeover = [float(eq["since"]) for eq in open_at if eq["state"] == "changeover"]
            since = min(in_changeover) if in_changeover else None
            names = ", ".join(str(eq["name"]) for eq in open_at)
            self.changeover.setText(
                self.tr("Open on {machines}").format(machines=names)
                + (self.tr(" for {time}").format(time=duration(now - since)) if since else "")
            )
        else:
            self.changeover.setText(self.tr("No changeover open"))

    def _show_job(self, job: dict[str, Any] | None, now: float) -> None:
        if job is None:
            self.job.setText(self.tr("No job"))
            self.progress.hide()
            self.eta.setText("")
            self.end_job_button.setEnabled(False)
            return
        self.end_job_button.setEnabled(True)
        target = f" / {count(job['quantity'])}" if job["quantity"] is not None else ""
        planned = f"{job['job']} · " if job.get("job") else ""  # the planned job's id, as on its button
        self.job.setText(
            planned
            + self.tr("{product}: {good}{target} good").format(
                product=job["product"], good=count(job["good_count"]), target=target
            )
        )
        if job["progress"] is None:
            self.progress.hide()
        else:
            self.progress.show()
            self.progress.setValue(int(min(float(job["progress"]), 1.0) * 1000))
            self.progress.setFormat(pct(job["progress"]))
        end = job["estimated_end"]
        started = self.tr("started {time}").format(time=clock_time(job["started"], self.ctx.tz))
        eta = self.tr("{started} · estimated end {time}")
        self.eta.setText(eta.format(started=started, time=clock_time(end, self.ctx.tz)) if end else started)

    def start_job(self) -> None:
        if self.product is None:
            return
        args: dict[str, Any] = {"line": self.line_id, "product": self.product}
        if self.keypad.text:
            args["quantity"] = int(self.keypad.text)
        self.ctx.act(
            "start_job",
            args,
            purpose=self.tr("Start job {product}").format(product=self.product),
            then=self._started,
        )

    def _started(self, result: Any) -> None:
        if result.ok:
            self.keypad.set_text("")
            self.choose_none()

    def choose_none(self) -> None:
        self.product = None
        for b in self.product_buttons.values():
            b.setChecked(False)
        self._update_start()

    def end_job(self) -> None:
        self.ctx.act("end_job", {"line": self.line_id}, purpose=self.tr("End the job"))

    def start_changeover(self) -> None:
        self.ctx.act("start_changeover", {"line": self.line_id}, purpose=self.tr("Start a changeover"))

    def end_changeover(self) -> None:
        self.ctx.act("end_changeover", {"line": self.line_id}, purpose=self.tr("End the changeover"))
