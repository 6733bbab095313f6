"""The console's status bar says what is wrong with the station, on every screen."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hmi.console.chrome import status_text


def test_a_shift_report_mail_waiting_in_the_outbox_is_in_the_status_bar() -> None:
    waiting = "1 shift report mail(s) not sent, kept in /data/reports/outbox (refused); trying again"
    overview = {"site": "Plant 1", "lines": [], "andon": [], "health": {"reports_error": waiting}}
    text = status_text(overview, ZoneInfo("Europe/Berlin"))
    assert f"REPORTS: {waiting}" in text.plain
    quiet = status_text({**overview, "health": {"reports_error": None}}, ZoneInfo("Europe/Berlin"))
    assert "REPORTS" not in quiet.plain
