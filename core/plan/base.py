"""Plan: decide, from headers and configs alone, everything a merge will write.

This module holds the plan's dataclasses and the steps every planner shares (shards, index,
carried files, output checks); :func:`mergesmith.core.plan.planners.make_plan` chooses the planner.
``make_plan(source, base, options)`` returns a :class:`Plan`: every output file with its size,
every output tensor with the recipe that produces it (a byte copy, a cast, or the base tensor
plus LoRA terms), the output dtype, which files travel from where, the disk space needed, and
the problems found. Problems are collected rather than raised one at a time, so a person sees
everything wrong with a wrong base at once; :func:`mergesmith.core.engine.merge.run_plan` refuses a
plan with errors.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..io.jsonfile import json_object_or_none
from .. import formats
from ..io import atomic
from ..model.base import BaseModel, remote_code_files
from ..errors import PlanError
from ..problems import ERROR, INFO, WARNING, Problem, errors
from ..io.safetensors import build_header
from ..sources.source import Source, has_tokenizer
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

    def problem(self, code: str, severity: str, file: str, message: str) -> None:
        self.problems.append(Problem(code, severity, file, message))

    def to_dict(self) -> dict:
        return {
            "source": self.source.to_dict(),
            "base": None if self.base is None else str(self.base.folder),
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
        raise PlanError("No base model given; choose the folder of the model the adapter was "
                        "trained on (--base DIR).")
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
            plan.problem("output-overlaps-input", ERROR, str(out),
                         f"The output folder {out} overlaps the input {inp}; Mergesmith never writes "
                         "into its inputs. Choose an output folder outside them.")
            return
    if out.exists() and not out.is_dir():
        plan.problem("output-exists", ERROR, str(out),
                     f"{out} exists and is a file; choose a folder name that is free.")
    elif out.is_dir() and any(out.iterdir()) and not plan.options.overwrite:
        plan.problem("output-exists", ERROR, str(out),
                     f"The output folder {out} already exists and is not empty; choose another "
                     "folder, or allow overwriting (--overwrite) to replace it when the merge succeeds.")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        plan.problem("output-not-writable", ERROR, str(out),
                     f"Cannot write in {parent}; choose an output folder you can write to.")
        return
    try:
        plan.disk_free = shutil.disk_usage(parent).free
    except OSError:
        plan.disk_free = None
    reclaim, stale = atomic.removable_bytes(out)
    for folder in stale:
        plan.problem("leftover-partial", INFO, folder.name,
                     f"{folder.name} was left by an interrupted run; it is removed when this one starts.")
    if plan.disk_free is not None:
        plan.disk_free += reclaim
    if plan.disk_free is not None and plan.disk_free < plan.disk_needed:
        plan.problem("disk-space", ERROR, str(out),
                     f"This writes {formats.format_size(plan.total_bytes)} but only "
                     f"{formats.format_size(plan.disk_free)} is free on the disk of {parent}; free "
                     "some space or choose an output folder on another disk.")


# --- sharding -------------------------------------------------------------------------------------


def shard(tensors: list[PlannedTensor], max_size: int) -> list[PlannedShard]:
    """Split greedily in order, as transformers does; a tensor over the limit gets its own shard.

    Within a shard, tensors are laid out by decreasing element size (stable), so each one's data
    starts aligned to its element size, as the safetensors library lays them out.
    """
    groups: list[list[PlannedTensor]] = []
    current: list[PlannedTensor] = []
    size = 0
    for t in tensors:
        if current and size + t.nbytes > max_size:
            groups.append(current)
            current, size = [], 0
        current.append(t)
        size += t.nbytes
    if current or not groups:
        groups.append(current)
    n = len(groups)
    shards = []
    for i, group in enumerate(groups, 1):
        group = sorted(group, key=lambda t: -formats.ST_ITEMSIZE[t.dtype])
        name = formats.SAFE_WEIGHTS if n == 1 else formats.SHARD_NAME.format(index=i, count=n)
        s = PlannedShard(name, group)
        header, _ = build_header(s.entries(), {"format": "pt"})
        s.size = len(header) + sum(t.nbytes for t in group)
        shards.append(s)
    return shards


def index_file(shards: list[PlannedShard]) -> Optional[PlannedFile]:
    if len(shards) <= 1:
        return None
    weight_map = {t.name: s.file for s in shards for t in s.tensors}
    total = sum(t.nbytes for s in shards for t in s.tensors)
    doc = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    content = (json.dumps(doc, indent=2) + "\n").encode()
    return PlannedFile(formats.SAFE_INDEX, len(content), "generated", content=content)


def add_weights(folder: PlannedFolder, tensors: list[PlannedTensor], max_size: int) -> None:
    """Shard ``tensors`` into ``folder``, with the index when there is more than one shard."""
    folder.shards = shard(tensors, max_size)
    idx = index_file(folder.shards)
    if idx:
        folder.files.append(idx)


def json_file(name: str, doc: dict, origin: str = "generated") -> PlannedFile:
    content = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return PlannedFile(name, len(content), origin, content=content)


def copy_file(path: Path, origin: str, name: Optional[str] = None) -> PlannedFile:
    return PlannedFile(name or path.name, path.stat().st_size, origin, source=path)


# --- the files that travel with a merged LLM -----------------------------------------------------


def carry_files(plan: Plan, folder: PlannedFolder, base: BaseModel, config: dict,
                training_dirs: list[Path]) -> None:
    """config.json, generation config, tokenizer, processor, remote code and licence files."""
    folder.files.append(json_file(formats.CONFIG, config))
    written = {formats.CONFIG, formats.SAFE_INDEX}

    def add(path: Path, origin: str) -> None:
        if path.name in written:
            return
        if path.is_file():
            folder.files.append(copy_file(path, origin))
            written.add(path.name)
        elif path.is_symlink():  # a link whose target is gone (or loops): say so rather than skip it
            plan.problem("broken-link", WARNING, path.name,
                         f"{path} is a symbolic link to {os.readlink(path)}, which does not exist, so it is not "
                         "copied; put the real file there (or into the output afterwards).")
            written.add(path.name)

    # generation config: the training output's, else the base's
    gen_from = next((d for d in training_dirs if (d / formats.GENERATION_CONFIG).is_file()), base.folder)
    gen = gen_from / formats.GENERATION_CONFIG
    if gen.is_file():
        add(gen, "training output" if gen_from != base.folder else "base")
    else:
        plan.problem("missing-generation-config", WARNING, formats.GENERATION_CONFIG,
                     "Neither the training output nor the base has generation_config.json; the merged "
                     "model will use transformers' defaults for generation (EOS, sampling).")

    # tokenizer: as one set, from the training output when it saved one, else from the base
    tok_from = next((d for d in training_dirs if has_tokenizer(d)), None)
    origin = "training output" if tok_from is not None else "base"
    tok_from = tok_from or base.folder
    tok_names = [p.name for p in sorted(tok_from.iterdir())
                 if (p.is_file() or p.is_symlink()) and formats.is_tokenizer_file(p.name)]
    if not has_tokenizer(tok_from):
        plan.problem("missing-tokenizer", WARNING, "tokenizer.json",
                     f"Neither the training output nor the base ({base.folder}) has tokenizer files; the "
                     "merged folder will have no tokenizer. Copy them from where the base came from.")
    for name in tok_names:
        add(tok_from / name, origin)
    plan.stats["tokenizer_from"] = str(tok_from)
    tok_cfg = tok_from / "tokenizer_config.json"
    if tok_cfg.is_file():
        tok_doc = json_object_or_none(tok_cfg) or {}
        for name in remote_code_files(tok_from, tok_doc):
            add(tok_from / name, origin)

    # processor files (multimodal bases), remote code, licences: from the base
    for name in formats.PROCESSOR_FILES:
        add(base.folder / name, "base")
    for name in remote_code_files(base.folder, base.config):
        add(base.folder / name, "base")
    for path in base.files():
        if formats.LICENSE_RE.match(path.name):
            add(path, "base")


# --- the LoRA planner -----------------------------------------------------------------------------
