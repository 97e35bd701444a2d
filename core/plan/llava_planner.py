"""The LLaVA planner: an XTuner LLaVA run (raw or converted) in XTuner's layout or as one
``LlavaForConditionalGeneration`` folder (``--format llava-hf``, :mod:`.llava_hf`)."""

from __future__ import annotations

from .. import formats
from ..problems import INFO
from ..sources.source import VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL, XTUNER_CONVERTED, Source
from ..sources.xtuner.workdir import KINDS, for_iteration
from .base import Plan, PlanOptions, PlannedFolder, Planner, check_output, default_out, open_base
from .files import add_weights, carry_files
from .llava import (check_projector, is_llava, plan_llm_tensors, projector_folder, training_config_file,
                    visual_encoder_dir, visual_encoder_folder, vit_needed_problem)
from .llava_hf import plan_llava_hf
from .xtuner import training_dirs, training_problems


class LlavaPlanner(Planner):
    """An XTuner LLaVA run into XTuner's LLaVA layout, with every adapter merged."""

    formats = ("xtuner", "llava-hf")

    def accepts(self, source: Source) -> bool:
        return source.kind in (*KINDS, XTUNER_CONVERTED) and is_llava(source)

    def plan(self, source: Source, base, options: PlanOptions) -> Plan:
        source = for_iteration(source, options.iteration)  # refuses --iter for a converted folder
        base = open_base(base)
        plan = Plan(source, options, options.out or default_out(source), base=base)
        if options.format == "llava-hf":
            plan_llava_hf(plan, source, base, options)
            return plan
        root = PlannedFolder("", title="merged LLM")
        tensors, config = plan_llm_tensors(plan, source, base, options)
        add_weights(root, tensors, options.max_shard_size)
        carry_files(plan, root, base, config, training_dirs(source))
        cfg_file = training_config_file(source)
        if cfg_file is not None:
            root.files.append(cfg_file)
        plan.folders.append(root)

        inputs = [source.path, base.folder]
        if check_projector(plan, source, base):
            plan.folders.append(projector_folder(source))

        vit_trained = source.component(VISUAL_ENCODER_ADAPTER) or source.component(VISUAL_ENCODER_FULL)
        if vit_trained is not None:
            what = "lora" if vit_trained.role == VISUAL_ENCODER_ADAPTER else "trained"
            vit_dir = visual_encoder_dir(source, options)
            if vit_dir is None:
                vit_needed_problem(plan, source, what)
            else:
                plan.folders.append(visual_encoder_folder(plan, source, vit_dir, lambda b, c: b))
                inputs.append(vit_dir)
        else:
            # the folder the user chose is the one to name (the training may name a Hub id)
            vit_dir = visual_encoder_dir(source, options)
            hint = str(vit_dir) if vit_dir is not None else source.visual_encoder_hint
            plan.problem("frozen-visual-encoder", INFO, formats.VISUAL_ENCODER_DIR,
                         key="frozen-visual-encoder" + ("" if hint else "/unnamed"),
                         command=f"xtuner chat OUT --llava OUT --visual-encoder {hint or 'DIR'}",
                         **({"folder": hint} if hint else {}))
        training_problems(plan, source)
        plan.stats["shards"] = len(root.shards)
        check_output(plan, inputs)
        return plan

