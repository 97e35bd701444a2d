"""Which argument a message is about: every command names its path arguments once, and errors about
one of those paths say which argument it was ("SOURCE (the training output) does not exist: ...",
"--base: ...").

A subcommand lists its inputs with ``set_defaults(inputs=(("source", SOURCE), ("base", BASE), ...))``:
:func:`check_inputs` refuses a missing one before anything is read (except those listed in
``checked_later``: ``fix`` first puts back a DIR an interrupted run set aside), and
:func:`name_argument` puts the argument's name in front of an error the core raised about that path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from mergesmith.core.errors import MergesmithError, SourceError

# The labels, one per meaning, so that every command words them alike.
SOURCE = "SOURCE (the training output)"
BASE = "--base (the base model)"
VISUAL_ENCODER = "--visual-encoder (the visual encoder)"
VERIFY_OUT = "OUT (the merged folder)"
VERIFY_SOURCE = "--source (what was merged)"
INSPECT_PATH = "PATH"
FIX_DIR = "DIR (the folder to fix)"
FROM_BASE = "--from-base (the base model)"


def missing_message(path: Path, label: str) -> str:
    """The sentence for an input that does not exist (said differently when a killed run set it aside)."""
    from mergesmith.core.io.atomic import OLD_TAG, REPLACED_TAG, leftovers

    aside = [p.name for p in leftovers(path) if OLD_TAG in p.name or REPLACED_TAG in p.name]
    if aside:  # a run killed between the two renames of its swap
        return (f"{label} does not exist: {path}: an interrupted run moved it aside to {aside[0]}; "
                f"`mergesmith fix {path} --dry-run` puts it back (and changes nothing else).")
    near = _nearest_existing(path)
    where = f" ({near} exists, {path.relative_to(near)} in it does not)" if near is not None else ""
    return f"{label} does not exist: {path}{where}; check the path."


def _nearest_existing(path: Path) -> Optional[Path]:
    parent = path.parent
    while parent != parent.parent and not parent.exists():
        parent = parent.parent
    if parent in (Path("."), Path(parent.anchor)) or not path.is_relative_to(parent):
        return None
    return parent


HUB_ID_ARGS = ("base", "from_base", "visual_encoder")  # the inputs a Hub id may name


def _is_hub_id(text: str) -> bool:
    from mergesmith.core.hub.download import is_hub_id

    return is_hub_id(text.split("@", 1)[0])


def check_inputs(args) -> None:
    """Refuse, naming the argument, any input path given that does not exist."""
    for attr, label in getattr(args, "inputs", ()):
        text = getattr(args, attr, None)
        if text is None or attr in getattr(args, "checked_later", ()):
            continue
        path = Path(text).expanduser()
        if attr in HUB_ID_ARGS and not os.path.lexists(path) and _is_hub_id(text):
            continue  # ORG/NAME: looked up in the local caches (and fetched with --download) later
        if not os.path.lexists(path) or not path.exists():
            if os.path.lexists(path):  # a symbolic link to nothing
                raise SourceError(f"{label} is a symbolic link to {os.readlink(path)}, which does not exist: "
                                  f"{path}; point at the folder itself.", path=path)
            raise SourceError(missing_message(path, label), path=path)


def refuse_complete_model(source, command: str) -> None:
    """SOURCE is a full model folder: nothing to merge or convert; say what to do with it instead."""
    from mergesmith.core import formats

    if source.kind != formats.KIND_MODEL:
        return
    raise SourceError(f"{SOURCE} is already a complete model ({formats.KIND_TITLES[source.kind]}): "
                      f"{source.path}; there is nothing to {command}. Check it with `mergesmith inspect "
                      f"{source.path}`, or, if it is the model the adapter was trained on, use it as "
                      f"--base {source.path} with the training output as SOURCE.", path=source.path)


def name_argument(args, exc: MergesmithError) -> str:
    """``exc``'s message, led by the argument it is about when that is one of the inputs."""
    if exc.path is None:
        return exc.message
    try:
        about = Path(exc.path).expanduser().resolve()
    except (OSError, RuntimeError):
        return exc.message
    names = []
    for attr, label in getattr(args, "inputs", ()):
        text = getattr(args, attr, None)
        if text is None:
            continue
        if exc.message.startswith(label):
            return exc.message
        try:
            mine = Path(text).expanduser().resolve()
        except (OSError, RuntimeError):
            continue
        if about == mine:
            names.append(label.split(" (")[0])
    # the same folder given for two arguments: the error may be about either, so both are named
    return f"{' and '.join(names)}: {exc.message}" if names else exc.message
