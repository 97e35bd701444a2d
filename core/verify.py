"""Verify a merge: recompute what the adapter changes from the inputs and compare, streaming.

``verify(out, source, base)`` plans the same merge again (``make_plan`` with the same source
and base, so it works for every kind of source a planner accepts: PEFT folders, XTuner
checkpoints, converted folders), then, one tensor at a time, computes each changed tensor with
the merge's own maths (:func:`mergesmith.core.lora.apply_terms`, float32, rounded once) and
compares it with what ``out`` holds, in the dtype ``out`` stores, in units in the last place.
Tensors the adapter does not touch are checked by name, shape and dtype (values too with
``all_tensors``). A merge written by another tool (PEFT's merge_and_unload, XTuner's merge)
may differ by rounding: up to ``tolerance_ulp`` units is accepted.

With ``logits=True`` the merged model and base + adapter (PEFT's ``PeftModel``) run on a short
prompt, when memory allows, and their outputs are compared against the adapter's own effect
(base alone versus base + adapter): a right merge is far closer to base + adapter than the
base is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from . import formats
from .errors import PlanError, SourceError
from .inspect_report import severity_of
from .lora import Workspace, apply_terms
from .problems import Problem, errors
from .progress import CancelToken, Progress, ProgressCallback, no_progress
from .safetensors_io import torch_dtype
from .stores import open_model_weights

# Plan problems about where a merge would be written: irrelevant when checking one already written.
OUTPUT_CODES = {"output-exists", "output-overlaps-input", "output-not-writable", "disk-space"}
SLICE = 1 << 22
MAX_REPORTED = 20  # problems listed one by one; the rest are counted
_INT_OF = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16,
           torch.float64: torch.int64}


@dataclass
class TensorCheck:
    name: str
    folder: str  # "" or "projector", ...
    kind: str  # "merged" (adapter terms), "replaced" (from the training output), "copied"
    dtype: str
    ulp: float
    max_abs: float


@dataclass
class VerifyResult:
    out: Path
    source: str
    base: Optional[str]
    checks: list[TensorCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logits: Optional[dict] = None
    seconds: float = 0.0
    tolerance_ulp: int = 2

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    @property
    def worst(self) -> Optional[TensorCheck]:
        return max(self.checks, key=lambda c: c.ulp, default=None)

    def problem(self, code: str, file: str, message: str) -> None:
        self.problems.append(Problem(code, severity_of(code), file, message))

    def lines(self) -> list[str]:
        merged = [c for c in self.checks if c.kind == "merged"]
        out = [f"Verified {self.out} against {self.source} + {self.base}:",
               f"  {len(merged)} merged tensor(s) recomputed, {len(self.checks) - len(merged)} other(s) compared "
               f"by value, in {self.seconds:.1f} s."]
        w = self.worst
        if w is not None:
            ulp = "inf" if w.ulp == float("inf") else int(w.ulp)
            out.append(f"  Largest difference: {ulp} ulp ({w.max_abs:.3g} absolute) in "
                       f"{(w.folder + '/') if w.folder else ''}{w.name} ({w.dtype}); accepted up to "
                       f"{self.tolerance_ulp} ulp.")
        if self.logits:
            lg = self.logits
            out.append(f"  Logits on a {lg['tokens']}-token prompt ({lg['dtype']}): max |merged - base+adapter| = "
                       f"{lg['max_abs_merged_vs_peft']:.3g}, adapter's own effect {lg['max_abs_base_vs_peft']:.3g}, "
                       f"same top token at {lg['argmax_agreement'] * 100:.0f}% of positions.")
        for p in self.problems:
            out.append(f"  [{p.code}] {p.file}: {p.message}")
        out.extend(f"  Note: {n}" for n in self.notes)
        out.append("The merge is right." if self.ok else "The merge is NOT what the inputs give.")
        return out

    def to_dict(self) -> dict:
        w = self.worst
        return {
            "out": str(self.out), "source": self.source, "base": self.base, "ok": self.ok,
            "tolerance_ulp": self.tolerance_ulp, "seconds": round(self.seconds, 3),
            "max_ulp": None if w is None else (None if w.ulp == float("inf") else int(w.ulp)),
            "worst": None if w is None else f"{(w.folder + '/') if w.folder else ''}{w.name}",
            "tensors": [{"name": c.name, "folder": c.folder, "kind": c.kind, "dtype": c.dtype,
                         "ulp": None if c.ulp == float("inf") else int(c.ulp), "max_abs": c.max_abs}
                        for c in self.checks],
            "problems": [p.to_dict() for p in self.problems], "notes": self.notes, "logits": self.logits,
        }


# --- comparison ------------------------------------------------------------------------------------


def ulp_and_abs(expected: torch.Tensor, actual: torch.Tensor) -> tuple[float, float]:
    """Largest difference in units in the last place (inf if NaN differs) and in absolute value."""
    a, b = expected.reshape(-1), actual.reshape(-1)
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


def verify(out, source, base, *, logits: bool = False, all_tensors: bool = False, tolerance_ulp: int = 2,
           iteration: Optional[int] = None, visual_encoder=None, progress: Optional[ProgressCallback] = None,
           cancel: Optional[CancelToken] = None) -> VerifyResult:
    """Recompute the merge of ``source`` into ``base`` and compare it with the folder ``out``."""
    from .plan import PlanOptions, make_plan
    from .sources import detect

    progress = progress or no_progress
    cancel = cancel or CancelToken()
    out = Path(out).expanduser()
    if not out.is_dir():
        raise SourceError(f"{out} is not a folder; point verify at the merged model folder.", path=out)
    t0 = time.perf_counter()
    src = detect(source)
    options = PlanOptions(out=out, overwrite=True, iteration=iteration, format=_format_of(out),
                          visual_encoder=Path(visual_encoder) if visual_encoder else None)
    plan = make_plan(src, base, options)
    result = VerifyResult(out, str(src.path), None if plan.base is None else str(plan.base.folder),
                          tolerance_ulp=tolerance_ulp)
    try:
        bad = [p for p in plan.problems if p.is_error and p.code not in OUTPUT_CODES]
        if bad:
            raise PlanError("The merge cannot be recomputed: " + " ".join(p.message for p in bad[:3]))
        _compare(plan, out, result, all_tensors, progress, cancel)
        if logits:
            from .verify_logits import compare_logits

            progress(Progress("verify", 0, 0, None, 0, 0, "Running both models on a test prompt"))
            compare_logits(plan, out, result)
    finally:
        if plan.base is not None:
            plan.base.close()
        plan.source.close()
    result.seconds = time.perf_counter() - t0
    return result


def _format_of(out: Path) -> str:
    import json

    try:
        cfg = json.loads((out / formats.CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        cfg = {}
    if isinstance(cfg, dict) and str(cfg.get("model_type", "")).startswith("llava") \
            and not (out / formats.PROJECTOR_DIR).is_dir():
        return "llava-hf"
    return "xtuner"


def _compare(plan, out: Path, result: VerifyResult, all_tensors: bool, progress, cancel) -> None:
    base_store = plan.base.store if plan.base is not None else None
    todo = []
    for folder in plan.folders:
        for s in folder.shards:
            for t in s.tensors:
                kind = "merged" if t.terms else ("copied" if t.store is base_store else "replaced")
                todo.append((folder.rel, t, kind))
    total = sum(t.nbytes for _, t, k in todo if k != "copied" or all_tensors)
    done = 0
    ws = Workspace()
    stores: dict[str, object] = {}
    dtype_notes: set[tuple[str, str]] = set()
    over = 0
    try:
        for rel, t, kind in todo:
            cancel.raise_if_cancelled()
            where = f"{rel}/{t.name}" if rel else t.name
            if rel not in stores:
                stores[rel] = _open_out(out / rel if rel else out, result, rel)
            store = stores[rel]
            infos = store.infos() if store is not None else {}
            info = infos.get(t.name)
            if info is None:
                if store is not None:
                    result.problem("missing-weights", where, f"The merge should have written {t.name}, but {out.name} "
                                                             "does not hold it; merge again.")
                continue
            if tuple(info.shape) != tuple(t.shape):
                result.problem("shape-mismatch", where, f"{t.name} is {list(info.shape)} in {out.name} but the merge "
                                                        f"gives {list(t.shape)}; the folder was merged from other inputs.")
                continue
            if info.dtype != t.dtype:
                dtype_notes.add((formats.dtype_name(t.dtype), formats.dtype_name(info.dtype)))
            if kind == "copied" and not all_tensors:
                continue
            progress(Progress("verify", done, total, rel or None, 0, 0, t.name))
            check = _check_tensor(t, info.dtype, store, kind, rel, ws)
            result.checks.append(check)
            if check.ulp > result.tolerance_ulp:
                over += 1
            if check.ulp > result.tolerance_ulp and over <= MAX_REPORTED:
                ulp = "NaN/Inf" if check.ulp == float("inf") else f"{int(check.ulp)} ulp"
                result.problem("merge-mismatch", where,
                               f"{t.name} differs from what {'the adapter gives' if kind == 'merged' else 'the inputs hold'} "
                               f"by up to {ulp} ({check.max_abs:.3g}); this folder is not the merge of these inputs "
                               "(another adapter, iteration or base?), or it was damaged. Merge again.")
            done += t.nbytes
        if over > MAX_REPORTED:
            result.problem("merge-mismatch", out.name,
                           f"...and {over - MAX_REPORTED} more tensor(s) differ beyond {result.tolerance_ulp} ulp.")
        extra = set()
        for rel, store in stores.items():
            if store is None:
                continue
            planned = {t.name for r, t, _ in todo if r == rel}
            extra |= {(rel, n) for n in store.infos() if n not in planned}
        if extra:
            names = sorted(f"{r}/{n}" if r else n for r, n in extra)
            result.problem("unexpected-weights", names[0], f"{out.name} holds {len(names)} tensor(s) the merge does not "
                                                            f"write ({', '.join(names[:3])}).")
    finally:
        for store in stores.values():
            if store is not None:
                store.close()
    for planned, stored in sorted(dtype_notes):
        result.notes.append(f"The folder stores {stored} where the merge would keep {planned} (merged with "
                            f"--dtype {stored}?); values were compared in {stored}.")
    progress(Progress("verify", total, total))


def _open_out(folder: Path, result: VerifyResult, rel: str):
    try:
        return open_model_weights(folder)
    except SourceError as exc:
        result.problem("missing-weights", rel or formats.SAFE_WEIGHTS, exc.message)
        return None


def _check_tensor(t, out_code: str, store, kind: str, rel: str, ws: Workspace) -> TensorCheck:
    src = t.store.tensor(t.source_name)
    try:
        out_dtype = torch_dtype(out_code)
        if t.terms:
            w32 = ws.get("w32", t.shape)
            w32.copy_(src)
            term_store = t.term_store

            def fetch(n: str) -> torch.Tensor:
                return term_store.tensor(n).float()

            apply_terms(w32, t.terms, fetch, ws)
            expected = w32 if out_dtype == torch.float32 else ws.get("expected", t.shape, out_dtype).copy_(w32)
        elif src.dtype == out_dtype:
            expected = src
        else:
            expected = ws.get("expected", t.shape, out_dtype).copy_(src)
        actual = store.tensor(t.name)
        try:
            ulp, max_abs = ulp_and_abs(expected, actual)
        finally:
            store.release(t.name)
    finally:
        t.store.release(t.source_name)
    return TensorCheck(t.name, rel, kind, formats.dtype_name(out_code), ulp, max_abs)
