"""The safetensors header: reading one with every check the format asks for (sizes, dtypes,
offsets that tile the data section, a file exactly as long as it promises), and building one for
tensors laid out in order (:func:`build_header`). :mod:`.safetensors` reads and writes the data.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Iterable, Optional

from ..errors import SourceError
from ..formats import ST_ITEMSIZE

MAX_HEADER = 100 * 1024 * 1024  # the limit the safetensors library enforces

class CorruptFileError(SourceError):
    """A safetensors file whose header or size is not what the format requires."""

    def __init__(self, message: Optional[str] = None, *, path=None, reason: str = "corrupt", key: str = "",
                 params: Optional[dict] = None) -> None:
        super().__init__(message, path=path, key=key, params=params)
        self.reason = reason


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str  # safetensors code, e.g. "BF16"
    shape: tuple[int, ...]
    start: int = 0  # offsets within the data section
    end: int = 0

    @property
    def numel(self) -> int:
        return prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * ST_ITEMSIZE[self.dtype]


@dataclass
class SafetensorsHeader:
    path: Path
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] = field(default_factory=dict)
    data_start: int = 0
    file_size: int = 0

    @property
    def data_size(self) -> int:
        return max((t.end for t in self.tensors.values()), default=0)

    @property
    def expected_size(self) -> int:
        return self.data_start + self.data_size


def read_header(path: str | os.PathLike, *, check_size: bool = True) -> SafetensorsHeader:
    """Parse a safetensors header; raise :class:`CorruptFileError` with a clear reason if bad."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb", buffering=0) as f:  # unbuffered: read the header, not the data after it
            head = f.read(8)
            if len(head) < 8:
                raise CorruptFileError(path=path, reason="truncated", key="corrupt-shard/too-short",
                                       params={"name": path.name, "size": size})
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER or n > size - 8:
                raise CorruptFileError(path=path, reason="bad-header", key="corrupt-shard/header-size",
                                       params={"name": path.name, "header": n, "size": size})
            raw = f.read(n)
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from exc
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError(f"a JSON {type(doc).__name__}, not an object")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise CorruptFileError(path=path, reason="bad-header", key="corrupt-shard/header-json",
                               params={"name": path.name, "error": reason}) from None
    metadata = doc.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise CorruptFileError(
            f"The __metadata__ of {path.name} is not a map of strings to strings; the file is damaged.",
            path=path, reason="bad-header")
    tensors = {name: _tensor_info(path, name, entry) for name, entry in doc.items()}
    _check_tiling(path, tensors)
    header = SafetensorsHeader(path, tensors, dict(metadata), 8 + n, size)
    if check_size and size < header.expected_size:
        raise CorruptFileError(path=path, reason="truncated", key="corrupt-shard/truncated",
                               params={"name": path.name, "expected": header.expected_size, "size": size})
    if check_size and size > header.expected_size:  # a damaged length prefix would shift every tensor
        raise CorruptFileError(path=path, reason="longer", key="corrupt-shard/longer",
                               params={"name": path.name, "extra": size - header.expected_size})
    return header


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tensor_info(path: Path, name: str, entry) -> TensorInfo:
    """One header entry, checked as the safetensors library checks it (types, sizes, offsets)."""
    shape = entry.get("shape") if isinstance(entry, dict) else None
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    dtype = entry.get("dtype") if isinstance(entry, dict) else None
    if not (isinstance(dtype, str) and isinstance(shape, list) and all(_is_int(d) and d >= 0 for d in shape)
            and isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(x) for x in offsets)):
        raise CorruptFileError(
            f"The header entry for {name[:100]!r} in {path.name} is malformed (it needs a dtype, a shape "
            "of non-negative integers and two integer offsets); the file is damaged.",
            path=path, reason="bad-header")
    if dtype not in ST_ITEMSIZE:
        raise CorruptFileError(
            f"{path.name} stores {name[:100]!r} as {dtype[:20]}, a dtype Mergesmith does not know.",
            path=path, reason="bad-dtype")
    if not _fits_in_memory_index(shape):
        raise CorruptFileError(
            f"In {path.name}, {name[:100]!r} has a shape {list(shape)[:8]} too large for any tensor "
            "(its sizes overflow 64 bits); the file is damaged.", path=path, reason="bad-header")
    info = TensorInfo(name, dtype, tuple(shape), offsets[0], offsets[1])
    if not 0 <= info.start <= info.end or info.end - info.start != info.nbytes:
        raise CorruptFileError(
            f"In {path.name}, {name[:100]!r} has offsets {info.start}..{info.end} that do not match its "
            f"shape {list(shape)[:8]} and dtype {dtype}; the file is damaged.",
            path=path, reason="bad-offsets")
    return info


def _fits_in_memory_index(shape: list) -> bool:
    """Every size, and the product of the non-zero ones, below 2**63 (as the library and torch need),
    even for an empty tensor whose zero would hide the others."""
    total = 1
    for d in shape:
        if d >= 1 << 63:
            return False
        total *= max(d, 1)
        if total >= 1 << 63:
            return False
    return True


def _check_tiling(path: Path, tensors: dict[str, TensorInfo]) -> None:
    """The tensors must cover the data section from 0 with no gap and no overlap (as the format says)."""
    at = 0
    for t in sorted(tensors.values(), key=lambda t: (t.start, t.end)):
        if t.start != at:
            what = "overlaps the tensor before it" if t.start < at else "leaves a gap before it"
            raise CorruptFileError(
                f"In {path.name}, the data of {t.name[:100]!r} {what} (offset {t.start}, expected {at}); "
                "the header lies about where the tensors are, so the file is damaged or crafted.",
                path=path, reason="bad-offsets")
        at = t.end


def build_header(entries: Iterable[tuple[str, str, tuple[int, ...]]],
                 metadata: dict[str, str] | None = None) -> tuple[bytes, list[TensorInfo]]:
    """Header bytes (length prefix included, padded to 8) for tensors laid out in this order."""
    doc: dict[str, object] = {}
    if metadata:
        doc["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    infos: list[TensorInfo] = []
    offset = 0
    for name, dtype, shape in entries:
        info = TensorInfo(name, dtype, tuple(shape), offset, 0)
        info = TensorInfo(name, dtype, tuple(shape), offset, offset + info.nbytes)
        doc[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [info.start, info.end]}
        infos.append(info)
        offset = info.end
    body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    body += b" " * (-(8 + len(body)) % 8)
    return struct.pack("<Q", len(body)) + body, infos
