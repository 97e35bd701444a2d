"""What a merge should have done, read by ``verify`` itself from the merge's inputs.

``verify`` must not share its assumptions with the merge it checks, so it does not ask the
planner (or the plan's adapter objects) what the adapter changes. This module reads the inputs
again and says, for each output folder ("" for the LLM, ``projector``, ``visual_encoder``):

* which tensors get ``W + scale * (B @ A)``, with the scale worked out here from the settings
  that trained the adapter and the rank the tensors have;
* which tensors are replaced whole (``modules_to_save``, fully trained weights, the projector);
* which tensors use a variant verify does not recompute (DoRA, ``lora_bias``, trainable tokens).

Where the settings come from:

* an XTuner checkpoint (work_dir, ``.pth`` file, DeepSpeed folder): the config mmengine stored in
  the checkpoint (``meta['cfg']``; for DeepSpeed, in ``mp_rank_00_model_states.pt``), which is the
  config that trained it; a config ``.py`` beside it is used only when the checkpoint has none,
  and a ``.py`` that disagrees with the stored config is named in a note;
* a PEFT adapter folder or XTuner's converted folder: its ``adapter_config.json``.

Shared with the merge are only the readers: the safe checkpoint unpickler, the ZeRO rebuild,
safetensors stores and the AST config parser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from .. import formats
from ..model.adapters import find_adapter_weights, open_adapter_store, read_adapter_config
from ..io.checkpoint import CheckpointStore, checkpoint_meta, open_checkpoint, state_dict_of
from ..io.deepspeed import is_deepspeed_folder, read_zero_checkpoint
from ..errors import SourceError
from ..io.stores import TensorStore, open_model_weights
from ..sources.xtuner.listing import latest_iteration, find_config, list_iterations, resolve_hint
from ..sources.xtuner.config import XTunerConfig, parse_config, read_config
from .parts import LORA_PART, Inputs, Part, adapter_part

LLM_WRAP = "llm.base_model.model."
VIT_WRAP = "visual_encoder.base_model.model."
PEFT_WRAP = "base_model.model."


def read_inputs(source, iteration: Optional[int] = None) -> Inputs:
    """Read what ``source`` (adapter, converted folder, work_dir, ``.pth``, DeepSpeed folder) trained."""
    path = Path(source).expanduser()
    if not path.exists():
        raise SourceError(f"{path} does not exist; point --source at what was merged (adapter folder, "
                          "XTuner work_dir, .pth file or DeepSpeed folder).", path=path)
    if path.is_file() and is_deepspeed_folder(path.parent):
        path = path.parent
    if path.is_dir() and (path / formats.ADAPTER_CONFIG).is_file() and not is_deepspeed_folder(path):
        return _read_adapter_folder(path)
    if path.is_dir() and any((path / d).is_dir() for d in (formats.LLM_ADAPTER_DIR, formats.PROJECTOR_DIR,
                                                            formats.VISUAL_ENCODER_ADAPTER_DIR)):
        return _read_converted(path)
    return _read_xtuner(path, iteration)


# --- PEFT adapter folders and XTuner's converted folders ----------------------------------------------


def _adapter_dir_part(rel: str, folder: Path, inputs: Inputs) -> Part:
    config = read_adapter_config(folder)
    weights = find_adapter_weights(folder)
    if weights is None:
        raise SourceError(f"{folder} has {formats.ADAPTER_CONFIG} but no adapter weights; the adapter is "
                          "incomplete.", path=folder)
    store = open_adapter_store(weights, str(folder))
    inputs.keep_open(store)
    names = {n[len(PEFT_WRAP):] if n.startswith(PEFT_WRAP) else n: n for n in store.infos()}
    where = f"{folder / formats.ADAPTER_CONFIG}"
    part = adapter_part(rel, store, names, config, where)
    part.peft_dir = folder
    if not rel:
        inputs.base_hint = inputs.base_hint or config.get("base_model_name_or_path")
    return part


def _read_adapter_folder(folder: Path) -> Inputs:
    inputs = Inputs(f"{formats.ADAPTER_CONFIG} of {folder.name}")
    inputs.parts.append(_adapter_dir_part("", folder, inputs))
    return inputs


def _read_converted(folder: Path) -> Inputs:
    inputs = Inputs(f"the {formats.ADAPTER_CONFIG} files in {folder.name}")
    if (folder / formats.ADAPTER_CONFIG).is_file():
        inputs.parts.append(_adapter_dir_part("", folder, inputs))
    if (folder / formats.LLM_ADAPTER_DIR / formats.ADAPTER_CONFIG).is_file():
        inputs.parts.append(_adapter_dir_part("", folder / formats.LLM_ADAPTER_DIR, inputs))
    vit_adapter = folder / formats.VISUAL_ENCODER_ADAPTER_DIR
    if (vit_adapter / formats.ADAPTER_CONFIG).is_file():
        part = _adapter_dir_part(formats.VISUAL_ENCODER_DIR, vit_adapter, inputs)
        part.peft_dir = None
        inputs.parts.append(part)
        inputs.visual_encoder_hint = read_adapter_config(vit_adapter).get("base_model_name_or_path")
    for rel in (formats.PROJECTOR_DIR, formats.VISUAL_ENCODER_DIR):
        sub = folder / rel
        if sub.is_dir() and (sub / formats.CONFIG).is_file() and inputs.part(rel) is None:
            store = open_model_weights(sub)
            inputs.keep_open(store)
            inputs.parts.append(Part(rel, store, replaced={n: n for n in store.infos()},
                                     has_base=rel != formats.PROJECTOR_DIR))
    if not inputs.parts:
        raise SourceError(f"{folder} holds no adapter, projector or visual encoder that verify can read.",
                          path=folder)
    return inputs


# --- XTuner checkpoints ----------------------------------------------------------------------------


def _checkpoint_of(path: Path, iteration: Optional[int]) -> Path:
    if path.is_file() or is_deepspeed_folder(path):
        return path
    its = list_iterations(path)
    if not its:
        raise SourceError(f"{path} holds no XTuner checkpoint (iter_N.pth), adapter_config.json or converted "
                          "folders; point --source at what was merged.", path=path)
    if iteration is None:
        return Path(latest_iteration(path, its)["path"])
    found = [e for e in its if e["iter"] == iteration]
    if not found:
        have = ", ".join(str(e["iter"]) for e in its)
        raise SourceError(f"{path} has no checkpoint for iteration {iteration}; it has {have}.", path=path)
    return Path(found[-1]["path"])


def _open(ckpt: Path, inputs: Inputs) -> tuple[TensorStore, dict]:
    if ckpt.is_dir():
        z = read_zero_checkpoint(ckpt)
        inputs.keep_open(z.store)
        return z.store, z.meta
    obj, mapped = open_checkpoint(ckpt)
    store = CheckpointStore(state_dict_of(obj, ckpt), str(ckpt), mapped)
    inputs.keep_open(store)
    return store, checkpoint_meta(obj)


def _training_config(ckpt: Path, meta: dict, inputs: Inputs) -> Optional[XTunerConfig]:
    """The config stored in the checkpoint; the work_dir's ``.py`` only when there is none."""
    text = meta.get("cfg")
    beside = find_config(ckpt.parent)
    if isinstance(text, str) and text.strip():
        cfg = parse_config(text, None, label=f"The training config stored in {ckpt.name}")
        inputs.settings_from = f"the training config stored in {ckpt.name}"
        if beside is not None:
            _compare_configs(cfg, beside, ckpt, inputs)
        return cfg
    if beside is None:
        return None
    inputs.settings_from = f"{beside.name} in the work_dir, as the checkpoint stores no config"
    inputs.notes.append(f"{ckpt.name} stores no training config, so the LoRA settings come from {beside.name} "
                        "in the work_dir; if that file was edited after training, this check is wrong too.")
    return read_config(beside)


