"""Which training config a checkpoint was trained with: the text mmengine stored in it, else the
work_dir's ``.py``; what the two disagree on; and training output Mergesmith refuses (InternVL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ...errors import SourceError
from ...texts import render
from .config import XTunerConfig, parse_config, read_config
from .listing import find_config


@dataclass
class TrainingConfig:
    """The config a checkpoint was trained with, and where it came from.

    mmengine stores the config's text in every checkpoint (``meta['cfg']``): that is the truth for
    that checkpoint. The ``.py`` in the work_dir is only a copy, which may have been edited after
    the run; it is used when the checkpoint stores none, and compared when both exist.
    """

    cfg: Optional[XTunerConfig] = None
    file: Optional[Path] = None  # the work_dir's .py, when it is what we use
    text: Optional[str] = None  # the text stored in the checkpoint, when it is what we use
    origin: str = ""  # "stored in iter_40.pth" / "qwen.py"
    conflicts: list[str] = field(default_factory=list)  # "lora_alpha 32 in a.py, 16 in iter_40.pth"
    other: Optional[Path] = None  # the .py that disagrees
    notes: list[str] = field(default_factory=list)


# What a merge uses from a config, with the words a person knows them by.
_COMPARED = (("model_type", "model type"), ("llm_path", "base model"), ("llm_dtype", "torch_dtype"),
             ("quantization", "quantization"), ("visual_encoder_path", "visual encoder"),
             ("projector_depth", "projector_depth"), ("freeze_llm", "freeze_llm"),
             ("freeze_visual_encoder", "freeze_visual_encoder"))
_COMPARED_LORA = ("r", "lora_alpha", "use_rslora", "use_dora", "target_modules", "rank_pattern",
                  "alpha_pattern", "modules_to_save", "bias", "fan_in_fan_out", "layers_to_transform")


def _norm(value):
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


def config_differences(stored: XTunerConfig, other: XTunerConfig) -> list[tuple[str, object, object]]:
    """``(what, stored value, other value)`` for every merge setting the two configs disagree on."""
    out = []
    for attr, words in _COMPARED:
        a, b = getattr(stored, attr, None), getattr(other, attr, None)
        if _norm(a) != _norm(b):
            out.append((words, a, b))
    for attr, prefix in (("llm_lora", ""), ("visual_encoder_lora", "visual encoder ")):
        a, b = getattr(stored, attr) or {}, getattr(other, attr) or {}
        if bool(a) != bool(b):
            out.append((f"{prefix}LoRA", "yes" if a else "none", "yes" if b else "none"))
            continue
        for key in _COMPARED_LORA:
            if _norm(a.get(key)) != _norm(b.get(key)):
                out.append((f"{prefix}{key}", a.get(key), b.get(key)))
    return out


def _shown(value) -> str:
    return "not set" if value is None else repr(value) if isinstance(value, str) else str(value)


def training_config(ckpt: Path, folder: Path, meta: dict) -> TrainingConfig:
    """The config ``ckpt`` was trained with: its stored ``meta['cfg']``, else the ``.py`` in ``folder``."""
    file = find_config(folder)
    text = meta.get("cfg") if isinstance(meta, dict) else None
    out = TrainingConfig()
    if isinstance(text, str) and text.strip():
        try:
            out.cfg = parse_config(text, None, label=f"The training config stored in {ckpt.name}")
            out.text, out.origin = text, f"stored in {ckpt.name}"
        except SourceError as exc:
            out.notes.append(f"{exc.message} The config .py beside it is used instead." if file else exc.message)
    if out.cfg is None:
        if file is not None:
            out.cfg, out.file, out.origin = read_config(file), file, file.name
            if out.text is None and not out.notes:
                out.notes.append(f"{ckpt.name} stores no training config, so the settings come from {file.name}; "
                                 "if that file was edited after training, the merge follows the edits.")
        return out
    if file is not None:
        try:
            other = read_config(file)
        except SourceError:
            return out  # a .py that is not a config: nothing to compare
        diffs = config_differences(out.cfg, other)
        if diffs:
            out.other = file
            out.conflicts = [f"{what} {_shown(b)} \u2260 {_shown(a)}" for what, a, b in diffs]
    return out


def config_conflict_params(tc: TrainingConfig, ckpt_name: str) -> dict:
    """The particulars of the ``config-mismatch`` text (core.texts)."""
    shown = "; ".join(tc.conflicts[:4]) + (f"; +{len(tc.conflicts) - 4}" if len(tc.conflicts) > 4 else "")
    return {"config": tc.other.name, "checkpoint": ckpt_name, "details": shown}


def config_conflict_message(tc: TrainingConfig, ckpt_name: str) -> str:
    return render("config-mismatch", config_conflict_params(tc, ckpt_name))


# XTuner's InternVL_V1_5 wrapper holds the whole InternVL chat model at ``model``.
_INTERNVL_KEYS = ("model.language_model.", "model.vision_model.", "model.mlp1.")


def unsupported_model(cfg: Optional[XTunerConfig], where: Path, keys=()) -> Optional[str]:
    """A sentence refusing training output Mergesmith cannot merge yet (InternVL), or None.

    Known from the config's model type (``InternVL_V1_5``), or, with no config, from the keys.
    """
    model_type = (cfg.model_type if cfg else None) or ""
    if "internvl" not in model_type.lower() and not (
            cfg is None and any(k.startswith(_INTERNVL_KEYS) for k in keys)):
        return None
    return render("unsupported-model", {"name": where.name, "model": unsupported_name(cfg)})


def unsupported_name(cfg: Optional[XTunerConfig]) -> str:
    """The model type an unsupported run trains, with its LLM when the config names it."""
    model_type = (cfg.model_type if cfg else None) or ""
    return f"{model_type or 'InternVL'}" + (f" ({cfg.llm_path})" if cfg and cfg.llm_path else "")
