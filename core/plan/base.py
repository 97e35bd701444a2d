"""Plan: decide, from headers and configs alone, everything a merge will write.

This module holds the plan's dataclasses and the output checks (:mod:`.files` the files every planner
makes: shards, index, carried files); :func:`mergesmith.core.plan.planners.make_plan` chooses the planner.
``make_plan(source, base, options)`` returns a :class:`Plan`: every output file with its size,
every output tensor with the recipe that produces it (a byte copy, a cast, or the base tensor
plus LoRA terms), the output dtype, which files travel from where, the disk space needed, and
the problems found. Problems are collected rather than raised one at a time, so a person sees
everything wrong with a wrong base at once; :func:`mergesmith.core.engine.merge.run_plan` refuses a
plan with errors.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import formats
from ..io import atomic
from ..model.base import BaseModel
from ..errors import PlanError
from ..problems import ERROR, INFO, WARNING, Problem, errors
from ..texts import render
from ..sources.source import Source
from ..io.stores import TensorStore

DEFAULT_SHARD_SIZE = 5 * 10**9
DISK_MARGIN = 1.02  # keep 2% spare on top of what we write


@dataclass
class PlanOptions:
    out: Optional[Path] = None
    dtype: str = "auto"  # auto | float16 | bfloat16 | float32
    max_shard_size: int = DEFAULT_SHARD_SIZE
    overwrite: bool = False
    format: str = "xtuner"  # xtuner | llava-hf
    iteration: Optional[int] = None
    visual_encoder: Optional[Path] = None

    def __post_init__(self) -> None:
        if self.out is not None:
            self.out = Path(self.out).expanduser()
        if isinstance(self.max_shard_size, str):
            self.max_shard_size = formats.parse_size(self.max_shard_size)
        if self.dtype not in ("auto", "keep"):
            self.dtype = formats.dtype_name(formats.dtype_code(self.dtype))


@dataclass
class PlannedTensor:
    name: str
    dtype: str  # output safetensors code
    shape: tuple[int, ...]
    store: TensorStore  # where the starting value comes from
    source_name: str
    terms: tuple = ()
    term_store: Optional[TensorStore] = None

    @property
    def nbytes(self) -> int:
        from math import prod

        return prod(self.shape) * formats.ST_ITEMSIZE[self.dtype]

    @property
    def source_dtype(self) -> str:
        return self.store.infos()[self.source_name].dtype

    @property
    def is_copy(self) -> bool:
        return not self.terms and self.source_dtype == self.dtype


@dataclass
class PlannedShard:
    file: str
    tensors: list[PlannedTensor]
    size: int = 0  # bytes on disk, header included

    def entries(self):
        return [(t.name, t.dtype, t.shape) for t in self.tensors]


@dataclass
class PlannedFile:
    name: str  # relative to the folder it is written into
    size: int
    origin: str  # "base", "training output", "generated"
    source: Optional[Path] = None
    content: Optional[bytes] = None


@dataclass
class PlannedFolder:
    rel: str  # "" for the output root
    shards: list[PlannedShard] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    title: str = "model"

    @property
    def size(self) -> int:
        return sum(s.size for s in self.shards) + sum(f.size for f in self.files)


@dataclass
class Plan:
    source: Source
    options: PlanOptions
    out: Path
    base: Optional[BaseModel] = None
    folders: list[PlannedFolder] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    config_changes: dict = field(default_factory=dict)
    disk_free: Optional[int] = None
    closers: list = field(default_factory=list)  # further inputs opened while planning (closed after the run)

    def __post_init__(self) -> None:
        found = getattr(self.base, "located", None)
        if found is not None and found.in_cache and found.missing:  # a snapshot not fully downloaded
            self.problem("base-incomplete", WARNING, found.missing[0], found.missing_note(self.base.what))

    def close(self) -> None:
        """Close what the plan owns; safe to call twice.

        Who closes what: a plan owns its base model and every input it opened while planning
        (``closers``: a visual encoder, a source it read itself for another ``--iter``). The
        :class:`Source` handed to the planner stays its caller's, who closes it (``with source:``).
        ``run_plan`` closes the plan on every path, returned or raised; a plan that is not run is
        closed by whoever made it (``with make_plan(...) as plan:``).
        """
        for obj in [self.base, *self.closers]:
            if obj is not None:
                obj.close()

    def __enter__(self) -> "Plan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.folders)

    @property
    def disk_needed(self) -> int:
        return int(self.total_bytes * DISK_MARGIN)

    # What the front ends read, by name: the planners record these in ``stats`` (printed by --json as is).
    @property
    def dtype(self) -> Optional[str]:
        """The output's float dtype(s), ``"bfloat16"`` or ``"float16+float32"``; None: as the base."""
        return self.stats.get("dtype")

    @property
    def tensor_count(self) -> int:
        return self.stats.get("tensors", 0)

    @property
    def merged_tensors(self) -> Optional[int]:
        """How many tensors an adapter changes; None when the plan merges no adapter."""
        return self.stats.get("merged_tensors")

    @property
    def replaced_tensors(self) -> int:
        """How many tensors the adapter replaces outright (modules_to_save, trainable tokens)."""
        return self.stats.get("replaced_tensors", 0)

    def files(self) -> list[tuple[str, int, str]]:
        """(relative path, size, origin) of every file the plan writes."""
        rows = []
        for folder in self.folders:
            for s in folder.shards:
                rows.append((_join(folder.rel, s.file), s.size, "weights"))
            for f in folder.files:
                rows.append((_join(folder.rel, f.name), f.size, f.origin))
        return rows

    def tensors(self):
        for folder in self.folders:
            for shard in folder.shards:
                yield from shard.tensors

    def problem(self, code: str, severity: str, file: str, message: Optional[str] = None, *,
                key: str = "", **params) -> None:
        """Add a problem; with no ``message``, its text is ``key`` (default: the code) rendered with
        ``params`` (:mod:`mergesmith.core.texts`)."""
        key = key or (code if message is None else "")
        if message is None:
            message = render(key, params)
        self.problems.append(Problem(code, severity, file, message, params=params, key=key))

    def to_dict(self) -> dict:
        return {
            "source": self.source.to_dict(),
            "base": None if self.base is None else str(self.base.folder),
            "base_found": None if getattr(self.base, "located", None) is None else self.base.located.to_dict(),
            "out": str(self.out),
            "dtype": self.dtype,
            "files": [{"path": p, "size": s, "from": o} for p, s, o in self.files()],
            "total_bytes": self.total_bytes,
            "disk_needed": self.disk_needed,
            "disk_free": self.disk_free,
            "stats": self.stats,
            "config_changes": self.config_changes,
            "problems": [p.to_dict() for p in self.problems],
            "ok": self.ok,
        }


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class Planner:
    """One way of turning a kind of source into a plan; issue-specific planners subclass it."""

    formats: tuple[str, ...] = ("xtuner",)  # the output formats (--format) it can write

    def accepts(self, source: Source) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def plan(self, source: Source, base, options: PlanOptions) -> Plan:  # pragma: no cover
        raise NotImplementedError



