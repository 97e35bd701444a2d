"""Planners for XTuner checkpoints: LoRA merge and full fine-tune (LLaVA is in :mod:`.llava`).

The LoRA planner reuses :class:`~mergesmith.core.plan.lora.LoraMergePlanner`: the checkpoint's
``llm.*`` LoRA keys were already turned into a PEFT-style :class:`Adapter` over the fp32
trained tensors by the detector, so the merge is the same streaming plan as for a PEFT folder.
Both planners first honour ``--iter`` (a work_dir may hold many checkpoints).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from .. import formats
from ..model.base import BaseModel
from ..errors import MergesmithError
from .base import (Plan, PlanOptions, PlannedFolder, PlannedTensor, Planner, check_output, default_out,
                   open_base)
from .files import add_weights, carry_files
from ..model.pairing import check_pairing, describe
from .lora import LoraMergePlanner, output_dtype, set_dtype
from ..problems import ERROR, INFO, WARNING
from ..sources.source import LLM_ADAPTER, LLM_FULL, TRAINING_CONFIG, Source
from ..io.stores import TensorStore
from ..sources.xtuner.workdir import KINDS, for_iteration

# Buffers a checkpoint may carry that a saved Hugging Face model does not.
IGNORABLE_SUFFIXES = ("rotary_emb.inv_freq", ".inv_freq", ".attn.masked_bias", ".attn.bias")


def training_dirs(source: Source) -> list[Path]:
    return [Path(d) for d in source.tokenizer_dirs or []]


def training_problems(plan: Plan, source: Source) -> None:
    """What the plan must say about the training output itself, whichever XTuner planner runs."""
    ckpt = source.label
    unknown = source.training.unknown_tensors if source.training else []
    if unknown:
        shown = ", ".join(unknown[:3]) + (f", +{len(unknown) - 3}" if len(unknown) > 3 else "")
        plan.problem("unknown-tensors", ERROR, ckpt, count=len(unknown), names=shown)
    conflict = source.training.config_conflict if source.training else None
    if conflict:
        plan.problem("config-mismatch", WARNING, ckpt, **source.training.config_conflict_params)
    if plan.base is None:
        return
    quant = source.training.quantization if source.training and source.component(LLM_ADAPTER) else None  # QLoRA: a LoRA run
    base_dtypes = [formats.dtype_name(d) for d in plan.base.float_dtypes]
    if quant:
        kept = "/".join(base_dtypes) or "16-bit"
        plan.problem("qlora", INFO, ckpt, quant=quant, dtype=kept)
    said = _dtype_named(source.settings.llm_dtype if source.settings else None)
    if said and plan.options.dtype in ("auto", "keep") and len(base_dtypes) == 1 and said != base_dtypes[0]:
        plan.problem("dtype-kept", INFO, ckpt, said=said, stored=base_dtypes[0])


def _other(other: dict) -> dict:
    return {k: v for k, v in other.items() if not k.startswith("_")}


def _dtype_named(value: Optional[str]) -> Optional[str]:
    """``"float16"`` for a config's ``torch.float16``/``'torch.float16'``/``'fp16'``; None for ``'auto'``."""
    try:
        return formats.dtype_name(formats.dtype_code(value)) if value else None
    except MergesmithError:
        return None


def trained_roles(source: Source) -> set[str]:
    return {c.role for c in source.components} - {TRAINING_CONFIG}


class XTunerLoraPlanner(LoraMergePlanner):
    """An XTuner LoRA run (``SupervisedFinetune``): merge its fp32 LoRA into the base."""

    def accepts(self, source: Source) -> bool:
        return source.kind in KINDS and trained_roles(source) == {LLM_ADAPTER}

    def plan(self, source: Source, base, options: PlanOptions) -> Plan:
        source = for_iteration(source, options.iteration)  # make_plan has chosen it: a no-op
        plan = super().plan(source, base, options)
        training_problems(plan, source)
        return plan


DtypeRule = Callable[[str, Optional[str]], str]  # (base dtype, checkpoint dtype) -> output dtype


def base_dtype_rule(options: PlanOptions) -> DtypeRule:
    """``--dtype auto``: each tensor in its base dtype (what a full fine-tune merge writes)."""
    return lambda base_dtype, ckpt_dtype: output_dtype(options, base_dtype)


def plan_full_tensors(plan: Plan, base: BaseModel, store: Optional[TensorStore], dtype_rule: DtypeRule,
                      label: str) -> tuple[list[PlannedTensor], dict]:
    """Output tensors of a fully fine-tuned model: trained tensors from ``store``, the rest from ``base``.

    Tensors the checkpoint lacks (frozen during training, or excluded by DeepSpeed) are copied
    from the base. Returns the tensors (base order) and the config to write.
    """
    named = plan.source.visual_encoder_hint if base.option == "--visual-encoder" else plan.source.base_hint
    if store is not None:
        check_pairing(plan, label, named, base, what=base.what, option=base.option)
    # the particulars of "@checkpoint-other" (core.texts), and the variant naming the right control
    other = {"base": str(base.folder), "base_desc": describe(base.config),
             "_vit": "-vit" if base.option.startswith("--visual-encoder") else "",
             **({"named": str(named)} if named else {})}
    cinfos = store.infos() if store is not None else {}
    to_base, dropped = _checkpoint_to_base(plan, base, store, cinfos, label, other)
    out, frozen, vocab_rows = _planned_tensors(plan, base, store, cinfos, dtype_rule, label, other, to_base)
    config, floats, changes = _full_config(plan, base, out, label, vocab_rows)
    if store is not None and frozen:
        plan.problem("frozen-tensors", INFO, label, count=frozen)
    if dropped:
        plan.problem("dropped-tensors", INFO, label, count=len(dropped), names=", ".join(dropped[:3]))
    plan.config_changes.update(changes)
    plan.stats.update({
        "dtype": "+".join(formats.dtype_name(d) for d in floats) or None,
        "tensors": len(out),
        "trained_tensors": len(to_base),
        "frozen_tensors": frozen if store is not None else len(out),
    })
    return out, config


