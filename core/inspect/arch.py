"""Report, architecture part: do the weights cover the model config.json describes, and no more?

The model is built on the meta device from config.json (no memory, no weights, never remote
code), and its state-dict names, minus tied and ignorable ones, are compared with the tensors a
loader would find, both ways, shapes included. Checkpoint names go through the same renaming
transformers applies on load (its conversion mapping, and the base-model prefix), so a folder
that loads is not reported; where a model type has renames or fusions we cannot follow exactly,
differences are reported as ``weights-unverified`` warnings rather than errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from .. import formats
from .report import Report, join
from ..quiet import quiet_transformers
from ..io.safetensors import TensorInfo

INPUT_EMBEDDING_SUFFIXES = formats.INPUT_EMBEDDING_SUFFIXES
# Buffers old checkpoints may hold that current models no longer persist (transformers ignores them).
IGNORED_UNEXPECTED = re.compile(r"(rotary_emb\.inv_freq|(^|\.)position_ids|\.attn\.bias|\.attn\.masked_bias)$")
_cache: dict[str, tuple] = {}


def build_meta_model(folder: Path):
    """The model class config.json names, instantiated on the meta device; or raise."""
    import torch
    import transformers
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    arch = (getattr(config, "architectures", None) or [None])[0]
    cls = getattr(transformers, arch, None) if isinstance(arch, str) else None
    with torch.device("meta"):
        if cls is not None and hasattr(cls, "_from_config"):
            return cls._from_config(config)
        from transformers import AutoModel, AutoModelForCausalLM

        try:
            return AutoModelForCausalLM.from_config(config)
        except ValueError:
            return AutoModel.from_config(config)


def expected_tensors(folder: Path, config: dict):
    """(shapes by name, tied names, ignore-missing regex, has-renames, class name), cached per config."""
    import json

    key = json.dumps(config, sort_keys=True, default=str)
    if key in _cache:
        return _cache[key]
    with quiet_transformers():
        model = build_meta_model(folder)
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        tied = dict(getattr(model, "all_tied_weights_keys", None) or {})
        ignore = set(getattr(model, "_keys_to_ignore_on_load_missing", None) or ())
        ignore_unexpected = set(getattr(model, "_keys_to_ignore_on_load_unexpected", None) or ())
        renamer = _renamer(model, shapes)
    result = (shapes, tied, ignore, ignore_unexpected, renamer, type(model).__name__)
    if len(_cache) > 8:
        _cache.clear()
    _cache[key] = result
    return result


def _renamer(model, meta_sd: dict):
    """A function mapping a checkpoint key to the model key transformers would load it into.

    Returns (rename, uncertain): ``uncertain`` is True when the model type has renames or
    fusions beyond the legacy ones, so that a mismatch may be ours rather than the folder's.
    """
    prefix = getattr(model, "base_model_prefix", "") or ""
    try:
        from transformers.conversion_mapping import (
            get_checkpoint_conversion_mapping,
            get_model_conversion_mapping,
        )
        from transformers.core_model_loading import (
            WeightConverter,
            WeightRenaming,
            rename_source_key,
        )

        mapping = get_model_conversion_mapping(model)
        legacy = len(get_checkpoint_conversion_mapping("legacy") or [])
        renamings = [m for m in mapping if isinstance(m, WeightRenaming)]
        converters = [m for m in mapping if isinstance(m, WeightConverter)]
        uncertain = len(mapping) > legacy

        def rename(key: str) -> tuple[str, bool]:
            new, pattern = rename_source_key(key, renamings, converters, prefix or None, meta_sd)
            if new not in meta_sd and key in meta_sd:
                return key, False
            return new, pattern is not None

        return rename, uncertain
    except Exception:  # an older or newer transformers without this machinery: names as they are
        def plain(key: str) -> tuple[str, bool]:
            if key in meta_sd or not prefix:
                return key, False
            if f"{prefix}.{key}" in meta_sd:
                return f"{prefix}.{key}", False
            if key.startswith(prefix + ".") and key[len(prefix) + 1:] in meta_sd:
                return key[len(prefix) + 1:], False
            return key, False

        return plain, True


def check_architecture(report: Report, folder: Path, rel: str, config: dict,
                       tensors: dict[str, Optional[TensorInfo]], *, read_rows=None) -> None:
    """Compare the tensors a loader sees with those the config's model needs, both ways."""
    if not tensors:
        return
    try:
        shapes, tied, ignore_missing, ignore_unexpected, renamer, cls_name = expected_tensors(folder, config)
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        report.problem("unknown-architecture", join(rel, formats.CONFIG), key="unknown-architecture/build",
                       error=text)
        return
    rename, uncertain = renamer
    report.summary_for(rel)["architecture"] = cls_name
    present: dict[str, str] = {}  # model key -> checkpoint key
    converted: set[str] = set()
    unexpected: list[str] = []
    for key in tensors:
        new, fused = rename(key)
        if new in shapes:
            present.setdefault(new, key)
            if fused:
                converted.add(new)
        elif not IGNORED_UNEXPECTED.search(key) and not _matches(ignore_unexpected, key):
            unexpected.append(key)
    missing = [k for k in shapes if k not in present and k not in tied and not _matches(ignore_missing, k)]
    where = join(rel, formats.SAFE_INDEX if (folder / formats.SAFE_INDEX).is_file() else formats.SAFE_WEIGHTS)
    if missing:
        code, key = ("weights-unverified", "weights-unverified/missing") if uncertain else \
            ("missing-weights", "missing-weights/arch")
        report.problem(code, where, key=key, model=cls_name, count=len(missing), names=_list(missing))
    if unexpected:
        code, key = ("weights-unverified", "weights-unverified/unexpected") if uncertain else \
            ("unexpected-weights", "unexpected-weights/arch")
        report.problem(code, where, key=key, model=cls_name, count=len(unexpected), names=_list(unexpected))
    _check_shapes(report, rel, where, shapes, present, converted, tensors)
    _check_tied(report, rel, shapes, tied, present, tensors, read_rows)


