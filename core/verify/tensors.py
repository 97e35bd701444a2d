"""Verify, tensor by tensor: which tensors the folder must hold and how each is checked (names,
shapes and dtypes first), then each one recomputed from the inputs in float32 — ``W + scale *
(B @ A)``, or the trained tensor — rounded once to the stored dtype and compared in units in the
last place; a tensor that differs is named with the scale it looks merged with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from .. import formats
from ..progress import Progress
from ..io.safetensors import torch_dtype
from .parts import Folder, LowRank, Part
from .result import TensorCheck, VerifyResult

SLICE = 1 << 22
MAX_REPORTED = 20  # problems listed one by one; the rest are counted
_INT_OF = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16,
           torch.float64: torch.int64}


def ulp_and_abs(expected: torch.Tensor, actual: torch.Tensor) -> tuple[float, float]:
    """Largest difference in units in the last place (inf if NaN differs) and in absolute value."""
    a, b = expected.reshape(-1), actual.reshape(-1)
    if torch.equal(a, b):  # the common case, and far cheaper than the integer views below
        return 0.0, 0.0
    if a.dtype not in _INT_OF:
        return (0.0, 0.0) if torch.equal(a, b) else (float("inf"), float("inf"))
    ints = _INT_OF[a.dtype]
    width = torch.iinfo(ints).bits
    mask = (1 << (width - 1)) - 1
    worst, worst_abs = 0.0, 0.0
    for start in range(0, a.numel(), SLICE):
        x, y = a[start:start + SLICE], b[start:start + SLICE]
        nx, ny = torch.isnan(x), torch.isnan(y)
        if bool((nx != ny).any()):
            return float("inf"), float("inf")
        ix, iy = x.view(ints).long(), y.view(ints).long()
        ix = torch.where(ix < 0, -(ix & mask), ix)
        iy = torch.where(iy < 0, -(iy & mask), iy)
        d = (ix - iy).abs().masked_fill_(nx, 0)
        worst = max(worst, float(d.max()) if d.numel() else 0.0)
        diff = (x.double() - y.double()).abs().masked_fill_(nx, 0)
        if diff.numel():
            worst_abs = max(worst_abs, float(diff.max()))
    return worst, worst_abs


@dataclass
class _Todo:
    name: str
    kind: str  # "merged", "replaced", "copied", "unchecked"
    nbytes: int
    rows: Optional[int] = None  # the rows the inputs give, when the output has grown (added tokens)


def compare_tensors(out: Path, folders: list[Folder], result: VerifyResult, all_tensors: bool, progress,
                    cancel) -> None:
    work = [(f, _plan_checks(f, result, all_tensors)) for f in folders if f.out is not None]
    total = sum(t.nbytes for _, todo in work for t in todo if t.kind != "unchecked")
    done = over = 0
    for f, todo in work:
        for t in todo:
            cancel.raise_if_cancelled()
            if t.kind == "unchecked":
                result.unchecked.append(f.where(t.name))
                continue
            progress(Progress("verify", done, total, f.out_rel or None, 0, 0, f.out_name(t.name)))
            check, message = _check(f, t, result)
            result.checks.append(check)
            done += t.nbytes
            if check.ulp > result.tolerance_ulp:
                over += 1
                if over <= MAX_REPORTED:
                    result.problem("merge-mismatch", f.where(t.name), message)
    if over > MAX_REPORTED:
        result.problem("merge-mismatch", out.name, key="merge-mismatch/more", count=over - MAX_REPORTED,
                       ulp=result.tolerance_ulp)
    _note_unchecked(folders, result)
    progress(Progress("verify", total, total))


def _grown(f: Folder, have: tuple, shape: tuple) -> bool:
    """The output holds more rows than the inputs give, as many as the config's vocabulary (added tokens)."""
    return bool(f.grow_to) and len(have) == len(shape) >= 1 and have[0] == f.grow_to > shape[0] \
        and have[1:] == shape[1:]


