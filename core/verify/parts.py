"""What ``verify`` expects of each output folder (:class:`Part`, :class:`LowRank`), paired with the
stores it compares (:class:`Folder`), and the LoRA settings: the scale of each product, worked out
from the settings that trained the adapter and the rank its tensors have (see :mod:`.inputs`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import SourceError
from ..io.stores import TensorStore

# PEFT's LoraConfig defaults, used when a training config leaves r or lora_alpha out
DEFAULT_R, DEFAULT_ALPHA = 8, 8

LORA_PART = re.compile(
    r"^(?P<mod>.+)\.(?P<part>lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B|"
    r"lora_magnitude_vector(?:\.weight)?|lora_B\.bias|token_adapter\.trainable_tokens_delta)$")


@dataclass(frozen=True)
class LowRank:
    """``W + scale * (B @ A)`` for one weight (``transpose``: the product is transposed first)."""

    a: str
    b: str
    rank: int
    alpha: float
    scale: float
    transpose: bool
    rslora: bool = False

    @property
    def formula(self) -> str:
        """How the scale is made: "lora_alpha 16 / r 64" (rsLoRA: "/ sqrt(r 64)")."""
        return f"lora_alpha {self.alpha:g} / {f'sqrt(r {self.rank})' if self.rslora else f'r {self.rank}'}"


@dataclass
class Part:
    """What one output folder should hold, beyond the base tensors copied as they are."""

    rel: str  # "" (the LLM), "projector" or "visual_encoder"
    store: Optional[TensorStore] = None  # the trained tensors
    low_rank: dict[str, LowRank] = field(default_factory=dict)  # output tensor name -> product
    replaced: dict[str, str] = field(default_factory=dict)  # output tensor name -> trained tensor
    unchecked: dict[str, str] = field(default_factory=dict)  # output tensor name -> variant
    has_base: bool = True  # False for the projector: everything in it is trained
    peft_dir: Optional[Path] = None  # the adapter as a PEFT folder on disk (for --logits)
    peft_config: Optional[dict] = None  # else the LoraConfig fields and ...
    peft_names: dict[str, str] = field(default_factory=dict)  # ... PEFT's names of the tensors

    def align(self, base_names: set[str]) -> None:
        """Name the adapter's tensors as the base does, when one has a leading prefix the other lacks
        (a CLIP tower saved with or without ``vision_model.``, a model wrapped in another)."""
        def rename(name: str) -> str:
            if name in base_names:
                return name
            found = [b for b in base_names if name.endswith("." + b) or b.endswith("." + name)]
            return found[0] if len(found) == 1 else name

        self.low_rank = {rename(n): v for n, v in self.low_rank.items()}
        self.replaced = {rename(n): v for n, v in self.replaced.items()}
        self.unchecked = {rename(n): v for n, v in self.unchecked.items()}


@dataclass
class Folder:
    """One part of the inputs, paired with the base it changes and the output tensors it should give."""

    rel: str  # the part: "" (the LLM), "projector" or "visual_encoder"
    part: Optional[Part]
    base: Optional[TensorStore]  # the tensors the part leaves as they are (none for the projector)
    out: Optional[TensorStore]  # the output's tensors, under the part's own names (None: not found)
    out_rel: str = ""  # where the output holds them: a sub-folder, or "" for the folder itself
    shown: dict[str, str] = field(default_factory=dict)  # own name -> the output's name, where they differ
    label: str = ""  # how messages name the place ("language_model"); default: the sub-folder or "The folder"
    grow_to: Optional[int] = None  # rows the output's embeddings may have grown to (llava-hf's <image>)
    dtype_why: str = "merged with --dtype {stored}?"  # why the output may hold another dtype than the base

    @property
    def place(self) -> str:
        return self.label or (f"{self.out_rel}/" if self.out_rel else "The folder")

    def out_name(self, name: str) -> str:
        return self.shown.get(name, name)

    def where(self, name: str) -> str:
        """The tensor as a person finds it in the output: ``projector/model.0.weight``."""
        shown = self.out_name(name)
        return f"{self.out_rel}/{shown}" if self.out_rel else shown


@dataclass
class Inputs:
    settings_from: str  # where the LoRA settings came from, in words
    parts: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    base_hint: Optional[str] = None  # the base model the training named
    visual_encoder_hint: Optional[str] = None
    _closers: list = field(default_factory=list)

    def part(self, rel: str) -> Optional[Part]:
        return next((p for p in self.parts if p.rel == rel), None)

    def keep_open(self, store) -> None:
        """Close ``store`` with the inputs."""
        self._closers.append(store)

    def close(self) -> None:
        for c in self._closers:
            c.close()


# --- the LoRA settings -------------------------------------------------------------------------


def _pattern(patterns, module: str):
    """PEFT's lookup in rank_pattern/alpha_pattern: the first key that matches the module's tail."""
    for key in patterns or {}:
        if re.match(rf"(.*\.)?({key})$", module):
            return patterns[key]
    return None


def _number(settings: dict, key: str, default, where: str) -> float:
    value = settings.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SourceError(f"{where} gives {key} = {value!r}, which is not a number, so the merge cannot be "
                          "recomputed; fix that setting.")
    return value


def _low_rank(module: str, a: str, b: str, infos, settings: dict, where: str, transpose: bool) -> LowRank:
    rank = int(infos[a].shape[0])
    alpha = _pattern(settings.get("alpha_pattern"), module)
    if alpha is None:
        alpha = _number(settings, "lora_alpha", DEFAULT_ALPHA, where)
    else:
        alpha = _number({"alpha_pattern": alpha}, "alpha_pattern", None, where)
    rslora = bool(settings.get("use_rslora"))
    scale = alpha / math.sqrt(rank) if rslora else alpha / rank
    return LowRank(a, b, rank, float(alpha), scale, transpose, rslora)


def adapter_part(rel: str, store: TensorStore, names: dict[str, str], settings: dict, where: str) -> Part:
    """Sort PEFT-named adapter tensors (``names``: PEFT name without prefix -> store name).

    A name that is not a LoRA part is a trained tensor that replaces the base's (PEFT saves only what
    was trained; XTuner's frozen copies were left out by :func:`.inputs._xtuner_names`).
    """
    part = Part(rel, store)
    infos = store.infos()
    lora: dict[str, dict[str, str]] = {}
    for name, stored in names.items():
        m = LORA_PART.match(name)
        if m:
            key = "lora_magnitude_vector" if "magnitude" in m.group("part") else m.group("part")
            lora.setdefault(m.group("mod"), {})[key] = stored
        elif name.endswith(".base_layer.weight"):
            continue
        else:
            part.replaced[name.replace(".base_layer.", ".")] = stored
    fan_in_fan_out = bool(settings.get("fan_in_fan_out"))
    dora = bool(settings.get("use_dora"))
    for mod, p in sorted(lora.items()):
        weight = f"{mod}.weight"
        if "lora_B.bias" in p:
            part.unchecked[f"{mod}.bias"] = "lora_bias"
        if "token_adapter.trainable_tokens_delta" in p:
            part.unchecked[weight] = "trainable tokens"
        if "lora_magnitude_vector" in p or (dora and ("lora_A.weight" in p or "lora_embedding_A" in p)):
            part.unchecked[weight] = "DoRA"
            continue
        for ka, kb, transpose in (("lora_A.weight", "lora_B.weight", fan_in_fan_out),
                                  ("lora_embedding_A", "lora_embedding_B", True)):
            if ka in p and kb in p and weight not in part.unchecked:
                part.low_rank[weight] = _low_rank(mod, p[ka], p[kb], infos, settings, where, transpose)
            elif ka in p or kb in p:
                raise SourceError(f"{where}: {mod} has only one of its two LoRA matrices, so the adapter is "
                                  "incomplete; use the whole checkpoint or adapter.")
    _check_ranks(part, settings, where)
    return part


def _check_ranks(part: Part, settings: dict, where: str) -> None:
    """Ranks come from the tensors; settings that name another did not train them."""
    for name, lr in part.low_rank.items():
        module = name[: -len(".weight")]
        said = _pattern(settings.get("rank_pattern"), module) or settings.get("r")
        if isinstance(said, int) and not isinstance(said, bool) and said != lr.rank:
            raise SourceError(f"{where} says r = {said} but the adapter's tensors for {module} have rank "
                              f"{lr.rank}; these settings did not train these tensors.")


def describe_settings(part: Part) -> str:
    """"lora_alpha 16 / r 64 = scale 0.25" (the first few, when modules differ)."""
    shown = sorted({f"{lr.formula} = scale {lr.scale:g}" for lr in part.low_rank.values()})
    return ", ".join(shown[:3]) + (" ..." if len(shown) > 3 else "")
