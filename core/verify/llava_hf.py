"""``verify`` for a ``--format llava-hf`` folder: its tensor names mapped back to the inputs' own.

A llava-hf folder is one ``LlavaForConditionalGeneration``. Its tensors are named in one of the two
layouts transformers loads for it::

    transformers 4 (the Hub's llava-hf models)        transformers >= 4.52 and 5
    language_model.<the LLM's own name>               model.language_model.<the bare model's name>
    language_model.model.<the bare model's name>      lm_head.*
    language_model.lm_head.*
    vision_tower.<the vision model's name>            model.vision_tower.<...>
    multi_modal_projector.linear_{1,2}.*              model.multi_modal_projector.linear_{1,2}.*

The bare model's names are the LLM's without its base-model prefix (``model.`` for Llama,
``transformer.`` for GPT-2). This module does not ask the writer (or transformers' tables) which
prefix that is: it finds each name in the base's own tensor names, as it is or with one leading
component added or dropped. The vision tower is the visual encoder's ``vision_model.*`` (a whole
CLIP/SigLIP folder's text half is not part of it). ``linear_k`` is the k-th linear layer of the
trained projector (XTuner's ``model.0``, ``model.2``). The embedding (and an untied ``lm_head``)
may hold more rows than the base, up to ``text_config.vocab_size``: the rows of the added
``<image>``/pad tokens, which verify checks against the mean of the rows before them. An LLM whose
tied embedding ``LlavaForConditionalGeneration`` cannot tie (GPT-2's ``wte``) has ``lm_head``
written out: verify expects it to equal the input embedding transformers builds for the base's
config (asked on the meta device, not taken from the writer's list of embedding names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Optional

from ..io.jsonfile import json_object_or_none
from .. import formats
from ..errors import SourceError
from ..quiet import quiet_transformers
from ..io.stores import TensorStore
from .parts import Folder, Inputs, Part
from ..sources.xtuner.keys import RenamedStore

LM_HEAD = "lm_head.weight"
_COMPONENTS = ("language_model", "vision_tower", "multi_modal_projector")
_ONE_DTYPE = "a llava-hf folder holds the whole model in one dtype, the LLM's"


def llava_hf_config(out: Path) -> Optional[dict]:
    """``out``'s config.json when it describes one LLaVA model (no ``projector/`` beside it), else None."""
    cfg = json_object_or_none(out / formats.CONFIG)
    if cfg is not None and str(cfg.get("model_type", "")).startswith("llava") \
            and not (out / formats.PROJECTOR_DIR).is_dir():
        return cfg
    return None


def check_model_type(out: Path, cfg: dict) -> None:
    """Refuse the LLaVA variants (llava_next, ...) whose layout this module does not know."""
    if cfg.get("model_type") != "llava":
        raise SourceError(f"{out / formats.CONFIG} describes a {cfg.get('model_type')!r} model; verify checks "
                          "LLaVA folders (model_type 'llava', LlavaForConditionalGeneration) and XTuner's layout, "
                          "so point it at a folder merged with mergesmith.", path=out)


def tower_names(names) -> set[str]:
    """The visual encoder's tensors that make the vision tower: ``vision_model.*`` when it has those."""
    tower = {n for n in names if n.startswith("vision_model.")}
    return tower or set(names)


def _resolver(names) -> Callable[[str], Optional[str]]:
    """A name as ``names`` spell it: itself, with one leading component added (unique), or dropped."""
    names = set(names)
    with_prefix: dict[str, list[str]] = {}
    for n in names:
        if "." in n:
            with_prefix.setdefault(n.split(".", 1)[1], []).append(n)

    def resolve(name: str) -> Optional[str]:
        if name in names:
            return name
        found = with_prefix.get(name, [])
        if len(found) == 1:
            return found[0]
        tail = name.split(".", 1)[1] if "." in name else None
        return tail if tail in names else None

    return resolve


def _component(name: str) -> tuple[str, str]:
    """Which part of LlavaForConditionalGeneration holds ``name``, and the name inside it."""
    for lead in ("", "model."):
        for comp in _COMPONENTS:
            if name.startswith(f"{lead}{comp}."):
                return comp, name[len(lead) + len(comp) + 1:]
    if name.startswith("lm_head."):
        return "language_model", name
    return "", name


def _llm_name(rest: str, resolve) -> Optional[str]:
    for candidate in (rest, rest[len("model."):] if rest.startswith("model.") else None):
        own = resolve(candidate) if candidate else None
        if own:
            return own
    return rest if rest.startswith("lm_head.") else None  # written out for a tied base: see _tie_lm_head


def projector_layers(names) -> list[str]:
    """The trained projector's linear layers in order: ``["model.0.", "model.2."]``."""
    found = {(m.group(1), int(m.group(2))) for n in names if (m := re.match(r"^(.*?)(\d+)\.[^.]+$", n))}
    return [f"{prefix}{index}." for prefix, index in sorted(found, key=lambda p: (p[0], p[1]))]


def _projector_name(rest: str, layers: list[str]) -> Optional[str]:
    m = re.match(r"^linear_(\d+)\.([^.]+)$", rest)
    if not m or not 1 <= int(m.group(1)) <= len(layers):
        return None
    return layers[int(m.group(1)) - 1] + m.group(2)


