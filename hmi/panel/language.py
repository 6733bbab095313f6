"""The panel's language: Qt's translator for `[panel] language` and the locale its figures, times
and dates are written in (hmi/panel/widgets/common.py).

The translations are hmi/panel/i18n/ms5_<lang>.ts, compiled to .qm by `make translations`.
English is the source language: the texts stay as written and no .qm is loaded for it (ms5_en.ts,
the same texts, is the template a translator starts a new language from).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from core.config_models import PANEL_LANGUAGES

I18N = Path(__file__).resolve().parent / "i18n"
SHIPPED = PANEL_LANGUAGES
# A plant's panel shows a 24-hour clock: plain "en" (and a system without a locale, C/POSIX)
# is British English; "en_US" gives the American formats on purpose.
PLAIN = {"en": "en_GB", "de": "de_DE"}

_translator: QTranslator | None = None


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks `text` for translation in `context` where it is defined; translated where shown.
    PySide6's own returns `object` to the type checker."""
    return text


def resolve(language: str) -> QLocale:
    """The locale for `language` ("de", "de_AT"); empty: the system's, English when it has none
    or is one the panel does not ship."""
    if language:
        return QLocale(PLAIN.get(language, language))
    system = QLocale.system()
    if system.language() == QLocale.Language.C or system.name()[:2] not in SHIPPED:
        return QLocale(PLAIN["en"])
    return QLocale(PLAIN.get(system.name(), system.name()))


def install(language: str) -> QLocale:
    """Load the translation for `language` into the application and make its locale the default.
    Replaces the one installed before (tests switch between languages)."""
    global _translator
    locale = resolve(language)
    QLocale.setDefault(locale)
    app = QCoreApplication.instance()
    if _translator is not None:
        if app is not None:
            QCoreApplication.removeTranslator(_translator)
        _translator = None
    code = locale.name()[:2]
    if app is not None and code != "en":
        translator = QTranslator(app)
        # A missing file leaves English: the panel still works, and `ms5 check` names the languages.
        if translator.load(str(I18N / f"ms5_{code}.qm")):
            QCoreApplication.installTranslator(translator)
            _translator = translator
    return locale
