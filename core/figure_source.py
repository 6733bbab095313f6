"""What a report reads of its figures' source: the live engine, or the store's projections
(`core.store_figures.StoreFigures`) for windows of closed slices."""

from __future__ import annotations

from typing import Protocol

from core.andon import AndonCall
from core.calendar import ShiftCalendar, ShiftOccurrence
from core.config import Config
from core.engine_figures import DowntimeEvent
from core.metrics import Metrics

__all__ = ["CallBoard", "FigureSource"]


class CallBoard(Protocol):
    @property
    def calls(self) -> list[AndonCall]: ...


class FigureSource(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def calendars(self) -> dict[str, ShiftCalendar]: ...

    @property
    def andon(self) -> CallBoard: ...

    def metrics(self, equipment: str, a: float, b: float) -> Metrics: ...

    def downtime_events(self, equipment: str, a: float, b: float) -> list[DowntimeEvent]: ...

    def shifts(self, line: str, a: float, b: float) -> list[ShiftOccurrence]: ...
