"""The engine's operator commands: changeovers, planned stops, jobs, reasons and notes on stops,
and Andon calls. Each checks its arguments and the permission table (docs/ANDON.md, "Who may do
what") before it changes anything, so a refused or failed command changed nothing."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any

from core.andon import AndonCall, AndonError
from core.config import ANDON_KINDS, ReasonCategory
from core.engine_segments import EngineSegments
from core.engine_state import STOP, EquipmentState, Job, Segment, stop_reason
from core.events import DowntimeEnded
from core.permissions import Actor, Target, refusal, refusal_at_all
from core.shift_window import faces_from

JOB_ID_MAX = 64  # a planned job id (core.job_plan): shown on a panel button
NOTE_MAX = 200  # characters of one note on a stop: a line on the panel, not a report


class CommandError(Exception):
    """A command that cannot be carried out; the message says why in one line. Nothing changed."""


class Refused(CommandError):
    """The user may not do this (the permission table says so)."""


class EngineCommands(EngineSegments):
    """`command` and its handlers, `_cmd_<name>`. A person's command reaches a live engine only
    through `core.gate`; replay and rebuild call `command` with what the journal holds."""

    def command(self, name: str, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        """Carry out an operator command at `ts` for `actor` (None: nobody logged in).

        Returns what was done. Raises Refused when the permission table says no and CommandError
        when the command cannot apply; in both cases nothing changed.
        """
        handler: Callable[[Mapping[str, Any], float, Actor | None], str] | None = getattr(
            self, f"_cmd_{name}", None
        )
        if handler is None:
            raise CommandError(f"unknown command {name!r}")
        why = refusal_at_all(actor, name)
        if why is not None:
            raise Refused(why)
        if self.now is None:
            self._start(ts)
        ts = max(ts, self.now if self.now is not None else ts)
        # Escalations due by now decide which level a call has; they would happen anyway.
        if self.andon.due_by(ts):
            self.andon.advance(ts)
        return handler(args, ts, actor)

    def _authorize(self, actor: Actor | None, name: str, target: Target | None = None) -> None:
        why = refusal(actor, name, target)
        if why is not None:
            raise Refused(why)

    def _targets(self, args: Mapping[str, Any]) -> list[EquipmentState]:
        if "equipment" in args:
            st = self._eq.get(str(args["equipment"]))
            if st is None:
                raise CommandError(f"unknown equipment {args['equipment']!r}")
            return [st]
        if "line" in args:
            sts = [st for st in self._eq.values() if st.line.id == args["line"]]
            if not sts:
                raise CommandError(f"unknown line {args['line']!r}")
            return sts
        if len(self.config.lines) == 1:
            return list(self._eq.values())
        raise CommandError("name an equipment or a line")

    def _names(self, targets: list[EquipmentState]) -> str:
        return ", ".join(st.cfg.id for st in targets)

    def _cmd_start_changeover(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        targets = self._targets(args)
        self._authorize(actor, "start_changeover")
        self._clock(ts)
        for st in targets:
            st.changeover_command = True
            self._update_cond(st, ts)
        return f"changeover started on {self._names(targets)}"

    def _cmd_end_changeover(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        targets = [st for st in self._targets(args) if st.changeover_command]
        if not targets:
            raise CommandError("no changeover is open there")
        self._authorize(actor, "end_changeover")
        self._clock(ts)
        for st in targets:
            st.changeover_command = False
            self._update_cond(st, ts)
        return f"changeover ended on {self._names(targets)}"

    def _cmd_start_planned_stop(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        reason = str(args.get("reason", ""))
        if reason not in self.config.reasons:
            raise CommandError(f"unknown reason {reason!r}")
        if self.config.reason_category(reason) != ReasonCategory.EXCLUDED:
            raise CommandError(f"reason {reason!r} is not a planned stop (its category is not 'excluded')")
        targets = self._targets(args)
        self._authorize(actor, "start_planned_stop")
        self._clock(ts)
        for st in targets:
            st.declared_stop = reason
            self._update_cond(st, ts)
        return f"planned stop '{reason}' on {self._names(targets)}"

    def _cmd_end_planned_stop(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        targets = [st for st in self._targets(args) if st.declared_stop is not None]
        if not targets:
            raise CommandError("no planned stop is open there")
        self._authorize(actor, "end_planned_stop")
        self._clock(ts)
        for st in targets:
            st.declared_stop = None
            self._update_cond(st, ts)
        return f"planned stop ended on {self._names(targets)}"

    def _cmd_start_job(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        product_id = str(args.get("product", ""))
        product = self.config.product(product_id)
        if product is None:
            raise CommandError(f"unknown product {product_id!r}")
        quantity = args.get("quantity")
        if quantity is not None and (type(quantity) is not int or quantity < 0):
            raise CommandError("quantity must be a whole number of parts")
        job = args.get("job")
        if job is not None and (type(job) is not str or not job or len(job) > JOB_ID_MAX):
            raise CommandError(f"a job id is a text of 1 to {JOB_ID_MAX} characters")
        line = self._targets(args)[0].line
        self._authorize(actor, "start_job")
        self._clock(ts)
        for st in (s for s in self._eq.values() if s.line.id == line.id):
            st.ideal = product.ideal_cycle_time_s
        self.jobs[line.id] = Job(line.id, product.id, quantity, ts, job)
        return f"job {job + ' ' if job else ''}{product.id} started on {line.id}"

    def _cmd_end_job(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        line = self._targets(args)[0].line
        if line.id not in self.jobs:
            raise CommandError(f"no job is running on {line.id}")
        self._authorize(actor, "end_job")
        self._clock(ts)
        del self.jobs[line.id]
        for st in (s for s in self._eq.values() if s.line.id == line.id):
            st.ideal = st.cfg.ideal_cycle_time_s
        return f"job ended on {line.id}"

    def _stop_at(
        self, command: str, args: Mapping[str, Any], ts: float, default_at: float | None = None
    ) -> tuple[EquipmentState, int, float, Segment]:
        """The equipment, segment index, time and down stop that `args` ("equipment", "at") name."""
        targets = self._targets(args)
        if len(targets) != 1:
            raise CommandError(f"{command} needs one equipment")
        st = targets[0]
        try:
            at = float(args["at"] if default_at is None else args.get("at", default_at))
        except (KeyError, TypeError, ValueError):
            raise CommandError("'at' must be a time inside the stop") from None
        i = bisect.bisect_right(st.seg_starts, at) - 1
        seg = st.segments[i] if i >= 0 else None
        if (
            seg is None
            or seg.cond != STOP
            or not seg.is_down_stop(ts)
            or (seg.end is not None and at >= seg.end)
        ):
            raise CommandError(f"no downtime event of {st.cfg.id} covers that time")
        return st, i, at, seg

    def _cmd_set_reason(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        reason = str(args.get("reason", ""))
        if reason not in self.config.reasons:
            raise CommandError(f"unknown reason {reason!r}")
        st, _i, _at, seg = self._stop_at("set_reason", args, ts, default_at=ts)
        self._authorize(actor, "set_reason", Target(reason_given=seg.reason is not None))
        self._clock(ts)
        seg.reason = reason
        return f"reason of the stop at {st.cfg.id} set to '{reason}'"

    def _cmd_split_stop(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        """One down stop becomes two downtime events at `at`, each taking its own reason (a jam
        cleared, then a wait for material). The down time is the same before and after."""
        st, i, at, seg = self._stop_at("split_stop", args, ts)
        end = ts if seg.end is None else seg.end
        if not seg.start < at < end:
            raise CommandError("split a stop strictly inside it, not at its start or end")
        self._authorize(actor, "split_stop", Target(reason_given=seg.reason is not None))
        self._clock(ts)
        # Both parts are down from their first second: a split divides a down stop, it does not
        # turn either part back into a small stop.
        second = Segment(
            at,
            STOP,
            end=seg.end,
            fault_code=seg.fault_code,
            reason=seg.reason,
            down_at=at,
            announced=True,
            continued_by=seg.continued_by,
        )
        was_open = seg.end is None
        seg.end = at
        seg.down_at = min(seg.down_at, seg.start)
        seg.continued_by = None
        st.segments.insert(i + 1, second)
        st.seg_starts.insert(i + 1, at)
        if was_open and self.bus.wants(DowntimeEnded):
            # The first part ended at `at`; the second goes on and ends like any stop.
            fault = seg.fault_code or None
            self.bus.publish(DowntimeEnded(ts, st.cfg.id, seg.start, at, stop_reason(st, seg), fault))
        return f"stop at {st.cfg.id} split at the time given: two downtime events"

    def _cmd_note_stop(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        text = " ".join(str(args.get("text", "")).split())
        if not text:
            raise CommandError("a note needs text")
        if len(text) > NOTE_MAX:
            raise CommandError(f"a note is at most {NOTE_MAX} characters")
        st, _i, _at, seg = self._stop_at("note_stop", args, ts)
        self._authorize(actor, "note_stop")
        self._clock(ts)
        seg.note = text if seg.note is None else f"{seg.note} / {text}"
        return f"note added to the stop at {st.cfg.id}"

    # ---------------------------------------------------------------- Andon

    def _call(self, args: Mapping[str, Any], ts: float) -> AndonCall:
        call_id = args.get("call")
        if call_id is not None and type(call_id) is not int:
            raise CommandError("'call' must be a call number")
        equipment = args.get("equipment")
        if call_id is None and equipment is None:
            raise CommandError("name a call or an equipment")
        if equipment is not None and str(equipment) not in self._eq:
            raise CommandError(f"unknown equipment {equipment!r}")
        try:
            # Closed before what the faces show: history, live as in a replay that never pruned.
            retired = faces_from(self.calendars.values(), ts)
            return self.andon.find(call_id, None if equipment is None else str(equipment), retired)
        except AndonError as exc:
            raise CommandError(str(exc)) from None

    def _call_target(self, call: AndonCall) -> Target:
        return Target(call_kind=call.kind, call_level=call.level)

    def _cmd_raise_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        kind = str(args.get("kind", ""))
        if kind not in ANDON_KINDS:
            raise CommandError(f"unknown Andon kind {kind!r} (one of {', '.join(ANDON_KINDS)})")
        targets = self._targets(args)
        if len(targets) != 1:
            raise CommandError("raise_andon needs one equipment")
        self._authorize(actor, "raise_andon")
        self._clock(ts)
        # Folded like a note on a stop: a call's note is one line on the Andon board and its rows.
        note = " ".join(str(args.get("note", "") or "").split())
        call = self.andon.raise_call(ts, targets[0].cfg.id, kind, actor.name if actor else None, note)
        return f"{kind} call #{call.id} raised at {call.equipment}"

    def _andon_command(
        self,
        name: str,
        args: Mapping[str, Any],
        ts: float,
        actor: Actor | None,
        act: Callable[[AndonCall, str], str],
    ) -> str:
        call = self._call(args, ts)
        self._authorize(actor, name, self._call_target(call))
        assert actor is not None  # only public commands pass without an actor
        self._clock(ts)
        try:
            return act(call, actor.name)
        except AndonError as exc:
            raise CommandError(str(exc)) from None

    def _cmd_ack_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        return self._andon_command(
            "ack_andon", args, ts, actor, lambda c, u: self.andon.acknowledge(ts, c, u)
        )

    def _cmd_resolve_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        return self._andon_command(
            "resolve_andon", args, ts, actor, lambda c, u: self.andon.resolve(ts, c, u)
        )

    def _cmd_take_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        return self._andon_command("take_andon", args, ts, actor, lambda c, u: self.andon.take(ts, c, u))

    def _cmd_note_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        text = " ".join(str(args.get("text", args.get("note", ""))).split())
        return self._andon_command(
            "note_andon", args, ts, actor, lambda c, u: self.andon.note(ts, c, u, text)
        )

    def _cmd_shelve_andon(self, args: Mapping[str, Any], ts: float, actor: Actor | None) -> str:
        try:
            seconds = float(args.get("seconds", 0))
        except (TypeError, ValueError):
            raise CommandError("'seconds' must be a number") from None
        return self._andon_command(
            "shelve_andon", args, ts, actor, lambda c, u: self.andon.shelve(ts, c, u, seconds)
        )
