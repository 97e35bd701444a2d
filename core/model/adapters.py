"""Read a PEFT LoRA adapter (config + tensors) into a plain description of what it changes.

Nothing is computed here: the result says, per base module, which tensors hold A, B, the DoRA
magnitude, the ``lora_B`` bias, trained rows, or a whole replacement tensor, and what scale
applies. Anything PEFT can save that we do not merge exactly is refused here, with a sentence
saying so, before any plan is made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..io.jsonfile import read_json_object
from .. import formats
from ..errors import SourceError
from .lora import lora_scale
from ..io.stores import MemoryStore, SafetensorsStore, TensorStore, load_torch_weights

PEFT_PREFIX = "base_model.model."

# LoRA initialisations that change the base weights themselves (the adapter is relative to a
# modified base, so merging it into the original base would be wrong).
RESIDUAL_INITS = ("pissa", "olora", "corda", "loftq", "lora_ga")

# Config fields that switch on variants whose merge we do not implement.
UNSUPPORTED_FIELDS = {
    "layer_replication": "layer replication",
    "target_parameters": "LoRA on parameters (target_parameters, used for MoE experts)",
    "alora_invocation_tokens": "activated LoRA (aLoRA), which only acts after its invocation tokens",
    "use_qalora": "QA-LoRA",
    "use_bdlora": "block-diagonal LoRA (BD-LoRA)",
    "arrow_config": "Arrow routing",
    "kasa_config": "KaSA",
    "velora_config": "VeLoRA",
    "monteclora_config": "MonteCLoRA",
    "megatron_config": "Megatron-parallel LoRA layers",
}

_KEY = re.compile(
    r"^(?P<mod>.+?)\.(?P<part>lora_A\.weight|lora_B\.weight|lora_B\.bias|lora_embedding_A|"
    r"lora_embedding_B|lora_magnitude_vector(?:\.weight)?|token_adapter\.trainable_tokens_delta|"
    r"base_layer\.weight|base_layer\.bias)$"
)


@dataclass
class LoraModule:
    """One adapted module of the base model."""

    module: str
    kind: str  # "linear" or "embedding"
    a: str
    b: str
    rank: int
    alpha: float
    scale: float
    in_features: int
    out_features: int
    fan_in_fan_out: bool = False
    magnitude: Optional[str] = None  # DoRA
    bias: Optional[str] = None  # lora_bias: lora_B.bias

    @property
    def short_name(self) -> str:
        return self.module.rsplit(".", 1)[-1]


@dataclass
class Adapter:
    """A LoRA adapter: what it changes in which base module."""

    label: str
    config: dict
    store: TensorStore
    path: Optional[Path] = None
    loras: dict[str, LoraModule] = field(default_factory=dict)
    # base tensor name (relative to the module path, e.g. "lm_head.weight") -> adapter tensor name
    replacements: dict[str, str] = field(default_factory=dict)
    # module -> (adapter tensor with the trained rows, row indices)
    token_rows: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    weights_file: Optional[Path] = None

    # -- summaries for previews and --json
    @property
    def rank(self) -> int:
        return int(self.config.get("r") or 0)

    @property
    def alpha(self) -> float:
        return float(self.config.get("lora_alpha") or 0)

    @property
    def use_rslora(self) -> bool:
        return bool(self.config.get("use_rslora"))

    @property
    def use_dora(self) -> bool:
        return any(m.magnitude for m in self.loras.values())

    @property
    def targets(self) -> list[str]:
        return sorted({m.short_name for m in self.loras.values()})

    @property
    def ranks(self) -> list[int]:
        return sorted({m.rank for m in self.loras.values()})

    @property
    def tensor_count(self) -> int:
        return len(self.store.infos())

    @property
    def nbytes(self) -> int:
        return sum(i.nbytes for i in self.store.infos().values())

    @property
    def dtypes(self) -> list[str]:
        return sorted({formats.dtype_name(i.dtype) for i in self.store.infos().values()})

    def summary(self) -> dict:
        return {
            "label": self.label,
            "peft_type": self.config.get("peft_type", "LORA"),
            "r": self.rank,
            "lora_alpha": self.alpha,
            "ranks": self.ranks,
            "use_rslora": self.use_rslora,
            "use_dora": self.use_dora,
            "targets": self.targets,
            "modules": len(self.loras),
            "replaced": sorted(self.replacements),
            "trainable_tokens": {m: list(ix) for m, (_, ix) in self.token_rows.items()},
            "tensors": self.tensor_count,
            "bytes": self.nbytes,
            "dtypes": self.dtypes,
            "base_model_name_or_path": self.config.get("base_model_name_or_path"),
        }


def pattern_value(patterns: dict, module: str, default):
    """PEFT's rank/alpha pattern lookup: the first key matching the module name's tail."""
    for key in patterns or {}:
        if re.match(rf"(.*\.)?({key})$", module):
            return patterns[key]
    return default


def check_config(config: dict, label: str) -> None:
    """Refuse adapters we cannot merge exactly, with the reason."""
    peft_type = str(config.get("peft_type") or "LORA").upper()
    if peft_type != "LORA":
        raise SourceError(key="bad-adapter/not-lora", params={"label": label, "peft_type": str(peft_type)})
    init = config.get("init_lora_weights")
    if isinstance(init, str) and init.lower().startswith(RESIDUAL_INITS):
        raise SourceError(
            f"{label} was initialised with {init}, which changes the base weights during training, "
            "so it cannot be merged into the original base. Save it with PEFT's "
            "path_initial_model_for_weight_conversion (which turns it into a plain LoRA) and merge that.")
    for key, what in UNSUPPORTED_FIELDS.items():
        value = config.get(key)
        if value not in (None, False, [], {}, ""):
            raise SourceError(f"{label} uses {what}, which Mergesmith cannot merge yet.")
    check_types(config, label)


def _number(value, integer: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value == value and abs(value) != float("inf") and (not integer or float(value).is_integer())


def check_types(config: dict, label: str) -> None:
    """The fields we compute with have the types PEFT writes (a hand-edited config may not)."""
    def bad(key: str, want: str):
        shown = json.dumps(config.get(key))[:60]
        return SourceError(f"{label}: its LoRA settings give {key} = {shown}, but it must be {want}; fix "
                           "the config (adapter_config.json, or the training config .py) or save the adapter again.")

    if config.get("r") is not None and not (_number(config["r"], True) and config["r"] >= 0):
        raise bad("r", "a whole number")
    if config.get("lora_alpha") is not None and not _number(config["lora_alpha"]):
        raise bad("lora_alpha", "a finite number")
    for key, integer in (("rank_pattern", True), ("alpha_pattern", False)):
        patterns = config.get(key)
        if patterns in (None, {}):
            continue
        if not isinstance(patterns, dict) or not all(_number(v, integer) for v in patterns.values()):
            raise bad(key, "a map of module-name patterns to numbers")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error:
                raise bad(key, "a map whose keys are valid regular expressions") from None
    spec = config.get("trainable_token_indices")
    if spec is not None:
        lists = spec.values() if isinstance(spec, dict) else [spec]
        if not all(isinstance(ix, list) and all(_number(i, True) and i >= 0 for i in ix) for ix in lists):
            raise bad("trainable_token_indices", "a list of token indices (or a map of module to such lists)")


def parse_adapter(config: dict, store: TensorStore, label: str, *,
                  prefix: str = PEFT_PREFIX, path: Optional[Path] = None) -> Adapter:
    """Describe what a LoRA adapter changes; raise :class:`SourceError` if we cannot merge it."""
    check_config(config, label)
    infos = store.infos()
    parts, replacements = _sort_tensors(infos, prefix, label)
    adapter = Adapter(label=label, config=config, store=store, path=path, replacements=replacements)
    for mod, p in sorted(parts.items()):
        if "token_adapter.trainable_tokens_delta" in p:
            indices = _token_indices(config, mod, label)
            adapter.token_rows[mod] = (p.pop("token_adapter.trainable_tokens_delta"), indices)
            rows = infos[adapter.token_rows[mod][0]].shape[0]
            if rows != len(indices):
                raise SourceError(
                    f"{label}: the trained tokens of {mod} have {rows} rows but the config lists "
                    f"{len(indices)} token indices; the adapter is inconsistent.")
        if p:
            adapter.loras[mod] = _lora_module(config, infos, label, mod, p)
    if not adapter.loras and not adapter.replacements and not adapter.token_rows:
        raise SourceError(key="bad-adapter/empty", params={"label": label})
    return adapter


def _sort_tensors(infos, prefix: str, label: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """``({module: {LoRA part: tensor}}, {replaced tensor: tensor})`` from the adapter's tensor names."""
    parts: dict[str, dict[str, str]] = {}
    replacements: dict[str, str] = {}
    for name in infos:
        key = name[len(prefix):] if prefix and name.startswith(prefix) else name
        m = _KEY.match(key)
        if m:
            mod, part = m.group("mod"), m.group("part")
            if part.startswith("base_layer."):
                replacements[f"{mod}.{part.split('.', 1)[1]}"] = name
            else:
                parts.setdefault(mod, {})[part.replace(".weight", "") if "magnitude" in part else part] = name
        elif "lora_" in key or "token_adapter" in key:
            raise SourceError(
                f"{label} holds the tensor {name!r}, which is not part of any LoRA variant "
                "Mergesmith knows; it cannot be merged exactly.")
        else:
            replacements[key] = name  # modules_to_save, bias="all", saved embedding layers
    return parts, replacements


