"""Report: check a folder and name every missing, broken or inconsistent piece.

``inspect_folder(path)`` reads headers and small files only and returns a :class:`Report` whose
problems each carry a stable code (see design.md), a severity, the file concerned and a
sentence saying what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import formats
from .problems import ERROR, WARNING, Problem, errors, sort_problems
from .safetensors_io import CorruptFileError, read_header
from .sources import has_tokenizer


@dataclass
class Report:
    path: Path
    kind: str
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def add(self, code: str, severity: str, file: str, message: str) -> None:
        self.problems.append(Problem(code, severity, file, message))

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "ok": self.ok,
            "problems": [p.to_dict() for p in sort_problems(self.problems)],
            "summary": self.summary,
        }


def inspect_folder(path, *, max_shard_size: Optional[int] = None) -> Report:
    path = Path(path)
    report = Report(path, "model")
    _check_config(report)
    _check_weights(report, max_shard_size)
    _check_tokenizer(report)
    if not (path / formats.GENERATION_CONFIG).is_file():
        report.add("missing-generation-config", WARNING, formats.GENERATION_CONFIG,
                   "There is no generation_config.json; generation will use transformers' defaults "
                   "(EOS tokens, sampling). Copy it from the base model.")
    return report


def _check_config(report: Report) -> None:
    cfg = report.path / formats.CONFIG
    if not cfg.is_file():
        report.add("missing-config", ERROR, formats.CONFIG,
                   "There is no config.json, so no library can load this model; copy it from the base model.")
        return
    try:
        doc = json.loads(cfg.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        report.summary["config"] = {k: doc.get(k) for k in ("architectures", "model_type", "vocab_size",
                                                              "torch_dtype", "dtype", "tie_word_embeddings")}
    except (OSError, ValueError) as exc:
        report.add("missing-config", ERROR, formats.CONFIG,
                   f"config.json cannot be parsed ({exc}); fix it or copy it from the base model.")


def _check_weights(report: Report, max_shard_size: Optional[int]) -> None:
    folder = report.path
    index_path = folder / formats.SAFE_INDEX
    shards = sorted(p.name for p in folder.glob("*.safetensors"))
    pickles = sorted(p.name for p in folder.iterdir()
                     if p.is_file() and p.suffix in formats.PICKLE_WEIGHT_SUFFIXES)
    for name in pickles:
        report.add("pickle-weights", ERROR, name,
                   f"{name} holds pickled weights{' beside the safetensors files' if shards else ''}; "
                   "pickles can run code when loaded. Convert them to safetensors "
                   "(`mergesmith fix`) and delete the pickle.")
    if not shards:
        if not pickles:
            report.add("missing-shard", ERROR, formats.SAFE_WEIGHTS,
                       "There are no weight files in this folder.")
        return
    headers = {}
    for name in shards:
        try:
            headers[name] = read_header(folder / name)
        except CorruptFileError as exc:
            report.add("corrupt-shard", ERROR, name, exc.message)
    total_params = sum(t.numel for h in headers.values() for t in h.tensors.values())
    report.summary.update({
        "shards": len(shards),
        "parameters": total_params,
        "bytes": sum((folder / n).stat().st_size for n in shards),
        "dtypes": sorted({formats.dtype_name(t.dtype) for h in headers.values() for t in h.tensors.values()}),
    })
    if index_path.is_file():
        try:
            doc = json.loads(index_path.read_text(encoding="utf-8"))
            weight_map = doc["weight_map"]
        except (OSError, ValueError, KeyError, TypeError):
            report.add("index-mismatch", ERROR, formats.SAFE_INDEX,
                       "The index cannot be parsed; rebuild it from the shards (`mergesmith fix`).")
            return
        named = set(weight_map.values())
        for f in sorted(named - set(shards)):
            report.add("missing-shard", ERROR, f,
                       f"The index names {f}, which is not in the folder; copy it again.")
        for f in sorted(set(shards) - named):
            report.add("orphan-shard", WARNING, f,
                       f"{f} is not named by the index; loaders ignore it. Delete it or rebuild the index.")
        for tensor, f in sorted(weight_map.items()):
            h = headers.get(f)
            if h is not None and tensor not in h.tensors:
                report.add("index-mismatch", ERROR, formats.SAFE_INDEX,
                           f"The index puts {tensor} in {f}, but that shard does not hold it; rebuild the index.")
        for f, h in headers.items():
            for tensor in h.tensors:
                if weight_map.get(tensor) not in (f, None) or (f in named and tensor not in weight_map):
                    report.add("index-mismatch", ERROR, f,
                               f"{f} holds {tensor}, which the index does not map to it; rebuild the index.")
        total = doc.get("metadata", {}).get("total_size") if isinstance(doc.get("metadata"), dict) else None
        real = sum(t.nbytes for f, h in headers.items() if f in named for t in h.tensors.values())
        if total is not None and total != real and not any(p.code == "corrupt-shard" for p in report.problems):
            report.add("index-mismatch", ERROR, formats.SAFE_INDEX,
                       f"The index's metadata.total_size is {total}, but the shards hold {real} bytes of "
                       "tensors; rebuild the index.")
    elif len(shards) > 1 or shards != [formats.SAFE_WEIGHTS]:
        report.add("index-mismatch", ERROR, formats.SAFE_INDEX,
                   f"There are {len(shards)} safetensors files but no {formats.SAFE_INDEX}; loaders "
                   "cannot find the weights. Rebuild the index (`mergesmith fix`).")
    if max_shard_size:
        for name in shards:
            size = (folder / name).stat().st_size
            if size > max_shard_size:
                report.add("shard-oversize", WARNING, name,
                           f"{name} is {formats.format_size(size)}, over the {formats.format_size(max_shard_size)} "
                           "limit; re-shard with `mergesmith fix --max-shard-size`.")


def _check_tokenizer(report: Report) -> None:
    if not has_tokenizer(report.path):
        report.add("missing-tokenizer", ERROR, "tokenizer.json",
                   "There are no tokenizer files (tokenizer.json, tokenizer.model or vocab.json + "
                   "merges.txt, with tokenizer_config.json); copy them from the base model.")
