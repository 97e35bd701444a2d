"""Safetensors without loading: header parsing, memory-mapped tensor reads, a streaming writer.

The format is 8 bytes (little-endian u64 header length N), N bytes of JSON, then the raw data.
Each JSON entry gives ``dtype``, ``shape`` and ``data_offsets`` relative to the data section;
the optional ``__metadata__`` maps strings to strings. Tensors must tile the data section with
no gaps, so a writer that knows every tensor's dtype and shape can write the header first and
then stream the data, one tensor at a time, never holding a shard in memory.
"""

from __future__ import annotations

import errno
import json
import mmap
import os
import struct
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Iterable

import torch

from ..errors import SourceError
from ..formats import ST_ITEMSIZE, ST_TO_TORCH, TORCH_TO_ST

MAX_HEADER = 100 * 1024 * 1024  # the limit the safetensors library enforces
PAGE = mmap.PAGESIZE


class CorruptFileError(SourceError):
    """A safetensors file whose header or size is not what the format requires."""

    def __init__(self, message: str, *, path=None, reason: str = "corrupt") -> None:
        super().__init__(message, path=path)
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
                raise CorruptFileError(
                    f"{path.name} is {size} bytes long, too short to be a safetensors file; "
                    "it is truncated or empty: copy or write it again.",
                    path=path, reason="truncated")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER or n > size - 8:
                raise CorruptFileError(
                    f"{path.name} does not start with a valid safetensors header "
                    f"(it claims a {n}-byte header in a {size}-byte file); it is not a "
                    "safetensors file or is damaged.", path=path, reason="bad-header")
            raw = f.read(n)
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from exc
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError(f"a JSON {type(doc).__name__}, not an object")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise CorruptFileError(
            f"The header of {path.name} is not valid JSON ({reason}); the file is damaged.",
            path=path, reason="bad-header") from None
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
        raise CorruptFileError(
            f"{path.name} is truncated: its header promises {header.expected_size} bytes but the "
            f"file has {size}. Copy or write it again.", path=path, reason="truncated")
    if check_size and size > header.expected_size:  # a damaged length prefix would shift every tensor
        raise CorruptFileError(
            f"{path.name} is {size - header.expected_size} bytes longer than its header says, which loaders "
            "refuse (a damaged length or an interrupted rewrite); copy or write it again.",
            path=path, reason="longer")
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


def torch_dtype(code: str) -> torch.dtype:
    try:
        return ST_TO_TORCH[code]
    except KeyError:
        raise SourceError(f"Tensors of dtype {code} are not supported.") from None


