"""Report, values part (``--scan-values``): NaN or Inf anywhere in the weights, streaming.

Each tensor is read through a private memory map, checked in slices of a few million elements
(so a 500-million-row embedding never needs a second copy of itself), and its pages are
released before the next one; memory stays flat whatever the model's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional


from .. import formats
from .report import Report, join
from ..progress import CancelToken, Progress, ProgressCallback, no_progress
from ..io.safetensors import SafetensorsFile, SafetensorsHeader
from ..model.values import count_non_finite

MAX_REPORTED = 20


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
                            report.problem("non-finite", name_rel, name=name, bad=bad, total=info.numel)
                done += info.nbytes
    if found > MAX_REPORTED:
        report.problem("non-finite", shards[0][1].name, key="non-finite/more", count=found - MAX_REPORTED)
    report.summary["scanned_tensors"] = scanned
    progress(Progress("scan", total, total))
