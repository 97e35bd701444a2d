"""LLaVA (XTuner ``LLaVAModel``) output in XTuner's layout, merged.

What ``mergesmith merge`` writes for a LLaVA run::

    OUT/                    the LLM: LoRA merged, or the fully trained weights, or the base as is
                            (frozen), with config, tokenizer and generation config
    OUT/projector/          config.json (auto_map), configuration_projector.py,
                            modeling_projector.py, model.safetensors
    OUT/visual_encoder/     only when the ViT was LoRA-tuned (merged) or fully trained: its config,
                            weights and preprocessor_config.json
    OUT/xtuner_config.py    the training config

This is what ``xtuner chat OUT --llava OUT --visual-encoder ...`` and XTuner's conversion scripts
expect, with the adapters already merged. ``--format llava-hf`` writes one
``LlavaForConditionalGeneration`` folder instead (:mod:`.llava_hf`). The projector code files are Mergesmith's own
implementation of XTuner's ``ProjectorConfig``/``ProjectorModel`` (same class and field names).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Optional

from .. import formats
from ..hub.cache import locate
from ..model.base import BaseModel, remote_code_files
from .base import Plan, PlanOptions, PlannedFile, PlannedFolder, PlannedTensor
from .files import add_weights, copy_file, json_file, shard
from .lora import plan_lora_tensors
from ..problems import ERROR, WARNING
from ..sources.source import LLM_FULL, PROJECTOR, VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL, Source
from .xtuner import base_dtype_rule, plan_full_tensors

PROJECTOR_CODE = ("configuration_projector.py", "modeling_projector.py")
ONE_FILE = 10**18  # the projector is always one model.safetensors, as save_pretrained writes it


def is_llava(source: Source) -> bool:
    return source.is_llava


def _version(package: str) -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def projector_code_dir() -> Path:
    """Our projector code files (``resources/projector/``), installed as package data."""
    import mergesmith.resources as res

    for folder in list(getattr(res, "__path__", [])):  # a regular or (editable) namespace package
        if (Path(folder) / "projector").is_dir():
            return Path(folder) / "projector"
    return Path(str(resources.files("mergesmith.resources") / "projector"))  # pragma: no cover


def projector_config(layout: dict, dtype: str) -> dict:
    """The projector's ``config.json``, as XTuner's ``ProjectorModel.save_pretrained`` writes it."""
    return {
        "architectures": ["ProjectorModel"],
        "auto_map": {"AutoConfig": "configuration_projector.ProjectorConfig",
                     "AutoModel": "modeling_projector.ProjectorModel"},
        "bias": layout["bias"],
        "depth": layout["depth"],
        "hidden_act": "gelu",
        "llm_hidden_size": layout["llm_hidden_size"],
        "model_type": "projector",
        "torch_dtype": formats.dtype_name(dtype),
        "transformers_version": _version("transformers"),
        "visual_hidden_size": layout["visual_hidden_size"],
    }


def projector_folder(source: Source, dtype: Optional[str] = None) -> PlannedFolder:
    """``projector/``: weights in their trained dtype (or ``dtype``), config and code files."""
    comp = source.component(PROJECTOR)
    store = comp.store
    infos = store.infos()
    order = sorted(infos, key=lambda n: (int(n.split(".")[1]), n))
    tensors = [PlannedTensor(n, dtype if dtype and infos[n].dtype in formats.FLOAT_CODES else infos[n].dtype,
                             infos[n].shape, store, n) for n in order]
    folder = PlannedFolder(formats.PROJECTOR_DIR, title="projector")
    folder.shards = shard(tensors, ONE_FILE)
    folder.files.append(json_file(formats.CONFIG, projector_config(comp.details, tensors[0].dtype)))
    code = projector_code_dir()
    for name in PROJECTOR_CODE:
        folder.files.append(copy_file(code / name, "mergesmith"))
    return folder


def training_config_file(source: Source):
    """``xtuner_config.py``: the config file the training used (or the text kept in its meta)."""
    if source.training_config is not None and Path(source.training_config).is_file():
        return copy_file(Path(source.training_config), "training output", formats.XTUNER_CONFIG)
    text = source.training.config_text if source.training else None
    if text:
        data = text.encode("utf-8")
        return PlannedFile(formats.XTUNER_CONFIG, len(data), "training output", content=data)
    return None


def hidden_size(config: dict) -> Optional[int]:
    for cfg in (config, config.get("text_config") or {}):
        for key in ("hidden_size", "n_embd", "d_model"):
            if isinstance(cfg.get(key), int):
                return cfg[key]
    return None


def visual_encoder_dir(source: Source, options: PlanOptions) -> Optional[Path]:
    if options.visual_encoder is not None:  # a folder, or a Hub id's snapshot in a local cache
        found = locate(options.visual_encoder)
        return found.path if found.found else Path(options.visual_encoder).expanduser()
    found = source.visual_encoder_located()  # a folder, or a Hub id in a local cache
    return found.path if source.visual_encoder_hint and found.found else None


class VisionBase(BaseModel):
    """A visual encoder folder, whose tensors may or may not carry the ``vision_model.`` prefix.

    XTuner trained with transformers 4, where ``CLIPVisionModel`` keys start with
    ``vision_model.``; transformers 5 saves them without it, and a Hub CLIP (``CLIPModel``) has
    it next to ``text_model.``. Names are matched either way.
    """

    PREFIX = "vision_model."
    what = "visual encoder"
    option = "--visual-encoder"

    def find(self, name: str) -> Optional[str]:
        found = super().find(name)
        if found is None and name.startswith(self.PREFIX):
            found = super().find(name[len(self.PREFIX):])
        elif found is None:
            found = super().find(self.PREFIX + name)
        return found


def plan_vit_tensors(plan: Plan, source: Source, vit_dir: Path, dtype_rule):
    """The visual encoder's tensors: LoRA merged, fully trained, or (frozen) the base as is.

    Returns ``(tensors, config, vit)``; problems found go into ``plan`` under visual_encoder/.
    """
    vit = VisionBase.open(vit_dir, role="visual encoder")
    plan.closers.append(vit)
    sub = Plan(source, replace(plan.options, dtype="auto"), plan.out, base=vit)
    adapter_comp = source.component(VISUAL_ENCODER_ADAPTER)
    full = source.component(VISUAL_ENCODER_FULL)
    if adapter_comp is not None:
        tensors, config = plan_lora_tensors(sub, vit, adapter_comp.adapter, sub.options)
    else:
        tensors, config = plan_full_tensors(sub, vit, full.store if full else None, dtype_rule, "visual encoder")
    for p in sub.problems:
        file = p.file if p.file.startswith(formats.VISUAL_ENCODER_DIR) else f"{formats.VISUAL_ENCODER_DIR}/{p.file}"
        plan.problem(p.code, p.severity, file, p.message)
    plan.stats["visual_encoder"] = {"from": str(vit_dir), "tensors": len(tensors),
                                    "merged": adapter_comp is not None, "trained": full is not None}
    return tensors, config, vit


def preprocessor_file(plan: Plan, source: Source, vit_dir: Path, where: str):
    """``preprocessor_config.json`` of the visual encoder (or of the config's image processor)."""
    pre = vit_dir / formats.PREPROCESSOR_CONFIG
    img = source.settings.image_processor_dir if source.settings else None
    if not pre.is_file() and img:
        pre = Path(img) / formats.PREPROCESSOR_CONFIG
    if pre.is_file():
        return copy_file(pre, "visual encoder")
    plan.problem("missing-preprocessor", WARNING, where, folder=str(vit_dir))
    return None


def visual_encoder_folder(plan: Plan, source: Source, vit_dir: Path, dtype_rule) -> PlannedFolder:
    """``visual_encoder/``: the ViT with its LoRA merged, or its fully trained weights."""
    tensors, config, vit = plan_vit_tensors(plan, source, vit_dir, dtype_rule)
    folder = PlannedFolder(formats.VISUAL_ENCODER_DIR, title="visual encoder")
    add_weights(folder, tensors, plan.options.max_shard_size)
    folder.files.append(json_file(formats.CONFIG, config))
    pre = preprocessor_file(plan, source, vit_dir, f"{formats.VISUAL_ENCODER_DIR}/{formats.PREPROCESSOR_CONFIG}")
    if pre is not None:
        folder.files.append(pre)
    for name in remote_code_files(vit_dir, vit.config):
        folder.files.append(copy_file(vit_dir / name, "visual encoder"))
    for path in vit.files():
        if formats.LICENSE_RE.match(path.name):
            folder.files.append(copy_file(path, "visual encoder"))
    return folder


def plan_llm_tensors(plan: Plan, source: Source, base: BaseModel, options: PlanOptions):
    """The LLM's tensors: LoRA merged, fully trained, or (frozen) the base as is; and its config."""
    label = source.label
    adapter = source.llm_adapter
    full = source.component(LLM_FULL)
    plan.stats["llm"] = "LoRA merged" if adapter else ("fully trained" if full else "frozen (base)")
    if adapter is not None:
        return plan_lora_tensors(plan, base, adapter, options)
    return plan_full_tensors(plan, base, full.store if full else None, base_dtype_rule(options), label)


def check_projector(plan: Plan, source: Source, base: BaseModel) -> bool:
    """Whether the checkpoint has a projector, and one that fits the base LLM (else a problem)."""
    proj = source.component(PROJECTOR)
    if proj is None:
        label = source.label
        plan.problem("missing-projector", ERROR, formats.PROJECTOR_DIR, key="missing-projector/checkpoint",
                     label=label)
        return False
    want = hidden_size(base.config)
    got = proj.details.get("llm_hidden_size")
    if want is not None and got != want:
        plan.problem("shape-mismatch", ERROR, formats.PROJECTOR_DIR, key="shape-mismatch/projector",
                     got=got, want=want, base=base.folder.name)
    return True


def vit_needed_problem(plan: Plan, source: Source, what: str) -> None:
    """``what``: ``lora`` or ``trained``, how the visual encoder was changed."""
    hint = source.visual_encoder_hint
    key = f"missing-visual-encoder/{what}" + ("-named" if hint else "")
    plan.problem("missing-visual-encoder", ERROR, formats.VISUAL_ENCODER_DIR, key=key,
                 **({"named": hint} if hint else {}))
