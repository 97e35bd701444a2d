"""Run: execute a plan, streaming, into a staging sibling folder renamed into place at the end.

One tensor at a time is read (memory-mapped), changed in float32 where an adapter applies, cast
to its output dtype and written by a streaming shard writer. Unchanged tensors in an unchanged
dtype never enter Python: the kernel copies their bytes. Nothing is held beyond the tensor in
hand and a few reusable float32 buffers, so memory does not grow with the model. On error or
cancel the staging folder is removed; a disk that fills up is said in one sentence. Staging,
fsync and the rename (replacing an existing output only once the new one is complete) are
:mod:`mergesmith.core.io.atomic`'s, shared with convert and fix. Inputs are only ever opened read-only.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from ..io import atomic, hold
from ..errors import OverflowToInfError, PlanError
from ..model.lora import Workspace, apply_terms, apply_terms_rows, blockable
from ..io.pipeline import BackgroundWriter, BlockPool
from ..plan.base import Plan, PlannedFile, PlannedTensor
from ..problems import Problem
from ..progress import CancelToken, Progress, ProgressCallback, no_progress
from ..io.safetensors import ShardWriter, tensor_bytes, torch_dtype

TMP_TAG = atomic.PARTIAL_TAG
OLD_TAG = atomic.OLD_TAG


@dataclass
class Result:
    out: Path
    files: list[tuple[str, int]]
    dtype: Optional[str]
    seconds: dict[str, float]
    stats: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found by checking the written folder
    plan_problems: list[Problem] = field(default_factory=list)  # warnings and notes of the plan

    @property
    def total_bytes(self) -> int:
        return sum(s for _, s in self.files)

    @property
    def recovered(self) -> list[str]:
        """Sentences about leftovers of a killed run that were cleaned up before writing."""
        return self.stats.get("recovered", [])

    def to_dict(self) -> dict:
        return {
            "out": str(self.out),
            "files": [{"path": p, "size": s} for p, s in self.files],
            "total_bytes": self.total_bytes,
            "dtype": self.dtype,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "stats": self.stats,
            "problems": [p.to_dict() for p in self.problems],
            "plan_problems": [p.to_dict() for p in self.plan_problems],
        }


class _Meter:
    """Counts bytes and reports progress, at most ~20 times a second plus every file boundary."""

    def __init__(self, total: int, callback: ProgressCallback) -> None:
        self.total, self.done, self.callback = total, 0, callback
        self.file: Optional[str] = None
        self.file_done = self.file_total = 0
        self._last = 0.0

    def start_file(self, name: str, size: int) -> None:
        self.file, self.file_done, self.file_total = name, 0, size
        self.emit(force=True)

    def add(self, n: int) -> None:
        self.done += n
        self.file_done += n
        self.emit()

    def emit(self, force: bool = False, phase: str = "write") -> None:
        now = time.monotonic()
        if force or now - self._last >= 0.05:
            self._last = now
            self.callback(Progress(phase, self.done, self.total, self.file, self.file_done, self.file_total))


def run_plan(plan: Plan, progress: Optional[ProgressCallback] = None,
             cancel: Optional[CancelToken] = None, *, check="quick") -> Result:
    """Write everything ``plan`` describes; return what was written and what the check found.

    ``check`` is ``"quick"`` (headers, index, files and configs: milliseconds, no transformers
    import), ``"full"`` (also loads the tokenizer and builds the model on the meta device to
    compare weight names, which costs the seconds of importing transformers) or ``"none"``.

    The plan is closed on every path, returned or raised (its base and what it opened; the
    source stays the caller's: see :meth:`Plan.close`).
    """
    with plan:
        return _run_plan(plan, progress, cancel, check)


def _run_plan(plan: Plan, progress: Optional[ProgressCallback], cancel: Optional[CancelToken], check) -> Result:
    check = {True: "quick", False: "none", None: "none"}.get(check, check)
    if check not in ("quick", "full", "none"):
        raise ValueError(f"check must be quick, full or none, not {check!r}")
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    bad = [p for p in plan.problems if p.is_error]
    if bad:
        more = f" ({len(bad) - 1} more problem(s) in the plan)" if len(bad) > 1 else ""
        raise PlanError(bad[0].message + more, key=bad[0].key, params=bad[0].params)
    out = plan.out
    if plan.hold is None:  # taken before planning (the CLI), or now (a library call, the window)
        plan.hold = plan.options.hold or hold.acquire(out, plan.what)
    for line in plan.hold.taken_over:
        progress(Progress("recover", 0, plan.total_bytes, None, 0, 0, line))
    recovered = atomic.recover(out)
    for line in recovered:
        progress(Progress("recover", 0, plan.total_bytes, None, 0, 0, line))
    if out.exists() and not plan.options.overwrite and (not out.is_dir() or any(out.iterdir())):
        raise PlanError(key="refusal/output-appeared", params={"out": str(out)})
    t0 = time.perf_counter()
    if check == "full":
        _warm_up_check(plan)
    meter = _Meter(plan.total_bytes, progress)
    try:
        with atomic.staged(out) as tmp:
            _write_folders(plan, tmp, cancel, meter)
            cancel.raise_if_cancelled()
            t_write = time.perf_counter() - t0
            progress(Progress("finalize", meter.done, meter.total, None, 0, 0, "Moving the result into place"))
            t1 = time.perf_counter()
            atomic.commit(tmp, out, replace=plan.options.overwrite, expect=plan.out_before)
            t_commit = time.perf_counter() - t1
    finally:
        plan.close()  # the inputs are released before the check reads the output
    result = Result(out, [(p, s) for p, s, _ in plan.files()], plan.dtype,
                    {"write": t_write, "commit": t_commit}, dict(plan.stats), plan_problems=list(plan.problems))
    if recovered:
        result.stats["recovered"] = recovered
    if check != "none":
        t1 = time.perf_counter()
        progress(Progress("check", meter.total, meter.total, None, 0, 0, "Checking the written folder"))
        from ..inspect.folder import inspect_folder

        report = inspect_folder(out, deep=check == "full")
        result.problems = report.problems
        result.stats["check"] = check
        result.seconds["check"] = time.perf_counter() - t1
    result.seconds["total"] = time.perf_counter() - t0
    progress(Progress("done", meter.total, meter.total))
    return result


class _Engine:
    """Produces tensors block by block on this thread; a writer thread writes them in order."""

    def __init__(self, cancel: CancelToken, meter: "_Meter") -> None:
        self.cancel, self.meter = cancel, meter
        self.ws = Workspace()
        self.pool = BlockPool()
        self.bg = BackgroundWriter()
        self._threads = torch.get_num_threads()
        # One compute thread: the writer thread and the kernel's page-cache copies use the other
        # core(s); more threads on small blocks cost more in synchronisation than they gain.
        torch.set_num_threads(1)

    def close(self) -> None:
        self.bg.close()
        torch.set_num_threads(self._threads)

    def finish(self) -> None:
        self.bg.wait()

    def write_shard(self, path: Path, shard) -> None:
        writer = ShardWriter(path, shard.entries(), {"format": "pt"})
        try:
            self.meter.add(writer.header_size)
            tensors = shard.tensors
            for i, t in enumerate(tensors):
                self.cancel.raise_if_cancelled()
                if i + 1 < len(tensors):
                    _prefetch(tensors[i + 1])
                self.tensor(writer, t)
            self.bg.wait()
            writer.close()
        except BaseException:
            self.bg.discard()  # the queued writes are moot: skip them, then close the file
            writer.abort()
            raise

    def tensor(self, writer: ShardWriter, t: PlannedTensor) -> None:
        store, name, bg = t.store, t.source_name, self.bg
        if t.is_copy:
            raw = store.raw(name)
            if raw is not None:
                bg.submit(lambda: writer.copy_range(t.name, *raw))
                self.meter.add(t.nbytes)
                return
        src = store.tensor(name)
        bg.submit(lambda: writer.begin(t.name, t.dtype))
        if t.is_copy:  # a store with no byte range (a pickle): write its bytes as they are
            bg.submit(lambda: writer.write_part(tensor_bytes(src)))
        elif t.terms and not blockable(t.terms):
            self._whole(writer, t, src)
        else:
            self._blocks(writer, t, src)
        bg.submit(writer.end, lambda: store.release(name))
        if t.is_copy:
            self.meter.add(t.nbytes)

    def _fetcher(self, t: PlannedTensor):
        """``fetch(name)``: an adapter tensor as float32, read once per output tensor; and
        ``done()``, which lets go of them (their mapped pages too), so that the adapter does not
        become resident piece by piece over the whole merge."""
        cache: dict[str, torch.Tensor] = {}
        term_store = t.term_store

        def fetch(n: str) -> torch.Tensor:
            if n not in cache:
                cache[n] = term_store.tensor(n).float()
            return cache[n]

        def done() -> None:
            for n in cache:
                term_store.release(n)
            cache.clear()

        return fetch, done

    def _blocks(self, writer: ShardWriter, t: PlannedTensor, src: torch.Tensor) -> None:
        rows = t.shape[0] if len(t.shape) >= 1 else 1
        numel = src.numel()
        row_len = numel // rows if rows else 0
        src2d = src.reshape(rows, row_len)
        out_dtype = torch_dtype(t.dtype)
        itemsize = torch.empty((), dtype=out_dtype).element_size()
        per_block = max(1, self.pool.nbytes // max(1, row_len * max(itemsize, 4)))
        fetch, done = self._fetcher(t) if t.terms else (None, None)
        release_part = getattr(t.store, "release_part", None)
        src_row_bytes = row_len * src.element_size()
        for start in range(0, rows, per_block):
            self.cancel.raise_if_cancelled()
            stop = min(rows, start + per_block)
            n = stop - start
            block = self.pool.get()
            out = block[: n * row_len * itemsize].view(out_dtype).view(n, row_len)
            if t.terms:
                w32 = self.ws.get("w32", (n, row_len))
                w32.copy_(src2d[start:stop])
                apply_terms_rows(w32, start, t.terms, fetch, self.ws)
                out.copy_(w32)
                check_range(t, out, w32)
            else:
                out.copy_(src2d[start:stop])
                check_range(t, out, src2d[start:stop])
            if release_part is not None:  # these source rows are consumed: keep RSS flat
                release_part(t.source_name, start * src_row_bytes, stop * src_row_bytes)
            self.bg.submit(lambda out=out: writer.write_part(tensor_bytes(out)),
                           lambda block=block: self.pool.put(block))
            self.meter.add(n * row_len * itemsize)
        if done is not None:
            done()

    def _whole(self, writer: ShardWriter, t: PlannedTensor, src: torch.Tensor) -> None:
        """Terms that need the whole tensor at once (column norms, row replacement, vectors)."""
        w32 = src.to(torch.float32, copy=True).reshape(t.shape)
        fetch, done = self._fetcher(t)
        apply_terms(w32, t.terms, fetch, self.ws)
        done()
        out = w32.to(torch_dtype(t.dtype))
        check_range(t, out, w32)
        self.bg.submit(lambda: writer.write_part(tensor_bytes(out)))
        self.bg.wait()  # ``out`` may be large: do not keep several alive
        self.meter.add(t.nbytes)


def _write_folders(plan: Plan, tmp: Path, cancel: CancelToken, meter: "_Meter") -> None:
    """Every planned folder's shards (streamed by the engine) and small files, into ``tmp``."""
    engine = _Engine(cancel, meter)
    try:
        for folder in plan.folders:
            dest = tmp / folder.rel if folder.rel else tmp
            dest.mkdir(parents=True, exist_ok=True)
            for s in folder.shards:
                cancel.raise_if_cancelled()
                rel = f"{folder.rel}/{s.file}" if folder.rel else s.file
                meter.start_file(rel, s.size)
                engine.write_shard(dest / s.file, s)
            for f in folder.files:
                cancel.raise_if_cancelled()
                rel = f"{folder.rel}/{f.name}" if folder.rel else f.name
                meter.start_file(rel, f.size)
                meter.add(_write_file(dest / f.name, f))
        engine.finish()
    finally:
        engine.close()


def check_range(t: PlannedTensor, out: torch.Tensor, before: torch.Tensor) -> None:
    """Refuse to write Inf where the value was finite: float16 tops out at 65504.

    Only float16 outputs are checked (bfloat16 and float32 hold every value a merge makes); the
    pass runs over a block that is still in cache, so it costs little where it applies.
    """
    if out.dtype != torch.float16 or not torch.isinf(out).any():
        return
    new = torch.isinf(out) & torch.isfinite(before)
    if not new.any():
        return  # the Inf was in the input already (inspect --scan-values reports those)
    peak = before.float().abs().max().item()
    raise OverflowToInfError(
        f"{t.name} has values up to {peak:.4g}, beyond float16's largest (65504): written as float16 they "
        f"would be Inf ({int(new.sum())} of them in this part). Nothing was written; keep the base's dtype "
        "(--dtype auto) or use --dtype bfloat16.")


def _warm_up_check(plan: Plan) -> None:
    """Import what the final check needs on a side thread, while the merge writes.

    The check loads the tokenizer and builds the model on the meta device with transformers,
    whose import takes seconds; torch releases the GIL in the merge's hot loop, so the import
    overlaps the writing instead of following it.
    """
    import threading

    archs = []
    if plan.base is not None:
        archs = [a for a in plan.base.config.get("architectures") or [] if isinstance(a, str)]

    def work() -> None:
        try:
            import transformers

            from ..inspect import folder as inspect  # noqa: F401

            # transformers imports lazily: touching the names is what loads the modules
            for name in ("AutoConfig", "AutoTokenizer", "PreTrainedTokenizerFast", "AutoModelForCausalLM", *archs):
                getattr(transformers, name, None)
        except Exception:  # the check itself will report what fails
            pass

    threading.Thread(target=work, name="mergesmith-warmup", daemon=True).start()


def _prefetch(t: PlannedTensor) -> None:
    prefetch = getattr(t.store, "prefetch", None)
    if prefetch is not None and not (t.is_copy and t.store.raw(t.source_name) is not None):
        prefetch(t.source_name)


def _write_file(dest: Path, f: PlannedFile) -> int:
    if f.content is not None:
        dest.write_bytes(f.content)
        return len(f.content)
    assert f.source is not None
    shutil.copyfile(f.source, dest)
    return f.size


def merge(source, base, out, *, progress=None, cancel=None, check="quick", **options) -> Result:
    """Detect, plan and run in one call (what the CLI's ``merge`` does)."""
    from ..plan.base import PlanOptions
    from ..plan.planners import make_plan
    from ..sources.detect import detect

    with detect(source) as src:
        p = make_plan(src, base, PlanOptions(out=Path(out), **options))
        with p:
            if not p.ok:
                raise PlanError("; ".join(x.message for x in p.problems if x.is_error))
            return run_plan(p, progress, cancel, check=check)


__all__ = ["Result", "run_plan", "merge"]
