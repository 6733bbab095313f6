"""A bound reject counter that never had a good value: quality and OEE are unknown (docs/OEE.md,
"Data quality"), and the panel, the shift report's PDF and CSV and the socket's views show them as
a dash with the reason, never as 100 % and never by crashing.

The demo shift without FILLER's reject counter (the line's constraint): as if its address had
been refused, it is BAD from the start.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from core.config import Config
from core.journal import read_journal
from core.samples import Quality, Sample
from hmi.panel.screens.machine import MachineScreen
from hmi.panel.screens.report import ReportScreen
from hmi.panel.window import PanelWindow
from hmi.report.export import write_pdf
from hmi.report.export_csv import write_csv
from hmi.report.view import shift_report
from hmi.socket.protocol import encode, result
from hmi.station.link import compute_view
from hmi.station.runtime import Station
from tests.panel.conftest import DEMO_JOURNAL, NOW

pytestmark = pytest.mark.slow  # the panel under Qt

# FILLER binds good_count too, which the demo journal never records: neither gives its rejects.
REASON = "quality unknown: no good value of good_count or reject_count"


@pytest.fixture
def demo_samples(panel_config: Config) -> list[Sample]:
    samples = [
        s
        for s in read_journal(DEMO_JOURNAL, panel_config)
        if s.ts <= NOW and not (s.equipment == "FILLER" and s.signal == "reject_count")
    ]
    return [Sample(samples[0].ts, "FILLER", "reject_count", None, Quality.BAD), *samples]


def test_the_machine_screen_shows_unknown_quality_and_oee_as_a_dash_with_the_reason(
    qtbot: QtBot, window: PanelWindow
) -> None:
    window.open_machine("FILLER")
    screen = window.screens["machine"]
    assert isinstance(screen, MachineScreen)
    m = window.model.view("machine", equipment="FILLER")["metrics"]
    assert (m["quality"], m["oee"]) == (None, None)
    assert m["availability"] is not None and m["performance"] is not None
    assert screen.oee.value.text() == "– !"
    assert screen.oee.note.text().endswith("Q –")
    assert screen.doubts.text().startswith(f"! {REASON}")
    assert screen.doubts.isVisible()


def test_the_report_screen_and_its_exports_show_unknown_quality_as_a_dash(
    qtbot: QtBot, window: PanelWindow, station: Station, tmp_path: Path
) -> None:
    window.show_screen("report")
    screen = window.screens["report"]
    assert isinstance(screen, ReportScreen)
    # The panel's dash, as on every screen.
    assert (screen.kpi["oee"].text(), screen.kpi["quality"].text()) == ("– !", "–")
    assert screen.doubts_label.text().startswith(f"! {REASON}")

    report = shift_report(station, NOW)
    with write_csv(report, tmp_path / "r.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[rows.index(["# L1 metrics"]) + 1]
    values = dict(zip(header, rows[rows.index(["# L1 metrics"]) + 2], strict=True))
    assert (values["quality"], values["oee"], values["teep"]) == ("", "", "")
    header = rows[rows.index(["# L1 data quality"]) + 1]
    quality = dict(zip(header, rows[rows.index(["# L1 data quality"]) + 2], strict=True))
    assert quality["quality_unknown"] == "True"
    assert quality["doubts"].startswith(REASON)

    pdf = write_pdf(report, tmp_path / "r.pdf")
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages)
    assert f"! Doubtful data: {REASON}" in text


def test_the_socket_sends_unknown_quality_as_null(station: Station) -> None:
    for name, args in (("overview", {}), ("machine", {"equipment": "FILLER"}), ("oee", {}), ("report", {})):
        line = encode(result(1, compute_view(station, name, args)))
        assert b"NaN" not in line
        json.loads(line)
    (filler,) = [r for r in compute_view(station, "oee", {}) if r["equipment"] == "FILLER"]
    assert (filler["metrics"]["quality"], filler["metrics"]["oee"]) == (None, None)
