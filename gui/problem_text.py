"""Problems and refusals in the window's words and language.

The core gives each problem (and each common refusal) a text key and its particulars
(:mod:`mergesmith.core.texts`); here the same English texts are looked up through Qt's
translation (context ``Problem``), the window's controls stand where the command line names a
flag, and the particulars are filled in. Nothing here reads a sentence back.

The texts themselves are listed for ``pyside6-lupdate`` in :mod:`.problem_catalogue`, which is
generated from ``core/texts.py`` (``python -m mergesmith.gui.problem_text`` rewrites it; a test
says when it is stale). Their Chinese is in ``resources/i18n/problems_zh_CN.ts``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Mapping, Optional

from PySide6.QtCore import QCoreApplication

from mergesmith.core import texts

CONTEXT = "Problem"
FULL_WIDTH_ENDS = ("\u3002", "\uff01", "\uff1f", "\uff09", "\uff1b")  # 。！？）；


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def controls() -> dict[str, str]:
    """What the window calls each control a text refers to (the command line says a flag).

    Written out with the context, so that ``pyside6-lupdate`` files them under "Problem"."""
    translate = QCoreApplication.translate
    return {
        "opt_base": translate("Problem", "the Base model field"),
        "opt_visual_encoder": translate("Problem", "the Visual encoder field"),
        "opt_overwrite": translate("Problem", "“Replace the output folder if it exists”"),
        "opt_dtype": translate("Problem", "the Dtype menu"),
        "opt_format": translate("Problem", "the Format menu"),
        "opt_iter": translate("Problem", "the Iteration menu"),
        "opt_out": translate("Problem", "the Output folder field"),
        "opt_source": translate("Problem", "the Training output field"),
        "opt_from_base": translate("Problem", "the “Copy missing files from” field"),
        "fix": translate("Problem", "Fix"),
        "fix_from_base": translate("Problem", "Fix, with the model chosen under “Copy missing files from”"),
        "fix_reshard": translate("Problem", "Fix"),
        "scan_values": translate("Problem", "a scan of the output's values, from the command line "
                                            "(mergesmith inspect)"),
    }


def _fill(template: str, params: Mapping) -> str:
    return tr(template).format_map({**controls(), **{k: _particular(v) for k, v in params.items()}})


def _particular(value) -> str:
    return str(value)


def title(key: str, code: str = "") -> str:
    """The translated title of a text key (or of a bare code)."""
    return tr(texts.title(key or code))


def known(key: str) -> bool:
    return bool(key) and key in texts.SENTENCES


def sentence(key: str, params: Mapping) -> str:
    """What is wrong, translated, with the particulars filled in."""
    return _fill(texts.SENTENCES[key].sentence, params)


def todo(key: str, params: Mapping) -> str:
    """What to do, translated, with the particulars and the window's controls filled in."""
    template = texts.todo_template(key, params)
    return _fill(template, params) if template else ""


def render(key: str, params: Mapping) -> str:
    """Sentence and what to do, as the window shows them."""
    first, then = sentence(key, params), todo(key, params)
    if not then.strip():
        return first
    # Chinese sentences end in full-width punctuation and follow each other without a space
    return first + ("" if first.endswith(FULL_WIDTH_ENDS) else " ") + then


# the English of texts without a key (a library's own words, the rarer refusals): flags become controls
_FLAGS = (
    (r"`?mergesmith fix --from-base`?", "fix_from_base"),
    (r"`?mergesmith fix --max-shard-size`?", "fix_reshard"),
    (r"`?mergesmith fix`?", "fix"),
    (r"--from-base(?: DIR)?", "opt_from_base"),
    (r"--visual-encoder(?: DIR)?", "opt_visual_encoder"),
    (r"--base(?: DIR| BASE)?", "opt_base"),
    (r"--overwrite", "opt_overwrite"),
    (r"--dtype", "opt_dtype"),
    (r"--format", "opt_format"),
    (r"--iter(?: N)?", "opt_iter"),
    (r"--out(?: DIR| OUT)?", "opt_out"),
    (r"--source", "opt_source"),
)


def window_words(message: str) -> str:
    """An English sentence with the command line's flags named as the window's controls."""
    names = controls()
    for pattern, control in _FLAGS:
        message = re.sub(pattern, lambda _m, c=control: names[c], message)
    return message.replace("`", "")


def problem_text(p) -> str:
    """A problem's sentence and what to do, in the window's words and language."""
    key = getattr(p, "key", "")
    if known(key):
        return render(key, p.params)
    return window_words(p.message)


def problem_title(p) -> str:
    return title(getattr(p, "key", ""), p.code)


def refusal_text(exc) -> str:
    """A refusal (MergesmithError) in the window's words: translated when it has a key, else its
    English sentence with the flags named as controls."""
    key = getattr(exc, "key", "")
    if known(key):
        return render(key, exc.params)
    return window_words(exc.message)


def refusal_title(exc) -> str:
    return title(getattr(exc, "key", "") or "refusal")


# --- the list lupdate reads ----------------------------------------------------------------------


def catalogue_source() -> str:
    """The text of :mod:`.problem_catalogue`: every title, sentence and what-to-do of core/texts.py,
    marked for lupdate."""
    strings: list[str] = []
    for code, (t, what) in texts.CODES.items():
        strings += [t, what]
    for text in texts.SENTENCES.values():
        strings += [text.sentence, text.todo if not text.todo.startswith("@") else ""]
    strings += list(texts.TODOS.values())
    seen: dict[str, None] = {}
    for s in strings:
        if s.strip():
            seen.setdefault(s.strip())
    lines = ['"""Every text of core/texts.py, marked for pyside6-lupdate (context "Problem").',
             "",
             "Generated by ``python -m mergesmith.gui.problem_text`` from ``core/texts.py``: do not edit.",
             '"""',
             "",
             "# long: a generated list, one line per text",
             "",
             "from PySide6.QtCore import QT_TRANSLATE_NOOP",
             "",
             "TEXTS = ("]
    lines += [f'    QT_TRANSLATE_NOOP("Problem", {s!r}),' for s in seen]
    lines.append(")")
    return "\n".join(lines) + "\n"


CATALOGUE = Path(__file__).with_name("problem_catalogue.py")


def main(argv: Optional[list[str]] = None) -> int:
    CATALOGUE.write_text(catalogue_source(), encoding="utf-8")
    print(f"wrote {CATALOGUE}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    raise SystemExit(main())