def _plan_checks(f: Folder, result: VerifyResult, all_tensors: bool) -> list[_Todo]:
    """Which tensors ``f.out`` must hold and how each is checked; names, shapes and dtypes checked here."""
    base = f.base.infos() if f.base is not None else {}
    have = f.out.infos()
    part = f.part or Part(f.rel)
    trained = part.store.infos() if part.store is not None else {}
    expected = {n: i.shape for n, i in base.items()}
    expected.update({n: trained[s].shape for n, s in part.replaced.items()})
    todo, dtypes = [], set()
    for name, shape in expected.items():
        info, shown = have.get(name), f.out_name(name)
        if info is None:
            result.problem("missing-weights", f.where(name), key="missing-weights/verify" + ("-part" if f.out_rel else ""),
                           name=shown, **({"part": f.out_rel} if f.out_rel else {}))
            continue
        rows = None
        if tuple(info.shape) != tuple(shape):
            if not _grown(f, tuple(info.shape), tuple(shape)):
                result.problem("shape-mismatch", f.where(name), key="shape-mismatch/verify", name=shown,
                               got=str(list(info.shape)), want=str(list(shape)))
                continue
            rows = shape[0]
        if name in base and name not in part.replaced and info.dtype != base[name].dtype:
            dtypes.add((formats.dtype_name(base[name].dtype), formats.dtype_name(info.dtype)))
        kind = ("replaced" if name in part.replaced else "unchecked" if name in part.unchecked
                else "merged" if name in part.low_rank else "copied")
        if kind != "copied" or all_tensors or rows is not None:
            todo.append(_Todo(name, kind, info.nbytes, rows))
    for name in sorted(set(part.low_rank) | set(part.unchecked)):
        if name not in expected:
            result.problem("missing-weights", f.where(name), key="missing-weights/not-in-base", name=name)
    extra = sorted(f.out_name(n) for n in have if n not in expected)
    if extra:
        where = f"{f.out_rel}/{extra[0]}" if f.out_rel else extra[0]
        result.problem("unexpected-weights", where, key="unexpected-weights/verify", count=len(extra),
                       names=", ".join(extra[:3]))
    for planned, stored in sorted(dtypes):
        result.notes.append(f"{f.place} stores {stored} where the base has {planned} "
                            f"({f.dtype_why.format(stored=stored)}); values were compared in {stored}.")
    return todo


def _check(f: Folder, t: _Todo, result: VerifyResult) -> tuple[TensorCheck, str]:
    """Compare one tensor; the message says what differs if it does."""
    part, base_store, out_store, shown = f.part, f.base, f.out, f.out_name(t.name)
    out_dtype = torch_dtype(out_store.infos()[t.name].dtype)
    actual = out_store.tensor(t.name)
    head = actual if t.rows is None else actual[:t.rows]
    try:
        if t.kind == "merged":
            lr = part.low_rank[t.name]
            w32, delta = _reference(base_store, t.name, part.store, lr)
            (ulp, max_abs), added = _against(w32, actual, out_dtype, t.rows)
            message = ("" if ulp <= result.tolerance_ulp else
                       _merged_message(shown, ulp, max_abs, lr, w32, delta, head, result.settings_from))
        else:
            store, name = (part.store, part.replaced[t.name]) if t.kind == "replaced" else (base_store, t.name)
            try:
                (ulp, max_abs), added = _against(store.tensor(name), actual, out_dtype, t.rows)
            finally:
                store.release(name)
            source = "the trained tensor in the source" if t.kind == "replaced" else "the base model's"
            message = ("" if ulp <= result.tolerance_ulp else
                       f"{shown} differs from {source} by up to {_ulp_text(ulp)} ({max_abs:.3g}); this folder is "
                       "not the merge of these inputs (another iteration or base?), or it was damaged. Merge again.")
        if added is not None and added[0] > result.tolerance_ulp:
            message = " ".join(m for m in (message, _added_rows_message(shown, t.rows, actual.shape[0], *added)) if m)
            ulp, max_abs = max(ulp, added[0]), max(max_abs, added[1])
    finally:
        out_store.release(t.name)
    dtype = formats.dtype_name(out_store.infos()[t.name].dtype)
    return TensorCheck(shown, f.out_rel, t.kind, dtype, ulp, max_abs), message


