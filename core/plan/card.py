"""The model card (``README.md``) every merge and convert writes: metadata the Hub reads, lineage in words.

``add_model_cards(plan, command)`` adds one generated ``README.md`` to the output's root (and to
each adapter folder ``convert`` writes), as a planned file like any other: it is listed by
``--dry-run`` and the preview, and written into the staging folder with the weights, so it appears
with them in the one rename (:mod:`mergesmith.core.io.atomic`), or not at all.

The front matter holds what ``huggingface_hub.ModelCardData`` and the Hub read: ``base_model``
(Hub ids only: a local path is not one), ``base_model_relation``, ``library_name``, the base's
``license``, ``pipeline_tag`` when plain, and ``tags``. The text gives the lineage: the source
(path, checkpoint, iteration), what was trained (LoRA rank, alpha, targets, rsLoRA, DoRA, QLoRA),
the base (Hub id and revision, or its path), the output dtype, Mergesmith's version and the date.
The facts come from :mod:`.card_facts`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from .. import formats
from ..model.base_id import BaseIdentity, HF_CACHE, MODELSCOPE_CACHE
from ..sources.source import LLM_FULL, PROJECTOR, TRAINING_CONFIG, VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL
from .base import Plan, PlannedFile, PlannedFolder
from .card_facts import CardFacts, card_facts, is_adapter_folder


def mergesmith_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mergesmith")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "unknown"


def add_model_cards(plan: Plan, command: str) -> None:
    """Add the card to the root folder (and adapter folders), replacing any README planned there."""
    for folder in plan.folders:
        if folder.rel and not is_adapter_folder(folder):
            continue  # projector/, visual_encoder/: parts of the model the root's card describes
        facts = card_facts(plan, command, folder)
        content = render(plan, folder, facts).encode("utf-8")
        folder.files = [f for f in folder.files if f.name != formats.MODEL_CARD]
        folder.files.append(PlannedFile(formats.MODEL_CARD, len(content), "generated", content=content))
        if not folder.rel:
            plan.stats["card"] = {"base_model": facts.base_models() or None,
                                  "base_model_relation": facts.relation if facts.base_models() else None,
                                  "license": facts.license.license}


def metadata(facts: CardFacts) -> dict:
    """The front matter, in the order the Hub's own cards use."""
    doc: dict = {}
    bases = facts.base_models()
    if bases:
        doc["base_model"] = bases[0] if len(bases) == 1 else bases
        doc["base_model_relation"] = facts.relation
    if facts.library:
        doc["library_name"] = facts.library
    doc.update(facts.license.metadata())
    if facts.pipeline_tag:
        doc["pipeline_tag"] = facts.pipeline_tag
    doc["tags"] = list(facts.tags)
    return doc


def render(plan: Plan, folder: PlannedFolder, facts: CardFacts, today: Optional[str] = None) -> str:
    import yaml

    front = yaml.safe_dump(metadata(facts), sort_keys=False, allow_unicode=True, default_flow_style=False)
    title = plan.out.name if not folder.rel else f"{plan.out.name}/{folder.rel}"
    lines = [f"---\n{front}---", "", f"# {title}", "", _summary(plan, folder, facts), "", "## Lineage", ""]
    lines += [f"- {line}" for line in lineage(plan, folder, facts, today)]
    lines += ["", "This card was written by Mergesmith; the base model's own card describes the base, "
              "not this model, and is not copied here.", ""]
    return "\n".join(lines)


def _summary(plan: Plan, folder: PlannedFolder, facts: CardFacts) -> str:
    if facts.command == "convert" and plan.source.is_llava and not folder.rel:
        return ("A LLaVA training run converted to XTuner's `pth_to_hf` layout (the parts listed) by Mergesmith "
                "(`mergesmith convert`); merge it into one model with `mergesmith merge`.")
    if facts.relation == "adapter":
        return ("A LoRA adapter converted from an XTuner checkpoint by Mergesmith (`mergesmith convert`). "
                "Load it with `PeftModel.from_pretrained(base_model, this_folder)`, or merge it into the "
                "base with `mergesmith merge`.")
    by = f"written by Mergesmith (`mergesmith {facts.command}`)."
    if plan.source.is_llava:
        how = ("with the trained adapters merged into its weights" if facts.relation == "merge"
               else "with the trained weights of a fine-tuning run")
        return f"A LLaVA model built on the base LLM and visual encoder below, {how} (the parts listed), {by}"
    if facts.relation == "merge":
        return f"The base model below with a trained LoRA adapter merged into its weights, {by}"
    return f"The fully trained weights of a fine-tuning run, in the base model's layout, {by}"


