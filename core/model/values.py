"""NaN and Inf: counted in one tensor, in slices, and in an adapter's tensors at plan time."""

from __future__ import annotations

import torch

from .. import formats

SLICE = 1 << 24  # elements per isfinite() call


def count_non_finite(t: torch.Tensor) -> int:
    flat = t.reshape(-1)
    bad = 0
    for start in range(0, flat.numel(), SLICE):
        part = flat[start:start + SLICE]
        bad += int(part.numel() - torch.isfinite(part).sum())
    return bad


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
