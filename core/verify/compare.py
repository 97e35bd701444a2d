"""Verify a merge: recompute, from the inputs alone, what the folder should hold, and compare.

``verify(out, source, base)`` does not replay the merge. It reads the inputs itself
(:mod:`.inputs`): the settings that trained the adapter (for an XTuner checkpoint the
config stored inside it, ``meta['cfg']``; for a PEFT adapter or XTuner's converted folder its
``adapter_config.json``), the ranks from the tensor shapes, the adapted modules and the variants
from the tensor names. Then, one tensor at a time, it computes each adapted weight with its own
plain float32 maths, ``W + scale * (B @ A)`` (transposed for ``fan_in_fan_out`` and embedding
LoRA), rounded once to the dtype ``out`` stores, and compares it with ``out`` in units in the last
place. Tensors replaced whole (``modules_to_save``, fully trained weights, the projector) are
compared with the trained values; the other tensors are checked by name and shape (values too
with ``all_tensors``). A merge written by another tool (PEFT's merge_and_unload, XTuner's merge)
may differ by rounding: up to ``tolerance_ulp`` units is accepted. A tensor that differs is named
with the scale it appears to have been merged with and the scale the inputs give. Variants verify
does not recompute (DoRA, ``lora_bias``, trainable tokens) are named as not checked, never passed.

The folder is in XTuner's layout (the LLM at the root, ``projector/``, ``visual_encoder/``) or is
one ``LlavaForConditionalGeneration`` (``--format llava-hf``): then :mod:`.verify_llava_hf` maps
its tensor names back to the LLM's, the vision tower's and the projector's own, and the rows the
embeddings gained for ``<image>``/pad are checked to be the mean of the rows the inputs give.

With ``logits=True`` the merged model and base + adapter (PEFT's ``PeftModel``) run on a short
prompt, when memory allows, and their outputs are compared against the adapter's own effect
(base alone versus base + adapter). A model folder whose config names its own code
(``auto_map``) is run only with ``trust_remote_code=True``; otherwise that check is skipped with a
note, and nothing asks a question on the terminal.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from .. import formats
from ..errors import SourceError
from ..inspect.report import severity_of
from ..problems import Problem, errors
from ..progress import CancelToken, Progress, ProgressCallback, no_progress
from ..io.safetensors import torch_dtype
from ..io.stores import TensorStore, open_model_weights
from .inputs import Folder, Inputs, LowRank, Part, describe_settings, read_inputs
from .llava_hf import check_model_type, config_notes, llava_hf_config, llava_hf_folders

SLICE = 1 << 22
MAX_REPORTED = 20  # problems listed one by one; the rest are counted
_INT_OF = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16,
           torch.float64: torch.int64}


@dataclass
class TensorCheck:
    name: str
    folder: str  # "" or "projector", ...
    kind: str  # "merged" (base + low-rank product), "replaced" (from the training output), "copied"
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
    settings: str = ""  # where the LoRA settings came from, and the scales they give
    settings_from: str = ""
    unchecked: list[str] = field(default_factory=list)  # tensors of variants verify does not recompute
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
        if self.settings:
            out.append(f"  {self.settings}.")
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
        if not self.ok:
            out.append("The merge is NOT what the inputs give.")
        elif self.unchecked:
            out.append(f"The checked tensors are right; {len(self.unchecked)} could not be checked independently.")
        else:
            out.append("The merge is right.")
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
            "settings": self.settings, "unchecked": self.unchecked,
        }


# --- comparison ------------------------------------------------------------------------------------


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


def verify(out, source, base, *, logits: bool = False, all_tensors: bool = False, tolerance_ulp: int = 2,
           iteration: Optional[int] = None, visual_encoder=None, trust_remote_code: bool = False,
           progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None) -> VerifyResult:
    """Recompute from ``source`` and ``base`` what the folder ``out`` should hold, and compare."""
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    out = Path(out).expanduser()
    if not out.is_dir():
        raise SourceError(f"{out} is not a folder; point verify at the merged model folder.", path=out)
    llava = llava_hf_config(out)
    if llava is not None:
        check_model_type(out, llava)
    t0 = time.perf_counter()
    inputs = read_inputs(source, iteration)
    opened: list = []
    try:
        base_dir = _model_folder(base or inputs.base_hint, "base model", "--base")
        result = VerifyResult(out, str(Path(source).expanduser()), str(base_dir), tolerance_ulp=tolerance_ulp)
        result.settings, result.settings_from = _settings_line(inputs), inputs.settings_from
        result.notes.extend(inputs.notes)
        if llava is None:
            folders = _xtuner_folders(out, inputs, base_dir, visual_encoder, result, opened)
        else:
            folders = _llava_hf_folders(out, llava, inputs, base_dir, visual_encoder, result, opened)
        _compare(out, folders, result, all_tensors, progress, cancel)
        if logits and llava is not None:
            result.notes.append("--logits runs the merged LLM on its own; a llava-hf folder is one LLaVA model, "
                                "so only its tensors were checked.")
        elif logits:
            from .logits import compare_logits

            progress(Progress("verify", 0, 0, None, 0, 0, "Running both models on a test prompt"))
            compare_logits(inputs.part(""), base_dir, out, result, trust_remote_code=trust_remote_code)
    finally:
        for store in opened:
            store.close()
        inputs.close()
    result.seconds = time.perf_counter() - t0
    return result


def _model_folder(path, what: str, option: str) -> Path:
    if not path:
        raise SourceError(f"The training names no {what} folder here; pass it with {option}.")
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise SourceError(f"The {what} {folder} is not a folder; pass the folder the adapter was trained on "
                          f"with {option}.", path=folder)
    return folder


def _visual_encoder(visual_encoder, inputs: Inputs, why: str) -> Path:
    """The visual encoder's folder (``why``: the sentence saying why verify needs it)."""
    hint = visual_encoder or inputs.visual_encoder_hint
    if hint is None or not Path(hint).expanduser().is_dir():
        raise SourceError(f"{why}, so verify needs its base: pass --visual-encoder DIR.")
    return _model_folder(hint, "visual encoder", "--visual-encoder")


