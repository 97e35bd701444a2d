"""``mergesmith convert``: what ``xtuner convert pth_to_hf --safe-serialization`` writes.

From a work_dir, a ``.pth`` or a DeepSpeed folder, without XTuner, mmengine or DeepSpeed and
without building the model::

    SupervisedFinetune, LoRA     OUT/adapter_config.json, adapter_model.safetensors, README.md
    SupervisedFinetune, full     OUT/config.json, model*.safetensors, tokenizer, generation config
    LLaVAModel                   OUT/llm_adapter/ (LLM LoRA) or the LLM at OUT/ (fully trained),
                                 OUT/visual_encoder_adapter/ (ViT LoRA), OUT/visual_encoder/ (ViT
                                 fully trained), OUT/projector/ (always)
    always                       OUT/xtuner_config.py

Tensors and ``adapter_config.json`` fields are those XTuner writes. One difference, on purpose:
the dtype is kept by default (XTuner rounds the LLM to float16); ``--dtype float16`` gives
XTuner's dtypes. ``--dtype`` applies to the LLM's tensors only: like XTuner's ``llm.half()``, it
leaves the projector and the visual encoder in their own dtype.
"""

from __future__ import annotations

from typing import Optional

from .. import formats
from ..model.base import BaseModel
from ..errors import PlanError
from .llava import (is_llava, projector_folder, training_config_file, visual_encoder_dir,
                    visual_encoder_folder, vit_needed_problem)
from .base import Plan, PlanOptions, PlannedFolder, PlannedTensor, check_output
from .card import add_model_cards
from .files import add_weights, carry_files, json_file, shard
from ..sources.source import (LLM_ADAPTER, LLM_FULL, PROJECTOR, VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL,
                      Component, Source)
from ..sources.xtuner.workdir import KINDS, for_iteration
from .xtuner import plan_full_tensors, training_dirs, training_problems

ONE_FILE = 10**18


def adapter_folder(rel: str, comp: Component, dtype: Optional[str]) -> PlannedFolder:
    """A PEFT adapter folder: ``adapter_model.safetensors``, ``adapter_config.json`` (the README is
    the model card, added for every folder at the end: :func:`mergesmith.core.plan.card.add_model_cards`)."""
    adapter = comp.adapter
    store = adapter.store
    infos = store.infos()
    tensors = [PlannedTensor(n, dtype if dtype and infos[n].dtype in formats.FLOAT_CODES else infos[n].dtype,
                             infos[n].shape, store, n) for n in sorted(infos)]
    folder = PlannedFolder(rel, title=comp.title)
    s = shard(tensors, ONE_FILE)[0]
    s.file = formats.ADAPTER_SAFE
    folder.shards = [s]
    folder.files.append(json_file(formats.ADAPTER_CONFIG, adapter.config))
    return folder


def _root(plan: Plan) -> PlannedFolder:
    for f in plan.folders:
        if f.rel == "":
            return f
    folder = PlannedFolder("", title="converted")
    plan.folders.insert(0, folder)
    return folder


def _open_llm_base(source: Source, base) -> BaseModel:
    if base is None and source.base_hint_exists:
        base = source.base_hint
    if base is None:
        named = f" {source.base_located().named_sentence(download=True)}" if source.base_hint else ""
        raise PlanError("Writing a fully fine-tuned LLM needs the base model's config.json and tokenizer; "
                        f"choose the base model folder (--base DIR).{named}")
    return base if isinstance(base, BaseModel) else BaseModel.open(base)


def plan_convert(source: Source, options: PlanOptions, base=None) -> Plan:
    """Plan XTuner's ``pth_to_hf`` output for ``source`` (see the module docstring)."""
    if source.kind not in KINDS:
        raise PlanError(f"{source.path} ({source.title}) is not an XTuner checkpoint; it needs no "
                        "conversion. Merge it with `mergesmith merge`.")
    if options.out is None:
        raise PlanError("Choose an output folder (--out DIR).")
    given, source = source, for_iteration(source, options.iteration)
    try:
        return _plan_convert(source, options, base, owned=source is not given)
    except BaseException:
        if source is not given:
            source.close()
        raise


def _plan_convert(source: Source, options: PlanOptions, base, owned: bool) -> Plan:
    llm_dtype = None if options.dtype in ("auto", "keep") else formats.dtype_code(options.dtype)
    plan = Plan(source, options, options.out)
    if owned:  # read here for another iteration: the plan owns it
        plan.closers.append(source)
    llava = is_llava(source)
    inputs = [source.path]

    comp = source.component(LLM_ADAPTER)
    if comp is not None:
        plan.folders.append(adapter_folder(formats.LLM_ADAPTER_DIR if llava else "", comp, llm_dtype))
    comp = source.component(LLM_FULL)
    if comp is not None:
        llm = _open_llm_base(source, base)
        plan.base = llm
        inputs.append(llm.folder)
        root = _root(plan)
        root.title = "fine-tuned LLM"
        rule = (lambda b, c: llm_dtype or c or b)
        tensors, config = plan_full_tensors(plan, llm, comp.store, rule, (source.checkpoint.name if source.checkpoint else ""))
        config["use_cache"] = True
        add_weights(root, tensors, options.max_shard_size)
        carry_files(plan, root, llm, config, training_dirs(source))
    comp = source.component(VISUAL_ENCODER_ADAPTER)
    if comp is not None:
        plan.folders.append(adapter_folder(formats.VISUAL_ENCODER_ADAPTER_DIR, comp, None))
    if source.component(VISUAL_ENCODER_FULL) is not None:
        vit_dir = visual_encoder_dir(source, options)
        if vit_dir is None:
            vit_needed_problem(plan, source, "trained")
        else:
            plan.folders.append(visual_encoder_folder(plan, source, vit_dir, lambda b, c: c or b))
            inputs.append(vit_dir)
    if source.component(PROJECTOR) is not None:
        plan.folders.append(projector_folder(source))
    elif llava:
        plan.problem("missing-projector", "error", formats.PROJECTOR_DIR, key="missing-projector/convert")
    cfg_file = training_config_file(source)
    if cfg_file is not None:
        _root(plan).files.append(cfg_file)
    training_problems(plan, source)
    floats = sorted({t.dtype for t in plan.tensors() if t.dtype in formats.FLOAT_CODES})
    plan.stats["dtype"] = "+".join(formats.dtype_name(d) for d in floats) or None
    plan.stats["layout"] = "llava" if llava else "sft"
    add_model_cards(plan, "convert")
    check_output(plan, inputs)
    return plan
