"""``verify --logits``: run the merged model and base + adapter (PEFT) on a short prompt.

Both models are loaded whole, so this runs only when the memory available holds both (in
float32 when it can, else in the stored dtype); otherwise it says why it was skipped. The adapter
is loaded by PEFT from its folder (PEFT sources, XTuner's converted folders) or built from an
XTuner checkpoint's tensors and training config.

Model folders whose config names their own code (``auto_map``, e.g. InternLM2) are not run unless
the caller passes ``trust_remote_code=True`` (``verify --logits --trust-remote-code``): the check
is skipped with a note, and every transformers loader gets ``trust_remote_code`` explicitly, so
transformers never asks "Do you wish to run the custom code?" and stdin is never read.

The verdict compares two distances on the prompt's logits: merged vs base + adapter, and base
alone vs base + adapter (what the adapter does). Rounding the merged weights to 16 bits moves
the logits a little; a merge that lost or garbled the adapter moves them about as far as the
adapter itself does.
"""

from __future__ import annotations

import gc
import logging
import warnings
from pathlib import Path
from typing import Optional

import torch

from ..io.jsonfile import json_object_or_none
from .. import formats
from ..io.stores import open_model_weights

PROMPT = "The quick brown fox jumps over the lazy dog. Merged models should say the same as their adapters."
MAX_RATIO = 0.25  # merged-vs-peft distance as a fraction of the adapter's own effect


def available_memory() -> Optional[int]:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return None


def _params(out: Path) -> int:
    """Parameters of the merged model (its root folder), from the safetensors headers."""
    store = open_model_weights(out)
    try:
        return sum(i.nbytes // formats.ST_ITEMSIZE[i.dtype] for i in store.infos().values())
    finally:
        store.close()


def remote_code_of(folder: Path) -> Optional[str]:
    """The file of ``folder`` whose ``auto_map`` names code the folder brings along, if any."""
    for name in (formats.CONFIG, "tokenizer_config.json"):
        doc = json_object_or_none(folder / name)
        if doc is not None and doc.get("auto_map"):
            return name
    return None


def choose_dtype(params: int, avail: Optional[int]) -> Optional[torch.dtype]:
    """float32 if two copies fit in memory with room to spare, else bfloat16, else None."""
    if avail is None:
        return torch.float32
    for dtype, size in ((torch.float32, 4), (torch.bfloat16, 2)):
        if 2 * params * size * 1.3 < avail:
            return dtype
    return None


def compare_logits(part, base: Path, out: Path, result, *, trust_remote_code: bool = False) -> None:
    """Run the merged model and base + adapter on a prompt; notes say why when it is not done.

    ``part`` is verify's own reading of the LLM adapter (:class:`.verify_inputs.Part`). Code in a
    model folder (``auto_map``) runs only with ``trust_remote_code``: without it the check is
    skipped, and ``trust_remote_code=False`` is passed to every loader so none can ask on stdin.
    """
    if part is None or not part.low_rank or (part.peft_dir is None and part.peft_config is None):
        result.notes.append("Logits were not compared: that needs an LLM LoRA adapter and its base model.")
        return
    if not trust_remote_code:
        for folder in (out, base):
            which = remote_code_of(folder)
            if which:
                result.notes.append(f"Logits were not compared: {which} in {folder} names the folder's own model "
                                    "code (auto_map), which Mergesmith runs only with --trust-remote-code.")
                return
    params = _params(out)
    dtype = choose_dtype(params, available_memory())
    if dtype is None:
        result.notes.append(f"Logits were not compared: two copies of a {params / 1e9:.1f}B-parameter model do not "
                            "fit in the memory available.")
        return
    from transformers.utils import logging as hf_logging

    log = logging.getLogger("transformers")
    level = log.level
    log.setLevel(logging.ERROR)
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        lm, lp, lb, ids = _run_both(part, base, out, dtype, bool(trust_remote_code))
    except Exception as exc:  # a model class transformers cannot run as a causal LM, a PEFT refusal...
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        result.notes.append(f"Logits were not compared: the models could not be run here ({text}).")
        return
    finally:
        log.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()
    _verdict(result, lm, lp, lb, ids, dtype)


def _run_both(part, base: Path, out: Path, dtype, trust: bool):
    from transformers import AutoModelForCausalLM

    load = dict(dtype=dtype, local_files_only=True, trust_remote_code=trust)
    merged = peft = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            merged = AutoModelForCausalLM.from_pretrained(str(out), **load).eval()
            ids = _prompt_ids(out, merged.config, trust)
            rows = merged.get_input_embeddings().weight.shape[0]
            with torch.no_grad():
                lm = merged(ids).logits.float()
            del merged
            merged = None
            gc.collect()
            model = AutoModelForCausalLM.from_pretrained(str(base), **load)
            if model.get_input_embeddings().weight.shape[0] != rows:
                model.resize_token_embeddings(rows, mean_resizing=False)
            peft = _peft_model(model, part).eval()
            with torch.no_grad():
                lp = peft(ids).logits.float()
                with peft.disable_adapter():
                    lb = peft(ids).logits.float()
    finally:
        del merged, peft
        gc.collect()
    return lm, lp, lb, ids


def _verdict(result, lm, lp, lb, ids, dtype) -> None:
    d_mp = float((lm - lp).abs().max())
    d_bp = float((lb - lp).abs().max())
    agree = float((lm.argmax(-1) == lp.argmax(-1)).float().mean())
    ratio = d_mp / d_bp if d_bp > 0 else (0.0 if d_mp == 0 else float("inf"))
    result.logits = {"tokens": int(ids.shape[1]), "dtype": str(dtype).replace("torch.", ""),
                     "max_abs_merged_vs_peft": d_mp, "max_abs_base_vs_peft": d_bp,
                     "ratio": ratio, "argmax_agreement": agree}
    if ratio > MAX_RATIO:
        result.problem("logits-mismatch", formats.CONFIG, merged=f"{d_mp:.3g}", ratio=f"{ratio:.0%}",
                       adapter=f"{d_bp:.3g}")


def _peft_model(base, part):
    """base + adapter as PEFT runs it: from the folder when there is one, else from the checkpoint's tensors."""
    from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict

    if part.peft_dir is not None:
        return PeftModel.from_pretrained(base, str(part.peft_dir))
    fields = set(LoraConfig.__dataclass_fields__)
    config = LoraConfig(**{k: v for k, v in part.peft_config.items() if k in fields and k != "peft_type"})
    model = get_peft_model(base, config)
    state = {k: part.store.tensor(n).clone() for k, n in part.peft_names.items()}
    result = set_peft_model_state_dict(model, state)
    unexpected = getattr(result, "unexpected_keys", None) or []
    if unexpected:
        raise ValueError(f"PEFT does not know {len(unexpected)} adapter tensor(s), e.g. {unexpected[0]}")
    return model


def _prompt_ids(out: Path, config, trust: bool) -> torch.Tensor:
    vocab = getattr(config, "vocab_size", None) or getattr(getattr(config, "text_config", None), "vocab_size", 100)
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(out), local_files_only=True, trust_remote_code=trust)
        ids = tok(PROMPT, return_tensors="pt").input_ids[:, :32]
        if ids.numel() and int(ids.max()) < vocab:
            return ids
    except Exception:  # no tokenizer or one that does not load: fall back to plain ids
        pass
    return (torch.arange(1, 17) % vocab).view(1, -1)
