"""Read PyTorch pickles (mmengine ``.pth``, DeepSpeed ``.pt``) without running pickled code.

XTuner's checkpoints are full pickles: besides tensors they hold mmengine's ``HistoryBuffer``,
DeepSpeed's ``ZeroStageEnum`` and loss scalers, numpy scalars. ``torch.load(weights_only=True)``
refuses them, and ``weights_only=False`` would import mmengine/DeepSpeed and run whatever the
pickle asks for. :func:`load_checkpoint` takes the middle road:

* tensors, dtypes, sizes and plain containers are rebuilt (with our own small rebuild
  functions, not arbitrary callables);
* classes of third-party packages (mmengine, deepspeed, numpy, xtuner, anything not in the
  standard library) become inert :class:`Stub` objects that only record their arguments and
  state; nothing is imported;
* anything else the pickle asks for -- a standard-library or torch callable such as
  ``os.system``, ``builtins.eval`` or ``subprocess.Popen`` -- is refused with
  :class:`UnsafePickleError` before it can be called.

Zip-format files are memory-mapped (``torch.load(mmap=True)``): tensors are views on the file and
their pages are read only when a tensor is used, so a 14 GB checkpoint does not need 14 GB of RAM.
"""

from __future__ import annotations

import ctypes
import mmap
import zipfile
from pathlib import Path
from typing import Any

import torch

from ..errors import SourceError, UnsafePickleError
from .stores import MemoryStore
from .unpickler import Stub, as_int, make_pickle_module  # noqa: F401 - Stub, as_int: part of this module's API


# --- loading -----------------------------------------------------------------------------------


def load_checkpoint(path) -> Any:
    """Unpickle a PyTorch checkpoint safely (see the module docstring); tensors are lazy."""
    return open_checkpoint(path)[0]


def open_checkpoint(path) -> tuple[Any, bool]:
    """Unpickle a PyTorch checkpoint safely; return it and whether its tensors are memory-mapped.

    Zip-format files (every ``torch.save`` since torch 1.6) are mapped; old-format files are read.

    Raises
    ------
    UnsafePickleError
        The pickle asks for a callable beyond tensors and containers.
    SourceError
        The file is missing, truncated, damaged, a TorchScript archive, or not a checkpoint.
    """
    path = Path(path)
    label = str(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from None
    if not magic:
        raise SourceError(f"{path} is empty; the checkpoint was not saved completely. Use "
                          "another iteration or save it again.", path=path)
    is_zip = magic.startswith(b"PK")
    if is_zip:
        _check_zip(path)
    elif not magic.startswith(b"\x80"):
        raise SourceError(f"{path} is not a PyTorch checkpoint (it is neither a zip archive "
                          "nor a pickle); point at the .pth file that training wrote.", path=path)
    pm = make_pickle_module(label)
    try:
        return torch.load(path, map_location="cpu", weights_only=False, mmap=is_zip, pickle_module=pm), is_zip
    except UnsafePickleError as exc:
        if label in exc.message:
            raise
        raise UnsafePickleError(f"Refused to read {path}: {exc.message}", path=path) from None
    except SourceError:
        raise
    except MemoryError:
        why = ("it asks for more memory than a checkpoint needs, so it is damaged or crafted" if is_zip else
               "it is an old-format (non-zip) checkpoint, which cannot be memory-mapped")
        raise SourceError(f"Not enough memory to read {path}; {why}.", path=path) from None
    except Exception as exc:  # UnpicklingError, EOFError, RuntimeError from the zip reader...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(
            f"Cannot read {path}: it is damaged or truncated ({reason[:200]}). Copy it again, or "
            "use another iteration.", path=path) from None