def _xtuner_folders(out: Path, inputs: Inputs, base_dir: Path, visual_encoder, result: VerifyResult,
                    opened: list) -> list[Folder]:
    """XTuner's layout: the LLM at the root, each other part in its own sub-folder."""
    folders = []
    for part in [inputs.part("")] + [p for p in inputs.parts if p.rel]:
        rel = part.rel if part is not None else ""
        base = base_dir if not rel else None
        if part is not None and part.has_base and rel:
            base = _visual_encoder(visual_encoder, inputs, f"The visual encoder was trained ({rel}/)")
        base_store = _open(base, opened) if base is not None else None
        if part is not None and base_store is not None:
            part.align(set(base_store.infos()))
        folders.append(Folder(rel, part, base_store, _open_out(out / rel if rel else out, result, rel, opened),
                              out_rel=rel))
    return folders


def _llava_hf_folders(out: Path, cfg: dict, inputs: Inputs, base_dir: Path, visual_encoder, result: VerifyResult,
                      opened: list) -> list[Folder]:
    """One LlavaForConditionalGeneration folder: its tensors mapped back to the LLM's, tower's, projector's."""
    vit_dir = _visual_encoder(visual_encoder, inputs, "A llava-hf folder holds the vision tower")
    out_store = _open_out(out, result, "", opened)
    if out_store is None:
        return []
    llm_base, vit_base = _open(base_dir, opened), _open(vit_dir, opened)
    llm_config = _read_config(base_dir)
    result.notes.extend(config_notes(cfg, llm_config, _read_config(vit_dir)))
    folders, unknown = llava_hf_folders(cfg, inputs, llm_base, llm_config, vit_base, out_store)
    if unknown:
        result.problem("unexpected-weights", unknown[0],
                       f"The folder holds {len(unknown)} tensor(s) that belong to no part of the inputs "
                       f"({', '.join(unknown[:3])}); it was not merged from these inputs. Check --source, --base "
                       "and --visual-encoder, or merge again.")
    return folders


def _read_config(folder: Path) -> dict:
    try:
        cfg = json.loads((folder / formats.CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _settings_line(inputs: Inputs) -> str:
    shown = [f"{p.rel or 'LLM'}: {describe_settings(p)}" for p in inputs.parts if p.low_rank]
    return f"LoRA settings from {inputs.settings_from} ({'; '.join(shown)})" if shown else ""


@dataclass
class _Todo:
    name: str
    kind: str  # "merged", "replaced", "copied", "unchecked"
    nbytes: int
    rows: Optional[int] = None  # the rows the inputs give, when the output has grown (added tokens)


def _compare(out: Path, folders: list[Folder], result: VerifyResult, all_tensors: bool, progress, cancel) -> None:
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
        result.problem("merge-mismatch", out.name,
                       f"...and {over - MAX_REPORTED} more tensor(s) differ beyond {result.tolerance_ulp} ulp.")
    _note_unchecked(folders, result)
    progress(Progress("verify", total, total))


def _open(folder: Path, opened: list) -> TensorStore:
    store = open_model_weights(folder)
    opened.append(store)
    return store


def _open_out(folder: Path, result: VerifyResult, rel: str, opened: list) -> Optional[TensorStore]:
    try:
        return _open(folder, opened)
    except SourceError as exc:
        result.problem("missing-weights", rel or formats.SAFE_WEIGHTS, exc.message)
        return None


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
    place = f.out_rel or "the folder"
    for name, shape in expected.items():
        info, shown = have.get(name), f.out_name(name)
        if info is None:
            result.problem("missing-weights", f.where(name), f"{shown} should be in {place} but is not; merge again.")
            continue
        rows = None
        if tuple(info.shape) != tuple(shape):
            if not _grown(f, tuple(info.shape), tuple(shape)):
                result.problem("shape-mismatch", f.where(name), f"{shown} is {list(info.shape)} in the folder but the "
                                                                f"inputs give {list(shape)}; the folder was merged "
                                                                "from other inputs.")
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
            result.problem("missing-weights", f.where(name),
                           f"The adapter changes {name}, but the base model has no such tensor; check --base.")
    extra = sorted(f.out_name(n) for n in have if n not in expected)
    if extra:
        where = f"{f.out_rel}/{extra[0]}" if f.out_rel else extra[0]
        result.problem("unexpected-weights", where,
                       f"The folder holds {len(extra)} tensor(s) the inputs do not give ({', '.join(extra[:3])}).")
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
