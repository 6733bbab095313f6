"""Why a screen's figures rest on doubtful data, in the panel's language.

The station's views say it in English (`doubts`, hmi/station/shift.py: the console shows those);
the panel writes the same reasons from the figures' `data_quality` and `flags` through Qt's
translation. Should the two ever disagree in number (a reason the station has and this module
not yet), the station's words are shown: a reason is never dropped for want of a translation.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

STATE_AND_TOTAL = ("running", "state", "total_count")


def _seconds(x: float) -> str:
    if x < 60:
        return QCoreApplication.translate("doubts", "{n} s").format(n=f"{x:.0f}")
    return QCoreApplication.translate("doubts", "{n} min").format(n=f"{x / 60:.0f}")


def doubt_texts(metrics: dict[str, Any]) -> list[str]:
    """The reasons of `metrics["doubts"]` in the panel's language, in the same order."""
    said: list[str] = metrics.get("doubts") or []
    q = metrics.get("data_quality") or {}
    missing = list(q.get("signals_missing") or [])
    out: list[str] = []
    if q.get("quality_unknown"):
        lacking = QCoreApplication.translate("doubts", " or ").join(
            s for s in missing if s in ("good_count", "reject_count")
        )
        out.append(
            QCoreApplication.translate("doubts", "quality unknown: no good value of {signals}").format(
                signals=lacking
            )
        )
    out.extend(
        QCoreApplication.translate("doubts", "no good value of {signal}").format(signal=s)
        for s in missing
        if s in STATE_AND_TOTAL
    )
    if q.get("counts_while_down", 0) > 0:
        out.append(
            QCoreApplication.translate("doubts", "{n} parts counted while stopped").format(
                n=q["counts_while_down"]
            )
        )
    if q.get("inferred_run_time_s", 0) > 0:
        time = _seconds(float(q["inferred_run_time_s"]))
        out.append(
            QCoreApplication.translate(
                "doubts", "{time} of run time inferred across a communication loss"
            ).format(time=time)
        )
    if q.get("counter_resets", 0) > 0:
        out.append(QCoreApplication.translate("doubts", "counter reset {n}x").format(n=q["counter_resets"]))
    if "performance_over_1" in (metrics.get("flags") or []):
        out.append(QCoreApplication.translate("doubts", "performance over 100 %: check the ideal cycle time"))
    return out if len(out) == len(said) else said
