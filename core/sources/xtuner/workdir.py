"""The XTuner plugin: detect work_dirs, ``.pth`` checkpoints and DeepSpeed folders; plan merges.

Its detectors are listed in :data:`mergesmith.core.sources.detect.DETECTORS` and its planners
(:mod:`mergesmith.core.plan.xtuner`) in :data:`mergesmith.core.plan.planners.PLANNERS`, ahead of
the generic ones, so that XTuner's raw training output is read directly: the safe unpickler
(:mod:`mergesmith.core.io.checkpoint`) or the ZeRO rebuild (:mod:`mergesmith.core.io.deepspeed`)
gives the trained tensors, the AST reader (:mod:`.config`) gives the LoRA settings and base
paths, and :mod:`.keys` sorts the keys into components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ... import formats
from ...model.adapters import Adapter, parse_adapter
from ...io.checkpoint import CheckpointStore, checkpoint_meta, open_checkpoint, state_dict_of
from ...io.deepspeed import RANK_FILE, MP_MODEL, is_deepspeed_folder, read_zero_checkpoint
from ...errors import PlanError, SourceError
from ..source import (LLM_ADAPTER, LLM_FULL, PROJECTOR, TRAINING_CONFIG,
                      VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL, XTUNER_CONVERTED, Component, Source,
                      LLAVA_MODEL, TrainedSettings, TrainingRun,
                      detect_converted_or_adapter, has_tokenizer)
from ...io.stores import TensorStore
from .config import XTunerConfig, looks_like_config, parse_config, read_config
from .keys import (LLM, VIT, classify, lora_rank, lora_targets, peft_view,
                          projector_layout, strip_view)

WORK_DIR = formats.KIND_WORK_DIR
PTH = formats.KIND_PTH
DEEPSPEED = formats.KIND_DEEPSPEED
KINDS = (WORK_DIR, PTH, DEEPSPEED)

_CKPT = re.compile(r"^(?P<unit>iter|epoch)_(?P<n>\d+)\.pth$")
NOT_CONFIGS = ("zero_to_fp32.py", formats.XTUNER_CONFIG)


# --- work_dir contents ----------------------------------------------------------------------


def list_iterations(work_dir: Path) -> list[dict]:
    """``[{iter, unit, path, kind}]`` for every ``iter_N.pth``/``epoch_N.pth``, oldest first."""
    out = []
    try:
        entries = list(Path(work_dir).iterdir())
    except OSError:
        return []
    for p in entries:
        m = _CKPT.match(p.name)
        if not m:
            continue
        if p.is_file():
            kind = "pth"
        elif is_deepspeed_folder(p):
            kind = "deepspeed"
        else:
            continue
        out.append({"iter": int(m.group("n")), "unit": m.group("unit"), "path": str(p), "kind": kind})
    return sorted(out, key=lambda e: (e["unit"] == "iter", e["iter"]))


def latest_iteration(work_dir: Path, its: list[dict]) -> dict:
    marker = work_dir / "last_checkpoint"
    if marker.is_file():
        try:
            name = Path(marker.read_text(encoding="utf-8").strip()).name
        except OSError:
            name = ""
        for e in its:
            if Path(e["path"]).name == name:
                return e
    return its[-1]


def find_config(folder: Path) -> Optional[Path]:
    """The training config a work_dir holds (mmengine dumps it as ``<config name>.py``).

    Of the ``.py`` files there, the newest one that defines ``model = dict(...)``; a file that
    does not parse is passed over here (pointing at it directly gives the parse error).
    """
    try:
        cands = sorted((p for p in folder.iterdir() if p.suffix == ".py" and p.is_file()
                        and p.name not in NOT_CONFIGS and looks_like_config(p)),
                       key=lambda p: -p.stat().st_mtime)
    except OSError:
        return None
    for p in cands:
        try:
            read_config(p)
        except SourceError:
            continue
        return p
    return cands[0] if cands else None


def resolve_hint(value: Optional[str], anchors: list[Path]) -> Optional[str]:
    """A path named by the config, made absolute when it exists relative to where training ran."""
    if not value:
        return value
    p = Path(value).expanduser()
    if p.is_absolute() or p.is_dir():
        return str(p)
    for a in anchors:
        if (a / p).is_dir():
            return str((a / p).resolve())
    return value


# --- reading one checkpoint ---------------------------------------------------------------------


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
            out.conflicts = [f"{what} {_shown(b)} in the .py, {_shown(a)} in the checkpoint" for what, a, b in diffs]
    return out


def config_conflict_message(tc: TrainingConfig, ckpt_name: str) -> str:
    shown = "; ".join(tc.conflicts[:4]) + (f"; and {len(tc.conflicts) - 4} more" if len(tc.conflicts) > 4 else "")
    return (f"The work_dir's config {tc.other.name} differs from the config stored in {ckpt_name}, which "
            f"trained it: {shown}. Mergesmith uses the checkpoint's. If the .py was edited after training, "
            "that is expected; otherwise the checkpoint comes from another run: check the folder and the iteration.")


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
    trains = f"{model_type or 'InternVL'}" + (f" of {cfg.llm_path}" if cfg and cfg.llm_path else "")
    return (f"InternVL training output is not supported yet: {where.name} trains {trains}. Mergesmith merges "
            "XTuner's SupervisedFinetune (LoRA, QLoRA, full fine-tune) and LLaVA runs; for InternVL use "
            "xtuner/configs/internvl/v1_5/convert_to_official.py, which XTuner ships for it.")


def stored_meta(ckpt: Path) -> dict:
    """The mmengine ``meta`` of a ``.pth`` file or of a DeepSpeed folder's model-state file ({} if none)."""
    from ...io.checkpoint import load_checkpoint

    if ckpt.is_dir():
        files = sorted(p for p in ckpt.iterdir() if MP_MODEL.match(p.name)
                       or (RANK_FILE.match(p.name) and RANK_FILE.match(p.name).group("what") == "model"))
        if not files:
            return {}
        ckpt = files[0]
    return checkpoint_meta(load_checkpoint(ckpt))


