"""Report, values part (``--scan-values``): NaN or Inf anywhere in the weights, streaming.

Each tensor is read through a private memory map, checked in slices of a few million elements
(so a 500-million-row embedding never needs a second copy of itself), and its pages are
released before the next one; memory stays flat whatever the model's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from . import formats
from .inspect_report import Report, join
from .progress import CancelToken, Progress, ProgressCallback, no_progress
from .safetensors_io import SafetensorsFile, SafetensorsHeader

SLICE = 1 << 24  # elements per isfinite() call
MAX_REPORTED = 20


def count_non_finite(t: torch.Tensor) -> int:
    flat = t.reshape(-1)
    bad = 0
    for start in range(0, flat.numel(), SLICE):
        part = flat[start:start + SLICE]
        bad += int(part.numel() - torch.isfinite(part).sum())
    return bad


def scan_values(report: Report, shards: list[tuple[str, Path, SafetensorsHeader]], *,
                progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None) -> None:
    """Check every floating tensor of the given (rel, path, header) shards."""
    progress = progress or no_progress
    total = sum(t.nbytes for _, _, h in shards for t in h.tensors.values())
    done = 0
    found = 0
    scanned = 0
    for rel, path, header in shards:
        name_rel = join(rel, path.name)
        with SafetensorsFile(path, header) as f:
            for name, info in sorted(header.tensors.items(), key=lambda kv: kv[1].start):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                progress(Progress("scan", done, total, name_rel, 0, 0, name))
                if info.dtype in formats.FLOAT_CODES and info.numel:
                    try:
                        bad = count_non_finite(f.tensor(name))
                    finally:
                        f.release(name)
                    scanned += 1
                    if bad:
                        found += 1
                        if found <= MAX_REPORTED:
                            report.problem("non-finite", name_rel,
                                           f"{name} holds {bad} NaN/Inf value(s) of {info.numel}; the model "
                                           "will produce NaN. The training diverged or the file is damaged: "
                                           "use an earlier checkpoint.")
                done += info.nbytes
    if found > MAX_REPORTED:
        report.problem("non-finite", shards[0][1].name,
                       f"...and {found - MAX_REPORTED} more tensor(s) with NaN/Inf values.")
    report.summary["scanned_tensors"] = scanned
    progress(Progress("scan", total, total))


ADAPTER_SCAN_LIMIT = 256 << 20  # bytes of adapter tensors read at plan time, at most


def adapter_non_finite(adapter) -> tuple[list[tuple[str, int]], bool]:
    """(tensor, NaN/Inf count) of an adapter's tensors that hold any, and whether all were read.

    Planning reads no base data; of the adapter it reads the LoRA matrices, DoRA magnitudes,
    ``lora_B`` biases and trained token rows first, then whole-tensor replacements
    (``modules_to_save``, saved embeddings), up to ``ADAPTER_SCAN_LIMIT`` bytes in all, so a
    preview never reads gigabytes (typical adapters are tens of MB: a few milliseconds).
    """
    infos = adapter.store.infos()
    names = [n for m in adapter.loras.values() for n in (m.a, m.b, m.magnitude, m.bias) if n]
    names += [n for n, _ in adapter.token_rows.values()]
    names += sorted(adapter.replacements.values())
    budget = ADAPTER_SCAN_LIMIT
    found, complete = [], True
    for name in names:
        info = infos.get(name)
        if info is None or info.dtype not in formats.FLOAT_CODES or not info.numel:
            continue
        if info.nbytes > budget:
            complete = False
            continue
        budget -= info.nbytes
        try:
            bad = count_non_finite(adapter.store.tensor(name))
        finally:
            adapter.store.release(name)
        if bad:
            found.append((name, bad))
    return found, complete
