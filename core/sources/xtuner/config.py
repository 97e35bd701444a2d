"""Read an XTuner (mmengine) training config ``.py`` without executing it.

Two forms are read alike: the config as its author wrote it (imports, ``type=LoraConfig``,
``torch_dtype=torch.float16``) and as mmengine's Runner dumps it into a work_dir and into a
checkpoint's ``meta['cfg']`` (sorted keys, ``type='peft.LoraConfig'``, ``'torch.float16'``).
:mod:`.config_files` follows the file's top level (and its bases) as data; here
:func:`parse_config` takes from it what a merge needs into an :class:`XTunerConfig`: the model type
(``SupervisedFinetune``, ``LLaVAModel``, ``InternVL_V1_5``, ``DPO``, ...), the base model (for
InternVL its ``model_path``), its dtype and quantization, the LoRA settings of the LLM and of
the visual encoder, the tokenizer, visual encoder and image processor paths, the projector
depth, and whether the LLM / visual encoder were frozen.

A value the config sets in a way that cannot be known without running it (``os.environ``, a
loop, an ``if`` on something unknown whose branches disagree, ...) is None, with a sentence
naming the line in ``XTunerConfig.unknown`` and ``notes``. Nothing else makes a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ...errors import SourceError
from .config_files import evaluate
from .config_values import CDict, Symbol, Unknown, taint_of

__all__ = ["XTunerConfig", "parse_config", "read_config", "looks_like_config", "evaluate", "Symbol", "Unknown"]


# --- what a merge needs ------------------------------------------------------------------------

LORA_FIELDS = ("r", "lora_alpha", "lora_dropout", "bias", "use_rslora", "target_modules",
               "modules_to_save", "task_type", "fan_in_fan_out", "use_dora", "rank_pattern",
               "alpha_pattern", "init_lora_weights", "layers_to_transform", "layers_pattern",
               "lora_bias", "exclude_modules")
# LoRA settings that change the merged weights: one of these unknown makes the whole LoRA unknown
LORA_MATHS = ("r", "lora_alpha", "use_rslora", "target_modules", "modules_to_save", "fan_in_fan_out",
              "use_dora", "rank_pattern", "alpha_pattern", "layers_to_transform", "layers_pattern",
              "exclude_modules", "bias", "lora_bias")
INTERNVL = "InternVL_V1_5"

# What each field is called in a sentence, and what the user can do about it
_WHAT = {
    "model_type": ("the model type (`model.type`)", "Mergesmith cannot tell what was trained"),
    "llm_path": ("the base model (`model.llm.pretrained_model_name_or_path`)",
                 "pass the base model folder with --base"),
    "llm_dtype": ("the LLM's dtype (`model.llm.torch_dtype`)", "the base model's own dtype is used"),
    "quantization": ("the LLM's quantization (`model.llm.quantization_config`)",
                     "pass the original 16-bit base model with --base"),
    "tokenizer_path": ("the tokenizer (`tokenizer.pretrained_model_name_or_path`)",
                       "the base model's tokenizer is used"),
    "visual_encoder_path": ("the visual encoder (`model.visual_encoder`)", "pass it with --visual-encoder"),
    "image_processor_path": ("the image processor (`image_processor`)", "the visual encoder's is used"),
    "llm_lora": ("the LLM's LoRA (`model.lora`)", "the LoRA cannot be merged from this config; "
                 "use the config stored in the checkpoint (mmengine writes it there)"),
    "visual_encoder_lora": ("the visual encoder's LoRA (`model.visual_encoder_lora`)",
                            "the LoRA cannot be merged from this config; use the config stored in the checkpoint"),
    "projector_depth": ("the projector depth (`model.projector_depth`)", "the checkpoint's own layers are used"),
    "visual_select_layer": ("`model.visual_select_layer`", "check the config: the converted model needs it"),
    "freeze_llm": ("`model.freeze_llm`", "the checkpoint's own tensors tell what was trained"),
    "freeze_visual_encoder": ("`model.freeze_visual_encoder`", "the checkpoint's own tensors tell what was trained"),
}


@dataclass
class XTunerConfig:
    """What Mergesmith needs from an XTuner training config.

    A field the config sets in a way Mergesmith cannot know without running it is None, with a
    sentence under its name in ``unknown`` (and in ``notes``): never a guess.
    """

    path: Optional[Path] = None
    model_type: Optional[str] = None  # SupervisedFinetune, LLaVAModel, InternVL_V1_5, DPO, ...
    llm_path: Optional[str] = None  # InternVL_V1_5: its model_path
    llm_revision: Optional[str] = None  # `model.llm.revision`: the Hub branch, tag or commit trained on
    llm_dtype: Optional[str] = None  # "float16", "bfloat16", "float32", "auto"
    tokenizer_path: Optional[str] = None
    visual_encoder_path: Optional[str] = None
    visual_encoder_class: Optional[str] = None
    image_processor_path: Optional[str] = None
    llm_lora: Optional[dict] = None
    visual_encoder_lora: Optional[dict] = None
    projector_depth: Optional[int] = 2
    visual_select_layer: Optional[int] = -2
    freeze_llm: Optional[bool] = None
    freeze_visual_encoder: Optional[bool] = None
    quantization: Optional[str] = None  # "4-bit", "8-bit", another quantization_config class name, or None
    notes: list[str] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)  # field name -> the sentence saying why

    @property
    def is_llava(self) -> bool:
        return self.model_type == "LLaVAModel"

    def summary(self) -> dict:
        return {
            "model_type": self.model_type, "base": self.llm_path, "llm_dtype": self.llm_dtype,
            "quantization": self.quantization,
            "tokenizer": self.tokenizer_path, "visual_encoder": self.visual_encoder_path,
            "image_processor": self.image_processor_path,
            "lora": self.llm_lora, "visual_encoder_lora": self.visual_encoder_lora,
            "projector_depth": self.projector_depth, "freeze_llm": self.freeze_llm,
            "freeze_visual_encoder": self.freeze_visual_encoder,
        }


class _Reader:
    """Takes each field from the evaluated config; an unknown one is None plus a sentence."""

    def __init__(self, cfg: XTunerConfig, label: str) -> None:
        self.cfg = cfg
        self.label = label

    def set(self, name: str, value: Any, convert) -> None:
        """``cfg.name = convert(value)``; unknown (or of a kind that cannot be right) -> None and a sentence."""
        why = taint_of(value)
        result = convert(value) if why is None else None
        if why is None and result is _BAD:
            why = value
            result = None
        setattr(self.cfg, name, result)
        if why is not None:
            self.explain(name, why)

    def explain(self, name: str, why: Any) -> None:
        what, todo = _WHAT[name]
        if isinstance(why, Unknown):
            reason = why.sentence()
        else:
            reason = f"it is `{why}`, not a value Mergesmith can use"
        text = f"{self.label}: {what} is not known ({reason}); {todo}."
        self.cfg.unknown[name] = text
        self.cfg.notes.append(text)


_BAD = object()


def _get(spec: Any, key: str, default: Any = None) -> Any:
    """``spec[key]`` of a config dict; an unknown dict gives its unknown."""
    if taint_of(spec):
        return taint_of(spec)
    return spec.get(key, default) if isinstance(spec, dict) else default


def _path(value: Any) -> Any:
    if isinstance(value, CDict):
        value = value.get("pretrained_model_name_or_path")
    if value is None or isinstance(value, str):
        return value
    return _BAD


def _path_spec(spec: Any) -> Any:
    """The path in ``dict(type=X.from_pretrained, pretrained_model_name_or_path=...)`` (or a bare string)."""
    return taint_of(_get(spec, "pretrained_model_name_or_path")) or spec


def _dtype(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Symbol):
        return value.path.rsplit(".", 1)[-1]
    if isinstance(value, str):
        return value.replace("torch.", "")
    return _BAD


def _class_name(value: Any) -> Any:
    """``LLaVAModel`` from a Symbol or from mmengine's dumped string ``'xtuner.model.LLaVAModel'``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = Symbol(value)
    return value.name if isinstance(value, Symbol) else _BAD


