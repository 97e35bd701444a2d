"""Which transformers architectures become which llama.cpp architecture, and their hyper-parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ..errors import PlanError


@dataclass(frozen=True)
class Architecture:
    hf: str  # the transformers class named in config.json "architectures"
    gguf: str  # llama.cpp's architecture name (gguf.MODEL_ARCH_NAMES)
    # HF Llama stores the rows of q_proj/k_proj per head as [first halves | second halves] (rotate_half);
    # llama.cpp's llama architecture wants them interleaved. Qwen2 uses the NeoX rope and keeps them.
    permute_qk: bool


SUPPORTED = {a.hf: a for a in (
    Architecture("LlamaForCausalLM", "llama", True),
    Architecture("MistralForCausalLM", "llama", True),
    Architecture("Qwen2ForCausalLM", "qwen2", False),
)}


def architecture_of(config: dict, where: str) -> Architecture:
    names = config.get("architectures") or []
    for name in names:
        if name in SUPPORTED:
            return SUPPORTED[name]
    named = ", ".join(str(n) for n in names) or f"model_type {config.get('model_type')!r}"
    raise PlanError(
        f"{where} is a {named} model; GGUF export supports the Llama family (Llama 2/3, Mistral, Vicuna) "
        "and Qwen2 so far. Convert this one with llama.cpp's own convert_hf_to_gguf.py.", path=where)


def head_dim(config: dict) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def rope_parameters(config: dict) -> dict:
    """transformers 5 writes ``rope_parameters`` (with rope_theta inside); older ones ``rope_theta``
    and ``rope_scaling`` at the top."""
    params = dict(config.get("rope_parameters") or config.get("rope_scaling") or {})
    if "rope_theta" not in params and config.get("rope_theta") is not None:
        params["rope_theta"] = config["rope_theta"]
    if "type" in params and "rope_type" not in params:
        params["rope_type"] = params["type"]
    return params


def hyperparameters(config: dict, arch: Architecture, where: str) -> list[tuple[str, str, object]]:
    """(writer method, key description, value) for the architecture's keys, in llama.cpp's order."""
    try:
        keys: list[tuple[str, str, object]] = [
            ("add_block_count", "layers", int(config["num_hidden_layers"])),
            ("add_context_length", "context", int(config["max_position_embeddings"])),
            ("add_embedding_length", "hidden size", int(config["hidden_size"])),
            ("add_feed_forward_length", "intermediate size", int(config["intermediate_size"])),
            ("add_head_count", "heads", int(config["num_attention_heads"])),
            ("add_head_count_kv", "key/value heads",
             int(config.get("num_key_value_heads") or config["num_attention_heads"])),
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"{where}/config.json lacks {exc} (or it is not a number), which GGUF needs; "
                        "the folder's config.json is incomplete: copy it from the base model.", path=where) from None
    keys += _rope_keys(config, where)
    if config.get("rms_norm_eps") is not None:
        keys.append(("add_layer_norm_rms_eps", "rms eps", float(config["rms_norm_eps"])))
    if config.get("head_dim") is not None:
        keys.append(("add_key_length", "head dim", int(config["head_dim"])))
        keys.append(("add_value_length", "head dim", int(config["head_dim"])))
    if arch.gguf == "llama":
        keys.append(("add_vocab_size", "vocabulary", int(config["vocab_size"])))
        keys.append(("add_rope_dimension_count", "rope dims", head_dim(config)))
    return keys


def _rope_keys(config: dict, where: str) -> list[tuple[str, str, object]]:
    params = rope_parameters(config)
    keys: list[tuple[str, str, object]] = []
    kind = params.get("rope_type")
    if kind == "linear" and params.get("factor") is not None:
        keys += [("add_rope_scaling_type", "rope scaling", "linear"),
                 ("add_rope_scaling_factor", "rope factor", float(params["factor"]))]
    elif kind == "yarn" and params.get("factor") is not None:
        keys += [("add_rope_scaling_type", "rope scaling", "yarn"),
                 ("add_rope_scaling_factor", "rope factor", float(params["factor"])),
                 ("add_rope_scaling_orig_ctx_len", "rope original context",
                  int(params["original_max_position_embeddings"]))]
    elif kind not in (None, "default", "llama3"):
        raise PlanError(f"{where}/config.json uses rope scaling {kind!r}, which the GGUF export does not "
                        "write yet; convert this model with llama.cpp's convert_hf_to_gguf.py.", path=where)
    if params.get("rope_theta") is not None:
        keys.append(("add_rope_freq_base", "rope theta", float(params["rope_theta"])))
    return keys


def llama3_rope_factors(config: dict) -> Optional[list[float]]:
    """The per-frequency factors llama.cpp keeps in ``rope_freqs.weight`` for Llama 3.1-style rope."""
    params = rope_parameters(config)
    if str(params.get("rope_type", "")).lower() != "llama3":
        return None
    base = float(params.get("rope_theta", 10000.0))
    dim = head_dim(config)
    factor = float(params.get("factor", 8.0))
    low, high = float(params.get("low_freq_factor", 1.0)), float(params.get("high_freq_factor", 4.0))
    old_context = float(params.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = old_context / low, old_context / high
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return factors
