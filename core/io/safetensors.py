"""Safetensors without loading: memory-mapped tensor reads and a streaming writer (the header,
parsed and built, is :mod:`.safetensors_header`'s, and imported from here too).

The format is 8 bytes (little-endian u64 header length N), N bytes of JSON, then the raw data.
Each JSON entry gives ``dtype``, ``shape`` and ``data_offsets`` relative to the data section;
the optional ``__metadata__`` maps strings to strings. Tensors must tile the data section with
no gaps, so a writer that knows every tensor's dtype and shape can write the header first and
then stream the data, one tensor at a time, never holding a shard in memory.
"""

from __future__ import annotations

import errno
import mmap
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import formats
from ..errors import SourceError
from .safetensors_header import (  # noqa: F401 - the header's names are also this module's API
    MAX_HEADER, CorruptFileError, SafetensorsHeader, TensorInfo, build_header, read_header)

if TYPE_CHECKING:
    import torch

PAGE = mmap.PAGESIZE

# torch is imported by the calls that make or read tensors, not with this module: reading headers
# (inspect, the window) must not pay for it (about a second).


def torch_dtype(code: str) -> torch.dtype:
    try:
        return formats.ST_TO_TORCH[code]
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
        import torch

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
    import torch

    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous().reshape(-1)
    if t.numel() == 0:
        return memoryview(b"")
    return memoryview(t.view(torch.uint8).numpy())


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
        n = self.begin(name, formats.TORCH_TO_ST.get(tensor.dtype))
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
