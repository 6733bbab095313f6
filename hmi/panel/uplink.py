"""The plant uplink's health line (Sparkplug, docs/SPARKPLUG.md) in the panel's language.

The station says it in English (`uplink_problem`, the console shows that); the panel words the
same parts (`uplink_status`, hmi/sparkplug/status.py) through Qt's translation. What the broker,
the network or a bug said (`why`, `bug`) is shown as it came, as the store's troubles are.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale

from hmi.panel.widgets.common import count


def _phase(st: dict[str, Any]) -> str:
    phase = st["phase"]
    if phase == "offline":
        return QCoreApplication.translate("uplink", "plant broker offline ({why})").format(why=st["why"])
    if phase == "error":
        return QCoreApplication.translate(
            "uplink", "plant broker offline (stopped by an internal error, tried again in {n} s)"
        ).format(n=f"{st['retry_s']:.0f}")
    if phase == "waiting":
        return QCoreApplication.translate("uplink", "waiting for primary host {host}").format(
            host=st["primary_host"]
        )
    if phase == "sending":
        return QCoreApplication.translate("uplink", "sending buffered values to the plant broker")
    if phase == "connecting":
        return QCoreApplication.translate("uplink", "connecting to the plant broker")
    return QCoreApplication.translate("uplink", "plant broker not yet connected")


def uplink_text(st: dict[str, Any]) -> str:
    """One line, as `problem_line` builds it, in the panel's language."""
    parts = []
    if not st["online"]:
        parts.append(_phase(st))
    if st["bug"] is not None:
        parts.append(
            QCoreApplication.translate("uplink", "internal error (a bug: see the log): {bug}").format(
                bug=st["bug"]
            )
        )
    if st["buffered"]:
        parts.append(
            QCoreApplication.translate("uplink", "{n} messages buffered ({mb} MB)").format(
                n=count(st["buffered"]), mb=QLocale().toString(float(st["buffer_mb"]), "f", 1)
            )
        )
    if st["dropped"]:
        parts.append(
            QCoreApplication.translate("uplink", "{n} dropped (buffer full, max_buffer_mb {max})").format(
                n=count(st["dropped"]), max=f"{st['max_buffer_mb']:g}"
            )
        )
    return QCoreApplication.translate("uplink", "Sparkplug: {problems}").format(problems=", ".join(parts))