def _check_zip(path: Path) -> None:
    """Refuse truncated zips with a plain sentence, and TorchScript archives (they hold code)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
    except Exception:  # BadZipFile, OSError, EOFError, ValueError, NotImplementedError (a "version 6.4" zip)...
        raise SourceError(
            f"{path} is truncated or damaged: its zip directory is missing or unreadable (the "
            "save or the copy was interrupted). Copy it again, or use another iteration.",
            path=path) from None
    if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise SourceError(f"{path} has compressed members, which torch.save never writes (and "
                          "which could expand to any size); Mergesmith refused to read it.", path=path)
    if any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in names):
        raise SourceError(f"{path} is a TorchScript archive (a compiled program), not a "
                          "training checkpoint; Mergesmith does not load programs.", path=path)
    if not any(n.endswith("data.pkl") for n in names):
        raise SourceError(f"{path} is a zip archive but not a PyTorch checkpoint (no data.pkl).",
                          path=path)


def state_dict_of(obj: Any, path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint: ``obj['state_dict']`` (mmengine) or ``obj`` itself.

    Non-tensor values (which a bare state dict may carry, e.g. ``_metadata``) are left out.
    """
    path = Path(path)
    sd = obj
    if isinstance(obj, dict) and "state_dict" in obj:
        sd = obj["state_dict"]
    elif isinstance(obj, dict) and "module" in obj and isinstance(obj["module"], dict):
        sd = obj["module"]
    if not isinstance(sd, dict):
        raise SourceError(
            f"{path} holds no state_dict: it is a {type(obj).__name__}, not an mmengine/XTuner "
            "checkpoint or a dictionary of tensors.", path=path)
    tensors = {str(k): v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise SourceError(f"{path} has a state_dict with no tensors in it; the checkpoint is "
                          "empty or was saved without weights.", path=path)
    return tensors


def checkpoint_meta(obj: Any) -> dict:
    """The mmengine ``meta`` dict (iter, epoch, cfg text, ...) when present, else ``{}``."""
    meta = obj.get("meta") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


# --- page management for memory-mapped tensors -------------------------------------------------

_PAGE = mmap.PAGESIZE
_LIBC: Any = None


def _libc():
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(None, use_errno=True)
            _LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC or None


def advise(tensor: torch.Tensor, start: int, stop: int, what: str) -> None:
    """``madvise`` the bytes ``start:stop`` of a *memory-mapped* tensor: "drop" or "need".

    "drop" covers whole pages inside the range only, so a page shared with a neighbouring
    tensor stays; dropped pages of a private, unwritten file mapping are simply read again from
    the file if touched later. Never call this on a tensor that is not file-backed.
    """
    advice = getattr(mmap, "MADV_DONTNEED" if what == "drop" else "MADV_WILLNEED", None)
    libc = _libc()
    if advice is None or libc is None or tensor.numel() == 0:
        return
    addr = tensor.data_ptr()
    if what == "drop":
        first, last = -(-(addr + start) // _PAGE) * _PAGE, ((addr + stop) // _PAGE) * _PAGE
    else:
        first, last = ((addr + start) // _PAGE) * _PAGE, -(-(addr + stop) // _PAGE) * _PAGE
    if last > first:
        libc.madvise(first, last - first, advice)


class CheckpointStore(MemoryStore):
    """The tensors of one checkpoint; when memory-mapped, pages are dropped once consumed.

    The merge engine calls ``release_part`` as it consumes rows, ``release`` when a tensor is
    done and ``prefetch`` for the next one, so reading a 14 GB full fine-tune keeps resident
    memory flat, as with safetensors files.
    """

    def __init__(self, tensors: dict[str, torch.Tensor], label: str, mapped: bool) -> None:
        super().__init__(tensors, label)
        self.mapped = mapped

    def _nbytes(self, name: str) -> int:
        t = self._tensors[name]
        return t.numel() * t.element_size()

    def release(self, name: str) -> None:
        if self.mapped and self._tensors[name].is_contiguous():
            advise(self._tensors[name], 0, self._nbytes(name), "drop")

    def release_part(self, name: str, start: int, stop: int) -> None:
        if self.mapped and self._tensors[name].is_contiguous():
            advise(self._tensors[name], start, stop, "drop")

    def prefetch(self, name: str) -> None:
        if self.mapped and self._tensors[name].is_contiguous():
            advise(self._tensors[name], 0, self._nbytes(name), "need")