def _int(value: Any) -> Any:
    return value if type(value) is int else _BAD


def _bool(value: Any) -> Any:
    return value if value is None or isinstance(value, bool) else _BAD


def _plain(value: Any) -> Any:
    if isinstance(value, (Symbol, Unknown)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _unknown_inside(value: Any) -> Optional[Unknown]:
    """The first unknown anywhere in a value (a LoRA's target list holding one, say)."""
    if taint_of(value):
        return taint_of(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return next((u for u in map(_unknown_inside, items) if u), None)


def _lora_spec(spec: Any) -> Any:
    """The spec itself, or the unknown that makes a setting the merge uses unknown."""
    if spec is None or not isinstance(spec, CDict):
        return spec
    return next((u for u in (_unknown_inside(_get(spec, k)) for k in LORA_MATHS) if u), spec)


def _lora(spec: Any) -> Any:
    if spec is None:
        return None
    if not isinstance(spec, CDict):
        return _BAD
    out = {k: _plain(spec[k]) for k in LORA_FIELDS if k in spec}
    tm = out.get("target_modules")
    if isinstance(tm, str) and tm != "all-linear":
        out["target_modules"] = [tm]
    return out


def _quantization(spec: Any) -> Any:
    """"4-bit"/"8-bit" from a BitsAndBytesConfig, another quantization class's name, or None."""
    if spec is None:
        return None
    if not isinstance(spec, CDict):
        return _BAD
    kind = _class_name(spec.get("type"))
    if kind not in (None, "BitsAndBytesConfig"):
        return kind if kind is not _BAD else _BAD
    for key, answer in (("load_in_4bit", "4-bit"), ("load_in_8bit", "8-bit")):
        if spec.get(key) is True:
            return answer
        if spec.get(key) not in (None, False):
            return _BAD
    return None


def _quant_spec(llm: Any) -> Any:
    spec = _get(llm, "quantization_config")
    if isinstance(spec, CDict) and not spec.taint:
        return next((spec[k] for k in ("type", "load_in_4bit", "load_in_8bit") if taint_of(spec.get(k))), spec)
    return spec


def parse_config(text: str, path: Optional[Path] = None, label: Optional[str] = None) -> XTunerConfig:
    """Extract the merge-relevant settings from config source text (``label`` names it when no path)."""
    env, notes = evaluate(text, path, label=label)
    label = str(path or label or "The training config")
    model = env.get("model")
    if taint_of(model):
        raise SourceError(f"{label}: `model` is not known ({taint_of(model).sentence()}), so Mergesmith cannot "
                          "read this training config. Use the config stored in the checkpoint, or pass "
                          "--base.", path=path)
    if not isinstance(model, CDict):
        raise SourceError(
            f"{label} defines no `model = dict(...)`; it is not an XTuner "
            "training config. Point at the config .py the training used.", path=path)
    cfg = XTunerConfig(path=path, notes=notes)
    try:
        _read_model(_Reader(cfg, label), env, model)
    except RecursionError:  # a dict that holds itself: `lora['target_modules'] = [lora]`
        raise SourceError(f"{label}: `model` holds itself (a dict inside itself), which no training config "
                          "does; point at the config .py the training used.", path=path) from None
    return cfg


def _read_model(read: "_Reader", env: dict, model: CDict) -> None:
    cfg = read.cfg
    read.set("model_type", _get(model, "type"), _class_name)
    if cfg.model_type == INTERNVL:
        _read_internvl(read, model)
    else:
        llm = _get(model, "llm")
        read.set("llm_path", _path_spec(llm), _path)
        read.set("llm_dtype", _get(llm, "torch_dtype"), _dtype)
        rev = _get(llm, "revision")
        cfg.llm_revision = rev if isinstance(rev, str) and rev else None
        read.set("quantization", _quant_spec(llm), _quantization)
        tok = env["tokenizer"] if "tokenizer" in env else _get(model, "tokenizer")
        read.set("tokenizer_path", _path_spec(tok), _path)
    lora = _get(model, "lora") if "lora" in model else _get(model, "llm_lora")
    read.set("llm_lora", _lora_spec(lora), _lora)
    read.set("visual_encoder_lora", _lora_spec(_get(model, "visual_encoder_lora")), _lora)
    vis = _get(model, "visual_encoder")
    read.set("visual_encoder_path", _path_spec(vis), _path)
    cls = _get(vis, "type")
    cfg.visual_encoder_class = cls.name if isinstance(cls, Symbol) else \
        Symbol(cls).name if isinstance(cls, str) else None
    if "image_processor" in env:
        read.set("image_processor_path", _path_spec(env["image_processor"]), _path)
    if cfg.image_processor_path is None and "image_processor_path" not in cfg.unknown:
        cfg.image_processor_path = cfg.visual_encoder_path
    read.set("projector_depth", _get(model, "projector_depth", 2), _int)
    read.set("visual_select_layer", _get(model, "visual_select_layer", -2), _int)
    read.set("freeze_llm", _get(model, "freeze_llm"), _bool)
    read.set("freeze_visual_encoder", _get(model, "freeze_visual_encoder"), _bool)


def _read_internvl(read: _Reader, model: CDict) -> None:
    """XTuner's ``InternVL_V1_5`` names one Hub folder (``model_path``) for LLM, ViT and tokenizer,
    loads it in bfloat16, and quantizes to 4 bits when ``quantization_llm``/``quantization_vit``."""
    read.set("llm_path", _get(model, "model_path"), _path)
    read.cfg.tokenizer_path = read.cfg.llm_path
    if "llm_path" in read.cfg.unknown:
        read.cfg.unknown["tokenizer_path"] = read.cfg.unknown["llm_path"]
    read.cfg.llm_dtype = "bfloat16"
    flags = [_get(model, k, False) for k in ("quantization_llm", "quantization_vit")]
    unknown = next((taint_of(f) for f in flags if taint_of(f)), None)
    read.set("quantization", unknown or any(f is True for f in flags), lambda q: "4-bit" if q else None)


def read_config(path) -> XTunerConfig:
    """Read and parse an XTuner config file; :class:`SourceError` with a sentence if we cannot."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not a text file, so it is not an XTuner config; point at "
                          "the config .py the training used.", path=path) from None
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from None
    return parse_config(text, path)


def looks_like_config(path: Path) -> bool:
    """A cheap test for work_dir scanning: a .py file that assigns ``model``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "model" in text and ("dict(" in text or "type=" in text) and not text.startswith("#!/usr/bin/env python")
