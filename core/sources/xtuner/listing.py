"""What an XTuner work_dir holds: its checkpoints (``iter_N.pth`` / ``epoch_N.pth``, files or
DeepSpeed folders), the one a merge uses by default, its training config ``.py``, and paths that
config names, made absolute where training ran."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ... import formats
from ...io.checkpoint import checkpoint_meta
from ...io.deepspeed import RANK_FILE, MP_MODEL, is_deepspeed_folder
from ...errors import SourceError
from .config import looks_like_config, read_config

CHECKPOINT_NAME = re.compile(r"^(?P<unit>iter|epoch)_(?P<n>\d+)\.pth$")
NOT_CONFIGS = ("zero_to_fp32.py", formats.XTUNER_CONFIG)


def list_iterations(work_dir: Path) -> list[dict]:
    """``[{iter, unit, path, kind}]`` for every ``iter_N.pth``/``epoch_N.pth``, oldest first."""
    out = []
    try:
        entries = list(Path(work_dir).iterdir())
    except OSError:
        return []
    for p in entries:
        m = CHECKPOINT_NAME.match(p.name)
        if not m:
            continue
        if p.is_file():
            kind = "pth"
        elif is_deepspeed_folder(p):
            kind = "deepspeed"
        else:
            continue
        out.append({"iter": int(m.group("n")), "unit": m.group("unit"), "path": str(p), "kind": kind})
    return sorted(out, key=lambda e: (e["unit"] == "iter", e["iter"]))


def latest_iteration(work_dir: Path, its: list[dict]) -> dict:
    marker = work_dir / "last_checkpoint"
    if marker.is_file():
        try:
            name = Path(marker.read_text(encoding="utf-8").strip()).name
        except OSError:
            name = ""
        for e in its:
            if Path(e["path"]).name == name:
                return e
    return its[-1]


def find_config(folder: Path) -> Optional[Path]:
    """The training config a work_dir holds (mmengine dumps it as ``<config name>.py``).

    Of the ``.py`` files there, the newest one that defines ``model = dict(...)``; a file that
    does not parse is passed over here (pointing at it directly gives the parse error).
    """
    try:
        cands = sorted((p for p in folder.iterdir() if p.suffix == ".py" and p.is_file()
                        and p.name not in NOT_CONFIGS and looks_like_config(p)),
                       key=lambda p: -p.stat().st_mtime)
    except OSError:
        return None
    for p in cands:
        try:
            read_config(p)
        except SourceError:
            continue
        return p
    return cands[0] if cands else None


def resolve_hint(value: Optional[str], anchors: list[Path], revision: Optional[str] = None) -> Optional[str]:
    """A path named by the config, made absolute when it exists relative to where training ran.

    Anything else is kept as written: a Hub id, looked up in the local caches when used
    (:func:`mergesmith.core.hub.cache.locate`), with ``@revision`` when the config names one.
    """
    if not value:
        return value
    p = Path(value).expanduser()
    if p.is_absolute() or p.is_dir():
        return str(p)
    for a in anchors:
        if (a / p).is_dir():
            return str((a / p).resolve())
    return f"{value}@{revision}" if revision else value


def stored_meta(ckpt: Path) -> dict:
    """The mmengine ``meta`` of a ``.pth`` file or of a DeepSpeed folder's model-state file ({} if none)."""
    from ...io.checkpoint import load_checkpoint

    if ckpt.is_dir():
        files = sorted(p for p in ckpt.iterdir() if MP_MODEL.match(p.name)
                       or (RANK_FILE.match(p.name) and RANK_FILE.match(p.name).group("what") == "model"))
        if not files:
            return {}
        ckpt = files[0]
    return checkpoint_meta(load_checkpoint(ckpt))


def latest_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint a merge of ``work_dir`` uses by default (``last_checkpoint``'s, else the newest)."""
    its = list_iterations(work_dir)
    return Path(latest_iteration(work_dir, its)["path"]) if its else None
