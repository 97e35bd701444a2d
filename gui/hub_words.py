"""Where a model named by a folder or a Hub id was found, in the window's words and language.

:class:`mergesmith.core.hub.located.Located` words its findings in English for the command line
(``summary()``, ``line()``, ``looked()``, the refusals' sentences). The window words the same
findings from the fields (where, repo id, revision, snapshot, missing files, caches looked in)
through Qt's translation (context ``Hub``); nothing here reads the core's sentences back. The
cache's own explanation of an unusable entry (``Located.problem``, rare) is shown as it is.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from mergesmith.core.hub.located import (FOLDER, HF_CACHE, MODELSCOPE_CACHE, NOT_FOUND, SHORT_HASH, WHERE_TITLES,
                                         Located)

from .i18n import sentences, translate

_WHERE = {
    FOLDER: QT_TRANSLATE_NOOP("Hub", "folder"),
    HF_CACHE: QT_TRANSLATE_NOOP("Hub", "Hugging Face cache"),
    MODELSCOPE_CACHE: QT_TRANSLATE_NOOP("Hub", "ModelScope cache"),
    NOT_FOUND: QT_TRANSLATE_NOOP("Hub", "not found"),
}
_BY_TITLE = {title: where for where, title in WHERE_TITLES.items()}  # Located.caches holds (title, root)
_ROLES = {  # how the core's refusals name the model (MergesmithError.located_role)
    "base model": QT_TRANSLATE_NOOP("Hub", "base model"),
    "visual encoder": QT_TRANSLATE_NOOP("Hub", "visual encoder"),
}
_OPTIONS = {"--base": "opt_base", "--visual-encoder": "opt_visual_encoder", "--from-base": "opt_from_base"}
SHOWN_MISSING = 4  # files named in a refusal; the rest are counted


def where_title(where: str) -> str:
    """"Hugging Face cache", "ModelScope cache", "folder", "not found" (by the core's code)."""
    text = _WHERE.get(where)
    return translate("Hub", text) if text else where


def _files_missing(found: Located) -> str:
    n = len(found.missing)
    text = translate("Hub", "1 file of {1} missing") if n == 1 else translate("Hub", "{0} files of {1} missing")
    return text.format(n, len(found.needed))


def summary(found: Located) -> str:
    """The window's ``Located.summary()``: "Hugging Face cache, snapshot 1a2b3c4, 1 file of 7 missing"."""
    parts = [where_title(found.where)]
    if found.where == HF_CACHE and found.snapshot:
        short = found.snapshot[:SHORT_HASH]
        if found.revision and not found.snapshot.startswith(found.revision):
            parts.append(translate("Hub", "snapshot {0} ({1})").format(short, found.revision))
        else:
            parts.append(translate("Hub", "snapshot {0}").format(short))
    elif found.where == MODELSCOPE_CACHE and found.revision:
        parts.append(translate("Hub", "revision {0}").format(found.revision))
    if found.found and found.missing:
        parts.append(_files_missing(found))
    return translate("Hub", ", ").join(parts)


def line(found: Located) -> str:
    """The window's ``Located.line()``: ``Qwen/X (Hugging Face cache, snapshot 1a2b3c4): /path``."""
    if not found.found:
        return translate("Hub", "{0} (not found)").format(found.spec)
    if found.where == FOLDER:
        return str(found.path)
    return translate("Hub", "{0} ({1}): {2}").format(found.repo_id or found.spec, summary(found), found.path)


def looked(found: Located) -> str:
    """The window's ``Located.looked()``: "the Hugging Face cache (/a) or the ModelScope cache (/b)"."""
    if not found.caches:
        return ", ".join(found.looked_in) or found.spec
    cache = translate("Hub", "the {0} ({1})")
    return translate("Hub", " or ").join(cache.format(where_title(_BY_TITLE.get(title, title)), root)
                                         for title, root in found.caches)


def found_in(found: Located) -> str:
    """A tooltip: "Found in the Hugging Face cache, snapshot 1a2b3c4: /path"."""
    return translate("Hub", "Found in the {0}: {1}").format(summary(found), found.path)


def missing_files(found: Located) -> str:
    """"a, b, c, d and 3 more": the files of a cache snapshot not (fully) downloaded."""
    shown = ", ".join(found.missing[:SHOWN_MISSING])
    rest = len(found.missing) - SHOWN_MISSING
    return translate("Hub", "{0} and {1} more").format(shown, rest) if rest > 0 else shown


def not_found_looked(found: Located) -> str:
    """"Looked in the Hugging Face cache (/a) or the ModelScope cache (/b)." (with the cache's why)."""
    text = translate("Hub", "Looked in {0}.").format(looked(found))
    return sentences(text, translate("Hub", "({0})").format(found.problem) if found.problem else "")


def refusal(exc, controls: dict) -> str:
    """A refusal about a model looked for by folder or Hub id (``exc.located``), in the window's words;
    ``controls``: the window's names of its controls (``problem_text.controls()``)."""
    found, role = exc.located, translate("Hub", _ROLES.get(exc.located_role, exc.located_role))
    control = controls.get(_OPTIONS.get(exc.located_option, ""), exc.located_option)
    download = exc.located_option == "--base" and exc.located_role == "base model"
    name = found.repo_id or found.spec
    if found.found and found.missing:
        text = (translate("Hub", "The {0} {1} was found in the {2} ({3}), but {4} is not downloaded.")
                if len(found.missing) == 1 else
                translate("Hub", "The {0} {1} was found in the {2} ({3}), but {4} are not downloaded.")).format(
            role, name, summary(found), found.path, missing_files(found))
        todo = translate("Hub", "Finish its download, or choose a complete folder ({0}).").format(control)
    elif found.caches:
        text = translate("Hub", "The {0} {1} is not a folder on this machine and is not in {2}.").format(
            role, found.spec, looked(found))
        if found.problem:
            text = sentences(text, translate("Hub", "({0})").format(found.problem))
        todo = (translate("Hub", "Choose its folder ({0}), or download it (Download base model).") if download
                else translate("Hub", "Choose its folder ({0}).")).format(control)
    else:
        text = translate("Hub", "The {0} {1} is a Hugging Face cache folder of {2}, but it cannot be used: "
                                "{3}.").format(role, found.spec, name, found.problem or "")
        todo = translate("Hub", "Download it again, or choose a complete model folder ({0}).").format(control)
    return sentences(text, todo)
