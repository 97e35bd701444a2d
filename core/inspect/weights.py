"""Report, weights part: safetensors headers, the index, shard numbering and leftover pickles.

Only headers are read (8 bytes plus the JSON of each shard), never tensor data. The result is a
:class:`WeightsView` that the other checks build on: which tensors a loader would see, with
their dtype and shape, which file holds each one, and which files are broken, so that one
damaged file is reported once (as ``corrupt-shard`` or ``missing-shard``) and not again as
missing tensors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import formats
from .report import Report, join
from ..io.safetensors import CorruptFileError, SafetensorsHeader, TensorInfo, read_header

# Pickles a trainer leaves behind that hold no weights; they are not "pickle weights".
TRAINING_STATE_RE = (
    "training_args.bin", "optimizer.pt", "scheduler.pt", "scaler.pt", "trainer_state.json",
)


@dataclass
class WeightsView:
    """What a loader would find in one folder's weight files."""

    folder: Path
    rel: str
    shards: list[str] = field(default_factory=list)  # *.safetensors files present
    pickles: list[str] = field(default_factory=list)  # pickled weight files present
    headers: dict[str, SafetensorsHeader] = field(default_factory=dict)  # readable headers
    broken: set[str] = field(default_factory=set)  # files reported missing or corrupt
    index: Optional[dict] = None  # weight_map of a parseable index
    tensors: dict[str, Optional[TensorInfo]] = field(default_factory=dict)  # loader's view
    file_of: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every tensor a loader names has a readable header (no missing or corrupt file)."""
        return not self.broken and all(t is not None for t in self.tensors.values())

    def infos(self) -> dict[str, TensorInfo]:
        return {n: t for n, t in self.tensors.items() if t is not None}


def is_pickle_weights(name: str) -> bool:
    return name.endswith(formats.PICKLE_WEIGHT_SUFFIXES) and name not in TRAINING_STATE_RE \
        and not name.startswith(("rng_state", "optimizer", "scheduler"))


def check_weights(report: Report, folder: Path, rel: str = "", *, max_shard_size: Optional[int] = None,
                  required: bool = True) -> WeightsView:
    """Check every weight file of ``folder`` and return what a loader would see."""
    view = WeightsView(folder, rel)
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError:
        names = []
    view.shards = [n for n in names if n.endswith(".safetensors")]
    view.pickles = [n for n in names if is_pickle_weights(n)]
    for name in view.pickles:
        report.problem("pickle-weights", join(rel, name), key="pickle-weights/beside" if view.shards else "",
                       name=name)
    if not view.shards:
        if not view.pickles and required:
            report.problem("missing-shard", join(rel, formats.SAFE_WEIGHTS), key="missing-shard/none")
        _pickle_summary(report, view, rel)
        return view

    for name in view.shards:
        try:
            header = read_header(folder / name, check_size=False)
        except CorruptFileError as exc:
            view.broken.add(name)
            report.problem("corrupt-shard", join(rel, name), exc.message, key=exc.key, **exc.params)
            continue
        reason = _layout_error(header)
        if reason:
            view.broken.add(name)
            report.problem("corrupt-shard", join(rel, name), key=reason[0], name=name, **reason[1])
        view.headers[name] = header

    index_path = folder / formats.SAFE_INDEX
    if index_path.is_file():
        _check_index(report, view, index_path)
    else:
        _without_index(report, view)
    _check_numbering(report, view)
    if max_shard_size:
        _check_sizes(report, view, max_shard_size)
    _summary(report, view)
    return view


def _layout_error(h: SafetensorsHeader) -> Optional[tuple[str, dict]]:
    """What the safetensors library would refuse (wrong length, gaps or overlaps in the data): the
    key of its text and the particulars, or None."""
    if h.file_size < h.expected_size:
        return "corrupt-shard/truncated", {"expected": h.expected_size, "size": h.file_size}
    if h.file_size > h.expected_size:
        return "corrupt-shard/longer", {"extra": h.file_size - h.expected_size}
    pos = 0
    for t in sorted(h.tensors.values(), key=lambda t: (t.start, t.end)):
        if t.start != pos:
            return ("corrupt-shard/overlap" if t.start < pos else "corrupt-shard/gap"), {"tensor": t.name}
        pos = t.end
    return None


def _check_index(report: Report, view: WeightsView, index_path: Path) -> None:
    rel, index_file = view.rel, join(view.rel, formats.SAFE_INDEX)
    doc = _read_index(report, view, index_path)
    if doc is None:
        return
    weight_map = view.index = doc["weight_map"]
    named = set(weight_map.values())
    for f in sorted(named - set(view.shards)):
        view.broken.add(f)
        count = sum(1 for v in weight_map.values() if v == f)
        report.problem("missing-shard", join(rel, f), key="missing-shard/indexed", count=count, name=f)
    mismatches: list[str] = []
    for tensor, f in sorted(weight_map.items()):
        view.file_of[tensor] = f
        h = view.headers.get(f)
        info = h.tensors.get(tensor) if h is not None else None
        view.tensors[tensor] = info
        if h is not None and info is None:
            mismatches.append(f"the index puts {tensor} in {f}, which does not hold it")
    unindexed: dict[str, list[str]] = {}
    for f, h in view.headers.items():
        for tensor in h.tensors:
            where = weight_map.get(tensor)
            if where is None:
                unindexed.setdefault(f, []).append(tensor)
            elif where != f and f in named:
                mismatches.append(f"{f} holds {tensor}, which the index maps to {where}")
    _check_unnamed_shards(report, view, named, unindexed, mismatches)
    for f in sorted(named & set(unindexed)):
        mismatches.append(f"{f} holds {len(unindexed[f])} tensor(s) the index does not list "
                          f"({', '.join(unindexed[f][:2])})")
    meta = doc.get("metadata")
    total = meta.get("total_size") if isinstance(meta, dict) else None
    if total is not None and not (named & view.broken):
        real = sum(t.nbytes for t in view.tensors.values() if t is not None)
        if not isinstance(total, int) or total != real:
            mismatches.append(f"metadata.total_size is {total}, but the tensors it lists hold {real} bytes")
    if mismatches:
        shown = "; ".join(mismatches[:3]) + (f"; and {len(mismatches) - 3} more" if len(mismatches) > 3 else "")
        report.problem("index-mismatch", index_file, details=shown)


def _read_index(report: Report, view: WeightsView, index_path: Path) -> Optional[dict]:
    """The index with a ``weight_map`` of names to files, or None (reported, and the folder checked
    as if it had no index)."""
    try:
        doc = json.loads(index_path.read_text(encoding="utf-8"))
        weight_map = doc["weight_map"]
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise TypeError
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        report.problem("index-mismatch", join(view.rel, formats.SAFE_INDEX), key="index-mismatch/unparsable",
                       name=formats.SAFE_INDEX)
        _without_index(report, view, reported=True)
        return None
    return doc


def _check_unnamed_shards(report: Report, view: WeightsView, named: set[str], unindexed: dict[str, list[str]],
                          mismatches: list[str]) -> None:
    """Shards the index does not name: model.safetensors beside an index, shards holding tensors the
    index lacks (mismatches), or orphans holding nothing new."""
    for f in sorted(set(view.shards) - named):
        extra = unindexed.get(f, [])
        if f == formats.SAFE_WEIGHTS:
            mismatches.append(f"{f} is here too, and transformers loads it alone, ignoring the index and its "
                              "shards; keep one of the two layouts")
        elif extra:
            mismatches.append(f"{f} holds {len(extra)} tensor(s) the index does not list "
                              f"({', '.join(extra[:2])}{'...' if len(extra) > 2 else ''})")
        else:
            report.problem("orphan-shard", join(view.rel, f), name=f)


def _without_index(report: Report, view: WeightsView, reported: bool = False) -> None:
    """No usable index: a loader reads model.safetensors alone, or nothing."""
    for f, h in view.headers.items():
        for tensor, info in h.tensors.items():
            view.tensors.setdefault(tensor, info)
            view.file_of.setdefault(tensor, f)
    if reported or view.shards == [formats.SAFE_WEIGHTS]:
        return
    report.problem("index-mismatch", join(view.rel, formats.SAFE_INDEX), key="index-mismatch/no-index",
                   count=len(view.shards), index=formats.SAFE_INDEX,
                   names=", ".join(view.shards[:3]) + ("..." if len(view.shards) > 3 else ""))


def _check_numbering(report: Report, view: WeightsView) -> None:
    """``model-0000k-of-0000n`` files: every k from 1 to n present (for the n the index uses)."""
    numbered: dict[int, set[int]] = {}
    for name in view.shards:
        m = formats.SHARD_RE.match(name)
        if m:
            numbered.setdefault(int(m.group(2)), set()).add(int(m.group(1)))
    if view.index is not None:
        live = {int(m.group(2)) for f in set(view.index.values()) if (m := formats.SHARD_RE.match(f))}
    else:
        live = set(numbered)
    for count in sorted(live):
        for k in range(1, count + 1):
            name = formats.SHARD_NAME.format(index=k, count=count)
            if k not in numbered.get(count, set()) and name not in view.broken:
                view.broken.add(name)
                report.problem("missing-shard", join(view.rel, name), key="missing-shard/numbered",
                               name=name, count=count)


def _check_sizes(report: Report, view: WeightsView, limit: int) -> None:
    for name, h in view.headers.items():
        if h.file_size > limit:
            biggest = max((t.nbytes for t in h.tensors.values()), default=0)
            if len(h.tensors) > 1 or biggest < limit:
                report.problem("shard-oversize", join(view.rel, name), name=name,
                               size=formats.format_size(h.file_size), limit=formats.format_size(limit))


def _summary(report: Report, view: WeightsView) -> None:
    infos = view.infos()
    sizes = {n: h.file_size for n, h in view.headers.items()}
    by_dtype: dict[str, int] = {}
    for t in infos.values():
        by_dtype[t.dtype] = by_dtype.get(t.dtype, 0) + t.nbytes
    report.summary_for(view.rel).update({
        "tensors": len(view.tensors),
        "parameters": sum(t.numel for t in infos.values()),
        "shards": len(view.shards),
        "shard_sizes": sizes,
        "weights_bytes": sum(sizes.values()),
        "dtypes": sorted({formats.dtype_name(d) for d in by_dtype}),
        "dtype_bytes": {formats.dtype_name(d): n for d, n in sorted(by_dtype.items())},
        "format": "safetensors",
    })


def _pickle_summary(report: Report, view: WeightsView, rel: str) -> None:
    if not view.pickles:
        return
    sizes = {n: (view.folder / n).stat().st_size for n in view.pickles}
    s = report.summary_for(rel)
    s.update({"shards": len(view.pickles), "shard_sizes": sizes,
              "weights_bytes": sum(sizes.values()), "format": "pickle"})
    pt_index = view.folder / formats.PT_INDEX
    if pt_index.is_file():
        try:
            weight_map = json.loads(pt_index.read_text(encoding="utf-8")).get("weight_map") or {}
            view.tensors = {str(k): None for k in weight_map}
            view.file_of = {str(k): str(v) for k, v in weight_map.items()}
            s["tensors"] = len(weight_map)
        except (OSError, ValueError, RecursionError, AttributeError):
            pass


def major_float_dtype(view: WeightsView) -> Optional[str]:
    """The floating dtype holding most bytes (the model's dtype, whatever a few norms are in)."""
    by_dtype: dict[str, int] = {}
    for t in view.infos().values():
        if t.dtype in formats.FLOAT_CODES:
            by_dtype[t.dtype] = by_dtype.get(t.dtype, 0) + t.nbytes
    return max(by_dtype, key=by_dtype.get) if by_dtype else None
