"""The repairs ``mergesmith fix`` knows, each a function writing new files into a staging folder.

Every action reads from the original folder (never changing it) and writes what it produces
under ``stage`` at the same relative path; the caller then either copies the untouched files
beside them (a new folder) or swaps them into the original with a backup (``--in-place``).
An action that edits a file another action produced (the config copied from the base, then
its dtype set) reads the staged copy first.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .. import formats
from ..errors import MergesmithError
from ..plan.base import PlannedTensor
from ..plan.files import index_file, shard
from ..problems import Problem
from ..progress import CancelToken, Progress, ProgressCallback
from ..io.safetensors import CorruptFileError, ShardWriter, read_header
from ..io.stores import MemoryStore, SafetensorsStore, load_torch_weights


@dataclass
class FixAction:
    title: str  # one sentence: what it does
    problems: list[Problem]
    writes: list[str] = field(default_factory=list)  # relative paths it produces
    removes: list[str] = field(default_factory=list)  # relative paths it drops (kept in the backup)
    apply: Optional[Callable] = None  # apply(src, stage, progress, cancel)

    def to_dict(self) -> dict:
        return {"title": self.title, "codes": sorted({p.code for p in self.problems}),
                "writes": self.writes, "removes": self.removes}


def current(src: Path, stage: Path, rel: str) -> Path:
    """The newest version of ``rel``: staged by an earlier action, else the original."""
    staged = stage / rel
    return staged if staged.exists() else src / rel


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return doc


def copy_in(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)


# --- config edits ------------------------------------------------------------------------------


def set_config_keys(src: Path, stage: Path, rel: str, changes: dict) -> None:
    """Set top-level keys of a JSON config (and the same keys of text_config where present)."""
    path = current(src, stage, rel)
    doc = read_json(path)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
        text = doc.get("text_config")
        if isinstance(text, dict) and key in text:
            text[key] = value
    write_json(stage / rel, doc)


def dtype_keys(config: dict, dtype_name: str) -> dict:
    keys = [k for k in ("torch_dtype", "dtype") if k in config] or ["torch_dtype"]
    return {k: dtype_name for k in keys}


def generation_config_from(config: dict) -> dict:
    """What transformers derives from a model config: the special token ids."""
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else config
    doc = {k: text.get(k, config.get(k)) for k in ("bos_token_id", "eos_token_id", "pad_token_id",
                                                     "decoder_start_token_id")}
    doc = {k: v for k, v in doc.items() if v is not None}
    try:
        import transformers

        doc["transformers_version"] = transformers.__version__
    except ImportError:  # pragma: no cover
        pass
    return doc


def remove_generation_flags(src: Path, stage: Path, rel: str, flags: list[str]) -> None:
    path = current(src, stage, rel)
    doc = read_json(path)
    for key in flags:
        doc.pop(key, None)
    write_json(stage / rel, doc)


# --- weights --------------------------------------------------------------------------------------


class TensorSet:
    """The tensors of one folder as a loader would see them, from safetensors and pickles alike."""

    def __init__(self, folder: Path, *, tie_embeddings: bool = False, pickles: bool = True) -> None:
        self.folder = folder
        self.tensors: list[PlannedTensor] = []
        self.stores: list = []
        self.from_files: set[str] = set()  # the files the tensors came from (replaced by the rewrite)
        try:
            self._collect(tie_embeddings, pickles)
        except BaseException:
            self.close()
            raise

    def shard_of(self) -> dict[str, str]:
        """Tensor name -> the safetensors file holding it (safetensors tensors only)."""
        return {t.name: t.store.file_of(t.name).name for t in self.tensors if isinstance(t.store, SafetensorsStore)}

    def _collect(self, tie: bool, pickles: bool) -> None:
        folder = self.folder
        mapping: dict[str, str] = {}
        shards = sorted(p.name for p in folder.glob("*.safetensors"))
        headers = {}
        for name in shards:
            try:
                headers[name] = read_header(folder / name)
            except CorruptFileError as exc:
                raise MergesmithError(f"{name} is damaged ({exc.message}); fix cannot rebuild from it. "
                                      "Copy it again first.") from None
        index = folder / formats.SAFE_INDEX
        if index.is_file():
            try:
                weight_map = read_json(index).get("weight_map") or {}
            except (OSError, ValueError, RecursionError):
                weight_map = {}
            for t, f in weight_map.items():
                if f in headers and t in headers[f].tensors:
                    mapping[t] = f
        for f in shards:
            for t in headers[f].tensors:
                mapping.setdefault(t, f)
        if mapping:
            store = SafetensorsStore({t: folder / f for t, f in mapping.items()}, str(folder))
            self.stores.append(store)
            infos = store.infos()
            for t in sorted(mapping, key=lambda n: (mapping[n], infos[n].start)):
                i = infos[t]
                self.tensors.append(PlannedTensor(t, i.dtype, i.shape, store, t))
        self.from_files.update(shards)
        if pickles:
            self._add_pickles(set(mapping), tie)

    def _add_pickles(self, have: set[str], tie: bool) -> None:
        from ..inspect.weights import is_pickle_weights

        pickles = sorted(p.name for p in self.folder.iterdir() if p.is_file() and is_pickle_weights(p.name))
        for name in pickles:
            state = load_torch_weights(self.folder / name)
            self.from_files.add(name)
            state = drop_tied_copies(state) if tie else state
            fresh = {k: v for k, v in state.items() if k not in have}
            if not fresh:
                continue
            store = MemoryStore(fresh, name)
            self.stores.append(store)
            for k, info in store.infos().items():
                self.tensors.append(PlannedTensor(k, info.dtype, info.shape, store, k))
                have.add(k)
        if (self.folder / formats.PT_INDEX).is_file():
            self.from_files.add(formats.PT_INDEX)

    def close(self) -> None:
        for s in self.stores:
            s.close()


def drop_tied_copies(state: dict) -> dict:
    """Leave out an output embedding that shares its storage with the input embedding (tied)."""
    from ..model.base import INPUT_EMBEDDING_SUFFIXES, OUTPUT_EMBEDDING_NAMES

    embed = next((k for k in state if k.endswith(INPUT_EMBEDDING_SUFFIXES)), None)
    if embed is None:
        return state
    out = dict(state)
    for name in OUTPUT_EMBEDDING_NAMES:
        t = state.get(name)
        e = state[embed]
        if t is not None and t.shape == e.shape and t.untyped_storage().data_ptr() == e.untyped_storage().data_ptr() \
                and t.storage_offset() == e.storage_offset():
            del out[name]
    return out


def write_weights(tensors: list[PlannedTensor], dest: Path, max_size: int, *,
                  progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None) -> list[str]:
    """Stream tensors into safetensors shards (+ index when more than one); return the file names."""
    dest.mkdir(parents=True, exist_ok=True)
    shards = shard(tensors, max_size)
    total = sum(s.size for s in shards)
    done = 0
    names = []
    for s in shards:
        with ShardWriter(dest / s.file, s.entries(), {"format": "pt"}) as writer:
            done += writer.header_size
            for t in s.tensors:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                raw = t.store.raw(t.source_name)
                if raw is not None:
                    done += writer.copy_range(t.name, *raw)
                else:
                    try:
                        done += writer.write(t.name, t.store.tensor(t.source_name))
                    finally:
                        t.store.release(t.source_name)
                if progress is not None:
                    progress(Progress("fix", done, total, s.file))
        names.append(s.file)
    idx = index_file(shards)
    if idx is not None:
        (dest / idx.name).write_bytes(idx.content)
        names.append(idx.name)
    return names


def rebuild_index(folder: Path, dest: Path) -> dict:
    """An index from the shard headers (the current index's choice wins for duplicates)."""
    ts = TensorSet(folder, pickles=False)
    try:
        weight_map = ts.shard_of()
        total = sum(t.nbytes for t in ts.tensors)
    finally:
        ts.close()
    doc = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    write_json(dest / formats.SAFE_INDEX, doc)
    return {"used": sorted(set(weight_map.values()))}


def unused_shards(folder: Path) -> list[str]:
    """Safetensors files that contribute no tensor a rebuilt index would map to them."""
    ts = TensorSet(folder, pickles=False)
    try:
        used = set(ts.shard_of().values())
    finally:
        ts.close()
    return sorted(p.name for p in folder.glob("*.safetensors") if p.name not in used)


def convert_adapter(folder: Path, dest: Path) -> None:
    state = load_torch_weights(folder / formats.ADAPTER_BIN)
    store = MemoryStore(state, formats.ADAPTER_BIN)
    entries = [(n, i.dtype, i.shape) for n, i in store.infos().items()]
    dest.mkdir(parents=True, exist_ok=True)
    with ShardWriter(dest / formats.ADAPTER_SAFE, entries, {"format": "pt"}) as writer:
        for n, _, _ in entries:
            writer.write(n, state[n])
