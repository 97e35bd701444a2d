"""Wrong pairings: is the chosen base the model the training names?

A LoRA (or a full fine-tune) trained on one model and merged into another either fails on
shapes -- which the planners catch tensor by tensor -- or, worse, fits: a Llama adapter has the
same module names and shapes as a Qwen2 base of the same size, and would merge into garbage
without a word. So, before the tensors are matched, the base the training names
(``base_model_name_or_path`` in adapter_config.json, the LLM or visual encoder path in an XTuner
config) is compared with the chosen one:

* when it is a folder on this machine, their configs must agree on the architecture and sizes
  (model type, hidden size, layers, vocabulary): otherwise an error naming both;
* when it is only a name (a Hub id), a name that says another model family than the base's
  ``model_type`` gives a warning (names are a hint, not proof).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..io.jsonfile import json_object_or_none
from ..problems import ERROR, WARNING

KEYS = ("model_type", "hidden_size", "num_hidden_layers", "vocab_size", "intermediate_size")
# model families whose name in a Hub id is unambiguous (a "llama" name may be any of them)
FAMILIES = ("qwen", "gemma", "phi", "gpt2", "internlm", "chatglm", "baichuan", "falcon", "bloom",
            "mistral", "mixtral", "clip", "siglip", "llama")


def _config(folder: Path) -> Optional[dict]:
    doc = json_object_or_none(folder / "config.json")
    if isinstance(doc, dict) and isinstance(doc.get("text_config"), dict) and "hidden_size" not in doc:
        doc = {**doc["text_config"], "model_type": doc.get("model_type")}
    if isinstance(doc, dict) and isinstance(doc.get("vision_config"), dict) and "hidden_size" not in doc:
        doc = {**doc["vision_config"], "model_type": doc.get("model_type")}
    return doc if isinstance(doc, dict) else None


def _facts(config: dict) -> dict:
    return {k: config.get(k) for k in KEYS if config.get(k) is not None}


def _family(text: str) -> Optional[str]:
    text = text.lower()
    return next((f for f in FAMILIES if f in text), None)


def describe(config: Optional[dict]) -> str:
    if not config:
        return "model_type ?"
    facts = _facts(config)
    bits = [str(facts.get("model_type", "model_type ?"))]
    if "hidden_size" in facts:
        bits.append(f"hidden_size {facts['hidden_size']}")
    if "vocab_size" in facts:
        bits.append(f"vocab_size {facts['vocab_size']}")
    return ", ".join(bits)


def check_pairing(plan, label: str, named: Optional[str], base, *, what: str = "base model",
                  option: str = "--base") -> None:
    """Add a ``wrong-base`` problem to ``plan`` when ``base`` is not the model ``named`` by the training."""
    if not named or not isinstance(named, str):
        return
    theirs_path = Path(named).expanduser()
    mine = base.config if isinstance(base.config, dict) else {}
    try:
        if theirs_path.is_dir() and os.path.samefile(theirs_path, base.folder):
            return
    except OSError:
        pass
    theirs = _config(theirs_path) if theirs_path.is_dir() else None
    if theirs is not None:
        a, b = _facts(theirs), _facts(mine)
        differ = [k for k in KEYS if k in a and k in b and a[k] != b[k]]
        if differ:
            key = "wrong-base/vit" if _part(option) == "vit" else "wrong-base/llm"
            plan.problem("wrong-base", ERROR, label, key=key, label=label, named=named, theirs=describe(theirs),
                         chosen=str(base.folder), mine=describe(mine))
        return
    family, base_family = _family(named), _family(str(mine.get("model_type") or ""))
    if family and base_family and family != base_family and family not in str(base.folder.name).lower():
        family_key = "wrong-base/vit-family" if _part(option) == "vit" else "wrong-base/llm-family"
        plan.problem("wrong-base", WARNING, label, key=family_key, label=label, named=named,
                     chosen=str(base.folder), mine=describe(mine))


def _part(option: str) -> str:
    """Which text names the model: ``llm`` (the base model) or ``vit`` (the visual encoder)."""
    return "vit" if option.startswith("--visual-encoder") else "llm"


def trained_on(adapter, base) -> dict:
    """The particulars of the ``@adapter-other`` text that ends a mismatch: the base chosen, described,
    and the model the adapter names, if it names one."""
    named = adapter.config.get("base_model_name_or_path") if isinstance(adapter.config, dict) else None
    out = {"base": str(base.folder), "base_desc": describe(base.config if isinstance(base.config, dict) else None)}
    return {**out, "named": str(named)} if named else out