def _lora_module(config: dict, infos, label: str, mod: str, p: dict[str, str]) -> LoraModule:
    """One module's LoRA (``p``: its parts), with the rank and scale checked against the config."""
    if "lora_A.weight" in p or "lora_B.weight" in p:
        kind, ka, kb = "linear", "lora_A.weight", "lora_B.weight"
    else:
        kind, ka, kb = "embedding", "lora_embedding_A", "lora_embedding_B"
    if ka not in p or kb not in p:
        have = ", ".join(sorted(p))
        raise SourceError(key="bad-adapter/incomplete", params={"label": label, "module": mod, "have": str(have)})
    a, b = infos[p[ka]], infos[p[kb]]
    if len(a.shape) != 2 or len(b.shape) != 2 or a.shape[0] != b.shape[1]:
        raise SourceError(
            f"{label}: the LoRA matrices of {mod} have shapes {list(a.shape)} and "
            f"{list(b.shape)}, which do not form a low-rank product (conv LoRA is not supported).")
    rank = a.shape[0]
    cfg_rank = int(pattern_value(config.get("rank_pattern") or {}, mod, config.get("r") or rank))
    if cfg_rank != rank:
        raise SourceError(key="bad-adapter/rank", params={"label": label, "module": mod, "rank": rank,
                                                          "config_rank": cfg_rank})
    alpha = float(pattern_value(config.get("alpha_pattern") or {}, mod, config.get("lora_alpha") or rank))
    # linear: A [r, in], B [out, r]; embedding: A [r, vocab], B [dim, r] (the weight is [vocab, dim])
    in_f, out_f = a.shape[1], b.shape[0]
    extra = set(p) - {ka, kb, "lora_magnitude_vector", "lora_B.bias"}
    if extra:  # pragma: no cover - regex keeps this empty
        raise SourceError(f"{label}: unexpected tensors for {mod}: {sorted(extra)}")
    return LoraModule(
        module=mod, kind=kind, a=p[ka], b=p[kb], rank=rank, alpha=alpha,
        scale=lora_scale(alpha, rank, bool(config.get("use_rslora"))), in_features=in_f, out_features=out_f,
        fan_in_fan_out=bool(config.get("fan_in_fan_out")) if kind == "linear" else False,
        magnitude=p.get("lora_magnitude_vector"), bias=p.get("lora_B.bias"),
    )


