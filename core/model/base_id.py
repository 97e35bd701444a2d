"""Which model a base is, by its Hub id: for the model card's ``base_model`` and its lineage.

One function, :func:`identify_base`, with one input: the base folder the merge reads (a path) and
the names the training gives it (an XTuner config's LLM name, an adapter's
``base_model_name_or_path``). From those alone, offline, without reading weights:

* a folder inside a Hugging Face cache snapshot, ``.../models--ORG--NAME/snapshots/<hash>/``, is
  ``ORG/NAME`` at revision ``<hash>``;
* a name the training gives that has the shape of a Hub id (``Qwen/Qwen1.5-0.5B-Chat``) is that id,
  and so is a path it gives into a Hugging Face cache snapshot (PEFT records the folder it loaded);
* a folder in a ModelScope cache, ``<cache>/models/ORG/NAME`` (current modelscope, which stores a
  ``.`` in a name as ``___``) or ``<cache>/ORG/NAME`` (older), is ``ORG/NAME`` on ModelScope. A
  ModelScope id is usually, but not always, the Hugging Face id, so a Hub id the training names wins.

A full resolver of Hub ids to cached folders is a separate piece; whatever it finds can be handed
in as ``named`` (the id) and ``folder`` (the snapshot it chose).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

HF_CACHE = "Hugging Face cache"
MODELSCOPE_CACHE = "ModelScope cache"
NAMED = "named by the training"

# huggingface_hub's validate_repo_id, for ORG/NAME: word characters, '-' and '.', at most 96 each,
# no '--' or '..', not ending in '.git'
_PART = r"[\w.-]{1,96}"
_REPO_ID = re.compile(rf"^{_PART}/{_PART}$", re.ASCII)
_MODELSCOPE_MARKERS = (".mdl", ".msc", ".mv")  # what modelscope's ModelFileSystemCache writes beside the files
_MODELSCOPE_DOT = "___"  # modelscope >= 1.15 stores Qwen1.5 as Qwen1___5
_NOT_AN_ORG = {"hub", "models", "modelscope", ".cache", "snapshots"}


@dataclass(frozen=True)
class BaseIdentity:
    """What is known of a base model's identity.

    ``hub_id``: the Hub id for ``base_model`` (None when none is known); ``revision``: the
    snapshot's commit (HF cache) or the revision ModelScope recorded; ``found``: where the id
    comes from (:data:`HF_CACHE`, :data:`MODELSCOPE_CACHE`, :data:`NAMED`, or None);
    ``folder``: the folder the merge read; ``modelscope_id``: the ModelScope id, when the folder is
    in a ModelScope cache (said in the card's text even when the Hub id comes from the training).
    """

    hub_id: Optional[str] = None
    revision: Optional[str] = None
    found: Optional[str] = None
    folder: Optional[Path] = None
    modelscope_id: Optional[str] = None


def hub_id_shape(name) -> bool:
    """Whether ``name`` is spelled as a Hub model id ``ORG/NAME``."""
    if not isinstance(name, str) or not _REPO_ID.match(name):
        return False
    if "--" in name or ".." in name or name.endswith(".git"):
        return False
    return not any(p.startswith((".", "-")) or p.endswith((".", "-")) for p in name.split("/"))


def hub_id(name) -> Optional[str]:
    """``name`` when it has the shape of a Hub model id ``ORG/NAME`` and is not a folder here, else None."""
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not hub_id_shape(name) or Path(name).exists():  # a relative path that happens to look like ORG/NAME
        return None
    return name


def hf_snapshot(folder: Path) -> tuple[Optional[str], Optional[str]]:
    """``(ORG/NAME, commit)`` for a Hugging Face cache snapshot folder, else ``(None, None)``."""
    parts = Path(folder).parts
    if len(parts) < 3 or parts[-2] != "snapshots" or not parts[-3].startswith("models--"):
        return None, None
    pieces = parts[-3][len("models--"):].split("--")
    if len(pieces) > 2 or not all(pieces):
        return None, None
    return "/".join(pieces), parts[-1]


def modelscope_folder(folder: Path) -> tuple[Optional[str], Optional[str]]:
    """``(ORG/NAME, revision)`` for a folder in a ModelScope cache, else ``(None, None)``."""
    folder = Path(folder)
    parts = folder.parts
    if len(parts) < 3:
        return None, None
    org, name = parts[-2], parts[-1]
    if org.lower() in _NOT_AN_ORG:
        return None, None
    marked = any((folder / m).is_file() for m in _MODELSCOPE_MARKERS)
    root = os.environ.get("MODELSCOPE_CACHE")
    in_root = bool(root) and _under(folder, Path(root).expanduser())
    if not (marked or in_root or "modelscope" in [p.lower() for p in parts[:-2]]):
        return None, None
    found = f"{org}/{name.replace(_MODELSCOPE_DOT, '.')}"
    return (found if _REPO_ID.match(found) else None), _modelscope_revision(folder)


def _under(folder: Path, root: Path) -> bool:
    try:
        return folder.absolute().is_relative_to(root.absolute())
    except (OSError, ValueError):
        return False


def _modelscope_revision(folder: Path) -> Optional[str]:
    """The revision in ModelScope's ``.mv`` file (``Revision:v1.0.2,CreatedAt:1700000000``)."""
    if not (folder / ".mv").is_file():  # never open a pipe or a device for it
        return None
    try:
        with open(folder / ".mv", encoding="utf-8", errors="replace") as f:
            text = f.read(512)
    except OSError:
        return None
    match = re.match(r"\s*Revision:([^,\s]+)", text)
    return match.group(1) if match else None


def identify_base(folder: Optional[Path], named: Iterable[Optional[str]] = ()) -> BaseIdentity:
    """The base's identity from its folder and the names the training gives it (see the module docstring)."""
    folder = Path(folder) if folder is not None else None
    if folder is not None:
        found, revision = hf_snapshot(folder)
        if found is None:
            found, revision = hf_snapshot(_resolved(folder))
        if found is not None:
            return BaseIdentity(found, revision, HF_CACHE, folder)
    ms_id, ms_revision = modelscope_folder(folder) if folder is not None else (None, None)
    for name in named:
        given = hub_id(name) or (hf_snapshot(Path(name))[0] if isinstance(name, str) else None)
        if given is not None:
            same = ms_id is not None and ms_id.lower() == given.lower()
            return BaseIdentity(given, ms_revision if same else None, MODELSCOPE_CACHE if same else NAMED,
                                folder, ms_id)
    if ms_id is not None:
        return BaseIdentity(ms_id, ms_revision, MODELSCOPE_CACHE, folder, ms_id)
    return BaseIdentity(folder=folder)


def _resolved(folder: Path) -> Path:
    try:
        return folder.resolve()
    except OSError:
        return folder