def open_base(base) -> BaseModel:
    if isinstance(base, BaseModel):
        return base
    if base is None:
        raise PlanError(key="refusal/no-base")
    return BaseModel.open(base)


def default_out(source: Source) -> Path:
    p = source.path
    stem = p.name[:-4] if p.name.endswith(".pth") else p.name
    return p.parent / f"{stem}-merged"


# --- output-path safety --------------------------------------------------------------------------


def check_output(plan: Plan, inputs: list[Path]) -> None:
    out = plan.out
    for line in atomic.recover(out, remove=False):  # an output a killed --overwrite moved aside: back
        plan.problem("leftover-restored", INFO, str(out), line)
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:  # said even when the output is refused below, so that the plan's figures are real
        plan.disk_free = shutil.disk_usage(parent).free
    except OSError:
        plan.disk_free = None
    try:
        out_r = out.resolve()
    except OSError:
        out_r = out.absolute()
    for inp in inputs:
        try:
            ir = Path(inp).resolve()
        except OSError:
            continue
        if out_r == ir or ir in out_r.parents or out_r in ir.parents:
            plan.problem("output-overlaps-input", ERROR, str(out), out=str(out), input=str(inp))
            return
    if out.exists() and not out.is_dir():
        plan.problem("output-exists", ERROR, str(out), key="output-exists/file", out=str(out))
    elif out.is_dir() and any(out.iterdir()) and not plan.options.overwrite:
        plan.problem("output-exists", ERROR, str(out), out=str(out))
    if not os.access(parent, os.W_OK):
        plan.problem("output-not-writable", ERROR, str(out), folder=str(parent))
        return
    reclaim, stale = atomic.removable_bytes(out)
    for folder in stale:
        plan.problem("leftover-partial", INFO, folder.name, name=folder.name)
    if plan.disk_free is not None:
        plan.disk_free += reclaim
    if plan.disk_free is not None and plan.disk_free < plan.disk_needed:
        plan.problem("disk-space", ERROR, str(out), size=formats.format_size(plan.total_bytes),
                     free=formats.format_size(plan.disk_free), folder=str(parent))
