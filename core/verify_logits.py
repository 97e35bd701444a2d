"""``verify --logits``: run the merged model and base + adapter (PEFT) on a short prompt.

Both models are loaded whole, so this runs only when the memory available holds both (in
float32 when it can, else in the stored dtype); otherwise it says why it was skipped. It needs
the adapter as a PEFT folder on disk (``adapter_config.json``), which every PEFT source and
XTuner's converted folders are; for raw XTuner checkpoints, convert first.

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

from . import formats

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


def _params(plan) -> int:
    return sum(t.nbytes // formats.ST_ITEMSIZE[t.dtype] for f in plan.folders if not f.rel
               for s in f.shards for t in s.tensors)


def choose_dtype(params: int, avail: Optional[int]) -> Optional[torch.dtype]:
    """float32 if two copies fit in memory with room to spare, else bfloat16, else None."""
    if avail is None:
        return torch.float32
    for dtype, size in ((torch.float32, 4), (torch.bfloat16, 2)):
        if 2 * params * size * 1.3 < avail:
            return dtype
    return None


def compare_logits(plan, out: Path, result) -> None:
    adapter = plan.source.llm_adapter
    if adapter is None or plan.base is None:
        result.notes.append("Logits were not compared: that needs an LLM adapter and its base model.")
        return
    if not _on_disk(adapter) and not _peft_state(adapter):
        result.notes.append("Logits were not compared: the adapter's tensors are not named as PEFT names "
                            "them; convert the checkpoint first (mergesmith convert).")
        return
    params = _params(plan)
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
        lm, lp, lb, ids = _run_both(plan, out, adapter, dtype)
    except Exception as exc:  # a model class transformers cannot run as a causal LM, a PEFT refusal...
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        result.notes.append(f"Logits were not compared: the models could not be run here ({text}).")
        return
    finally:
        log.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()
    _verdict(result, lm, lp, lb, ids, dtype)


def _run_both(plan, out: Path, adapter, dtype):
    from transformers import AutoModelForCausalLM

    merged = peft = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            merged = AutoModelForCausalLM.from_pretrained(str(out), dtype=dtype, local_files_only=True).eval()
            ids = _prompt_ids(out, merged.config)
            with torch.no_grad():
                lm = merged(ids).logits.float()
            del merged
            merged = None
            gc.collect()
            base = AutoModelForCausalLM.from_pretrained(str(plan.base.folder), dtype=dtype, local_files_only=True)
            vocab = plan.config_changes.get("vocab_size")
            if vocab:
                base.resize_token_embeddings(vocab["to"], mean_resizing=False)
            peft = _peft_model(base, adapter).eval()
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
        result.problem("logits-mismatch", formats.CONFIG,
                       f"On a test prompt the merged model's logits differ from base + adapter by {d_mp:.3g}, "
                       f"{ratio:.0%} of the adapter's own effect ({d_bp:.3g}); the merge does not reproduce the "
                       "adapter. Merge again from the right inputs.")


def _on_disk(adapter) -> bool:
    return adapter.path is not None and (Path(adapter.path) / formats.ADAPTER_CONFIG).is_file()


def _peft_state(adapter) -> dict:
    """The adapter's tensors under the names PEFT saves them with (``base_model.model.<module>...``)."""
    out = {}
    for name in adapter.store.infos():
        at = name.find("base_model.model.")
        if at < 0:
            return {}
        out[name[at:].replace(".default.", ".")] = name
    return out


def _peft_model(base, adapter):
    """base + adapter as PEFT runs it: from the folder when there is one, else from the tensors."""
    from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict

    if _on_disk(adapter):
        return PeftModel.from_pretrained(base, str(adapter.path))
    fields = set(LoraConfig.__dataclass_fields__)
    config = LoraConfig(**{k: v for k, v in adapter.config.items() if k in fields and k != "peft_type"})
    model = get_peft_model(base, config)
    state = {k: adapter.store.tensor(n).clone() for k, n in _peft_state(adapter).items()}
    result = set_peft_model_state_dict(model, state)
    unexpected = getattr(result, "unexpected_keys", None) or []
    if unexpected:
        raise ValueError(f"PEFT does not know {len(unexpected)} adapter tensor(s), e.g. {unexpected[0]}")
    return model


def _prompt_ids(out: Path, config) -> torch.Tensor:
    vocab = getattr(config, "vocab_size", None) or getattr(getattr(config, "text_config", None), "vocab_size", 100)
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(out), local_files_only=True)
        ids = tok(PROMPT, return_tensors="pt").input_ids[:, :32]
        if ids.numel() and int(ids.max()) < vocab:
            return ids
    except Exception:  # no tokenizer or one that does not load: fall back to plain ids
        pass
    return (torch.arange(1, 17) % vocab).view(1, -1)
