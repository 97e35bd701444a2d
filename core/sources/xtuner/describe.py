"""One XTuner checkpoint and its training config read into a :class:`Source`: its tensors sorted
into components (LLM / visual encoder LoRA or full weights, the projector), the LoRA settings as
PEFT's ``adapter_config.json``, and what the config says about the base and the model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ... import formats
from ...model.adapters import Adapter, parse_adapter
from ...io.checkpoint import CheckpointStore, checkpoint_meta, open_checkpoint, state_dict_of
from ...io.deepspeed import read_zero_checkpoint
from ...errors import SourceError
from ...hub.cache import local_folder
from ..source import (LLM_ADAPTER, LLM_FULL, PROJECTOR, TRAINING_CONFIG,
                      VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL, Component, Source,
                      LLAVA_MODEL, TrainedSettings, TrainingRun, has_tokenizer)
from ...io.stores import TensorStore
from .config import XTunerConfig
from .config_choice import (TrainingConfig, config_conflict_message, config_conflict_params, training_config,
                            unsupported_model, unsupported_name)
from .keys import (LLM, VIT, classify, lora_rank, lora_targets, peft_view,
                   projector_layout, strip_view)
from .listing import CHECKPOINT_NAME, resolve_hint


def _open_checkpoint(path: Path) -> tuple[TensorStore, dict, TrainingRun, list[str]]:
    """(store, meta, run, notes) of a ``.pth`` file or a DeepSpeed folder."""
    if path.is_dir():
        z = read_zero_checkpoint(path)
        run = TrainingRun(path, zero_stage=z.stage, world_size=z.world, frozen_in_checkpoint=len(z.frozen))
        return z.store, z.meta, run, list(z.notes)
    obj, mapped = open_checkpoint(path)
    tensors = state_dict_of(obj, path)
    meta = checkpoint_meta(obj)
    return CheckpointStore(tensors, str(path), mapped), meta, TrainingRun(path), []


def _ckpt_iter(meta: dict) -> Optional[int]:
    it = meta.get("iter") if isinstance(meta, dict) else None
    return it if isinstance(it, int) else None


# --- adapters ------------------------------------------------------------------------------------


def adapter_config(lora: dict, targets: list[str], base: Optional[str], *,
                   vit_class: Optional[str] = None) -> dict:
    """``adapter_config.json`` as PEFT 0.14 writes it for the LoraConfig of the XTuner config."""
    tm = lora.get("target_modules")
    if not tm or tm == "all-linear":
        tm = targets
    auto_mapping = None
    if vit_class:
        short = re.sub(r"(Vision)?(Model|Transformer)$", "", vit_class).lower() or "clip"
        auto_mapping = {"base_model_class": vit_class,
                        "parent_library": f"transformers.models.{short}.modeling_{short}"}
    return {
        "alpha_pattern": lora.get("alpha_pattern") or {},
        "auto_mapping": auto_mapping,
        "base_model_name_or_path": base,
        "bias": lora.get("bias", "none"),
        "eva_config": None,
        "exclude_modules": lora.get("exclude_modules"),
        "fan_in_fan_out": bool(lora.get("fan_in_fan_out", False)),
        "inference_mode": True,
        "init_lora_weights": lora.get("init_lora_weights", True),
        "layer_replication": None,
        "layers_pattern": lora.get("layers_pattern"),
        "layers_to_transform": lora.get("layers_to_transform"),
        "loftq_config": {},
        "lora_alpha": lora.get("lora_alpha", 8),
        "lora_bias": bool(lora.get("lora_bias", False)),
        "lora_dropout": lora.get("lora_dropout", 0.0),
        "megatron_config": None,
        "megatron_core": "megatron.core",
        "modules_to_save": lora.get("modules_to_save"),
        "peft_type": "LORA",
        "r": lora.get("r", 8),
        "rank_pattern": lora.get("rank_pattern") or {},
        "revision": None,
        "target_modules": list(tm) if isinstance(tm, (list, tuple)) else tm,
        "task_type": lora.get("task_type"),
        "use_dora": bool(lora.get("use_dora", False)),
        "use_rslora": bool(lora.get("use_rslora", False)),
    }


def _adapter(store: TensorStore, names: list[str], wrapper: str, lora: Optional[dict],
             base: Optional[str], label: str, where: Path, vit_class: Optional[str] = None,
             why_unknown: Optional[str] = None) -> Adapter:
    if lora is None and why_unknown:  # the config sets it in a way that cannot be read without running it
        raise SourceError(f"{where} holds LoRA weights, but their settings cannot be read from the training "
                          f"config: {why_unknown}", path=where)
    if lora is None:
        raise SourceError(
            f"{where} holds LoRA weights ({len(names)} tensors under {wrapper}) but no training config "
            "says their lora_alpha, so they cannot be merged exactly. Put the XTuner config .py the "
            "training used next to the checkpoint (in the work_dir).", path=where)
    view = peft_view(store, names, wrapper, label)
    config = adapter_config(lora, lora_targets(view.infos()), base, vit_class=vit_class)
    rank = lora_rank(list(view.infos()), view.infos())
    if "r" not in lora and rank:
        config["r"] = rank  # PEFT's default r is 8; trust the tensors when the config is silent
    return parse_adapter(config, view, label)


def _component(role: str, path: Path, store: TensorStore, details: dict,
               adapter: Optional[Adapter] = None) -> Component:
    infos = store.infos()
    dtypes = sorted({formats.dtype_name(i.dtype) for i in infos.values()})
    return Component(role, path, len(infos), sum(i.nbytes for i in infos.values()), dtypes,
                     details, adapter=adapter, store=None if adapter else store)


def describe(path: Path, kind: str, ckpt: Path, *, work_dir: Optional[Path] = None,
             iterations: Optional[list[dict]] = None) -> Source:
    """Read one checkpoint and its config into a :class:`Source`."""
    store, meta, run, notes = _open_checkpoint(ckpt)
    tc = training_config(ckpt, work_dir or ckpt.parent, meta)
    cfg = tc.cfg
    refused = unsupported_model(cfg, ckpt, store.infos())
    if refused:
        store.close()
        raise SourceError(refused, path=ckpt, key="unsupported-model",
                          params={"name": ckpt.name, "model": unsupported_name(cfg)})
    notes.extend(tc.notes)
    anchors = [a for a in ((work_dir or ckpt.parent).parent, (work_dir or ckpt.parent).parent.parent)]
    source = Source(path, kind, notes=notes)
    infos = store.infos()
    llm_bias = (cfg.llm_lora or {}).get("bias", "none") if cfg else "none"
    vit_bias = (cfg.visual_encoder_lora or {}).get("bias", "none") if cfg else "none"
    keys = classify(infos, llm_bias, vit_bias)
    llm_base = resolve_hint(cfg.llm_path, anchors, cfg.llm_revision) if cfg else None
    vit_base = resolve_hint(cfg.visual_encoder_path, anchors) if cfg else None

    _add_components(source, store, keys, cfg, ckpt, notes)
    _note_other_keys(keys, notes, run)
    _add_config(source, run, tc, keys, ckpt, anchors, llm_base)
    source.base_hint = llm_base
    source.visual_encoder_hint = vit_base
    it = _ckpt_iter(meta)
    m = CHECKPOINT_NAME.match(ckpt.name)
    run.iteration = int(m.group("n")) if m else it
    run.iterations = iterations
    source.training = run
    return source


def _add_components(source: Source, store: TensorStore, keys, cfg: Optional[XTunerConfig], ckpt: Path,
                    notes: list[str]) -> None:
    """The checkpoint's trained parts, as ``keys`` sorts them: LoRA adapters, the projector, full
    weights; raises SourceError when there is none, or the projector is not XTuner's."""
    infos = store.infos()
    label = ckpt.name
    if keys.llm_lora:
        ad = _adapter(store, keys.llm_lora, LLM, cfg.llm_lora if cfg else None, cfg.llm_path if cfg else None,
                      f"{label} (LLM LoRA)", ckpt, why_unknown=cfg.unknown.get("llm_lora") if cfg else None)
        s = ad.summary()
        details = {k: s[k] for k in ("r", "lora_alpha", "ranks", "use_rslora", "use_dora", "targets",
                                     "modules", "replaced")}
        details["lora_dropout"] = ad.config.get("lora_dropout")
        source.components.append(_component(LLM_ADAPTER, ckpt, ad.store, details, ad))
    if keys.vit_lora:
        vit_class = (cfg.visual_encoder_class if cfg else None) or "CLIPVisionModel"
        ad = _adapter(store, keys.vit_lora, VIT, cfg.visual_encoder_lora if cfg else None,
                      cfg.visual_encoder_path if cfg else None, f"{label} (visual encoder LoRA)", ckpt, vit_class,
                      why_unknown=cfg.unknown.get("visual_encoder_lora") if cfg else None)
        s = ad.summary()
        details = {k: s[k] for k in ("r", "lora_alpha", "ranks", "use_rslora", "targets", "modules")}
        source.components.append(_component(VISUAL_ENCODER_ADAPTER, ckpt, ad.store, details, ad))
    if keys.projector:
        layout = projector_layout(keys.projector, infos)
        if not layout:
            raise SourceError(f"{ckpt} has projector tensors that are not XTuner's ProjectorModel "
                              f"layout (projector.model.0/2/...): {', '.join(sorted(keys.projector)[:4])}.",
                              path=ckpt)
        if cfg and cfg.projector_depth is not None and cfg.projector_depth != layout["depth"]:
            notes.append(f"The config says projector_depth={cfg.projector_depth} but the checkpoint "
                         f"has {layout['depth']} linear layers; the checkpoint wins.")
        view = strip_view(store, keys.projector, "projector.", f"{label} (projector)")
        source.components.append(_component(PROJECTOR, ckpt, view, layout))
    if keys.llm_full:
        view = strip_view(store, keys.llm_full, LLM, f"{label} (LLM)")
        source.components.append(_component(LLM_FULL, ckpt, view, {"full_fine_tune": True}))
    if keys.vit_full:
        view = strip_view(store, keys.vit_full, VIT, f"{label} (visual encoder)")
        source.components.append(_component(VISUAL_ENCODER_FULL, ckpt, view, {"full_fine_tune": True}))
    if not source.components:
        shown = ", ".join(sorted(infos)[:3])
        raise SourceError(
            f"{ckpt} holds no XTuner model weights (no llm., visual_encoder. or projector. keys; it "
            f"has {shown}{' ...' if len(infos) > 3 else ''}). It is not an XTuner checkpoint.", path=ckpt)


