"""The insights of the report screen's Week and Month views (core/insights.py through the station's
`report_trend` view), each a short line in the panel's language with the figures it rests on and
what it compares.

core words an insight in English for `ms5 trend` and the console; the panel says the same from the
insight's `figures` and the view's `words` (the compared period, the two shifts of a gap): nothing
is worked out here but the wording. A rule this panel does not know is shown in core's words.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hmi.panel.widgets.common import duration


def _num(x: float, digits: int) -> str:
    return QLocale().toString(float(x), "f", digits)


def insight_line(found: dict[str, Any]) -> str:
    """One insight in words, e.g. "Small stops on FILLER in 2026-03-03 Late: 6 against none in
    2026-03-03 Early (0:06:00 against 0:00)"."""
    f, words, rule = found["figures"], found.get("words") or {}, found["rule"]
    if rule == "top_loss":
        change = f["change_pct"]
        against = (
            QCoreApplication.translate("ReportInsights", "new against {compared} ({then})")
            if change is None
            else QCoreApplication.translate("ReportInsights", "up {pct} % on {compared} ({then})").replace(
                "{pct}", _num(change, 0)
            )
        )
        return (
            QCoreApplication.translate(
                "ReportInsights",
                "Top loss in {period}: {reason} on {machine}, {time} in {stops} stops, {against}",
            )
            if f["stops"] != 1
            else QCoreApplication.translate(
                "ReportInsights", "Top loss in {period}: {reason} on {machine}, {time} in 1 stop, {against}"
            )
            .replace("{against}", against)
            .format(
                period=found["period"],
                reason=f["reason"],
                machine=f["equipment"],
                time=duration(f["seconds"]),
                stops=f["stops"],
                compared=words.get("compared_period") or "",
                then=duration(f["compared_seconds"]),
            )
        )
    if rule == "small_stops_up":
        then = f["compared_small_stop_count"]
        text = (
            QCoreApplication.translate(
                "ReportInsights",
                "Small stops on {machine} in {period}: {now} against none in {compared} "
                "({time} against {then_time})",
            )
            if then == 0
            else QCoreApplication.translate(
                "ReportInsights",
                "Small stops on {machine} in {period}: {now} against {then} in {compared} "
                "({time} against {then_time})",
            )
        )
        return text.format(
            machine=f["equipment"],
            period=found["period"],
            now=f["small_stop_count"],
            then=then,
            compared=words.get("compared_period") or "",
            time=duration(f["small_stop_time_s"]),
            then_time=duration(f["compared_small_stop_time_s"]),
        )
    if rule == "shift_gap" and words:
        return QCoreApplication.translate(
            "ReportInsights",
            "{low} shift availability {gap} points or more below {high} shift on {machine} "
            "for {n} periods ({first} to {last})",
        ).format(
            low=words["low"],
            high=words["high"],
            gap=_num(words["min_gap_points"], 1),
            machine=f["equipment"],
            n=words["periods"],
            first=words["first_period"],
            last=words["last_period"],
        )
    if rule == "performance_over_1" and words:
        return QCoreApplication.translate(
            "ReportInsights",
            "Performance over 1 on {machine} in {hits} of {n} periods (highest {highest} in {period}): "
            "check its ideal cycle time",
        ).format(
            machine=f["equipment"],
            hits=words["hits"],
            n=words["periods"],
            highest=_num(words["highest"], 3),
            period=words["highest_period"],
        )
    return str(found["text"])


class InsightList(QWidget):
    """The insights as short lines under a heading; "none" when no rule's threshold was reached."""

    MAX = 4  # the first ones in core.insights' order (top loss first): a panel is no report

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportInsights")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        self.heading = QLabel(QCoreApplication.translate("ReportInsights", "Insights"))
        self.heading.setObjectName("caption")
        v.addWidget(self.heading)
        self.lines: list[QLabel] = []
        for _ in range(self.MAX):
            label = QLabel("")
            label.setWordWrap(True)
            label.setAccessibleName("insight")
            label.setStyleSheet("font-size: 16px;")
            label.hide()
            v.addWidget(label)
            self.lines.append(label)

    def show_insights(self, found: list[dict[str, Any]] | None) -> None:
        """The insights, or None: the view had no history (nothing said then, not even "none")."""
        self.setVisible(found is not None)
        texts = [insight_line(i) for i in (found or [])[: self.MAX]]
        if found is not None and not texts:
            texts = [QCoreApplication.translate("ReportInsights", "None: no rule's threshold was reached")]
        for i, label in enumerate(self.lines):
            label.setText(f"• {texts[i]}" if i < len(texts) else "")
            label.setVisible(i < len(texts))
