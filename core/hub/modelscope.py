"""The ModelScope cache: where ``modelscope`` puts a model it downloaded, in each of its layouts.

Read from modelscope's own source (github.com/modelscope/modelscope, at 50f8d37b^, before the hub
moved into ``modelscope_hub``; the layouts on disk are what users have):

- the root is ``MODELSCOPE_CACHE``, default ``~/.cache/modelscope/hub``
  (``modelscope/utils/file_utils.py``: ``get_modelscope_cache_dir``, ``~`` expanded);
- since modelscope 1.23 (commit 65075191, "clean directory structure", January 2025) models are in
  ``<root>/models/ORG/NAME`` (``get_model_cache_root``);
- before it, in ``<root>/ORG/NAME`` with the default root; with ``MODELSCOPE_CACHE`` set, the models
  root was ``$MODELSCOPE_CACHE/hub`` (``move_legacy_cache_to_standard_dir`` in
  ``modelscope/hub/file_download.py`` moves ``$MODELSCOPE_CACHE/hub/ORG/NAME`` from there);
- since commit 8cf88e41 (January 2024) a dot in NAME is stored as ``___`` (``Qwen1.5`` ->
  ``Qwen1___5``: ``create_temporary_directory_and_cache``); since 1a9ada4e (November 2024)
  ``snapshot_download`` also makes ``ORG/NAME`` (dots kept) a link to that folder
  (``get_model_masked_directory`` in ``modelscope/hub/utils/utils.py``);
- files are plain files, moved in from ``._____temp/`` when complete; ``.mdl`` and ``.msc`` are
  pickles (never read here), ``.mv`` is text: ``Revision:v1.0.0,CreatedAt:...``
  (``ModelFileSystemCache.save_model_version`` in ``modelscope/hub/utils/caching.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

MS_MARKERS = (".mdl", ".msc", ".mv")
TEMP_FOLDER = "._____temp"


def modelscope_cache_root() -> Path:
    return Path(os.path.expanduser(os.environ.get("MODELSCOPE_CACHE")
                                   or os.path.join(os.path.expanduser("~"), ".cache", "modelscope", "hub")))


def masked(name: str) -> str:
    return name.replace(".", "___")


def modelscope_candidates(repo_id: str) -> list[Path]:
    """The folders ``ORG/NAME`` may be in, newest layout first."""
    org, _, name = repo_id.partition("/")
    root = modelscope_cache_root()
    roots = [root / "models", root]
    if os.environ.get("MODELSCOPE_CACHE"):
        roots.append(root / "hub")
    out: list[Path] = []
    for r in roots:
        for n in dict.fromkeys((masked(name), name)):
            out.append(r / org / n)
    return out


def modelscope_revision(folder: Path) -> Optional[str]:
    """The revision ``.mv`` records (``Revision:v1.0.0,CreatedAt:...``, or the bare revision), or None."""
    try:
        text = (folder / ".mv").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if text.startswith("Revision:"):
        text = text[len("Revision:"):].split(",", 1)[0]
    return text.strip() or None


def modelscope_ids(limit: int = 200) -> list[str]:
    """``ORG/NAME`` of the model folders in the ModelScope cache (dots put back), at most ``limit``."""
    root = modelscope_cache_root()
    ids: list[str] = []
    for r in (root / "models", root):
        try:
            orgs = [p for p in r.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
                    and p.name not in ("models", "datasets", "hub")]
        except OSError:
            continue
        for org in orgs:
            try:
                names = [p.name for p in org.iterdir() if p.is_dir() and (p / "config.json").is_file()]
            except OSError:
                continue
            ids += [f"{org.name}/{n.replace('___', '.')}" for n in names]
            if len(ids) >= limit:
                return ids[:limit]
    return ids