def _compare_configs(stored: XTunerConfig, beside: Path, ckpt: Path, inputs: Inputs) -> None:
    try:
        other = read_config(beside)
    except SourceError:
        return
    for what, a, b in (("LLM", stored.llm_lora, other.llm_lora),
                       ("visual encoder", stored.visual_encoder_lora, other.visual_encoder_lora)):
        keys = ("r", "lora_alpha", "use_rslora", "rank_pattern", "alpha_pattern", "fan_in_fan_out", "use_dora")
        diff = [k for k in keys if (a or {}).get(k) != (b or {}).get(k)]
        if a is not None and diff:
            said = ", ".join(f"{k} {(b or {}).get(k)!r}" for k in diff)
            kept = ", ".join(f"{k} {a.get(k)!r}" for k in diff)
            inputs.notes.append(f"{beside.name} in the work_dir says {said} for the {what} LoRA, but the config "
                                f"stored in {ckpt.name}, which trained it, says {kept}; verify uses the stored one.")


def _xtuner_names(names, wrapper: str, bias: str) -> dict[str, str]:
    """XTuner's keys of one PEFT-wrapped model, renamed as PEFT saves them; frozen copies left out."""
    out = {}
    for n in names:
        if not n.startswith(wrapper):
            continue
        rest = n[len(wrapper):]
        if ".modules_to_save.default." in rest:
            out[rest.replace(".modules_to_save.default.", ".")] = n
        elif "lora_" in rest or "trainable_tokens_delta" in rest:
            out[re.sub(r"\.default(?=\.|$)", "", rest)] = n
        elif rest.endswith(".bias") and bias in ("all", "lora_only") and ".original_module." not in rest:
            out[rest.replace(".base_layer.", ".")] = n
    return out