def _own_name(name: str, resolve_llm, resolve_vit, layers: list[str]) -> tuple[str, Optional[str]]:
    """The part ("" LLM, visual_encoder, projector) that gives output tensor ``name``, and its name there."""
    comp, rest = _component(name)
    if comp == "language_model":
        return "", _llm_name(rest, resolve_llm)
    if comp == "vision_tower":
        return formats.VISUAL_ENCODER_DIR, resolve_vit(rest)
    if comp == "multi_modal_projector":
        return formats.PROJECTOR_DIR, _projector_name(rest, layers)
    return "", None


def own_names(out_names, llm_names, tower, projector) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The output's names by part ({rel: {own name: output name}}) and the names that fit no part."""
    resolve_llm, resolve_vit = _resolver(llm_names), _resolver(tower)
    layers = projector_layers(projector)
    parts: dict[str, dict[str, str]] = {"": {}, formats.VISUAL_ENCODER_DIR: {}, formats.PROJECTOR_DIR: {}}
    unknown = []
    for name in sorted(out_names):
        rel, own = _own_name(name, resolve_llm, resolve_vit, layers)
        if own is None or own in parts[rel]:
            unknown.append(name)
        else:
            parts[rel][own] = name
    return parts, unknown


def input_embedding(config: dict) -> Optional[str]:
    """The causal LM's input embedding, as transformers builds the model from ``config`` (on the meta
    device: no memory, no weights); None for a model transformers does not know."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    kwargs = {k: v for k, v in config.items() if k != "model_type"}
    try:
        with quiet_transformers(), torch.device("meta"):
            model = AutoModelForCausalLM.from_config(AutoConfig.for_model(str(config.get("model_type")), **kwargs))
        embedding = model.get_input_embeddings()
    except Exception:  # an unknown or inconsistent config: the lm_head stays unexplained
        return None
    return next((f"{name}.weight" for name, module in model.named_modules() if module is embedding), None)


def _tie_lm_head(llm: dict[str, str], base: TensorStore, base_config: dict,
                 part: Optional[Part]) -> Optional[TensorStore]:
    """A tied base (no ``lm_head``) seen with ``lm_head`` as its input embedding, which the output's
    ``lm_head`` copies; None when that embedding is not found."""
    infos = base.infos()
    name = input_embedding(base_config)
    own = _resolver(infos)(name) if name else None
    if own is None:
        return None
    mapping = {n: n for n in infos}
    mapping[LM_HEAD] = own
    if part is not None:
        for table in (part.low_rank, part.replaced, part.unchecked):
            if own in table:
                table[LM_HEAD] = table[own]
    return RenamedStore(base, mapping, base.label)


def llava_hf_folders(cfg: dict, inputs: Inputs, llm_base: TensorStore, llm_config: dict, vit_base: TensorStore,
                     out: TensorStore) -> tuple[list[Folder], list[str]]:
    """The output's tensors split among the LLM, the vision tower and the projector, each under the
    names its inputs use; and the output's names that belong to none."""
    vit_part = inputs.part(formats.VISUAL_ENCODER_DIR) or Part(formats.VISUAL_ENCODER_DIR)
    proj_part = inputs.part(formats.PROJECTOR_DIR)
    llm_part = inputs.part("")
    tower = RenamedStore(vit_base, {n: n for n in tower_names(vit_base.infos())}, vit_base.label)
    for part, base in ((llm_part, llm_base), (vit_part, tower)):
        if part is not None:
            part.align(set(base.infos()))
    parts, unknown = own_names(out.infos(), llm_base.infos(), tower.infos(),
                               proj_part.replaced if proj_part is not None else {})
    llm = parts[""]
    if LM_HEAD in llm and LM_HEAD not in llm_base.infos():
        tied = _tie_lm_head(llm, llm_base, llm_config, llm_part)
        if tied is None:
            unknown.append(llm.pop(LM_HEAD))
        else:
            llm_base = tied
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else {}
    vocab = text.get("vocab_size")

    def folder(rel, part, base, label, **kw) -> Folder:
        view = RenamedStore(out, parts[rel], out.label)
        return Folder(rel, part, base, view, shown=parts[rel], label=label, **kw)

    folders = [folder("", llm_part, llm_base, "language_model",
                      grow_to=vocab if isinstance(vocab, int) and not isinstance(vocab, bool) else None),
               folder(formats.VISUAL_ENCODER_DIR, vit_part, tower, "vision_tower", dtype_why=_ONE_DTYPE)]
    if proj_part is not None:
        folders.append(folder(formats.PROJECTOR_DIR, proj_part, None, "multi_modal_projector"))
    return folders, unknown


def config_notes(cfg: dict, llm_config: dict, vit_config: dict) -> list[str]:
    """Sentences for a config.json whose text or vision model is not the base's kind."""
    notes = []
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else {}
    vision = cfg.get("vision_config") if isinstance(cfg.get("vision_config"), dict) else {}
    if text.get("model_type") and llm_config.get("model_type") and text["model_type"] != llm_config["model_type"]:
        notes.append(f"config.json's text_config is a {text['model_type']!r} model but the base LLM is "
                     f"{llm_config['model_type']!r}; check --base.")
    inner = vit_config.get("vision_config") if isinstance(vit_config.get("vision_config"), dict) else {}
    kinds = {str(vit_config.get("model_type", "")), str(inner.get("model_type", ""))}
    kind = str(vision.get("model_type", ""))
    if kind and not any(k and (kind == k or kind.startswith(k + "_")) for k in kinds):
        notes.append(f"config.json's vision_config is a {kind!r} model but the visual encoder is "
                     f"{vit_config.get('model_type')!r}; check --visual-encoder.")
    return notes