def _token_indices(config: dict, module: str, label: str) -> tuple[int, ...]:
    spec = config.get("trainable_token_indices")
    if isinstance(spec, list):
        return tuple(int(i) for i in spec)
    if isinstance(spec, dict):
        value = pattern_value(spec, module, None)
        if value is not None:
            return tuple(int(i) for i in value)
    raise SourceError(
        f"{label} has trained tokens for {module} but adapter_config.json does not say which "
        "token indices they belong to (trainable_token_indices).")


# --- adapter folders ----------------------------------------------------------------------------


def find_adapter_weights(folder: Path) -> Optional[Path]:
    for name in (formats.ADAPTER_SAFE, formats.ADAPTER_BIN):
        if (folder / name).is_file():
            return folder / name
    return None


def read_adapter_config(folder: Path) -> dict:
    path = folder / formats.ADAPTER_CONFIG
    return read_json_object(path, SourceError)


def open_adapter_store(weights: Path, label: str) -> TensorStore:
    if weights.suffix == ".safetensors":
        return SafetensorsStore.from_file(weights, label)
    return MemoryStore(load_torch_weights(weights), label)


def load_adapter_folder(folder: Path, label: Optional[str] = None) -> Adapter:
    """A PEFT adapter folder: ``adapter_config.json`` plus ``adapter_model.safetensors``/``.bin``."""
    folder = Path(folder)
    label = label or str(folder)
    config = read_adapter_config(folder)
    weights = find_adapter_weights(folder)
    if weights is None:
        raise SourceError(path=folder, key="bad-adapter/weights-missing", params={"folder": str(folder)})
    store = open_adapter_store(weights, label)
    adapter = parse_adapter(config, store, label, path=folder)
    adapter.weights_file = weights
    return adapter