def card_date() -> str:
    """Today (UTC), or the day ``SOURCE_DATE_EPOCH`` names (reproducible builds' convention)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return when.date().isoformat()


def lineage(plan: Plan, folder: PlannedFolder, facts: CardFacts, today: Optional[str] = None) -> list[str]:
    """The lineage lines, one fact each."""
    lines = [source_line(plan)]
    lines += trained_lines(plan, folder)
    source = plan.source
    vit_adapter = folder.rel == formats.VISUAL_ENCODER_ADAPTER_DIR  # its card's base is the visual encoder
    named = source.visual_encoder_hint if vit_adapter else source.base_hint
    lines.append(("**Visual encoder**: " if vit_adapter else "**Base model**: ")
                 + identity_text(facts.base, facts.base.folder, named))
    if facts.vit is not None:
        lines.append("**Visual encoder**: " + identity_text(facts.vit, facts.vit.folder, source.visual_encoder_hint))
    lines.append(output_line(plan, folder))
    lic = facts.license
    if lic.license:
        extra = f" ({lic.license_name})" if lic.license_name else ""
        copied = [f.name for f in folder.files if formats.LICENSE_RE.match(f.name)]
        lines.append(f"**License**: `{lic.license}`{extra}, as the base model states it ({lic.found_in})"
                     + (f"; copied from the base: {', '.join(copied)}" if copied else ""))
    date = today or card_date()
    lines.append(f"**Made with**: Mergesmith {mergesmith_version()} (`mergesmith {facts.command}`), {date}")
    return lines


def _code(text) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def source_line(plan: Plan) -> str:
    source = plan.source
    text = f"**Source**: {source.title} {_code(source.path)}"
    training = source.training
    if training is not None:
        if training.checkpoint != source.path:
            text += f", checkpoint {_code(training.checkpoint.name)}"
        if training.iteration is not None:
            text += f" (iteration {training.iteration})"
        if training.zero_stage is not None:
            text += f"; DeepSpeed ZeRO-{training.zero_stage} on {training.world_size} rank(s)"
    config = source.component(TRAINING_CONFIG)
    origin = config.details.get("file") if config is not None else None
    if origin:  # "stored in iter_300.pth" (mmengine keeps it there), or the .py file's name
        text += f"; training config {origin if origin.startswith('stored ') else _code(origin)}"
    return text


def adapter_text(adapter) -> str:
    ranks = adapter.ranks
    r = f"r={adapter.rank}" if len(ranks) <= 1 else f"r={adapter.rank} (per module {min(ranks)} to {max(ranks)})"
    alpha_text = f"{adapter.alpha:g}"  # 16.0 -> 16
    scaling = "alpha/sqrt(r), rsLoRA" if adapter.use_rslora else "alpha/r"
    text = f"LoRA {r}, lora_alpha={alpha_text} (scale {scaling})"
    if adapter.use_dora:
        text += ", DoRA"
    targets = adapter.targets
    text += f", on {len(adapter.loras)} modules ({', '.join(targets)})" if targets else ""
    if adapter.replacements:
        text += f"; {len(adapter.replacements)} tensor(s) saved whole (modules_to_save, embeddings)"
    return text


def trained_lines(plan: Plan, folder: PlannedFolder) -> list[str]:
    """What the training changed, part by part."""
    source = plan.source
    lines = []
    llm = source.llm_adapter
    vit_only = folder.rel == formats.VISUAL_ENCODER_ADAPTER_DIR
    if llm is not None and not vit_only:
        text = "**Trained (LLM)**: " + adapter_text(llm)
        quant = source.training.quantization if source.training else None
        if quant:
            text += (f"; QLoRA: trained on the base loaded in {quant}, merged into the original 16-bit weights"
                     if plan.base is not None else f"; QLoRA: trained on the base loaded in {quant}")
        lines.append(text)
    full = source.component(LLM_FULL)
    if full is not None and not vit_only:
        lines.append(f"**Trained (LLM)**: full fine-tune, {full.tensors} tensor(s) in the checkpoint")
    vit = source.component(VISUAL_ENCODER_ADAPTER)
    if vit is not None and vit.adapter is not None and (vit_only or not folder.rel):
        lines.append("**Trained (visual encoder)**: " + adapter_text(vit.adapter))
    if source.component(VISUAL_ENCODER_FULL) is not None and not folder.rel:
        lines.append("**Trained (visual encoder)**: all weights")
    if source.component(PROJECTOR) is not None and not folder.rel:
        lines.append("**Trained (projector)**: all weights")
    return lines


def identity_text(ident: BaseIdentity, folder, named: Optional[str] = None) -> str:
    """The base in words: its Hub id, revision and where it was found; else its folder, or the name
    the training gives it."""
    if ident.hub_id:
        text = f"[{ident.hub_id}](https://huggingface.co/{ident.hub_id})"
        if ident.revision:
            text += f" at revision {_code(ident.revision)}"
        where = {HF_CACHE: "from the Hugging Face cache", MODELSCOPE_CACHE: "from the ModelScope cache"}.get(
            ident.found or "", "as the training names it")
        text += f" ({where}"
        text += f", {_code(ident.folder)})" if ident.folder else ")"
        if ident.modelscope_id and ident.found != MODELSCOPE_CACHE:
            text += f"; read from the ModelScope cache as {_code(ident.modelscope_id)}"
        return text
    if folder is not None:
        return f"{_code(folder)} (no Hub id known for it)"
    if named:
        return f"{_code(named)}, as the training names it (no Hub id known for it)"
    return "not known"


def output_line(plan: Plan, folder: PlannedFolder) -> str:
    if is_adapter_folder(folder):
        dtypes = sorted({formats.dtype_name(t.dtype) for s in folder.shards for t in s.tensors})
        return f"**Output**: {'/'.join(dtypes) or 'no'} safetensors adapter weights"
    layout = {"llava-hf": "one LlavaForConditionalGeneration folder"}.get(
        plan.options.format if plan.source.is_llava else "", "")
    if plan.source.is_llava and not layout:
        layout = "XTuner's LLaVA layout (the LLM here, projector/, visual_encoder/ when trained)"
    shards = len(folder.shards)
    text = f"**Output**: {plan.dtype or 'as the base'} safetensors"
    text += {0: "", 1: ", one file"}.get(shards, f", {shards} shards")
    return text + (f"; {layout}" if layout else "")
