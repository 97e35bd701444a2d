"""What a model card says, gathered from a plan: relation to the base, the base's identity and
licence, tags, and the lineage in words (:mod:`.card` writes it).

The relation (the Hub's ``base_model_relation``, :data:`mergesmith.core.formats.BASE_MODEL_RELATIONS`):
``merge`` when an adapter was merged into the base, ``finetune`` for fully trained weights (a full
fine-tune merged or converted, a LLaVA run whose only trained part is the projector), ``adapter``
for an adapter folder ``convert`` writes. The licence is the base's: its README's ``license``
(with ``license_name``/``license_link`` for ``other``), else its LICENSE file when that is plainly
the Apache 2.0 or MIT text. The base's own README is read for that and nothing else: it describes
the base, not the merge, and is never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import formats
from ..io.frontmatter import read_front_matter
from ..model.base_id import BaseIdentity, identify_base
from ..sources.source import LLM_ADAPTER, LLM_FULL, VISUAL_ENCODER_ADAPTER, XTUNER_CONVERTED, Source
from ..sources.xtuner.workdir import KINDS
from .base import Plan, PlannedFolder

# LICENSE texts recognised by their opening lines (the Hub's licence ids)
LICENSE_TEXTS = (("apache-2.0", ("apache license", "version 2.0")), ("mit", ("mit license",)),
                 ("mit", ("permission is hereby granted, free of charge",)))


@dataclass
class License:
    """The base's licence as the Hub's metadata spells it (all None: not known)."""

    license: Optional[str] = None
    license_name: Optional[str] = None
    license_link: Optional[str] = None
    found_in: Optional[str] = None  # "README.md front matter" or the LICENSE file's name

    def metadata(self) -> dict:
        return {k: v for k, v in (("license", self.license), ("license_name", self.license_name),
                                  ("license_link", self.license_link)) if v}


@dataclass
class CardFacts:
    """Everything one card says (see :func:`card_facts`)."""

    command: str                      # "merge" or "convert"
    relation: str
    base: BaseIdentity
    vit: Optional[BaseIdentity] = None
    license: License = field(default_factory=License)
    library: Optional[str] = None     # "transformers", "peft", or None (a folder of parts)
    pipeline_tag: Optional[str] = None
    tags: list[str] = field(default_factory=list)

    def base_models(self) -> list[str]:
        return [i.hub_id for i in (self.base, self.vit) if i is not None and i.hub_id]


def base_license(folder: Optional[Path]) -> License:
    """The licence a base folder states (see the module docstring)."""
    if folder is None:
        return License()
    card = folder / formats.MODEL_CARD
    if card.is_file():
        fm = read_front_matter(card)
        data = fm.data or {}
        value = data.get("license")
        if isinstance(value, str) and value.strip():
            name, link = data.get("license_name"), data.get("license_link")
            return License(value.strip(), name if isinstance(name, str) else None,
                           link if isinstance(link, str) else None, "README.md front matter")
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file() and formats.LICENSE_RE.match(p.name)
                       and p.name.upper().startswith("LICEN"))
    except OSError:
        return License()
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                head = " ".join(f.read(2000).lower().split())
        except OSError:
            continue
        for lic, words in LICENSE_TEXTS:
            if all(w in head for w in words):
                return License(lic, found_in=path.name)
    return License()


def _wrong_base(plan: Plan) -> bool:
    return any(p.code == "wrong-base" for p in plan.problems)


def base_identity(plan: Plan) -> BaseIdentity:
    """The LLM base: its folder (when the plan read one) and the names the training gives it."""
    source = plan.source
    adapter = source.llm_adapter
    named = [] if _wrong_base(plan) else [source.base_hint,
                                          adapter.config.get("base_model_name_or_path") if adapter else None]
    return identify_base(plan.base.folder if plan.base is not None else None, named)


def vit_identity(plan: Plan) -> Optional[BaseIdentity]:
    """The visual encoder of a LLaVA run: the folder the plan read, or the one the training names."""
    source = plan.source
    if not source.is_llava:
        return None
    vit = plan.stats.get("visual_encoder") or {}
    folder = vit.get("from") or plan.options.visual_encoder
    return identify_base(Path(folder) if folder else None, [] if _wrong_base(plan) else [source.visual_encoder_hint])


def is_adapter_folder(folder: PlannedFolder) -> bool:
    return any(f.name == formats.ADAPTER_CONFIG for f in folder.files)


def relation(plan: Plan, command: str, folder: PlannedFolder) -> str:
    """The Hub's base_model_relation for ``folder`` (see the module docstring)."""
    roles = {c.role for c in plan.source.components}
    if command == "convert":
        adapter_root = folder.rel == "" and LLM_ADAPTER in roles and LLM_FULL not in roles
        return "adapter" if is_adapter_folder(folder) or adapter_root else "finetune"
    return "merge" if roles & {LLM_ADAPTER, VISUAL_ENCODER_ADAPTER} else "finetune"


def tags(plan: Plan, rel: str) -> list[str]:
    source = plan.source
    out = ["mergesmith"]
    if source.kind in KINDS or source.kind == XTUNER_CONVERTED:
        out.append("xtuner")
    adapters = [c.adapter for c in source.components if c.adapter is not None]
    if adapters:
        out.append("lora")
    if source.training is not None and source.training.quantization and source.llm_adapter is not None:
        out.append("qlora")
    if any(a.use_dora for a in adapters):
        out.append("dora")
    if source.is_llava:
        out.append("llava")
    return out


def pipeline_tag(folder: PlannedFolder, relation_: str, source: Source) -> Optional[str]:
    """The task, when the folder's own config (or adapter) makes it plain."""
    import json

    for f in folder.files:
        if f.name in (formats.CONFIG, formats.ADAPTER_CONFIG) and f.content is not None:
            try:
                doc = json.loads(f.content)
            except ValueError:
                return None
            archs = doc.get("architectures") or []
            if "LlavaForConditionalGeneration" in archs:
                return "image-text-to-text"
            if source.is_llava:
                return None  # XTuner's layout: the root holds the LLM of a vision model
            if any(str(a).endswith("ForCausalLM") for a in archs) or doc.get("task_type") == "CAUSAL_LM":
                return "text-generation"
    return None


def card_facts(plan: Plan, command: str, folder: PlannedFolder) -> CardFacts:
    """The facts of the card for ``folder`` (the output's root, or an adapter folder ``convert`` writes)."""
    rel = relation(plan, command, folder)
    is_vit_adapter = folder.rel == formats.VISUAL_ENCODER_ADAPTER_DIR
    base = vit_identity(plan) if is_vit_adapter else base_identity(plan)
    vit = None if folder.rel else vit_identity(plan)
    has_config = any(f.name == formats.CONFIG for f in folder.files)
    library = "peft" if is_adapter_folder(folder) else ("transformers" if has_config else None)
    lic = base_license(plan.base.folder) if plan.base is not None and not is_vit_adapter else License()
    return CardFacts(command, rel, base or BaseIdentity(), vit, lic, library,
                     pipeline_tag(folder, rel, plan.source), tags(plan, folder.rel))
