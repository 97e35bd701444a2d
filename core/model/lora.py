"""The maths of each LoRA variant, as PEFT defines it, on one tensor at a time.

Everything is computed in float32 and rounded once, to the output dtype, at the end:

* plain LoRA:      W' = W + s * (B @ A)              (transposed for ``fan_in_fan_out``)
* embedding LoRA:  W' = W + s * (B @ A)^T            (``lora_embedding_A/B``)
* ``lora_bias``:    b' = b + s * b_B
* DoRA:            W' = m / ||W + dW||_row * (W + dW)   (column-wise for embeddings)
* trainable tokens: rows ``i`` of W are replaced by the trained rows

with ``s = alpha / r`` or ``alpha / sqrt(r)`` (rsLoRA). The order of operations follows PEFT's
``merge`` so that results are bit-identical to ``merge_and_unload`` where PEFT itself computes
in float32 (linear layers); PEFT rounds an embedding's delta to the base dtype before adding it,
which we do not, so there the two may differ by one unit in the last place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # torch is imported when a merge computes, not with this module (the window's first frame)
    import torch


def lora_scale(alpha: float, rank: int, use_rslora: bool) -> float:
    return alpha / math.sqrt(rank) if use_rslora else alpha / rank


@dataclass(frozen=True)
class LowRankTerm:
    """``s * (B @ A)`` added into a weight; ``transpose`` for Conv1D and embeddings."""

    a: str
    b: str
    scale: float
    transpose: bool = False


@dataclass(frozen=True)
class VectorTerm:
    """``s * v`` added into a vector (the ``lora_bias`` of ``lora_B``)."""

    v: str
    scale: float


@dataclass(frozen=True)
class DoraTerm:
    """DoRA's rescaling by ``magnitude / norm`` (per output row, or per column of an embedding)."""

    magnitude: str
    per_column: bool = False  # embeddings: norms over the vocabulary axis


@dataclass(frozen=True)
class RowsTerm:
    """Rows ``indices`` replaced by the rows of tensor ``values`` (PEFT trainable tokens)."""

    values: str
    indices: tuple[int, ...]


@dataclass
class Workspace:
    """Reusable float32 buffers so a merge allocates nothing per tensor."""

    _bufs: dict[str, torch.Tensor] = field(default_factory=dict)

    def get(self, key: str, shape, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
        import torch

        dtype = dtype or torch.float32
        n = math.prod(shape)
        buf = self._bufs.get(key)
        if buf is None or buf.numel() < n or buf.dtype != dtype:
            buf = torch.empty(max(n, 1), dtype=dtype)
            self._bufs[key] = buf
        return buf[:n].view(shape)


def blockable(terms) -> bool:
    """Whether the terms can be applied a block of rows at a time (every row independent)."""
    for term in terms:
        if isinstance(term, VectorTerm):
            return False
        if isinstance(term, DoraTerm) and term.per_column:
            return False
    return True


def apply_terms_rows(
    w32: torch.Tensor,
    start: int,
    terms,
    fetch,
    ws: Workspace,
) -> torch.Tensor:
    """Apply ``terms`` in place to rows ``start:start+len(w32)`` of a weight, in float32.

    Every element is computed exactly as :func:`apply_terms` computes it for the whole tensor
    (the same dot products of length r, the same multiply and add), so the result is the same
    bit for bit; working a block at a time keeps the data in cache, which is several times
    faster than streaming the whole tensor through memory four times.
    """
    import torch

    stop = start + w32.shape[0]
    dora: DoraTerm | None = None
    for term in terms:
        if isinstance(term, DoraTerm):
            dora = term
    for term in terms:
        if not isinstance(term, LowRankTerm):
            continue
        a, b = fetch(term.a), fetch(term.b)
        if term.transpose:  # rows of W are columns of B @ A
            d = ws.get("delta", (b.shape[0], stop - start))
            torch.mm(b, a[:, start:stop], out=d)
            d.mul_(term.scale)
            w32.add_(d.t())
        else:
            d = ws.get("delta", (stop - start, a.shape[1]))
            torch.mm(b[start:stop], a, out=d)
            d.mul_(term.scale)
            w32.add_(d)
    if dora is not None:
        norm = torch.linalg.norm(w32, dim=1)
        factor = (fetch(dora.magnitude)[start:stop] / norm).view(-1, 1)
        w32.mul_(factor)
    for term in terms:
        if isinstance(term, RowsTerm):
            picks = [(k, i - start) for k, i in enumerate(term.indices) if start <= i < stop]
            if picks:
                values = fetch(term.values)
                w32[[r for _, r in picks]] = values[[k for k, _ in picks]]
    return w32


def apply_terms(
    w32: torch.Tensor,
    terms,
    fetch,
    ws: Workspace,
    base: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Apply adapter terms in place to ``w32`` (a float32 copy of the base tensor).

    ``fetch(name)`` returns an adapter tensor as float32. ``base`` is the base tensor in its
    own dtype, needed by DoRA (whose norm PEFT takes of ``W + dW`` with W unrounded).
    """
    import torch

    dora: DoraTerm | None = None
    delta: torch.Tensor | None = None
    for term in terms:
        if isinstance(term, LowRankTerm):
            a, b = fetch(term.a), fetch(term.b)
            d = ws.get("delta", (b.shape[0], a.shape[1]))
            torch.mm(b, a, out=d)
            d.mul_(term.scale)
            d = d.t() if term.transpose else d
            if any(isinstance(t, DoraTerm) for t in terms):
                delta = d
            else:
                w32.add_(d)
        elif isinstance(term, VectorTerm):
            w32.add_(fetch(term.v) * term.scale)
        elif isinstance(term, DoraTerm):
            dora = term
        elif isinstance(term, RowsTerm):
            values = fetch(term.values)
            index = torch.tensor(term.indices, dtype=torch.long)
            w32.index_copy_(0, index, values)
        else:  # pragma: no cover - a planner bug
            raise TypeError(f"unknown term {term!r}")
    if dora is not None:
        if delta is None:  # pragma: no cover - planner guarantees a low-rank term
            raise ValueError("DoRA needs a low-rank term")
        w32.add_(delta)  # W + dW in float32, as PEFT's get_weight_norm and merge
        if dora.per_column:
            norm = torch.linalg.norm(w32, dim=0)
            factor = (fetch(dora.magnitude) / norm).view(1, -1)
        else:
            norm = torch.linalg.norm(w32, dim=1)
            factor = (fetch(dora.magnitude) / norm).view(-1, 1)
        w32.mul_(factor)
    return w32
