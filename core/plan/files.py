"""The files a plan writes: shards and their index, JSON and copied files, and what travels from the base.

The steps every planner shares once it knows its tensors (:mod:`.base` holds the plan's dataclasses).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from .. import formats
from ..io.jsonfile import json_object_or_none
from ..io.safetensors import build_header
from ..model.base import BaseModel, remote_code_files
from ..problems import WARNING
from ..sources.source import has_tokenizer
from .base import Plan, PlannedFile, PlannedFolder, PlannedShard, PlannedTensor


# --- sharding -------------------------------------------------------------------------------------


def shard(tensors: list[PlannedTensor], max_size: int) -> list[PlannedShard]:
    """Split greedily in order, as transformers does; a tensor over the limit gets its own shard.

    Within a shard, tensors are laid out by decreasing element size (stable), so each one's data
    starts aligned to its element size, as the safetensors library lays them out.
    """
    groups: list[list[PlannedTensor]] = []
    current: list[PlannedTensor] = []
    size = 0
    for t in tensors:
        if current and size + t.nbytes > max_size:
            groups.append(current)
            current, size = [], 0
        current.append(t)
        size += t.nbytes
    if current or not groups:
        groups.append(current)
    n = len(groups)
    shards = []
    for i, group in enumerate(groups, 1):
        group = sorted(group, key=lambda t: -formats.ST_ITEMSIZE[t.dtype])
        name = formats.SAFE_WEIGHTS if n == 1 else formats.SHARD_NAME.format(index=i, count=n)
        s = PlannedShard(name, group)
        header, _ = build_header(s.entries(), {"format": "pt"})
        s.size = len(header) + sum(t.nbytes for t in group)
        shards.append(s)
    return shards


def index_file(shards: list[PlannedShard]) -> Optional[PlannedFile]:
    if len(shards) <= 1:
        return None
    weight_map = {t.name: s.file for s in shards for t in s.tensors}
    total = sum(t.nbytes for s in shards for t in s.tensors)
    doc = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    content = (json.dumps(doc, indent=2) + "\n").encode()
    return PlannedFile(formats.SAFE_INDEX, len(content), "generated", content=content)


def add_weights(folder: PlannedFolder, tensors: list[PlannedTensor], max_size: int) -> None:
    """Shard ``tensors`` into ``folder``, with the index when there is more than one shard."""
    folder.shards = shard(tensors, max_size)
    idx = index_file(folder.shards)
    if idx:
        folder.files.append(idx)


def json_file(name: str, doc: dict, origin: str = "generated") -> PlannedFile:
    content = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return PlannedFile(name, len(content), origin, content=content)


def copy_file(path: Path, origin: str, name: Optional[str] = None) -> PlannedFile:
    return PlannedFile(name or path.name, path.stat().st_size, origin, source=path)


# --- the files that travel with a merged LLM -----------------------------------------------------


def carry_files(plan: Plan, folder: PlannedFolder, base: BaseModel, config: dict,
                training_dirs: list[Path]) -> None:
    """config.json, generation config, tokenizer, processor, remote code and licence files."""
    folder.files.append(json_file(formats.CONFIG, config))
    written = {formats.CONFIG, formats.SAFE_INDEX}

    def add(path: Path, origin: str) -> None:
        if path.name in written:
            return
        if path.is_file():
            folder.files.append(copy_file(path, origin))
            written.add(path.name)
        elif path.is_symlink():  # a link whose target is gone (or loops): say so rather than skip it
            plan.problem("broken-link", WARNING, path.name, path=str(path), target=os.readlink(path))
            written.add(path.name)

    # generation config: the training output's, else the base's
    gen_from = next((d for d in training_dirs if (d / formats.GENERATION_CONFIG).is_file()), base.folder)
    gen = gen_from / formats.GENERATION_CONFIG
    if gen.is_file():
        add(gen, "training output" if gen_from != base.folder else "base")
    else:
        plan.problem("missing-generation-config", WARNING, formats.GENERATION_CONFIG,
                     key="missing-generation-config/plan")

    # tokenizer: as one set, from the training output when it saved one, else from the base
    tok_from = next((d for d in training_dirs if has_tokenizer(d)), None)
    origin = "training output" if tok_from is not None else "base"
    tok_from = tok_from or base.folder
    tok_names = [p.name for p in sorted(tok_from.iterdir())
                 if (p.is_file() or p.is_symlink()) and formats.is_tokenizer_file(p.name)]
    if not has_tokenizer(tok_from):
        plan.problem("missing-tokenizer", WARNING, "tokenizer.json", key="missing-tokenizer/plan",
                     base=str(base.folder))
    for name in tok_names:
        add(tok_from / name, origin)
    plan.stats["tokenizer_from"] = str(tok_from)
    tok_cfg = tok_from / "tokenizer_config.json"
    if tok_cfg.is_file():
        tok_doc = json_object_or_none(tok_cfg) or {}
        for name in remote_code_files(tok_from, tok_doc):
            add(tok_from / name, origin)

    # processor files (multimodal bases), remote code, licences: from the base
    for name in formats.PROCESSOR_FILES:
        add(base.folder / name, "base")
    for name in remote_code_files(base.folder, base.config):
        add(base.folder / name, "base")
    for path in base.files():
        if formats.LICENSE_RE.match(path.name):
            add(path, "base")


# --- the LoRA planner -----------------------------------------------------------------------------
