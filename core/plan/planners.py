"""``make_plan(source, base, options)``: choose the planner for a source and let it plan.

The planners are written out here, in the order they are asked; nothing registers itself.
"""

from __future__ import annotations

from typing import Optional

from ..errors import PlanError
from ..problems import ERROR
from ..sources.source import Source
from ..sources.xtuner.workdir import KINDS, for_iteration
from .base import Plan, Planner, PlanOptions
from .card import add_model_cards
from .llava_planner import LlavaPlanner
from .lora import LoraMergePlanner
from .xtuner import XTunerFullPlanner, XTunerLoraPlanner

# The first planner that accepts a source plans it, so the order matters:
# - LLaVA first: a LLaVA run (model_type LLaVAModel) whose only trained part is the LLM's LoRA
#   looks like a plain XTuner LoRA run, and its converted folder like a PEFT adapter;
# - the XTuner planners (LoRA, full fine-tune) before the generic LoRA planner, which would
#   otherwise take an XTuner checkpoint's LLM adapter without the training's own checks;
# - the generic LoRA planner (PEFT folder, XTuner's converted non-LLaVA folder) last.
PLANNERS: tuple[Planner, ...] = (LlavaPlanner(), XTunerLoraPlanner(), XTunerFullPlanner(), LoraMergePlanner())


def make_plan(source: Source, base=None, options: Optional[PlanOptions] = None) -> Plan:
    """Plan the merge of ``source`` into ``base`` (a folder path or :class:`BaseModel`)."""
    options = options or PlanOptions()
    given = source
    if source.kind in KINDS:  # --iter first: another iteration may hold other parts (a full fine-tune)
        source = for_iteration(source, options.iteration)
    try:
        planners = [p for p in PLANNERS if p.accepts(source)]
        if not planners:
            raise PlanError(f"Mergesmith does not know how to merge a {source.title} ({source.path}).",
                            path=source.path)
        planner = planners[0]
        result = planner.plan(source, base, options)
    except BaseException:
        if source is not given:
            source.close()
        raise
    if source is not given:  # read here for another iteration: the plan owns it
        result.closers.append(source)
    if options.format not in planner.formats:
        result.problem("format-not-applicable", ERROR, str(source.path), format=options.format,
                       name=source.path.name, kind=source.kind)
    add_model_cards(result, "merge")
    return result
