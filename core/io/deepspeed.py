"""Rebuild the trained fp32 weights of a DeepSpeed ZeRO checkpoint folder, without DeepSpeed.

mmengine saves DeepSpeed checkpoints as a folder ``iter_N.pth/``:

* ZeRO-1/2: ``mp_rank_00_model_states.pt`` (param names and shapes, 16-bit copies) and, per
  data-parallel rank r, ``[bf16_]zero_pp_rank_{r}_mp_rank_00_optim_states.pt`` holding that
  rank's slice of each flattened fp32 parameter group (``single_partition_of_fp32_groups``);
* ZeRO-3: per rank ``zero_pp_rank_{r}_mp_rank_00_model_states.pt`` and the optim states, where
  every parameter is split into ``ceil(n / W)``-element pieces, one per rank (``fp32_flat_groups``).

:func:`read_zero_checkpoint` reads the (memory-mapped) files, checks that every rank is there and
that the partition sizes add up, and returns a :class:`ZeroStore` that assembles each parameter
from the rank pieces only when it is asked for, in fp32 (XTuner's own reader rounds to fp16).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from .. import formats
from .checkpoint import advise, load_checkpoint, open_checkpoint
from .unpickler import as_int
from ..errors import SourceError
from .safetensors import TensorInfo

RANK_FILE = re.compile(
    r"^(?P<bf16>bf16_)?zero_pp_rank_(?P<rank>\d+)_mp_rank_(?P<mp>\d+)_(?P<what>optim|model)_states\.pt$")
MP_MODEL = re.compile(r"^mp_rank_(?P<mp>\d+)_model_states\.pt$")


def is_deepspeed_folder(path: Path) -> bool:
    """A folder holding DeepSpeed model-state files (``*_model_states.pt``)."""
    try:
        return path.is_dir() and any(p.name.endswith("_model_states.pt") for p in path.iterdir())
    except OSError:
        return False


class _Flat:
    """A virtual concatenation of 1-D tensors (one rank's groups) read by element range."""

    def __init__(self, pieces: list[torch.Tensor]) -> None:
        self.pieces = [p.reshape(-1) for p in pieces]
        self.starts = []
        n = 0
        for p in self.pieces:
            self.starts.append(n)
            n += p.numel()
        self.numel = n

    def parts(self, start: int, stop: int) -> list[torch.Tensor]:
        out = []
        for p0, p in zip(self.starts, self.pieces):
            lo, hi = max(start, p0), min(stop, p0 + p.numel())
            if lo < hi:
                out.append(p[lo - p0:hi - p0])
        return out

    def read(self, start: int, stop: int) -> torch.Tensor:
        parts = self.parts(start, stop)
        if len(parts) == 1:
            return parts[0]
        return torch.cat(parts) if parts else torch.empty(0, dtype=torch.float32)


@dataclass
class _Param:
    shape: tuple[int, ...]
    group: int = 0  # ZeRO-1/2: which flat group
    offset: int = 0  # element offset in the group (ZeRO-1/2) or in each rank's flat (ZeRO-3)
    piece: int = 0  # ZeRO-3: elements per rank


class ZeroStore:
    """The trainable parameters (fp32) and buffers of a ZeRO checkpoint, assembled on demand."""

    def __init__(self, label: str, stage: int, flats: list[list[_Flat]], params: dict[str, _Param],
                 buffers: dict[str, torch.Tensor], aliases: dict[str, str], mapped: bool = False) -> None:
        self.label = label
        self.mapped = mapped
        self.stage = stage
        self._flats = flats  # ZeRO-1/2: [group][rank]; ZeRO-3: [[rank flats]]
        self._params = params
        self._buffers = buffers
        self._aliases = aliases
        self._infos: dict[str, TensorInfo] = {}
        for name, p in params.items():
            self._infos[name] = TensorInfo(name, "F32", p.shape)
        for name, t in buffers.items():
            self._infos[name] = TensorInfo(name, formats.TORCH_TO_ST[t.dtype], tuple(t.shape))
        for alias, src in aliases.items():
            if src in self._infos and alias not in self._infos:
                self._infos[alias] = TensorInfo(alias, self._infos[src].dtype, self._infos[src].shape)

    def infos(self) -> dict[str, TensorInfo]:
        return self._infos

    def _parts(self, name: str) -> list[torch.Tensor]:
        """The slices of the rank partitions that hold parameter ``name``, in order."""
        p = self._params[name]
        n = math.prod(p.shape)
        if self.stage <= 2:
            flat = _Flat([piece for r in self._flats[p.group] for piece in r.pieces])
            return flat.parts(p.offset, p.offset + n)
        return [x for r in self._flats[0] for x in r.parts(p.offset, p.offset + p.piece)]

    def tensor(self, name: str) -> torch.Tensor:
        if name not in self._params and name not in self._buffers:
            name = self._aliases[name]
        if name in self._buffers:
            return self._buffers[name]
        p = self._params[name]
        n = math.prod(p.shape)
        parts = self._parts(name)
        data = parts[0] if len(parts) == 1 else torch.cat(parts)
        return data[:n].view(p.shape)

    def release(self, name: str) -> None:
        """Drop the file pages of the partitions this parameter came from (they are consumed)."""
        name = self._aliases.get(name, name)
        if self.mapped and name in self._params:
            for part in self._parts(name):
                advise(part, 0, part.numel() * part.element_size(), "drop")

    def prefetch(self, name: str) -> None:
        name = self._aliases.get(name, name)
        if self.mapped and name in self._params:
            for part in self._parts(name):
                advise(part, 0, part.numel() * part.element_size(), "need")

    def raw(self, name: str) -> None:
        return None

    def close(self) -> None:
        pass


@dataclass
class ZeroCheckpoint:
    folder: Path
    stage: int
    world: int
    store: ZeroStore
    frozen: dict[str, tuple[int, ...]] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files: int = 0


def _rank_files(folder: Path) -> tuple[dict[int, Path], dict[int, Path], Optional[Path]]:
    optim: dict[int, Path] = {}
    model: dict[int, Path] = {}
    mp_model = None
    for p in sorted(folder.iterdir()):
        m = RANK_FILE.match(p.name)
        mm = MP_MODEL.match(p.name)
        mp = int(m.group("mp")) if m else int(mm.group("mp")) if mm else None
        if mp is not None and mp != 0:
            raise SourceError(
                f"{folder} holds a model-parallel DeepSpeed checkpoint ({p.name}); Mergesmith reads "
                "data-parallel ZeRO checkpoints (mp_rank_00) only.", path=folder)
        if m:
            rank = int(m.group("rank"))
            target = optim if m.group("what") == "optim" else model
            if rank in target:
                raise SourceError(f"{folder} holds two files for rank {rank} ({target[rank].name} and "
                                  f"{p.name}); remove the stale one.", path=folder)
            target[rank] = p
        elif mm:
            mp_model = p
    # natural order: rank 10 after rank 9
    return dict(sorted(optim.items())), dict(sorted(model.items())), mp_model


def _missing_ranks_error(folder: Path, what: str, have: list[int], world: int) -> SourceError:
    missing = [r for r in range(world) if r not in have]
    shown = ", ".join(str(r) for r in missing[:8]) + (" ..." if len(missing) > 8 else "")
    return SourceError(
        f"{folder} is incomplete: the training ran on {world} ranks but the {what} files of rank(s) "
        f"{shown} are missing ({len(have)} of {world} found). Copy the whole checkpoint folder again.",
        path=folder)


def read_zero_checkpoint(folder) -> ZeroCheckpoint:
    """Read a DeepSpeed tag folder (``iter_N.pth/``) into a lazy fp32 store; see the module doc."""
    folder = Path(folder)
    optim_files, model_files, mp_model = _rank_files(folder)
    ms = _model_states(folder, model_files, mp_model)
    meta = ms.get("meta") if isinstance(ms.get("meta"), dict) else {}
    if not optim_files:
        return _from_module_only(folder, ms, mp_model, meta)
    stage, world, groups_by_rank, mapped = _fp32_partitions(folder, optim_files)
    param_shapes = ms["param_shapes"]
    if isinstance(param_shapes, dict):
        param_shapes = [param_shapes]
    if stage <= 2:
        params, flats = _layout_zero2(folder, param_shapes, groups_by_rank, world)
    else:
        if model_files and sorted(model_files) != list(range(world)):
            raise _missing_ranks_error(folder, "model-state", list(model_files), world)
        params, flats = _layout_zero3(folder, param_shapes, groups_by_rank, world)

    module = ms.get("module") if isinstance(ms.get("module"), dict) else {}
    buffers = {n: module[n] for n in (ms.get("buffer_names") or []) if isinstance(module.get(n), torch.Tensor)}
    aliases = {str(a): str(s) for a, s in (ms.get("shared_params") or {}).items()}
    frozen = {str(n): tuple(s) for n, s in (ms.get("frozen_param_shapes") or {}).items()}
    notes: list[str] = []
    if frozen:
        notes.append(f"{len(frozen)} frozen parameter(s) are also stored in {folder.name}; the base "
                     "model's copies are used.")
    store = ZeroStore(str(folder), stage, flats, params, buffers, aliases, mapped)
    files = len(optim_files) + (len(model_files) if model_files else 1)
    return ZeroCheckpoint(folder, stage, world, store, frozen, meta, notes, files)


def _model_states(folder: Path, model_files: dict[int, Path], mp_model: Optional[Path]) -> dict:
    """The first model-state file (rank 0's, or the model-parallel one), which lists the parameters."""
    if mp_model is None and not model_files:
        raise SourceError(f"{folder} has no DeepSpeed model-state file (mp_rank_00_model_states.pt "
                          "or zero_pp_rank_0_mp_rank_00_model_states.pt).", path=folder)
    first_model = mp_model if mp_model is not None else model_files.get(0)
    if first_model is None:
        raise _missing_ranks_error(folder, "model-state", list(model_files), max(model_files) + 1)
    ms = load_checkpoint(first_model)
    if not isinstance(ms, dict) or "param_shapes" not in ms:
        raise SourceError(f"{first_model.name} in {folder} is not a DeepSpeed model-state file "
                          "(it has no param_shapes).", path=first_model)
    return ms


def _fp32_partitions(folder: Path, optim_files: dict[int, Path]) -> tuple[int, int, dict[int, list], bool]:
    """``(stage, world, {rank: fp32 partitions}, all memory-mapped)`` from one optimizer file per
    rank, which must agree on the stage and the rank count and all be there."""
    groups_by_rank: dict[int, list[torch.Tensor]] = {}
    stages, counts = set(), set()
    mapped = True
    for rank, path in optim_files.items():
        stage, pc, groups, was_mapped = _rank_partition(folder, path)
        mapped = mapped and was_mapped
        stages.add(stage)
        counts.add(pc)
        groups_by_rank[rank] = groups
    if len(stages) > 1:
        raise SourceError(f"The optimizer files in {folder} disagree on the ZeRO stage "
                          f"({sorted(stages)}); files from different runs were mixed.", path=folder)
    if len(counts) > 1:
        raise SourceError(f"The optimizer files in {folder} disagree on the number of ranks "
                          f"({sorted(counts)}); files from different runs were mixed.", path=folder)
    stage, world = stages.pop(), counts.pop()
    if not isinstance(world, int) or world < 1:
        raise SourceError(f"The optimizer files in {folder} do not say how many ranks wrote them.",
                          path=folder)
    ranks = list(groups_by_rank)
    if ranks != list(range(world)):
        extra = [r for r in ranks if r >= world]
        if extra:
            raise SourceError(
                f"{folder} has optimizer files for rank(s) {extra} but the partition count is {world}; "
                "files from different runs were mixed.", path=folder)
        raise _missing_ranks_error(folder, "optimizer-state", ranks, world)
    return stage, world, groups_by_rank, mapped


def _rank_partition(folder: Path, path: Path) -> tuple[int, Optional[int], list[torch.Tensor], bool]:
    """One rank's optimizer file: ``(stage, partition count, fp32 partitions, memory-mapped)``."""
    obj, was_mapped = open_checkpoint(path)
    osd = obj.get("optimizer_state_dict") if isinstance(obj, dict) else None
    if not isinstance(osd, dict):
        raise SourceError(f"{path.name} in {folder} holds no optimizer_state_dict; it is not a "
                          "DeepSpeed ZeRO optimizer file.", path=path)
    stage = as_int(osd.get("zero_stage"))
    groups = osd.get("fp32_flat_groups") if stage == 3 else osd.get("single_partition_of_fp32_groups")
    if stage is None and "single_partition_of_fp32_groups" in osd:
        stage, groups = 1, osd["single_partition_of_fp32_groups"]  # BF16_Optimizer (ZeRO-1)
    if stage not in (1, 2, 3) or not isinstance(groups, (list, tuple)):
        raise SourceError(f"{path.name} in {folder} is not a ZeRO checkpoint (no zero_stage and "
                          "fp32 partitions); Mergesmith reads ZeRO-1, 2 and 3.", path=path)
    pc = osd.get("partition_count")
    pc = max(pc) if isinstance(pc, (list, tuple)) else as_int(pc)
    return stage, pc, [g for g in groups if isinstance(g, torch.Tensor)], was_mapped


def _numel(shape) -> int:
    return math.prod(int(d) for d in shape)


def _layout_zero2(folder, param_shapes, groups_by_rank, world):
    ngroups = {len(g) for g in groups_by_rank.values()}
    if ngroups != {len(param_shapes)}:
        raise SourceError(
            f"The optimizer files in {folder} hold {sorted(ngroups)} parameter group(s) but the "
            f"model states list {len(param_shapes)}; the folder mixes files from different runs.",
            path=folder)
    align = 2 * world
    params: dict[str, _Param] = {}
    flats = []
    for g, shapes in enumerate(param_shapes):
        ranks = [_Flat([groups_by_rank[r][g]]) for r in range(world)]
        avail = sum(f.numel for f in ranks)
        offset = 0
        for name, shape in shapes.items():
            shape = tuple(int(d) for d in shape)
            params[str(name)] = _Param(shape, g, offset)
            offset += _numel(shape)
        if align * math.ceil(offset / align) != align * math.ceil(avail / align):
            raise SourceError(
                f"The fp32 partitions in {folder} hold {avail} values for parameter group {g}, but "
                f"its parameters need {offset}; the partition counts do not match (missing or "
                "mixed rank files).", path=folder)
        flats.append(ranks)
    return params, flats


def _layout_zero3(folder, param_shapes, groups_by_rank, world):
    ranks = [_Flat(groups_by_rank[r]) for r in range(world)]
    params: dict[str, _Param] = {}
    offset = 0
    for shapes in param_shapes:
        for name, shape in shapes.items():
            shape = tuple(int(d) for d in shape)
            piece = math.ceil(_numel(shape) / world)
            params[str(name)] = _Param(shape, 0, offset, piece)
            offset += piece
    bad = [r for r, f in enumerate(ranks) if f.numel != offset]
    if bad:
        raise SourceError(
            f"The fp32 partition of rank {bad[0]} in {folder} holds {ranks[bad[0]].numel} values but "
            f"the parameters need {offset} per rank; the partition counts do not match (missing or "
            "mixed rank files).", path=folder)
    return params, [ranks]


def _from_module_only(folder: Path, ms: dict, mp_model: Optional[Path], meta: dict) -> ZeroCheckpoint:
    """ZeRO-1/2 without optimizer files: the 16-bit copies in ``module`` are all there is."""
    module = ms.get("module") if isinstance(ms.get("module"), dict) else {}
    tensors = {str(k): v for k, v in module.items() if isinstance(v, torch.Tensor) and v.numel() > 0}
    if mp_model is None or not tensors:
        raise SourceError(
            f"{folder} has no optimizer-state files (*_optim_states.pt), which hold the trained "
            "weights of a ZeRO-3 run; copy the whole checkpoint folder.", path=folder)
    store = ZeroStore(str(folder), 2, [], {}, tensors, {})
    note = (f"{folder.name} has no optimizer-state files, so the 16-bit weights in {mp_model.name} "
            "are used instead of the fp32 master weights.")
    return ZeroCheckpoint(folder, 2, int(as_int(ms.get("dp_world_size")) or 1), store, {}, meta,
                          [note], 1)
