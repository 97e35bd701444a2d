"""What an export reads: a model folder on disk, or a merge plan whose tensors are computed as they are
read (the one-step path, training output → GGUF, with no merged folder written in between).

Either way the export sees the same thing: the folder holding config.json and the tokenizer files, each
tensor's shape, and rows ``a:b`` of a tensor as float32. For a plan, those rows are exactly the merged
folder's (base rows + the adapter's terms in float32, cast to the output dtype), computed as the merge
engine computes them, a block of rows at a time where the terms allow it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import PlanError
from ..io.stores import TensorStore, open_model_weights


@dataclass
class GgufInput:
    meta_dir: Path  # config.json and the tokenizer files
    label: str  # the model's name in messages and in general.name
    shapes: dict[str, tuple[int, ...]]
    read_rows: Callable[[str, int, int], object]  # rows a:b as a torch tensor in the model's dtype
    release: Callable[[str], None]
    close: Callable[[], None]


def _rows_of(t, a: int, b: int):
    return t.reshape(1) if t.dim() == 0 else t[a:b]


def folder_input(folder: Path) -> GgufInput:
    if not (folder / "config.json").is_file():
        raise PlanError(f"{folder} has no config.json, so it is not a model folder; give the folder a merge "
                        "wrote (or any transformers model folder).", path=folder)
    store: TensorStore = open_model_weights(folder)
    shapes = {n: tuple(int(d) for d in i.shape) for n, i in store.infos().items()}

    def read_rows(name: str, a: int, b: int):
        return _rows_of(store.tensor(name), a, b)

    return GgufInput(folder, folder.name, shapes, read_rows, store.release, store.close)


def plan_input(plan) -> GgufInput:
    """A merge plan (core.plan) read as a model: its small files written to a temporary folder (a few
    KB: config, tokenizer), its tensors computed on demand."""
    if len(plan.folders) != 1 or plan.folders[0].rel:
        raise PlanError("This training output is a LLaVA model (an LLM, a projector and a visual encoder); "
                        "GGUF export writes language models only. Merge it to a folder instead.")
    folder = plan.folders[0]
    tensors = {t.name: t for shard in folder.shards for t in shard.tensors}
    meta = Path(tempfile.mkdtemp(prefix="mergesmith-gguf-meta-"))
    for f in folder.files:
        if f.content is not None:
            (meta / f.name).parent.mkdir(parents=True, exist_ok=True)
            (meta / f.name).write_bytes(f.content)
        elif f.source is not None and not f.name.endswith((".safetensors", ".bin")):
            (meta / f.name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.source, meta / f.name)
    merged = _MergedRows(tensors)

    def close() -> None:
        shutil.rmtree(meta, ignore_errors=True)

    return GgufInput(meta, plan.out.stem, {n: tuple(t.shape) for n, t in tensors.items()},
                     merged.read_rows, merged.release, close)


class _MergedRows:
    """Rows of the merged tensors, as the engine computes them (core.engine.merge)."""

    def __init__(self, tensors: dict) -> None:
        from ..model.lora import Workspace

        self.tensors = tensors
        self.ws = Workspace()
        self.cache: dict[str, object] = {}
        self.whole: Optional[tuple[str, object]] = None

    def fetch(self, t):
        def get(n: str):
            if n not in self.cache:
                self.cache[n] = t.term_store.tensor(n).float()
            return self.cache[n]

        return get

    def read_rows(self, name: str, a: int, b: int):
        import torch

        from ..engine.merge import check_range
        from ..io.safetensors import torch_dtype
        from ..model.lora import apply_terms, apply_terms_rows, blockable

        t = self.tensors[name]
        src = t.store.tensor(t.source_name)
        if not t.terms:
            return _rows_of(src, a, b).to(torch_dtype(t.dtype))
        if blockable(t.terms):
            rows = t.shape[0] if t.shape else 1
            w32 = src.reshape(rows, -1)[a:b].to(torch.float32, copy=True)
            apply_terms_rows(w32, a, t.terms, self.fetch(t), self.ws)
            w32 = w32.reshape((b - a, *t.shape[1:]))
        else:  # terms over whole columns (DoRA per column, vectors): the whole tensor once, then its rows
            if self.whole is None or self.whole[0] != name:
                full = src.to(torch.float32, copy=True).reshape(t.shape)
                apply_terms(full, t.terms, self.fetch(t), self.ws)
                self.whole = (name, full)
            w32 = self.whole[1][a:b] if t.shape else self.whole[1].reshape(1)
        out = w32.to(torch_dtype(t.dtype))
        check_range(t, out, w32)
        return out

    def release(self, name: str) -> None:
        t = self.tensors[name]
        t.store.release(t.source_name)
        for n in self.cache:
            self.tensors[name].term_store.release(n)
        self.cache.clear()
        self.whole = None
