"""Plan, LoRA part: which base tensor each adapter term lands in, and the config to write.

A :class:`LoraMergePlanner` plans a LoRA adapter (a PEFT folder, XTuner's converted folder, or
an XTuner checkpoint turned into an adapter) into a full base model. Names are matched against
the base (allowing for a missing or extra leading prefix), shapes are checked (both orientations
for Conv1D), resized vocabularies and tied embeddings are resolved, and every problem is
collected with the module and both shapes named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .. import formats
from ..model.adapters import Adapter, LoraModule
from ..model.pairing import check_pairing, trained_on
from ..model.base import BaseModel
from ..model.lora import DoraTerm, LowRankTerm, RowsTerm, VectorTerm
from .base import (Plan, PlannedFolder, PlannedTensor, PlanOptions, Planner, carry_files, check_output,
                   default_out, index_file, open_base, shard)
from ..problems import ERROR, INFO, WARNING
from ..sources.source import LLM_ADAPTER, Source
from ..io.stores import TensorStore


class LoraMergePlanner(Planner):
    """A LoRA adapter (PEFT folder or XTuner's converted folder) into a full base model."""

    def accepts(self, source: Source) -> bool:
        return source.llm_adapter is not None and not any(
            c.role not in (LLM_ADAPTER, "training-config") for c in source.components)

    def plan(self, source: Source, base, options: PlanOptions) -> Plan:
        base = open_base(base)
        plan = Plan(source, options, options.out or default_out(source), base=base)
        adapter = source.llm_adapter
        assert adapter is not None
        folder = PlannedFolder("", title="merged model")
        tensors, config = plan_lora_tensors(plan, base, adapter, options)
        folder.shards = shard(tensors, options.max_shard_size)
        idx = index_file(folder.shards)
        if idx:
            folder.files.append(idx)
        training_dirs = [Path(d) for d in source.tokenizer_dirs or []]
        for d in (adapter.path, source.path):
            if d is not None and Path(d) not in training_dirs:
                training_dirs.append(Path(d))
        carry_files(plan, folder, base, config, training_dirs)
        plan.folders.append(folder)
        plan.stats["shards"] = len(folder.shards)
        check_output(plan, [source.path, base.folder])
        return plan



def output_dtype(options: PlanOptions, source_dtype: str) -> str:
    if source_dtype not in formats.FLOAT_CODES or options.dtype in ("auto", "keep"):
        return source_dtype
    return formats.dtype_code(options.dtype)


def plan_lora_tensors(plan: Plan, base: BaseModel, adapter: Adapter,
                      options: PlanOptions) -> tuple[list[PlannedTensor], dict]:
    """Output tensors of ``base`` with ``adapter`` merged in, and the config to write."""
    infos = base.infos
    astore = adapter.store
    ainfos = astore.infos()
    label = adapter.label
    terms: dict[str, list] = {}  # base tensor name -> terms
    source_of: dict[str, tuple[TensorStore, str]] = {}  # base name -> replacement
    new_tensors: dict[str, tuple[TensorStore, str, tuple[int, ...], str]] = {}
    missing: list[str] = []
    vocab_rows: Optional[int] = None
    untie = False
    out_embed = base.output_embedding
    in_embed = base.input_embedding

    def resolve(module_tensor: str) -> Optional[str]:
        return base.find(module_tensor)

    _check_values(plan, adapter)
    check_pairing(plan, label, adapter.config.get("base_model_name_or_path"), base, what=base.what, option=base.option)
    wrong = trained_on(adapter, base)

    def tied_output(name: str) -> bool:
        return base.tied and name == out_embed and in_embed is not None

    # whole-tensor replacements (modules_to_save, bias="all", saved embedding layers)
    for rel, aname in sorted(adapter.replacements.items()):
        target = resolve(rel)
        ashape = ainfos[aname].shape
        if target is None and tied_output(rel):
            new_tensors[rel] = (astore, aname, ashape, infos[in_embed].dtype)
            untie = True
            continue
        if target is None:
            missing.append(rel)
            continue
        bshape = infos[target].shape
        if ashape != bshape:
            if (len(ashape) == 2 and len(bshape) == 2 and ashape[1] == bshape[1]
                    and ashape[0] > bshape[0] and target in (in_embed, out_embed)):
                vocab_rows = max(vocab_rows or 0, ashape[0])
            else:
                plan.problem("shape-mismatch", ERROR, label,
                             f"The adapter replaces {target} with a tensor of shape {list(ashape)}, but "
                             f"the base has {list(bshape)}; {wrong}")
                continue
        source_of[target] = (astore, aname)

    # if tied and both embeddings are replaced by identical tensors, they stay tied
    if untie and in_embed in source_of:
        ins, iname = source_of[in_embed]
        if _same_values(ins, iname, astore, new_tensors[out_embed][1]):
            del new_tensors[out_embed]
            untie = False

    def current_shape(target: str) -> tuple[int, ...]:
        if target in source_of:
            s, n = source_of[target]
            return s.infos()[n].shape
        if target in new_tensors:
            return new_tensors[target][2]
        return infos[target].shape

    def target_for(module: str, what: str = "weight") -> Optional[str]:
        name = f"{module}.{what}"
        found = resolve(name)
        if found is None and tied_output(name):
            if name not in new_tensors:
                new_tensors[name] = (base.store, in_embed, infos[in_embed].shape, infos[in_embed].dtype)
            return name
        return found

    for mod, lm in adapter.loras.items():
        target = target_for(mod)
        if target is None:
            missing.append(f"{mod}.weight")
            continue
        if target in new_tensors and new_tensors[target][0] is base.store:
            untie = True
        shape = current_shape(target)
        ok, transpose = _fits(lm, shape)
        if not ok:
            want = ((lm.in_features, lm.out_features) if lm.kind == "embedding"
                    else (lm.out_features, lm.in_features))
            plan.problem("shape-mismatch", ERROR, label,
                         f"The adapter's {lm.kind} LoRA for {mod} needs a weight of shape {list(want)}, "
                         f"but the base's {target} is {list(shape)} (if the vocabulary was resized, the adapter "
                         f"did not save it); {wrong}")
            continue
        t = terms.setdefault(target, [])
        t.append(LowRankTerm(lm.a, lm.b, lm.scale, transpose))
        if lm.magnitude:
            mshape = ainfos[lm.magnitude].shape
            per_column = transpose
            want = shape[1] if per_column else shape[0]
            if mshape != (want,):
                plan.problem("shape-mismatch", ERROR, label,
                             f"The DoRA magnitude of {mod} has shape {list(mshape)}, expected [{want}].")
                continue
            t.append(DoraTerm(lm.magnitude, per_column))
        if lm.bias:
            btarget = resolve(f"{mod}.bias")
            if btarget is None:
                plan.problem("missing-module", ERROR, label,
                             f"The adapter was trained with lora_bias, but the base layer {mod} has no "
                             f"bias to add it to; {wrong}")
                continue
            terms.setdefault(btarget, []).append(VectorTerm(lm.bias, lm.scale))

    for mod, (aname, indices) in adapter.token_rows.items():
        target = target_for(mod)
        if target is None:
            missing.append(f"{mod}.weight")
            continue
        rows = current_shape(target)[0]
        bad = [i for i in indices if not 0 <= i < rows]
        if bad:
            plan.problem("shape-mismatch", ERROR, label,
                         f"The adapter trains token rows {bad[:5]} of {target}, which has only {rows} rows.")
            continue
        terms.setdefault(target, []).append(RowsTerm(aname, indices))

    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        plan.problem("missing-module", ERROR, label,
                     f"The adapter changes {len(missing)} tensor(s) the base model does not have ({shown}); "
                     f"{wrong}")

    # vocabulary: every embedding must agree on the row count
    if vocab_rows is not None:
        for name in (in_embed, out_embed):
            if name and name in infos and current_shape(name)[0] != vocab_rows:
                plan.problem("vocab-mismatch", ERROR, label,
                             f"The adapter grows the vocabulary to {vocab_rows} rows but leaves {name} at "
                             f"{current_shape(name)[0]}; it did not save that layer, so its new rows are "
                             "unknown. Save the adapter with save_embedding_layers=True.")

    # the output tensors, in base order, then the new (untied) ones
    out: list[PlannedTensor] = []
    dtypes: set[str] = set()
    for name in base.order:
        store, sname = source_of.get(name, (base.store, name))
        dtype = output_dtype(options, infos[name].dtype)
        t_terms = tuple(terms.get(name, ()))
        out.append(PlannedTensor(name, dtype, current_shape(name), store, sname, t_terms, astore))
        dtypes.add(dtype)
    for name, (store, sname, shape, dtype0) in new_tensors.items():
        dtype = output_dtype(options, dtype0)
        out.append(PlannedTensor(name, dtype, shape, store, sname, tuple(terms.get(name, ())), astore))

    # the config
    config = dict(base.config)
    changes = {}
    if options.dtype not in ("auto", "keep"):
        changes.update(set_dtype(config, options.dtype))
    if vocab_rows is not None and config.get("vocab_size") != vocab_rows:
        changes["vocab_size"] = (config.get("vocab_size"), vocab_rows)
        config["vocab_size"] = vocab_rows
    if untie:
        changes["tie_word_embeddings"] = (config.get("tie_word_embeddings"), False)
        config["tie_word_embeddings"] = False
        plan.problem("untied-embeddings", INFO, formats.CONFIG,
                     f"The adapter changes {out_embed}, which the base ties to {in_embed}; the merged "
                     "model stores both and sets tie_word_embeddings to false, as training saw them.")
    plan.config_changes = {k: {"from": a, "to": b} for k, (a, b) in changes.items()}

    float_dtypes = sorted({t.dtype for t in out if t.dtype in formats.FLOAT_CODES})
    merged = sum(1 for t in out if any(isinstance(x, LowRankTerm) for x in t.terms))
    plan.stats.update({
        "dtype": "+".join(formats.dtype_name(d) for d in float_dtypes) or None,
        "tensors": len(out),
        "merged_tensors": merged,
        "replaced_tensors": len(source_of) + sum(1 for v in new_tensors.values() if v[0] is astore),
        "lora_modules": len(adapter.loras),
        "adapter": adapter.summary(),
    })
    if options.dtype in ("auto", "keep") and base.config_dtype in ("BF16", "F16") and "F32" in float_dtypes:
        plan.problem("dtype-mismatch", WARNING, formats.CONFIG,
                     f"The base's config says {formats.dtype_name(base.config_dtype)} but its weights are "
                     "stored in float32, so the merged model will be too (twice the size). Choose "
                     f"--dtype {formats.dtype_name(base.config_dtype)} to write what the config says.")
    if options.dtype == "float16" and "BF16" in base.float_dtypes:
        plan.problem("dtype-narrowing", WARNING, formats.CONFIG,
                     "The base is bfloat16 and you asked for float16, whose range is much smaller; "
                     "weights or activations may overflow. Keep bfloat16 unless your runtime needs float16.")
    return out, config


def _check_values(plan: Plan, adapter: Adapter) -> None:
    """NaN/Inf in the adapter would spread to the whole merged layer: an error, before writing."""
    from ..model.values import adapter_non_finite

    found, complete = adapter_non_finite(adapter)
    if not complete:
        plan.problem("non-finite", INFO, adapter.label,
                     "The adapter is too large to check every value for NaN/Inf before merging; after the "
                     "merge, `mergesmith inspect OUT --scan-values` checks the result.")
    if found:
        where = adapter.weights_file.name if adapter.weights_file else adapter.label
        (name, bad), more = found[0], len(found) - 1
        plan.problem("non-finite", ERROR, where,
                     f"{adapter.label}: {name} holds {bad} NaN/Inf value(s)"
                     f"{f' (and {more} more tensor(s) do too)' if more else ''}; merged, it would make the "
                     "layer's output NaN. The training diverged or the file is damaged: use an earlier checkpoint.")


def _fits(lm: LoraModule, shape: tuple[int, ...]) -> tuple[bool, bool]:
    """Whether the LoRA product fits the weight; and whether it must be transposed."""
    if lm.kind == "embedding":
        return shape == (lm.in_features, lm.out_features), True
    straight, flipped = (lm.out_features, lm.in_features), (lm.in_features, lm.out_features)
    if lm.fan_in_fan_out and shape == flipped:
        return True, True
    if shape == straight:
        return True, False
    if shape == flipped:  # Conv1D stored (in, out) though the config did not say so
        return True, True
    return False, False


def set_dtype(config: dict, name: str) -> dict:
    changes = {}
    keys = [k for k in ("torch_dtype", "dtype") if k in config] or ["torch_dtype"]
    for key in keys:
        if config.get(key) != name:
            changes[key] = (config.get(key), name)
            config[key] = name
    text = config.get("text_config")
    if isinstance(text, dict):
        for key in ("torch_dtype", "dtype"):
            if key in text:
                text = dict(text)
                text[key] = name
                config["text_config"] = text
    return changes


def _same_values(store_a: TensorStore, a: str, store_b: TensorStore, b: str) -> bool:
    import torch

    ta, tb = store_a.tensor(a), store_b.tensor(b)
    try:
        return ta.shape == tb.shape and ta.dtype == tb.dtype and bool(torch.equal(ta, tb))
    finally:
        store_a.release(a)
        store_b.release(b)