def _note_other_keys(keys, notes: list[str], run: TrainingRun) -> None:
    """Notes on the tensors no component takes: frozen base copies, DPO's reference model, unknown ones."""
    if keys.frozen:
        notes.append(f"{len(keys.frozen)} frozen base tensor(s) in the checkpoint (base_layer and the "
                     "like) are not used; the base model's own copies are.")
    if keys.ignored:
        notes.append(f"{len(keys.ignored)} ref_llm. tensor(s) (DPO's reference model) are ignored.")
    if keys.unknown:
        notes.append(f"{len(keys.unknown)} tensor(s) belong to no part Mergesmith knows "
                     f"({', '.join(sorted(keys.unknown)[:3])}); merging refuses to drop them silently.")
        run.unknown_tensors = sorted(keys.unknown)


def _add_config(source: Source, run: TrainingRun, tc: TrainingConfig, keys, ckpt: Path, anchors: list[Path],
                llm_base: Optional[str]) -> None:
    """What the training config adds (its component, notes, tokenizer, settings), or a note that
    there is none."""
    cfg = tc.cfg
    if cfg is not None:
        source.training_config = tc.file
        d = cfg.summary()
        d["file"] = tc.origin
        source.components.append(Component(TRAINING_CONFIG, tc.file or ckpt, details=d))
        source.notes.extend(cfg.notes)
        run.config_text = tc.text
        if tc.conflicts:
            run.config_conflict = config_conflict_message(tc, ckpt.name)
            run.config_conflict_params = config_conflict_params(tc, ckpt.name)
        run.quantization = cfg.quantization or None
        # the config's tokenizer travels when it is not simply the base model's own
        tok = local_folder(resolve_hint(cfg.tokenizer_path, anchors))  # a folder, or a Hub id in a cache
        own = tok is not None and has_tokenizer(tok)
        base = local_folder(llm_base)
        same = own and base is not None and tok.resolve() == base.resolve()
        source.tokenizer_dirs = [str(tok)] if own and not same else []
        source.settings = trained_settings(cfg, anchors)
    else:
        source.notes.append("No training config was found (no config .py next to the checkpoint and "
                            "none in its meta); the base model path is unknown.")
        llava = keys.projector or keys.vit_lora or keys.vit_full
        source.settings = TrainedSettings(model_type=LLAVA_MODEL if llava else None, from_config=False)


def trained_settings(cfg, anchors: list[Path]) -> TrainedSettings:
    """What a training config says about the model, its image processor found among ``anchors``."""
    img = local_folder(resolve_hint(cfg.image_processor_path, anchors))
    return TrainedSettings(
        model_type=cfg.model_type, llm_dtype=cfg.llm_dtype,
        visual_select_layer=(-2 if cfg.visual_select_layer is None else cfg.visual_select_layer)
        if cfg.is_llava else None,
        image_processor_dir=str(img) if img is not None else None)