def _settings(lora: Optional[dict], what: str, ckpt: Path, count: int) -> dict:
    if lora is None:
        raise SourceError(f"{ckpt} holds {count} {what} LoRA tensor(s) but no training config gives their "
                          "lora_alpha, so the merge cannot be recomputed; put the config .py the training "
                          "used next to the checkpoint.", path=ckpt)
    return lora


def _peft_config(settings: dict, names: dict[str, str], infos) -> dict:
    """The LoraConfig fields PEFT needs to rebuild the adapter (``--logits``): targets from the keys."""
    mods = {m.group("mod"): stored for n, stored in names.items() if (m := LORA_PART.match(n))}
    config = dict(settings, target_modules=sorted({mod.rsplit(".", 1)[-1] for mod in mods}))
    if "r" not in settings:
        config["r"] = max(int(infos[s].shape[0]) for n, s in names.items() if n.endswith(("lora_A.weight",
                                                                                           "lora_embedding_A")))
    return config


def _read_xtuner(path: Path, iteration: Optional[int]) -> Inputs:
    ckpt = _checkpoint_of(path, iteration)
    inputs = Inputs("no training config")
    store, meta = _open(ckpt, inputs)
    cfg = _training_config(ckpt, meta, inputs)
    infos = store.infos()
    where = inputs.settings_from
    for wrapper, rel, lora in ((LLM_WRAP, "", cfg.llm_lora if cfg else None),
                               (VIT_WRAP, formats.VISUAL_ENCODER_DIR, cfg.visual_encoder_lora if cfg else None)):
        names = _xtuner_names(infos, wrapper, (lora or {}).get("bias", "none"))
        if not names:
            continue
        what = "LLM" if not rel else "visual encoder"
        settings = _settings(lora, what, ckpt, len(names))
        part = adapter_part(rel, store, names, settings, where)
        if not rel:
            part.peft_config = _peft_config(settings, names, infos)
            part.peft_names = {PEFT_WRAP + k: v for k, v in names.items()}
        inputs.parts.append(part)
    full = {"": {n[len("llm."):]: n for n in infos if n.startswith("llm.") and not n.startswith(LLM_WRAP)},
            formats.VISUAL_ENCODER_DIR: {n[len("visual_encoder."):]: n for n in infos
                                         if n.startswith("visual_encoder.") and not n.startswith(VIT_WRAP)},
            formats.PROJECTOR_DIR: {n[len("projector."):]: n for n in infos if n.startswith("projector.")}}
    for rel, replaced in full.items():
        if not replaced:
            continue
        part = inputs.part(rel)
        if part is None:
            part = Part(rel, store, has_base=rel != formats.PROJECTOR_DIR)
            inputs.parts.append(part)
        part.replaced.update(replaced)
    if not inputs.parts:
        raise SourceError(f"{ckpt} holds no XTuner model weights (llm., visual_encoder. or projector. keys).",
                          path=ckpt)
    if cfg is not None:
        anchors = [ckpt.parent.parent, ckpt.parent.parent.parent]
        inputs.base_hint = resolve_hint(cfg.llm_path, anchors, cfg.llm_revision)
        inputs.visual_encoder_hint = resolve_hint(cfg.visual_encoder_path, anchors)
    return inputs