def _checkpoint_to_base(plan: Plan, base: BaseModel, store: Optional[TensorStore], cinfos: dict, label: str,
                        other: dict) -> tuple[dict[str, str], list[str]]:
    """``{base name: checkpoint name}`` for the checkpoint's tensors, and the checkpoint names not
    written (buffers, a tied output embedding); reports the ones the base lacks as errors."""
    infos = base.infos
    to_base: dict[str, str] = {}
    dropped, unknown = [], []
    for cname in cinfos:
        target = base.find(cname)
        if target is not None:
            to_base[target] = cname
        elif cname.endswith(IGNORABLE_SUFFIXES):
            dropped.append(cname)
        elif base.tied and cname == base.output_embedding and base.input_embedding in infos:
            dropped.append(cname)  # tied to the input embedding, stored once as transformers does
        else:
            unknown.append(cname)
    if unknown:
        shown = ", ".join(sorted(unknown)[:3]) + (f", +{len(unknown) - 3}" if len(unknown) > 3 else "")
        plan.problem("missing-module", ERROR, label, key="missing-module/checkpoint" + other["_vit"],
                     count=len(unknown), names=shown, **_other(other))
    if store is not None and not to_base:
        plan.problem("missing-module", ERROR, label, key="missing-module/checkpoint-none" + other["_vit"],
                     name=base.folder.name, **_other(other))
    return to_base, dropped


def _planned_tensors(plan: Plan, base: BaseModel, store: Optional[TensorStore], cinfos: dict,
                     dtype_rule: DtypeRule, label: str, other: dict,
                     to_base: dict[str, str]) -> tuple[list[PlannedTensor], int, Optional[int]]:
    """The base's tensors in order, each from the checkpoint if trained, else from the base; returns
    them, how many came from the base, and the checkpoint's vocabulary rows if its embeddings grew."""
    infos = base.infos
    in_embed, out_embed = base.input_embedding, base.output_embedding
    vocab_rows = None
    out: list[PlannedTensor] = []
    frozen = 0
    for name in base.order:
        binfo = infos[name]
        if name in to_base:
            cname = to_base[name]
            cinfo = cinfos[cname]
            if cinfo.shape != binfo.shape:
                if (len(cinfo.shape) == 2 and len(binfo.shape) == 2 and cinfo.shape[1] == binfo.shape[1]
                        and name in (in_embed, out_embed)):
                    vocab_rows = cinfo.shape[0]
                else:
                    plan.problem("shape-mismatch", ERROR, label, key="shape-mismatch/checkpoint" + other["_vit"],
                                 tensor=cname, got=str(list(cinfo.shape)), target=name,
                                 want=str(list(binfo.shape)), **_other(other))
                    continue
            out.append(PlannedTensor(name, dtype_rule(binfo.dtype, cinfo.dtype), cinfo.shape, store, cname))
        else:
            frozen += 1
            out.append(PlannedTensor(name, dtype_rule(binfo.dtype, None), binfo.shape, base.store, name))
    return out, frozen, vocab_rows


def _full_config(plan: Plan, base: BaseModel, out: list[PlannedTensor], label: str,
                 vocab_rows: Optional[int]) -> tuple[dict, list, dict]:
    """The config to write (vocabulary size and dtype following the tensors), the tensors' float
    dtypes, and the config's changes ``{key: {"from", "to"}}``."""
    config = dict(base.config)
    changes = {}
    if vocab_rows is not None and config.get("vocab_size") != vocab_rows:
        changes["vocab_size"] = {"from": config.get("vocab_size"), "to": vocab_rows}
        config["vocab_size"] = vocab_rows
        sizes = {t.shape[0] for t in out if t.name in (base.input_embedding, base.output_embedding)}
        if len(sizes) > 1:
            plan.problem("vocab-mismatch", ERROR, label, key="vocab-mismatch/checkpoint", sizes=str(sorted(sizes)))
    floats = sorted({t.dtype for t in out if t.dtype in formats.FLOAT_CODES})
    if len(floats) == 1:
        name = formats.dtype_name(floats[0])
        for key, (a, b) in set_dtype(config, name).items():
            changes[key] = {"from": a, "to": b}
    return config, floats, changes


class XTunerFullPlanner(Planner):
    """A full fine-tune (``llm.*`` keys): the trained weights in the base's dtype and layout."""

    def accepts(self, source: Source) -> bool:
        return source.kind in KINDS and trained_roles(source) == {LLM_FULL}

    def plan(self, source: Source, base, options: PlanOptions) -> Plan:
        source = for_iteration(source, options.iteration)  # make_plan has chosen it: a no-op
        base = open_base(base)
        plan = Plan(source, options, options.out or default_out(source), base=base)
        comp = source.component(LLM_FULL)
        folder = PlannedFolder("", title="fine-tuned model")
        tensors, config = plan_full_tensors(plan, base, comp.store, base_dtype_rule(options),
                                            source.label)
        add_weights(folder, tensors, options.max_shard_size)
        carry_files(plan, folder, base, config, training_dirs(source))
        plan.folders.append(folder)
        plan.stats["shards"] = len(folder.shards)
        training_problems(plan, source)
        check_output(plan, [source.path, base.folder])
        return plan