def _check_shapes(report, rel, where, shapes, present, converted, tensors) -> None:
    wrong, vocab = [], []
    for new, key in present.items():
        info = tensors.get(key)
        if info is None or new in converted or tuple(info.shape) == shapes[new]:
            continue
        if key.endswith(INPUT_EMBEDDING_SUFFIXES) or new.endswith("lm_head.weight"):
            vocab.append((key, info.shape, shapes[new]))
        else:
            wrong.append(f"{key} {list(info.shape)} \u2260 {list(shapes[new])}")
    if vocab:
        key, have, want = vocab[0]
        report.problem("vocab-mismatch", join(rel, formats.CONFIG), key="vocab-mismatch/config", tensor=key,
                       want=str(list(want)), have=str(list(have)), rows=have[0])
    if wrong:
        report.problem("shape-mismatch", where, key="shape-mismatch/config", count=len(wrong),
                       details="; ".join(wrong[:3]) + ("..." if len(wrong) > 3 else ""))


def _check_tied(report, rel, shapes, tied, present, tensors, read_rows) -> None:
    """Config ties lm_head to the embeddings, but the folder stores a different lm_head."""
    for target, source in _pairs(tied, shapes):
        t_key, s_key = present.get(target), present.get(source)
        if t_key is None or s_key is None or read_rows is None:
            continue
        a, b = tensors.get(t_key), tensors.get(s_key)
        if a is None or b is None or a.shape != b.shape or a.dtype != b.dtype:
            continue
        if read_rows(t_key) != read_rows(s_key):
            report.problem("tied-embeddings", join(rel, formats.CONFIG), target=target, source=source,
                           stored=t_key)
            return


def _pairs(tied: dict, shapes):
    for target, source in sorted(tied.items()):
        if isinstance(source, str) and target in shapes and source in shapes:
            yield target, source


def _matches(patterns, key: str) -> bool:
    return any(re.search(p, key) for p in patterns)


def _list(names: list[str]) -> str:
    names = sorted(names)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
