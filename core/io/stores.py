"""Where tensors come from: one interface over safetensors files, model folders and pickles.

A store answers ``infos()`` from headers alone, hands out one tensor at a time with
``tensor(name)`` and lets go of it with ``release(name)``. ``raw(name)`` gives the byte range
of a tensor stored as-is, so that an unchanged tensor is copied by the kernel without ever
entering Python. The merge engine only ever talks to this interface; the XTuner checkpoint
readers add stores of their own.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .. import formats
from ..errors import SourceError
from .safetensors import SafetensorsFile, TensorInfo, read_header

if TYPE_CHECKING:  # torch is imported where a pickle is read, not with this module (headers need none)
    import torch


@runtime_checkable
class TensorStore(Protocol):
    label: str

    def infos(self) -> dict[str, TensorInfo]: ...

    def tensor(self, name: str) -> torch.Tensor: ...

    def release(self, name: str) -> None: ...

    def raw(self, name: str) -> tuple[int, int, int] | None: ...

    def close(self) -> None: ...


class SafetensorsStore:
    """Tensors of one or several safetensors files (a sharded model or one adapter file)."""

    def __init__(self, files: dict[str, Path], label: str) -> None:
        # files: tensor name -> file path
        self.label = label
        self._files: dict[Path, SafetensorsFile] = {}
        self._where: dict[str, SafetensorsFile] = {}
        self._infos: dict[str, TensorInfo] = {}
        by_path: dict[Path, list[str]] = {}
        for name, path in files.items():
            by_path.setdefault(Path(path), []).append(name)
        for path, names in by_path.items():
            f = SafetensorsFile(path)
            self._files[path] = f
            for name in names:
                if name not in f.header.tensors:
                    raise SourceError(
                        f"The index of {label} says {name!r} is in {path.name}, but that file "
                        f"does not hold it; the index or the shard is wrong.", path=path)
                self._where[name] = f
                self._infos[name] = f.header.tensors[name]

    @classmethod
    def from_file(cls, path: str | os.PathLike, label: str | None = None) -> "SafetensorsStore":
        path = Path(path)
        header = read_header(path)
        store = cls.__new__(cls)
        store.label = label or str(path)
        f = SafetensorsFile(path, header)
        store._files = {path: f}
        store._where = {n: f for n in header.tensors}
        store._infos = dict(header.tensors)
        return store

    def infos(self) -> dict[str, TensorInfo]:
        return self._infos

    def file_of(self, name: str) -> Path:
        return self._where[name].path

    def files(self) -> list[Path]:
        return list(self._files)

    def tensor(self, name: str) -> torch.Tensor:
        return self._where[name].tensor(name)

    def release(self, name: str) -> None:
        self._where[name].release(name)

    def prefetch(self, name: str) -> None:
        self._where[name].prefetch(name)

    def release_part(self, name: str, start: int, stop: int) -> None:
        self._where[name].release_part(name, start, stop)

    def raw(self, name: str) -> tuple[int, int, int]:
        f = self._where[name]
        offset, length = f.byte_range(name)
        return f.fd, offset, length

    def close(self) -> None:
        for f in self._files.values():
            f.close()


class MemoryStore:
    """Tensors already in memory (small things: adapters read from pickles, rebuilt weights)."""

    def __init__(self, tensors: dict[str, torch.Tensor], label: str) -> None:
        self.label = label
        self._tensors = tensors
        self._infos = {
            n: TensorInfo(n, formats.TORCH_TO_ST[t.dtype], tuple(t.shape))
            for n, t in tensors.items()
        }

    def infos(self) -> dict[str, TensorInfo]:
        return self._infos

    def tensor(self, name: str) -> torch.Tensor:
        return self._tensors[name]

    def release(self, name: str) -> None:
        pass

    def raw(self, name: str) -> None:
        return None

    def close(self) -> None:
        pass


def load_torch_weights(path: Path) -> dict[str, torch.Tensor]:
    """Read a pickled state dict with torch's restricted unpickler: tensors and containers only.

    No code from the pickle can run. Zip-format files are memory-mapped, so only the tensors
    used are paged in.
    """
    import torch

    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle.UnpicklingError, RuntimeError, EOFError, zip errors...
        raise SourceError(_unreadable_pickle_text(path, exc), path=path) from None
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise SourceError(f"{path.name} does not hold a dictionary of tensors.", path=path)
    return obj


def _unreadable_pickle_text(path: Path, exc: Exception) -> str:
    """Why torch's restricted loader refused ``path``, in our words.

    torch's own text tells the user to load the file with ``weights_only=False`` (running its code),
    with terminal escape codes in it; we name the class the pickle wanted instead.
    """
    text = str(exc)
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found or "Weights only load failed" in text:
        what = f" ({found.group(1)})" if found else ""
        return (f"Cannot read {path.name} as plain weights: it holds objects other than tensors{what}, "
                "which Mergesmith will not unpickle. If it is a training checkpoint (XTuner's iter_N.pth), "
                "merge or convert it as training output instead of using it as model weights.")
    reason = re.sub(r"\x1b\[[0-9;]*m", "", text).strip().splitlines()[0] if text.strip() else type(exc).__name__
    return (f"Cannot read {path.name} as plain weights ({reason}). It is damaged, or it holds objects other "
            "than tensors, which Mergesmith will not unpickle.")


def open_model_weights(folder: Path) -> TensorStore:
    """The weights of a Hugging Face model folder, sharded or not, safetensors preferred."""
    folder = Path(folder)
    index = folder / formats.SAFE_INDEX
    single = folder / formats.SAFE_WEIGHTS
    if index.is_file():
        weight_map = read_index(index)
        missing = sorted({f for f in weight_map.values() if not (folder / f).is_file()})
        if missing:
            raise SourceError(
                f"{folder} is incomplete: its index names {len(missing)} shard(s) that are not "
                f"there ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}). Download or "
                "copy the missing files.", path=folder)
        return SafetensorsStore({n: folder / f for n, f in weight_map.items()}, str(folder))
    if single.is_file():
        return SafetensorsStore.from_file(single, str(folder))
    shards = sorted(folder.glob("model-*-of-*.safetensors"))
    if shards:
        raise SourceError(
            f"{folder} has safetensors shards but no {formats.SAFE_INDEX}; run "
            f"`mergesmith fix {folder}` to rebuild the index, or copy it from where the model "
            "came from.", path=folder)
    pt_index = folder / formats.PT_INDEX
    if pt_index.is_file() or (folder / formats.PT_WEIGHTS).is_file():
        return PickleModelStore(folder)
    raise SourceError(
        f"No model weights in {folder}: expected {formats.SAFE_WEIGHTS}, sharded "
        f"model-0000k-of-0000n.safetensors files with {formats.SAFE_INDEX}, or "
        f"{formats.PT_WEIGHTS}.", path=folder)


def read_index(index: Path) -> dict[str, str]:
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
        weight_map = doc["weight_map"]
        if not isinstance(weight_map, dict):
            raise TypeError
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        raise SourceError(
            f"{index.name} in {index.parent} is not a valid index (no weight_map); run "
            f"`mergesmith fix {index.parent}` to rebuild it from the shards.", path=index) from None
    return {str(k): str(v) for k, v in weight_map.items()}


class PickleModelStore(MemoryStore):
    """A model saved as ``pytorch_model*.bin``: read safely, memory-mapped when possible."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        pt_index = folder / formats.PT_INDEX
        files = sorted(set(read_index(pt_index).values())) if pt_index.is_file() else [formats.PT_WEIGHTS]
        tensors: dict[str, torch.Tensor] = {}
        for f in files:
            tensors.update(load_torch_weights(folder / f))
        super().__init__(tensors, str(folder))
