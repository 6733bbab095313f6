"""The panel in German: every screen, the PIN pad, the dialogs, the lock and the banner show no
English word of the panel's own, and figures, times and dates are written the German way.

The walk opens the same things on the same shift in English and in German and reads every visible
label, button and table header. A German text that is also an English one fails unless what is
left of it, once the plant's own words (machine, product, user and reason names from the config)
and numbers are taken out, is on the short allow-list below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from core.config import Config, parse_config
from core.samples import Sample
from hmi.panel import language
from hmi.panel.widgets import common
from hmi.panel.window import PanelWindow
from hmi.station.runtime import Station
from tests.panel.conftest import NOW, USERS, Clock, attach, panel_config_text
from tests.panel.helpers import named, tap

pytestmark = pytest.mark.slow

# Words that are the same in English and German: a method's name, a kind of call, "OK".
ALLOWED = {"OEE", "Andon", "PIN", "OK", "Material"}
# The message line shows the station's answers to commands: they come from core, which the console
# shares, and stay English (docs/PANEL.md, "Languages").
STATION_WORDS = {"message"}


def german_config() -> Config:
    text = panel_config_text().replace("[panel]\n", '[panel]\nlanguage = "de"\n', 1)
    return parse_config(text, Path("panel-line-de.toml"))


def make_station(path: Path, config: Config, clock: Clock, samples: list[Sample]) -> Station:
    clock.now = samples[0].ts
    st = Station(config, path, clock=clock)
    st.open()
    assert st.gate is not None
    for name, (role, pin) in USERS.items():
        st.gate.users.add(name, role, pin, clock.now)
    st.ingest(samples)
    clock.now = NOW
    st.tick()
    return st


def shown_texts(root: QWidget) -> set[str]:
    """Every visible label, button and table header text under `root` (its dialogs included)."""
    QApplication.processEvents()
    out: set[str] = set()
    for w in root.findChildren(QLabel) + root.findChildren(QPushButton):
        if not w.isVisible() or w.objectName() in STATION_WORDS:
            continue
        out.add(w.text())
    for table in root.findChildren(QTableWidget):
        if table.isVisible():
            for col in range(table.columnCount()):
                item = table.horizontalHeaderItem(col)
                if item is not None:
                    out.add(item.text())
    return {t for t in out if t.strip()}


def close_dialogs(root: QWidget) -> None:
    for d in root.findChildren(QDialog):
        if d.isVisible():
            d.reject()
    QApplication.processEvents()


def walk(qtbot: QtBot, window: PanelWindow) -> set[str]:
    """Open every screen, a stop's reasons, the call board's dialogs, the PIN pad and the lock."""
    window.session.idle_lock_s = 3600
    seen: set[str] = set()
    # A call first, so the banner is up on every screen.
    tap(qtbot, named(window, "screen andon"))
    tap(qtbot, named(window, "raise maintenance"))
    for name in window.screen_names():
        window.show_screen(name)
        seen |= shown_texts(window)
    window.show_screen("report")
    report = window.screens["report"]
    for mode in ("week", "month", "compare"):
        report.show_mode(mode)  # type: ignore[union-attr]
        window.refresh_now()
        seen |= shown_texts(window)
    report.show_mode("shift")  # type: ignore[union-attr]
    andon = window.screens["andon"]
    window.show_screen("andon")
    tap(qtbot, next(iter(andon.call_buttons.values())))  # type: ignore[union-attr]
    seen |= shown_texts(window)
    for action in ("note_andon", "shelve_andon", "ack_andon"):
        tap(qtbot, named(andon, action))
        seen |= shown_texts(window)
        close_dialogs(window)
    window.show_screen("downtime")
    downtime = window.screens["downtime"]
    tap(qtbot, next(iter(downtime.stop_buttons.values())))  # type: ignore[union-attr]
    seen |= shown_texts(window)
    for action in ("split", "note"):
        tap(qtbot, named(downtime, action))
        seen |= shown_texts(window)
        close_dialogs(window)
    tap(qtbot, named(window, "login"))
    seen |= shown_texts(window)
    close_dialogs(window)
    window.session.lock()
    seen |= shown_texts(window)
    tap(qtbot, named(window, "unlock"))
    seen |= shown_texts(window)
    close_dialogs(window)
    return seen


def plant_words(config: Config) -> list[str]:
    """The plant's own words (names of its machines, shifts, products, people and reasons), longest
    first: they are shown as the config writes them."""
    words = {config.site.name, *USERS}
    for line in config.lines:
        words |= {line.id, line.name or "", *(shift.name for shift in line.shifts)}
        for eq in line.equipment:
            words |= {eq.id, eq.name or ""}
    for product in config.products:
        words |= {product.id, product.name or ""}
    for reason in config.reasons:
        words |= {reason, *reason.split("/")}
    return sorted((w for w in words if w), key=len, reverse=True)


def english_left(text: str, plant: list[str]) -> list[str]:
    for word in plant:
        text = text.replace(word, " ")
    return [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in ALLOWED]


@pytest.fixture
def restore_english() -> Iterator[None]:
    yield
    language.install("")  # the translator and locale are the application's: back for the next test


def test_every_visible_string_of_the_panel_is_german_under_german(
    qtbot: QtBot,
    tmp_path: Path,
    panel_config: Config,
    demo_samples: list[Sample],
    restore_english: None,
) -> None:
    en_clock = Clock(NOW)
    en_station = make_station(tmp_path / "en.db", panel_config, en_clock, demo_samples)
    english_window = PanelWindow(attach(en_station), clock=en_clock)
    english_window.pump.heartbeat.stop()
    english_window.resize(1280, 800)
    english_window.show()
    english = walk(qtbot, english_window)
    english_window.close()

    config = german_config()
    clock = Clock(NOW)
    german_window = PanelWindow(
        attach(make_station(tmp_path / "de.db", config, clock, demo_samples)), clock=clock
    )
    qtbot.addWidget(german_window)
    german_window.pump.heartbeat.stop()
    german_window.resize(1280, 800)
    german_window.show()
    german = walk(qtbot, german_window)

    # The walk saw the screens, the dialogs, the PIN pad and the lock in both languages.
    for text in (
        "Sound on",
        "Acknowledge",
        "Save note",
        "Split here",
        "Who",
        "Panel locked",
        "This shift",
        "Planned jobs",
        "No job planned",
    ):
        assert text in english
    plant = plant_words(config)
    still_english = sorted(t for t in german & english if english_left(t, plant))
    assert still_english == [], f"English under German: {still_english}"
    for text in (
        "Ton an",
        "Quittieren",
        "Notiz speichern",
        "Hier teilen",
        "Wer",
        "Bedienfeld gesperrt",
        "Diese Schicht",
        "Geplante Aufträge",
        "Kein Auftrag geplant",
    ):
        assert text in german
    # The engine's doubt about FILLER's figures, in German too.
    assert any("Laufzeit über einen Kommunikationsverlust hinweg angenommen" in t for t in german)


def test_figures_times_and_dates_are_written_in_the_locale(restore_english: None) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    language.install("de")
    assert QLocale().name() == "de_DE"
    assert (common.pct(0.873), common.count(35970)) == ("87,3\u00a0%", "35.970")
    assert (common.clock_time(NOW, tz), common.clock_date(NOW, tz)) == ("11:15", "02.03.26")
    language.install("en_US")
    assert (common.pct(0.873), common.count(35970)) == ("87.3%", "35,970")
    assert common.clock_time(NOW, tz) == "11:15\u202fAM" or common.clock_time(NOW, tz) == "11:15 AM"
    language.install("en")  # a plant's English: a 24-hour clock
    assert (common.clock_time(NOW, tz), common.clock_date(NOW, tz)) == ("11:15", "02/03/2026")


def test_the_report_screens_charts_draw_their_words_in_german(restore_english: None) -> None:
    from hmi.panel.widgets.report_chart import chart_word
    from hmi.report.view import LOSS_STEPS, SUBTOTAL_AFTER

    language.install("de")
    labels = ["Planned production time", *(label for _, label, _ in LOSS_STEPS), *SUBTOTAL_AFTER.values()]
    assert [w for w in labels if chart_word(w) == w] == []  # every step of the waterfall
    assert chart_word("{n} stops").format(n=7) == "7 Stillstände"
    assert chart_word("Mechanical/Jam/Outfeed") == "Mechanical/Jam/Outfeed"  # the plant's own words
