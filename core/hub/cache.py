"""Find a model by a folder path or a Hub id, offline, in the local Hugging Face and ModelScope caches.

:func:`locate` takes what a person or a training config wrote for a model:

- a folder (a plain model folder; a Hugging Face cache repo folder ``models--ORG--NAME``, read at
  the snapshot its ``refs/main`` names; a snapshot folder itself; a ModelScope cache folder);
- a Hub id ``ORG/NAME``, optionally ``ORG/NAME@REVISION`` (a branch, tag or commit), looked up in the
  Hugging Face cache first (where transformers would load it from offline), then in ModelScope's.

Nothing here imports huggingface_hub (start-up time), and nothing is fetched: the layouts are read
as the libraries write them. The Hugging Face cache root is found as huggingface_hub 2.4.0's
``constants.py`` finds it (``HF_HUB_CACHE``, else the legacy ``HUGGINGFACE_HUB_CACHE``, else
``$HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``; ``~``
and ``$VARS`` expanded), read at call time. Inside it (``file_download.py``: ``repo_folder_name``,
``try_to_load_from_cache``, ``_create_symlink``): ``models--ORG--NAME/refs/<revision>`` holds a
commit hash, ``snapshots/<hash>/<file>`` is a relative link into ``blobs/``, and a blob being
written is ``blobs/<etag>.incomplete`` (its link is made only when it is complete).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Optional

from .located import FOLDER, HF_CACHE, MODELSCOPE_CACHE, NOT_FOUND, Located
from .needed import needed_files
from .modelscope import MS_MARKERS, modelscope_cache_root, modelscope_candidates, modelscope_revision

HF_TITLE = "Hugging Face cache"
MS_TITLE = "ModelScope cache"
HF_PREFIX = "models--"  # huggingface_hub: f"{repo_type}s" + REPO_ID_SEPARATOR ("--") + the id's parts
DEFAULT_REVISION = "main"
COMMIT = re.compile(r"^[0-9a-f]{40}$")  # huggingface_hub's REGEX_COMMIT_HASH
SHORT_COMMIT = re.compile(r"^[0-9a-f]{7,39}$")
# huggingface_hub's validate_repo_id, plus: a path (absolute, ~, ./) is never an id
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")


def hf_cache_root() -> Path:
    """The Hugging Face hub cache, as huggingface_hub finds it (see the module docstring)."""
    env = os.environ
    home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                                     ".cache"), "huggingface")
    home = os.path.expandvars(os.path.expanduser(home))
    root = env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE") or os.path.join(home, "hub")
    return Path(os.path.expandvars(os.path.expanduser(root)))


def is_hub_id(spec: str) -> bool:
    """``ORG/NAME`` or ``NAME`` as the Hub spells ids (no ``--`` or ``..``, at most 96 characters)."""
    return bool(_HUB_ID.match(spec)) and "--" not in spec and ".." not in spec and len(spec) <= 96 \
        and not spec.endswith(".")


def split_revision(spec: str) -> tuple[str, Optional[str]]:
    """``"ORG/NAME@v1"`` -> ``("ORG/NAME", "v1")``; anything else -> ``(spec, None)``."""
    head, at, rev = spec.rpartition("@")
    if at and rev and is_hub_id(head):
        return head, rev
    return spec, None


def _caches() -> tuple[tuple[str, str], ...]:
    return ((HF_TITLE, str(hf_cache_root())), (MS_TITLE, str(modelscope_cache_root())))


def locate(spec, *, revision: Optional[str] = None) -> Located:
    """Where the model ``spec`` (folder, Hub id, ``id@revision``) is on this machine; never raises."""
    text = str(spec).strip()
    path = Path(text).expanduser()
    if text and path.is_dir():
        return _folder(text, path)
    name, rev = split_revision(text)
    rev = rev or revision
    if not is_hub_id(name):
        return Located(text, None, NOT_FOUND, looked_in=(str(path),))
    looked: list[str] = []
    problems: list[str] = []
    found = [f for f in (_hf_lookup(text, name, rev, looked, problems),
                         _ms_lookup(text, name, rev, looked, problems)) if f is not None]
    best = next((f for f in found if f.complete), found[0] if found else None)
    if best is not None:
        return best
    return Located(text, None, NOT_FOUND, repo_id=name, revision=rev, looked_in=tuple(looked),
                   caches=_caches(), problem="; ".join(problems) or None)


def local_folder(spec, *, revision: Optional[str] = None) -> Optional[Path]:
    """The folder ``spec`` names on this machine (a cache snapshot for a Hub id), or None."""
    return locate(spec, revision=revision).path if spec else None


# --- a folder given by its path --------------------------------------------------------------------


def _folder(text: str, path: Path) -> Located:
    if path.name.startswith(HF_PREFIX) and ((path / "snapshots").is_dir() or (path / "refs").is_dir()):
        problems: list[str] = []
        found = _hf_repo(text, path, None, problems)
        return found or Located(text, None, NOT_FOUND, repo_id=_hf_repo_id(path.name), looked_in=(str(path),),
                                problem="; ".join(problems) or None)
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith(HF_PREFIX):
        refs = _refs(path.parent.parent)
        rev = next((r for r, commit in sorted(refs.items()) if commit == path.name), None)
        return _made(text, path, HF_CACHE, _hf_repo_id(path.parent.parent.name), rev, path.name, [str(path)])
    if any((path / m).exists() for m in MS_MARKERS):
        repo_id = f"{path.parent.name}/{path.name.replace('___', '.')}"
        return _made(text, path, MODELSCOPE_CACHE, repo_id, modelscope_revision(path), None, [str(path)])
    return _made(text, path, FOLDER, None, None, None, [str(path)])


def _made(text, path, where, repo_id, revision, snapshot, looked) -> Located:
    needed, missing = needed_files(path)
    return Located(text, path, where, repo_id=repo_id, revision=revision, snapshot=snapshot, needed=needed,
                   missing=missing, looked_in=tuple(looked))


# --- the Hugging Face cache --------------------------------------------------------------------------


def _hf_repo_id(folder_name: str) -> str:
    return "/".join(folder_name[len(HF_PREFIX):].split("--"))


def _ci_child(parent: Path, name: str) -> Path:
    """``parent/name``, else the one child whose name differs from it only in case (ids are typed loosely)."""
    exact = parent / name
    if exact.exists():
        return exact
    try:
        near = [p for p in parent.iterdir() if p.name.lower() == name.lower()]
    except OSError:
        return exact
    return near[0] if len(near) == 1 else exact


def _hf_lookup(text, name, rev, looked, problems) -> Optional[Located]:
    repo = _ci_child(hf_cache_root(), HF_PREFIX + name.replace("/", "--"))
    looked.append(str(repo))
    if not repo.is_dir():
        return None
    found = _hf_repo(text, repo, rev, problems)
    return None if found is None else replace(found, looked_in=tuple(looked))


def _refs(repo: Path) -> dict[str, str]:
    refs = {}
    base = repo / "refs"
    for p in base.rglob("*") if base.is_dir() else ():
        if p.is_file():
            try:
                refs[p.relative_to(base).as_posix()] = p.read_text(encoding="utf-8").strip()
            except (OSError, ValueError):
                continue
    return refs


def _hf_repo(text: str, repo: Path, rev: Optional[str], problems: list) -> Optional[Located]:
    """The snapshot of ``repo`` (a ``models--ORG--NAME`` folder) for ``rev`` (None: main)."""
    snaps_dir = repo / "snapshots"
    snaps = sorted(p.name for p in snaps_dir.iterdir() if p.is_dir()) if snaps_dir.is_dir() else []
    refs = _refs(repo)
    want = rev or DEFAULT_REVISION
    commit = refs.get(want)
    if commit is None and COMMIT.match(want) and want in snaps:
        commit = want
    elif commit is None and SHORT_COMMIT.match(want):
        hits = [s for s in snaps if s.startswith(want)]
        commit = hits[0] if len(hits) == 1 else None
    elif commit is None and rev is None and len(snaps) == 1:
        commit = snaps[0]  # no refs/main (downloaded by commit): its only snapshot
    if commit is None or commit not in snaps:
        have = ", ".join([f"{r} -> {c[:7]}" for r, c in sorted(refs.items())] or [s[:7] for s in snaps]) or "none"
        problems.append(f"{repo} has no snapshot for revision {want} (it has: {have})")
        return None
    path = snaps_dir / commit
    return _made(text, path, HF_CACHE, _hf_repo_id(repo.name), want, commit, [str(repo)])


# --- the ModelScope cache -----------------------------------------------------------------------------


def _ms_lookup(text, name, rev, looked, problems) -> Optional[Located]:
    if "/" not in name:  # ModelScope ids always have an owner
        return None
    for folder in modelscope_candidates(name):
        if not any(str(folder) == s for s in looked):
            looked.append(str(folder))
        org = _ci_child(folder.parent.parent, folder.parent.name)  # "qwen/..." on ModelScope, "Qwen/..." on the Hub
        folder = _ci_child(org, folder.name) if org.is_dir() else folder
        if not folder.is_dir():
            continue
        cached = modelscope_revision(folder)
        if rev and rev not in ("master", "main") and cached and cached != rev:
            problems.append(f"{folder} holds revision {cached}, not {rev}")
            continue
        found = _made(text, folder, MODELSCOPE_CACHE, name, cached, None, looked)
        return found
    return None


def cached_ids(limit: int = 200) -> list[str]:
    """Hub ids with a snapshot in the Hugging Face cache or a folder in the ModelScope cache (the
    window offers them in its base field); sorted, at most ``limit``."""
    from .modelscope import modelscope_ids

    ids = set()
    root = hf_cache_root()
    try:
        for p in root.iterdir():
            if p.name.startswith(HF_PREFIX) and (p / "snapshots").is_dir():
                ids.add(_hf_repo_id(p.name))
    except OSError:
        pass
    ids.update(modelscope_ids(limit))
    return sorted(ids, key=str.lower)[:limit]
