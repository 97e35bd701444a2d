"""Plan, LoRA part: which base tensor each adapter term lands in, and the config to write.

A :class:`LoraMergePlanner` plans a LoRA adapter (a PEFT folder, XTuner's converted folder, or
an XTuner checkpoint turned into an adapter) into a full base model. Names are matched against
the base (allowing for a missing or extra leading prefix), shapes are checked (both orientations
for Conv1D), resized vocabularies and tied embeddings are resolved, and every problem is
collected with the module and both shapes named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import formats
from ..model.adapters import Adapter, LoraModule
from ..model.pairing import check_pairing, trained_on
from ..model.base import BaseModel
from ..model.lora import DoraTerm, LowRankTerm, RowsTerm, VectorTerm
from .base import (Plan, PlannedFolder, PlannedTensor, PlanOptions, Planner, check_output, default_out,
                   open_base)
from .files import add_weights, carry_files
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
        add_weights(folder, tensors, options.max_shard_size)
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
    _check_values(plan, adapter)
    check_pairing(plan, adapter.label, adapter.config.get("base_model_name_or_path"), base,
                  what=base.what, option=base.option)
    merge = _LoraMerge(plan, base, adapter, wrong=trained_on(adapter, base))
    merge.place_replacements()
    merge.keep_tied_if_identical()
    merge.place_loras()
    merge.place_token_rows()
    merge.report_missing()
    merge.check_vocabulary()
    out = merge.output_tensors(options)
    config = merge.output_config(options)
    merge.record_stats(out)
    _check_dtypes(plan, base, options, out)
    return out, config


@dataclass
class _LoraMerge:
    """What planning one adapter into one base collects, step by step (see plan_lora_tensors)."""

    plan: Plan
    base: BaseModel
    adapter: Adapter
    wrong: dict  # the particulars of "@adapter-other" (core.texts): it was trained on another model
    terms: dict[str, list] = field(default_factory=dict)  # base tensor name -> terms
    source_of: dict[str, tuple[TensorStore, str]] = field(default_factory=dict)  # base name -> replacement
    # tensors the base does not store (an untied output embedding): name -> (store, name, shape, dtype)
    new_tensors: dict[str, tuple[TensorStore, str, tuple[int, ...], str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    vocab_rows: Optional[int] = None
    untie: bool = False

    def __post_init__(self):
        self.infos = self.base.infos
        self.astore = self.adapter.store
        self.ainfos = self.astore.infos()
        self.label = self.adapter.label
        self.out_embed = self.base.output_embedding
        self.in_embed = self.base.input_embedding

    def tied_output(self, name: str) -> bool:
        return self.base.tied and name == self.out_embed and self.in_embed is not None

    def current_shape(self, target: str) -> tuple[int, ...]:
        if target in self.source_of:
            s, n = self.source_of[target]
            return s.infos()[n].shape
        if target in self.new_tensors:
            return self.new_tensors[target][2]
        return self.infos[target].shape

    def target_for(self, module: str, what: str = "weight") -> Optional[str]:
        name = f"{module}.{what}"
        found = self.base.find(name)
        if found is None and self.tied_output(name):
            if name not in self.new_tensors:
                self.new_tensors[name] = (self.base.store, self.in_embed, self.infos[self.in_embed].shape,
                                          self.infos[self.in_embed].dtype)
            return name
        return found

    def place_replacements(self) -> None:
        """Whole-tensor replacements (modules_to_save, bias="all", saved embedding layers)."""
        for rel, aname in sorted(self.adapter.replacements.items()):
            target = self.base.find(rel)
            ashape = self.ainfos[aname].shape
            if target is None and self.tied_output(rel):
                self.new_tensors[rel] = (self.astore, aname, ashape, self.infos[self.in_embed].dtype)
                self.untie = True
                continue
            if target is None:
                self.missing.append(rel)
                continue
            bshape = self.infos[target].shape
            if ashape != bshape:
                if (len(ashape) == 2 and len(bshape) == 2 and ashape[1] == bshape[1]
                        and ashape[0] > bshape[0] and target in (self.in_embed, self.out_embed)):
                    self.vocab_rows = max(self.vocab_rows or 0, ashape[0])
                else:
                    self.plan.problem("shape-mismatch", ERROR, self.label, key="shape-mismatch/replaced",
                                      target=target, got=str(list(ashape)), want=str(list(bshape)), **self.wrong)
                    continue
            self.source_of[target] = (self.astore, aname)

    def keep_tied_if_identical(self) -> None:
        """If tied and both embeddings are replaced by identical tensors, they stay tied."""
        if self.untie and self.in_embed in self.source_of:
            ins, iname = self.source_of[self.in_embed]
            if _same_values(ins, iname, self.astore, self.new_tensors[self.out_embed][1]):
                del self.new_tensors[self.out_embed]
                self.untie = False

    def place_loras(self) -> None:
        for mod, lm in self.adapter.loras.items():
            target = self.target_for(mod)
            if target is None:
                self.missing.append(f"{mod}.weight")
                continue
            if target in self.new_tensors and self.new_tensors[target][0] is self.base.store:
                self.untie = True
            shape = self.current_shape(target)
            ok, transpose = _fits(lm, shape)
            if not ok:
                want = ((lm.in_features, lm.out_features) if lm.kind == "embedding"
                        else (lm.out_features, lm.in_features))
                self.plan.problem("shape-mismatch", ERROR, self.label, key="shape-mismatch/lora", kind=lm.kind,
                                  module=mod, want=str(list(want)), target=target, got=str(list(shape)),
                                  **self.wrong)
                continue
            t = self.terms.setdefault(target, [])
            t.append(LowRankTerm(lm.a, lm.b, lm.scale, transpose))
            if lm.magnitude and not self.place_dora(mod, lm, shape, transpose, t):
                continue
            if lm.bias:
                self.place_lora_bias(mod, lm)

    def place_dora(self, mod: str, lm: LoraModule, shape: tuple[int, ...], per_column: bool, t: list) -> bool:
        mshape = self.ainfos[lm.magnitude].shape
        want = shape[1] if per_column else shape[0]
        if mshape != (want,):
            self.plan.problem("shape-mismatch", ERROR, self.label, key="shape-mismatch/dora", module=mod,
                              got=str(list(mshape)), want=f"[{want}]", **self.wrong)
            return False
        t.append(DoraTerm(lm.magnitude, per_column))
        return True

    def place_lora_bias(self, mod: str, lm: LoraModule) -> None:
        btarget = self.base.find(f"{mod}.bias")
        if btarget is None:
            self.plan.problem("missing-module", ERROR, self.label, key="missing-module/lora-bias", module=mod,
                              **self.wrong)
            return
        self.terms.setdefault(btarget, []).append(VectorTerm(lm.bias, lm.scale))

    def place_token_rows(self) -> None:
        for mod, (aname, indices) in self.adapter.token_rows.items():
            target = self.target_for(mod)
            if target is None:
                self.missing.append(f"{mod}.weight")
                continue
            rows = self.current_shape(target)[0]
            bad = [i for i in indices if not 0 <= i < rows]
            if bad:
                self.plan.problem("shape-mismatch", ERROR, self.label, key="shape-mismatch/token-rows",
                                  indices=str(bad[:5]), target=target, rows=rows, **self.wrong)
                continue
            self.terms.setdefault(target, []).append(RowsTerm(aname, indices))

    def report_missing(self) -> None:
        missing = self.missing
        if missing:
            shown = ", ".join(missing[:3]) + (f", +{len(missing) - 3}" if len(missing) > 3 else "")
            self.plan.problem("missing-module", ERROR, self.label, key="missing-module/adapter",
                              count=len(missing), names=shown, **self.wrong)

    def check_vocabulary(self) -> None:
        """Every embedding must agree on the row count."""
        if self.vocab_rows is None:
            return
        for name in (self.in_embed, self.out_embed):
            if name and name in self.infos and self.current_shape(name)[0] != self.vocab_rows:
                self.plan.problem("vocab-mismatch", ERROR, self.label, key="vocab-mismatch/adapter",
                                  rows=self.vocab_rows, name=name, kept=self.current_shape(name)[0])

    def output_tensors(self, options: PlanOptions) -> list[PlannedTensor]:
        """The output tensors, in base order, then the new (untied) ones."""
        infos, terms, astore = self.infos, self.terms, self.astore
        out: list[PlannedTensor] = []
        for name in self.base.order:
            store, sname = self.source_of.get(name, (self.base.store, name))
            dtype = output_dtype(options, infos[name].dtype)
            t_terms = tuple(terms.get(name, ()))
            out.append(PlannedTensor(name, dtype, self.current_shape(name), store, sname, t_terms, astore))
        for name, (store, sname, shape, dtype0) in self.new_tensors.items():
            dtype = output_dtype(options, dtype0)
            out.append(PlannedTensor(name, dtype, shape, store, sname, tuple(terms.get(name, ())), astore))
        return out

    def output_config(self, options: PlanOptions) -> dict:
        config = dict(self.base.config)
        changes = {}
        if options.dtype not in ("auto", "keep"):
            changes.update(set_dtype(config, options.dtype))
        if self.vocab_rows is not None and config.get("vocab_size") != self.vocab_rows:
            changes["vocab_size"] = (config.get("vocab_size"), self.vocab_rows)
            config["vocab_size"] = self.vocab_rows
        if self.untie:
            changes["tie_word_embeddings"] = (config.get("tie_word_embeddings"), False)
            config["tie_word_embeddings"] = False
            self.plan.problem("untied-embeddings", INFO, formats.CONFIG, output=self.out_embed,
                              input=self.in_embed)
        self.plan.config_changes = {k: {"from": a, "to": b} for k, (a, b) in changes.items()}
        return config

    def record_stats(self, out: list[PlannedTensor]) -> None:
        float_dtypes = sorted({t.dtype for t in out if t.dtype in formats.FLOAT_CODES})
        merged = sum(1 for t in out if any(isinstance(x, LowRankTerm) for x in t.terms))
        self.plan.stats.update({
            "dtype": "+".join(formats.dtype_name(d) for d in float_dtypes) or None,
            "tensors": len(out),
            "merged_tensors": merged,
            "replaced_tensors": len(self.source_of) + sum(1 for v in self.new_tensors.values()
                                                           if v[0] is self.astore),
            "lora_modules": len(self.adapter.loras),
            "adapter": self.adapter.summary(),
        })


def _check_dtypes(plan: Plan, base: BaseModel, options: PlanOptions, out: list[PlannedTensor]) -> None:
    """A float32 base whose config says 16-bit, and float16 asked of a bfloat16 base: warnings."""
    float_dtypes = {t.dtype for t in out if t.dtype in formats.FLOAT_CODES}
    if options.dtype in ("auto", "keep") and base.config_dtype in ("BF16", "F16") and "F32" in float_dtypes:
        plan.problem("dtype-mismatch", WARNING, formats.CONFIG, key="dtype-mismatch/float32-base",
                     named=formats.dtype_name(base.config_dtype))
    if options.dtype == "float16" and "BF16" in base.float_dtypes:
        plan.problem("dtype-narrowing", WARNING, formats.CONFIG)


def _check_values(plan: Plan, adapter: Adapter) -> None:
    """NaN/Inf in the adapter would spread to the whole merged layer: an error, before writing."""
    from ..model.values import adapter_non_finite

    found, complete = adapter_non_finite(adapter)
    if not complete:
        plan.problem("non-finite", INFO, adapter.label, key="non-finite/too-large")
    if found:
        where = adapter.weights_file.name if adapter.weights_file else adapter.label
        (name, bad), more = found[0], len(found) - 1
        plan.problem("non-finite", ERROR, where, key="non-finite/adapter-more" if more else "non-finite/adapter",
                     label=adapter.label, name=name, bad=bad, **({"more": more} if more else {}))


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