def latest_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint a merge of ``work_dir`` uses by default (``last_checkpoint``'s, else the newest)."""
    its = list_iterations(work_dir)
    return Path(latest_iteration(work_dir, its)["path"]) if its else None


def _ckpt_iter(meta: dict) -> Optional[int]:
    it = meta.get("iter") if isinstance(meta, dict) else None
    return it if isinstance(it, int) else None


def _ds_root(path: Path) -> Path:
    """A file inside a DeepSpeed folder stands for the folder."""
    if path.is_file() and (RANK_FILE.match(path.name) or MP_MODEL.match(path.name)):
        return path.parent
    return path


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
        raise SourceError(refused, path=ckpt)
    notes.extend(tc.notes)
    anchors = [a for a in ((work_dir or ckpt.parent).parent, (work_dir or ckpt.parent).parent.parent)]
    source = Source(path, kind, notes=notes)
    infos = store.infos()
    llm_bias = (cfg.llm_lora or {}).get("bias", "none") if cfg else "none"
    vit_bias = (cfg.visual_encoder_lora or {}).get("bias", "none") if cfg else "none"
    keys = classify(infos, llm_bias, vit_bias)
    label = ckpt.name
    llm_base = resolve_hint(cfg.llm_path, anchors) if cfg else None
    vit_base = resolve_hint(cfg.visual_encoder_path, anchors) if cfg else None

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
    if keys.frozen:
        notes.append(f"{len(keys.frozen)} frozen base tensor(s) in the checkpoint (base_layer and the "
                     "like) are not used; the base model's own copies are.")
    if keys.ignored:
        notes.append(f"{len(keys.ignored)} ref_llm. tensor(s) (DPO's reference model) are ignored.")
    if keys.unknown:
        notes.append(f"{len(keys.unknown)} tensor(s) belong to no part Mergesmith knows "
                     f"({', '.join(sorted(keys.unknown)[:3])}); merging refuses to drop them silently.")
        run.unknown_tensors = sorted(keys.unknown)

    if cfg is not None:
        source.training_config = tc.file
        d = cfg.summary()
        d["file"] = tc.origin
        source.components.append(Component(TRAINING_CONFIG, tc.file or ckpt, details=d))
        source.notes.extend(cfg.notes)
        run.config_text = tc.text
        if tc.conflicts:
            run.config_conflict = config_conflict_message(tc, ckpt.name)
        run.quantization = cfg.quantization or None
        # the config's tokenizer travels when it is not simply the base model's own
        tok = resolve_hint(cfg.tokenizer_path, anchors)
        own = tok and Path(tok).is_dir() and has_tokenizer(Path(tok))
        same = own and llm_base and Path(llm_base).is_dir() and Path(tok).resolve() == Path(llm_base).resolve()
        source.tokenizer_dirs = [tok] if own and not same else []
        source.settings = trained_settings(cfg, anchors)
    else:
        source.notes.append("No training config was found (no config .py next to the checkpoint and "
                            "none in its meta); the base model path is unknown.")
        llava = keys.projector or keys.vit_lora or keys.vit_full
        source.settings = TrainedSettings(model_type=LLAVA_MODEL if llava else None, from_config=False)
    source.base_hint = llm_base
    source.visual_encoder_hint = vit_base
    it = _ckpt_iter(meta)
    m = _CKPT.match(ckpt.name)
    run.iteration = int(m.group("n")) if m else it
    run.iterations = iterations
    source.training = run
    return source


def trained_settings(cfg, anchors: list[Path]) -> TrainedSettings:
    """What a training config says about the model, its image processor found among ``anchors``."""
    img = resolve_hint(cfg.image_processor_path, anchors)
    return TrainedSettings(
        model_type=cfg.model_type, llm_dtype=cfg.llm_dtype,
        visual_select_layer=(-2 if cfg.visual_select_layer is None else cfg.visual_select_layer)
        if cfg.is_llava else None,
        image_processor_dir=img if img and Path(img).is_dir() else None)


# --- detection ----------------------------------------------------------------------------------


def detect_work_dir(path: Path, iteration: Optional[int] = None) -> Optional[Source]:
    its = list_iterations(path)
    if not its:
        return None
    if iteration is None:
        chosen = latest_iteration(path, its)
    else:
        found = [e for e in its if e["iter"] == iteration]
        if not found:
            have = ", ".join(str(e["iter"]) for e in its)
            raise SourceError(f"{path} has no checkpoint for iteration {iteration}; it has {have}.",
                              path=path)
        chosen = found[-1]
    source = describe(path, WORK_DIR, Path(chosen["path"]), work_dir=path, iterations=its)
    others = len(its) - 1
    source.notes.insert(0, f"Using {Path(chosen['path']).name}"
                        + (f" ({'the latest of ' + str(len(its)) if iteration is None else 'one of ' + str(len(its))} "
                           "checkpoints; choose another iteration to use that one instead)." if others else "."))
    return source


def detect_xtuner(path: Path) -> Optional[Source]:
    """A work_dir, an ``iter_N.pth`` file, or a DeepSpeed ``iter_N.pth/`` folder."""
    path = _ds_root(path)
    if path.is_file():
        if path.suffix not in (".pth", ".pt"):
            return None
        work_dir = path.parent if list_iterations(path.parent) else None
        return describe(path, PTH, path, work_dir=work_dir)
    if is_deepspeed_folder(path):
        work_dir = path.parent if list_iterations(path.parent) else None
        return describe(path, DEEPSPEED, path, work_dir=work_dir)
    if path.is_dir():
        return detect_work_dir(path)
    return None


def for_iteration(source: Source, iteration: Optional[int]) -> Source:
    """The same work_dir at another iteration (``--iter N``); the source itself if already there."""
    if iteration is None or source.iteration == iteration:
        return source
    if source.kind != WORK_DIR:
        raise PlanError(f"--iter {iteration} applies to a work_dir; {source.path} is one checkpoint "
                        f"(iteration {source.iteration}). Point at the work_dir instead.")
    new = detect_work_dir(source.path, iteration)
    assert new is not None
    return new


def detect_converted(path: Path) -> Optional[Source]:
    """XTuner's ``pth_to_hf`` output, with what its ``xtuner_config.py`` says filled in.

    The generic detector finds the parts (``llm_adapter/``, ``visual_encoder_adapter/``,
    ``visual_encoder/``, ``projector/``); the config adds the base paths, the LLaVA settings and
    the image processor, as for a raw checkpoint, and the projector gets its layout from its tensors.
    """
    source = detect_converted_or_adapter(path)
    if source is None or source.kind != XTUNER_CONVERTED:
        return source
    cfg = None
    if source.training_config is not None:
        try:
            cfg = read_config(source.training_config)
        except SourceError as exc:
            source.notes.append(f"{exc.message} Its settings are not used; the folders' own configs are.")
    anchors = [path.parent, path.parent.parent]
    if cfg is not None:
        source.notes.extend(cfg.notes)
        source.base_hint = source.base_hint or resolve_hint(cfg.llm_path, anchors)
        source.visual_encoder_hint = resolve_hint(cfg.visual_encoder_path, anchors)
        source.settings = trained_settings(cfg, anchors)
    vit = source.component(VISUAL_ENCODER_ADAPTER)
    if source.visual_encoder_hint is None and vit is not None and vit.adapter is not None:
        source.visual_encoder_hint = vit.adapter.config.get("base_model_name_or_path") or None
    proj = source.component(PROJECTOR)
    if proj is not None and proj.store is not None:
        infos = proj.store.infos()
        layout = projector_layout([f"projector.{n}" for n in infos],
                                  {f"projector.{n}": i for n, i in infos.items()})
        if not layout:
            raise SourceError(f"{proj.path} holds tensors that are not XTuner's ProjectorModel layout "
                              f"(model.0/2/...): {', '.join(sorted(infos)[:4])}.", path=proj.path)
        proj.details.update(layout)
    return source
