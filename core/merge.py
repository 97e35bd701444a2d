"""Run: execute a plan, streaming, into a temporary sibling folder renamed into place at the end.

One tensor at a time is read (memory-mapped), changed in float32 where an adapter applies, cast
to its output dtype and written by a streaming shard writer. Unchanged tensors in an unchanged
dtype never enter Python: the kernel copies their bytes. Nothing is held beyond the tensor in
hand and a few reusable float32 buffers, so memory does not grow with the model. On error or
cancel the temporary folder is removed; inputs are only ever opened read-only.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from .errors import MergesmithError, PlanError
from .lora import Workspace, apply_terms
from .plan import Plan, PlannedFile, PlannedTensor
from .problems import Problem
from .progress import CancelToken, Progress, ProgressCallback, no_progress
from .safetensors_io import ShardWriter, torch_dtype

TMP_TAG = ".mergesmith-partial-"
OLD_TAG = ".mergesmith-old-"


@dataclass
class Result:
    out: Path
    files: list[tuple[str, int]]
    dtype: Optional[str]
    seconds: dict[str, float]
    stats: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(s for _, s in self.files)

    def to_dict(self) -> dict:
        return {
            "out": str(self.out),
            "files": [{"path": p, "size": s} for p, s in self.files],
            "total_bytes": self.total_bytes,
            "dtype": self.dtype,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "stats": self.stats,
            "problems": [p.to_dict() for p in self.problems],
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
             cancel: Optional[CancelToken] = None, *, check: bool = True) -> Result:
    """Write everything ``plan`` describes; return what was written and what the check found."""
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    bad = [p for p in plan.problems if p.is_error]
    if bad:
        more = f" ({len(bad) - 1} more problem(s) in the plan)" if len(bad) > 1 else ""
        raise PlanError(bad[0].message + more)
    out = plan.out
    if out.exists() and not plan.options.overwrite and (not out.is_dir() or any(out.iterdir())):
        raise PlanError(f"{out} appeared while planning; choose another output folder or allow overwriting.")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}{TMP_TAG}{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    meter = _Meter(plan.total_bytes, progress)
    try:
        tmp.mkdir()
        ws = Workspace()
        for folder in plan.folders:
            dest = tmp / folder.rel if folder.rel else tmp
            dest.mkdir(parents=True, exist_ok=True)
            for s in folder.shards:
                cancel.raise_if_cancelled()
                rel = f"{folder.rel}/{s.file}" if folder.rel else s.file
                meter.start_file(rel, s.size)
                with ShardWriter(dest / s.file, s.entries(), {"format": "pt"}) as writer:
                    meter.add(writer.header_size)
                    for t in s.tensors:
                        cancel.raise_if_cancelled()
                        meter.add(_write_tensor(writer, t, ws))
            for f in folder.files:
                cancel.raise_if_cancelled()
                rel = f"{folder.rel}/{f.name}" if folder.rel else f.name
                meter.start_file(rel, f.size)
                meter.add(_write_file(dest / f.name, f))
        cancel.raise_if_cancelled()
        t_write = time.perf_counter() - t0
        progress(Progress("finalize", meter.done, meter.total, None, 0, 0, "Moving the result into place"))
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _close_stores(plan)
    result = Result(out, [(p, s) for p, s, _ in plan.files()], plan.stats.get("dtype"),
                    {"write": t_write}, dict(plan.stats))
    if check:
        t1 = time.perf_counter()
        progress(Progress("check", meter.total, meter.total, None, 0, 0, "Checking the written folder"))
        from .inspect import inspect_folder

        report = inspect_folder(out)
        result.problems = report.problems
        result.seconds["check"] = time.perf_counter() - t1
    result.seconds["total"] = time.perf_counter() - t0
    progress(Progress("done", meter.total, meter.total))
    return result


def _write_tensor(writer: ShardWriter, t: PlannedTensor, ws: Workspace) -> int:
    store, name = t.store, t.source_name
    if t.is_copy:
        raw = store.raw(name)
        if raw is not None:
            return writer.copy_range(t.name, *raw)
        try:
            return writer.write(t.name, store.tensor(name))
        finally:
            store.release(name)
    src = store.tensor(name)
    try:
        out_dtype = torch_dtype(t.dtype)
        if not t.terms:
            out = ws.get("out", t.shape, out_dtype)
            out.copy_(src)
            return writer.write(t.name, out)
        w32 = ws.get("w32", t.shape)
        w32.copy_(src)
        term_store = t.term_store

        def fetch(n: str) -> torch.Tensor:
            return term_store.tensor(n).float()

        apply_terms(w32, t.terms, fetch, ws)
        if out_dtype == torch.float32:
            return writer.write(t.name, w32)
        out = ws.get("out", t.shape, out_dtype)
        out.copy_(w32)
        return writer.write(t.name, out)
    finally:
        store.release(name)


def _write_file(dest: Path, f: PlannedFile) -> int:
    if f.content is not None:
        dest.write_bytes(f.content)
        return len(f.content)
    assert f.source is not None
    shutil.copyfile(f.source, dest)
    return f.size


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished folder to ``out``; an existing ``out`` is replaced only now."""
    if out.exists():
        old = out.parent / f".{out.name}{OLD_TAG}{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except OSError:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


def _close_stores(plan: Plan) -> None:
    if plan.base is not None:
        plan.base.close()
    plan.source.close()


def merge(source, base, out, *, progress=None, cancel=None, **options) -> Result:
    """Detect, plan and run in one call (what the CLI's ``merge`` does)."""
    from .plan import PlanOptions, make_plan
    from .sources import detect

    src = detect(source)
    p = make_plan(src, base, PlanOptions(out=Path(out), **options))
    if not p.ok:
        _close_stores(p)
        raise PlanError("; ".join(x.message for x in p.problems if x.is_error))
    return run_plan(p, progress, cancel)


__all__ = ["Result", "run_plan", "merge", "MergesmithError"]