class SafetensorsFile:
    """A safetensors file opened read-only and memory-mapped, one tensor view at a time.

    ``tensor(name)`` returns a zero-copy view into the mapping; ``release(name)`` drops the pages
    it touched from this process (they stay in the page cache), so resident memory does not grow
    with the file. The mapping is private (copy-on-write): nothing can ever reach the file.
    """

    def __init__(self, path: str | os.PathLike, header: SafetensorsHeader | None = None) -> None:
        self.path = Path(path)
        self.header = header or read_header(self.path)
        self._fd: int | None = None
        self._map: mmap.mmap | None = None

    # -- lifetime
    def open(self) -> "SafetensorsFile":
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
            if self.header.file_size > 0:
                self._map = mmap.mmap(self._fd, 0, access=mmap.ACCESS_COPY)
                if hasattr(mmap, "MADV_SEQUENTIAL"):
                    self._map.madvise(mmap.MADV_SEQUENTIAL)
        return self

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SafetensorsFile":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reads
    @property
    def fd(self) -> int:
        self.open()
        assert self._fd is not None
        return self._fd

    def info(self, name: str) -> TensorInfo:
        return self.header.tensors[name]

    def byte_range(self, name: str) -> tuple[int, int]:
        """(absolute file offset, length) of a tensor's data."""
        t = self.header.tensors[name]
        return self.header.data_start + t.start, t.end - t.start

    def tensor(self, name: str) -> torch.Tensor:
        """A read-only view of the tensor's data (valid until ``release``/``close``)."""
        self.open()
        t = self.header.tensors[name]
        dtype = torch_dtype(t.dtype)
        if t.numel == 0:
            return torch.empty(t.shape, dtype=dtype)
        offset, length = self.byte_range(name)
        assert self._map is not None
        flat = torch.frombuffer(self._map, dtype=torch.uint8, count=length, offset=offset)
        return flat.view(dtype).view(t.shape)

    def release(self, name: str) -> None:
        """Drop the mapped pages of ``name`` from this process's resident memory."""
        self._advise(name, getattr(mmap, "MADV_DONTNEED", None))

    def release_part(self, name: str, start: int, stop: int) -> None:
        """Drop the pages holding bytes ``start:stop`` of ``name`` (whole pages inside only)."""
        if self._map is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        offset, _ = self.byte_range(name)
        first = -(-(offset + start) // PAGE) * PAGE  # round up: keep a page shared with what follows
        last = ((offset + stop) // PAGE) * PAGE
        if last > first:
            self._map.madvise(mmap.MADV_DONTNEED, first, last - first)

    def prefetch(self, name: str) -> None:
        """Ask the kernel to start reading ``name`` now (it is needed next)."""
        self.open()
        self._advise(name, getattr(mmap, "MADV_WILLNEED", None))

    def _advise(self, name: str, advice) -> None:
        if self._map is None or advice is None:
            return
        offset, length = self.byte_range(name)
        start = offset - offset % PAGE
        end = min(offset + length, len(self._map))
        if end > start:
            self._map.madvise(advice, start, end - start)


def tensor_bytes(t: torch.Tensor) -> memoryview:
    """The raw bytes of a tensor (made contiguous), as a memoryview for ``write``."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous().reshape(-1)
    if t.numel() == 0:
        return memoryview(b"")
    return memoryview(t.view(torch.uint8).numpy())


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


class ShardWriter:
    """Stream one safetensors file: header first, then each tensor's bytes in order.

    The caller announces every tensor (name, dtype, shape) up front, then supplies the data
    tensor by tensor with :meth:`write` (a tensor), :meth:`copy_range` (bytes straight from
    another file, by the kernel, never through Python memory), or in parts with
    :meth:`begin` / :meth:`write_part` / :meth:`end`. Order and sizes are checked against the
    header, so a file whose header lies cannot be produced.
    """

    def __init__(self, path: str | os.PathLike, entries, metadata=None) -> None:
        self.path = Path(path)
        header, self.infos = build_header(entries, metadata)
        self.header_size = len(header)
        self.size = self.header_size + (self.infos[-1].end if self.infos else 0)
        self._next = 0
        self._open: TensorInfo | None = None
        self._remaining = 0
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._write_all(header)

    @property
    def next_name(self) -> str | None:
        return self.infos[self._next].name if self._next < len(self.infos) else None

    def _write_all(self, data) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    # -- in parts
    def begin(self, name: str, dtype: str | None = None) -> int:
        if self._open is not None:
            raise RuntimeError(f"tensor {self._open.name!r} not finished before {name!r}")
        if self._next >= len(self.infos) or self.infos[self._next].name != name:
            raise RuntimeError(f"tensor {name!r} written out of order (expected {self.next_name!r})")
        info = self.infos[self._next]
        if dtype is not None and dtype != info.dtype:
            raise RuntimeError(f"tensor {name!r} is {dtype}, header says {info.dtype}")
        self._open, self._remaining = info, info.end - info.start
        return self._remaining

    def write_part(self, data) -> int:
        view = memoryview(data).cast("B")
        if self._open is None or view.nbytes > self._remaining:
            raise RuntimeError(f"more bytes than the header gives {self._open and self._open.name!r}")
        self._write_all(view)
        self._remaining -= view.nbytes
        return view.nbytes

    def end(self) -> None:
        if self._open is None or self._remaining:
            raise RuntimeError(f"tensor {self._open and self._open.name!r} is {self._remaining} bytes short")
        self._open = None
        self._next += 1

    # -- whole tensors
    def write(self, name: str, tensor: torch.Tensor) -> int:
        n = self.begin(name, TORCH_TO_ST.get(tensor.dtype))
        self.write_part(tensor_bytes(tensor))
        self.end()
        return n

    def copy_range(self, name: str, src_fd: int, offset: int, length: int) -> int:
        """Copy ``length`` bytes at ``offset`` of ``src_fd`` as the data of ``name``."""
        if self.begin(name) != length:
            raise RuntimeError(f"tensor {name!r}: copying {length} bytes, header says {self._remaining}")
        done = 0
        try:
            while done < length:
                n = os.copy_file_range(src_fd, self._fd, length - done, offset + done)
                if n == 0:
                    raise OSError("short copy")
                done += n
        except (OSError, AttributeError) as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise  # a full disk: copying another way would only fail again
            # Filesystems (or kernels) without copy_file_range: plain reads.
            while done < length:
                chunk = os.pread(src_fd, min(64 << 20, length - done), offset + done)
                if not chunk:
                    raise SourceError("A source file ended early while copying; it is truncated.")
                self._write_all(chunk)
                done += len(chunk)
        self._remaining = 0
        self.end()
        return length

    def close(self) -> None:
        if self._fd is None:
            return
        try:
            if self._next != len(self.infos):
                raise RuntimeError(f"{self.path.name}: {len(self.infos) - self._next} tensors not written")
        finally:
            os.close(self._fd)
            self._fd = None

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