def _against(expected: torch.Tensor, actual: torch.Tensor, out_dtype, rows: Optional[int]):
    """``actual`` against ``expected`` cast to ``out_dtype``: (ulp, abs), and with ``rows`` (a grown
    tensor) only its first rows, its further rows against the mean of ``expected``'s rows: (ulp, abs)."""
    if rows is None:
        return ulp_and_abs(expected.to(out_dtype), actual), None
    mean = expected.float().mean(0, keepdim=True).to(expected.dtype).to(out_dtype)
    return (ulp_and_abs(expected.to(out_dtype), actual[:rows]),
            ulp_and_abs(mean.expand(actual.shape[0] - rows, *mean.shape[1:]), actual[rows:]))


def _added_rows_message(shown: str, rows: int, total: int, ulp: float, max_abs: float) -> str:
    return (f"{shown}: rows {rows} to {total - 1}, added for new tokens (<image>, pad), differ from the mean of "
            f"the {rows} rows the inputs give by up to {_ulp_text(ulp)} ({max_abs:.3g}); mergesmith fills them "
            "with that mean (XTuner's conversion draws random rows), so this folder was written otherwise or "
            "damaged. Merge again with --format llava-hf.")


def _reference(base_store, name: str, store, lr: LowRank) -> tuple[torch.Tensor, torch.Tensor]:
    """``W + scale * (B @ A)`` in float32 (and the scaled product), from the stored tensors as they are."""
    try:
        delta = store.tensor(lr.b).float() @ store.tensor(lr.a).float()
    finally:
        store.release(lr.a)
        store.release(lr.b)
    if lr.transpose:
        delta = delta.t()
    delta = delta * lr.scale
    try:
        w32 = base_store.tensor(name).float() + delta
    finally:
        base_store.release(name)
    return w32, delta


def _merged_message(name: str, ulp: float, max_abs: float, lr: LowRank, w32, delta, actual, source: str) -> str:
    head = f"{name} differs from base + adapter by up to {_ulp_text(ulp)} ({max_abs:.3g})"
    seen = _apparent_scale(w32, delta, actual, lr.scale)
    if seen is not None and abs(seen - lr.scale) > 0.01 * abs(lr.scale):
        alpha = seen * lr.alpha / lr.scale
        return (f"{head}: it looks merged with scale {seen:.3g} (lora_alpha {alpha:.3g} at r {lr.rank}), but "
                f"{lr.formula} from {source} gives {lr.scale:g}. Merge again with the "
                "config that trained the adapter.")
    return (f"{head}; this folder is not the merge of these inputs (another adapter, iteration or base?), or it "
            "was damaged. Merge again.")


def _apparent_scale(w32, delta, actual, scale: float) -> Optional[float]:
    """The scale s' that best explains ``actual = W + s' * (B @ A)`` (least squares), if there is one."""
    if not scale:
        return None
    seen = actual.float() - (w32 - delta)
    den = float((delta * delta).sum())
    if den == 0 or not torch.isfinite(seen).all():
        return None
    return scale * float((seen * delta).sum()) / den


def _ulp_text(ulp: float) -> str:
    return "NaN/Inf" if ulp == float("inf") else f"{int(ulp)} ulp"


def _note_unchecked(folders: list[Folder], result: VerifyResult) -> None:
    variants = sorted({v for f in folders if f.part is not None for v in f.part.unchecked.values()})
    if result.unchecked:
        shown = ", ".join(result.unchecked[:3]) + (" ..." if len(result.unchecked) > 3 else "")
        result.notes.append(f"{len(result.unchecked)} tensor(s) use {' / '.join(variants)}, which verify does not "
                            f"recompute independently ({shown}); they were not checked.")
