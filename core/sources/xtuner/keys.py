"""XTuner state-dict keys: what each one is, and how it maps to PEFT and Hugging Face names.

XTuner's wrappers keep the Hugging Face model at ``llm`` (and ``visual_encoder``, ``projector``
for LLaVA), so keys are prefixed; a PEFT-wrapped model adds ``base_model.model.`` and keeps the
adapter name ``default`` in every LoRA key::

    llm.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight   LLM LoRA
    llm.base_model.model.lm_head.modules_to_save.default.weight                  LLM LoRA (replaced)
    llm.model.layers.0.self_attn.q_proj.weight                                   full LLM
    visual_encoder.base_model.model.vision_model...lora_A.default.weight         ViT LoRA
    visual_encoder.vision_model.encoder.layers.0...                              full ViT
    projector.model.0.weight                                                     projector
    ref_llm.*                                                                    DPO reference (ignored)

Frozen base weights inside a PEFT wrapper (``...q_proj.base_layer.weight``, which some DeepSpeed
checkpoints carry) are recognised and not used: the base model's own copies are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ...io.safetensors import TensorInfo
from ...io.stores import TensorStore

PEFT_WRAP = "base_model.model."
LLM = "llm."
VIT = "visual_encoder."
PROJ = "projector."
REF = "ref_llm."


@dataclass
class KeyClasses:
    llm_lora: list[str] = field(default_factory=list)
    vit_lora: list[str] = field(default_factory=list)
    projector: list[str] = field(default_factory=list)
    llm_full: list[str] = field(default_factory=list)
    vit_full: list[str] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _peft_part(key: str, rest: str, train_bias: bool) -> str:
    """'lora' (adapter tensor), or 'frozen' (base weight inside the PEFT wrapper)."""
    if "lora_" in rest or ".modules_to_save." in rest or ".trainable_tokens_delta" in rest:
        return "lora"
    if ".original_module." in rest:
        return "frozen"
    if rest.endswith(".bias") and train_bias:
        return "lora"
    return "frozen"


def classify(names, llm_bias: str = "none", vit_bias: str = "none") -> KeyClasses:
    """Sort state-dict keys into the parts of an XTuner model (see the module docstring)."""
    k = KeyClasses()
    for name in names:
        if name.startswith(REF):
            k.ignored.append(name)
        elif name.startswith(LLM + PEFT_WRAP):
            part = _peft_part(name, name[len(LLM + PEFT_WRAP):], llm_bias in ("all", "lora_only"))
            (k.llm_lora if part == "lora" else k.frozen).append(name)
        elif name.startswith(LLM):
            k.llm_full.append(name)
        elif name.startswith(VIT + PEFT_WRAP):
            part = _peft_part(name, name[len(VIT + PEFT_WRAP):], vit_bias in ("all", "lora_only"))
            (k.vit_lora if part == "lora" else k.frozen).append(name)
        elif name.startswith(VIT):
            k.vit_full.append(name)
        elif name.startswith(PROJ):
            k.projector.append(name)
        else:
            k.unknown.append(name)
    return k


def peft_name(key: str, wrapper: str) -> str:
    """The name PEFT's ``save_pretrained`` gives a key: wrapper prefix and ``.default`` gone."""
    name = key[len(wrapper):] if key.startswith(wrapper) else key
    name = name.replace(".modules_to_save.default.", ".")
    name = name.replace(".default.", ".")
    if name.endswith(".default"):
        name = name[: -len(".default")]
    return name


def lora_targets(names) -> list[str]:
    """Leaf module names that carry LoRA (what ``target_modules`` must have been)."""
    out = set()
    for n in names:
        m = re.search(r"\.([^.]+)\.lora_(?:A|B|embedding_A|embedding_B)\b", n)
        if m:
            out.add(m.group(1))
    return sorted(out)


def lora_rank(names, infos: dict[str, TensorInfo]) -> Optional[int]:
    for n in names:
        if ".lora_A." in n and len(infos[n].shape) == 2:
            return infos[n].shape[0]
    return None


class RenamedStore:
    """A view of another store under other names (``new name -> name in the store``)."""

    def __init__(self, store: TensorStore, mapping: dict[str, str], label: str) -> None:
        self.label = label
        self._store = store
        self._map = mapping
        src = store.infos()
        self._infos = {}
        for new, old in mapping.items():
            i = src[old]
            self._infos[new] = TensorInfo(new, i.dtype, i.shape, i.start, i.end)

    @property
    def inner(self) -> TensorStore:
        return self._store

    def infos(self) -> dict[str, TensorInfo]:
        return self._infos

    def tensor(self, name: str):
        return self._store.tensor(self._map[name])

    def release(self, name: str) -> None:
        self._store.release(self._map[name])

    def raw(self, name: str):
        return self._store.raw(self._map[name])

    def release_part(self, name: str, start: int, stop: int) -> None:
        fn = getattr(self._store, "release_part", None)
        if fn is not None:
            fn(self._map[name], start, stop)

    def prefetch(self, name: str) -> None:
        fn = getattr(self._store, "prefetch", None)
        if fn is not None:
            fn(self._map[name])

    def close(self) -> None:  # the underlying store belongs to the checkpoint
        pass


def strip_view(store: TensorStore, names, prefix: str, label: str) -> RenamedStore:
    """``llm.model.x`` -> ``model.x`` (full weights as Hugging Face names them)."""
    return RenamedStore(store, {n[len(prefix):]: n for n in names}, label)


def peft_view(store: TensorStore, names, wrapper: str, label: str) -> RenamedStore:
    return RenamedStore(store, {peft_name(n, wrapper): n for n in names}, label)


# --- projector -----------------------------------------------------------------------------

_PROJ_KEY = re.compile(r"^projector\.model\.(\d+)\.(weight|bias)$")


def projector_layout(names, infos: dict[str, TensorInfo]) -> dict:
    """Depth, sizes and bias of XTuner's ``ProjectorModel`` from its keys and shapes.

    Linear layers sit at indices 0, 2, 4, ... of an ``nn.Sequential`` with activations between.
    Returns ``{}`` when the keys are not that layout.
    """
    layers: dict[int, dict[str, tuple]] = {}
    for n in names:
        m = _PROJ_KEY.match(n)
        if not m:
            return {}
        layers.setdefault(int(m.group(1)), {})[m.group(2)] = infos[n].shape
    idx = sorted(layers)
    if not idx or idx != list(range(0, 2 * len(idx), 2)) or any("weight" not in layers[i] for i in idx):
        return {}
    first, last = layers[idx[0]]["weight"], layers[idx[-1]]["weight"]
    return {
        "depth": len(idx),
        "visual_hidden_size": int(first[1]),
        "llm_hidden_size": int(last[0]),
        "bias": all("bias" in layers[i] for i in idx),
    }
