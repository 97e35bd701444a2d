"""The window's language: which one (system locale or View › Language), its translators, its formats.

Every string the window shows goes through ``translate(context, text)`` (Qt's
``QCoreApplication.translate``, which ``pyside6-lupdate`` finds in the sources); the translations
live in ``resources/i18n/*_LANG.qm``, compiled from the ``.ts`` files beside them (see
docs/translation.md). English is the source language: with no translator installed every call
returns its argument, so English needs no files.

The core's fixed words (kinds of folder, roles of components, phases of a run) are keyed by
their codes here, never by matching the core's English.
"""

from __future__ import annotations

from importlib import resources
from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from mergesmith.core.formats import format_size

translate = QCoreApplication.translate

AUTO = "auto"
ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES = (AUTO, ENGLISH, CHINESE)
I18N_PACKAGE = "mergesmith.resources"
_installed: list[QTranslator] = []  # kept alive: Qt does not own installed translators


def system_language(locale: Optional[QLocale] = None) -> str:
    """``zh_CN`` for Simplified Chinese locales (zh_CN, zh_SG, zh_Hans, bare zh), else ``en``."""
    loc = locale if locale is not None else QLocale.system()
    if loc.language() != QLocale.Language.Chinese:
        return ENGLISH
    if loc.script() == QLocale.Script.TraditionalHanScript:
        return ENGLISH
    if loc.script() == QLocale.Script.SimplifiedHanScript:
        return CHINESE
    return CHINESE if loc.territory() in (QLocale.Country.China, QLocale.Country.Singapore) else ENGLISH


def chosen_language(setting) -> str:
    """The language to use for the remembered setting (``auto``, ``en``, ``zh_CN``)."""
    setting = str(setting or AUTO)
    if setting not in LANGUAGES or setting == AUTO:
        return system_language()
    return setting


def translation_files(language: str) -> list:
    """Every ``*_LANG.qm`` shipped in resources/i18n (ours and the problem texts')."""
    folder = resources.files(I18N_PACKAGE).joinpath("i18n")
    try:
        entries = list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted((e for e in entries if e.name.endswith(f"_{language}.qm")), key=lambda e: e.name)


def install_language(app, language: str) -> str:
    """Install the translators for ``language`` on ``app`` (replacing earlier ones); returns it."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    if language == ENGLISH or language not in LANGUAGES:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return ENGLISH
    QLocale.setDefault(QLocale(language))
    paths = [str(p) for p in translation_files(language)]
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    paths.append(f"{qt_dir}/qtbase_{language}.qm")  # Qt's own words: OK/Cancel, file dialogs
    for path in paths:
        translator = QTranslator(app)
        if translator.load(path):
            app.installTranslator(translator)
            _installed.append(translator)
    return language


def installed_language() -> str:
    return CHINESE if _installed else ENGLISH


# -- formats ---------------------------------------------------------------------------------------

def size_text(n) -> str:
    """``format_size`` with the unit in the window's language."""
    number, _, unit = format_size(n).partition(" ")
    if unit == "B":
        return translate("Formats", "{0} B").format(number)
    return translate("Formats", "{0} {1}").format(number, unit)


def seconds_text(seconds: float, *, whole: bool = False) -> str:
    """``0.04 s``, ``3.2 s``, ``2 min 05 s``, ``1 h 02 min``, in the window's language."""
    if whole:
        seconds = max(0, int(round(seconds)))
        if seconds < 60:
            return translate("Formats", "{0} s").format(seconds)
    elif seconds < 1:
        return translate("Formats", "{0} s").format(f"{seconds:.2f}")
    elif seconds < 60:
        return translate("Formats", "{0} s").format(f"{seconds:.1f}")
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return translate("Formats", "{0} min {1} s").format(minutes, f"{secs:02d}")
    hours, minutes = divmod(minutes, 60)
    return translate("Formats", "{0} h {1} min").format(hours, f"{minutes:02d}")


def count_text(n: int) -> str:
    """A count with thousands separators (``1,234,567``)."""
    return f"{n:,}"


# -- the core's fixed words, by code ---------------------------------------------------------------

_KIND_WORDS = {
    "model": QT_TRANSLATE_NOOP("CoreWords", "Hugging Face model folder"),
    "peft-adapter": QT_TRANSLATE_NOOP("CoreWords", "PEFT adapter"),
    "xtuner-converted": QT_TRANSLATE_NOOP("CoreWords", "XTuner converted output (pth_to_hf)"),
    "xtuner-work-dir": QT_TRANSLATE_NOOP("CoreWords", "XTuner work_dir"),
    "xtuner-pth": QT_TRANSLATE_NOOP("CoreWords", "XTuner checkpoint (.pth)"),
    "xtuner-deepspeed": QT_TRANSLATE_NOOP("CoreWords", "XTuner DeepSpeed checkpoint"),
    "xtuner-checkpoint": QT_TRANSLATE_NOOP("CoreWords", "XTuner training checkpoint"),
    "llava": QT_TRANSLATE_NOOP("CoreWords", "LLaVA model (XTuner layout: LLM, projector/, visual_encoder/)"),
    "llava-hf": QT_TRANSLATE_NOOP("CoreWords", "LLaVA model (Hugging Face LlavaForConditionalGeneration)"),
    "unknown": QT_TRANSLATE_NOOP("CoreWords", "folder without a model"),
}
_ROLE_WORDS = {
    "llm-adapter": QT_TRANSLATE_NOOP("CoreWords", "LLM adapter"),
    "visual-encoder-adapter": QT_TRANSLATE_NOOP("CoreWords", "Visual encoder adapter"),
    "projector": QT_TRANSLATE_NOOP("CoreWords", "Projector"),
    "llm": QT_TRANSLATE_NOOP("CoreWords", "LLM weights (full fine-tune)"),
    "visual-encoder": QT_TRANSLATE_NOOP("CoreWords", "Visual encoder weights"),
    "training-config": QT_TRANSLATE_NOOP("CoreWords", "Training config"),
}
_PHASE_WORDS = {
    "write": QT_TRANSLATE_NOOP("CoreWords", "Writing"),
    "finalize": QT_TRANSLATE_NOOP("CoreWords", "Moving the result into place"),
    "check": QT_TRANSLATE_NOOP("CoreWords", "Checking"),
    "done": QT_TRANSLATE_NOOP("CoreWords", "Done"),
    "read": QT_TRANSLATE_NOOP("CoreWords", "Reading"),
    "convert": QT_TRANSLATE_NOOP("CoreWords", "Converting"),
    "verify": QT_TRANSLATE_NOOP("CoreWords", "Verifying"),
    "fix": QT_TRANSLATE_NOOP("CoreWords", "Fixing"),
}
_SEVERITY_WORDS = {
    "ok": QT_TRANSLATE_NOOP("CoreWords", "OK"),
    "error": QT_TRANSLATE_NOOP("CoreWords", "Error"),
    "warning": QT_TRANSLATE_NOOP("CoreWords", "Warning"),
    "info": QT_TRANSLATE_NOOP("CoreWords", "Note"),
}


def _word(table: dict, code: str, fallback: str) -> str:
    text = table.get(code)
    return translate("CoreWords", text) if text else fallback


def kind_title(kind: str, fallback: str = "") -> str:
    """The window's name for a kind of folder (``formats.KIND_*``)."""
    return _word(_KIND_WORDS, kind, fallback or kind)


def role_title(role: str, fallback: str = "") -> str:
    """The window's name for a component role (``sources.source`` roles)."""
    return _word(_ROLE_WORDS, role, fallback or role)


def phase_word(phase: str) -> str:
    return _word(_PHASE_WORDS, phase, phase)


def severity_word(severity: str) -> str:
    return _word(_SEVERITY_WORDS, severity, severity)
