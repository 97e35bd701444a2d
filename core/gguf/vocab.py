"""A model folder's tokenizer as GGUF's token tables: byte-level BPE (``tokenizer.json``) or
SentencePiece (``tokenizer.model``), added and special tokens, a vocabulary resized in training.

llama.cpp needs, besides the tokens, the name of the BPE pre-tokenizer (``tokenizer.ggml.pre``).
Its converter recognises one by hashing how a test string tokenizes, which fails for any vocabulary
it has not seen (a resized or retrained one); we recognise it by the pre-tokenizer's own regex in
``tokenizer.json``, which is what that name stands for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import PlanError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6  # gguf.TokenType

# the pre-tokenizer regexes of the families we export, as tokenizer.json spells them
_QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
_LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
PRE_TOKENIZERS = {_QWEN2: "qwen2", _LLAMA3: "llama-bpe"}


@dataclass
class Vocabulary:
    model: str  # "gpt2" (byte-level BPE) or "llama" (SentencePiece)
    pre: str
    tokens: list[str] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    scores: Optional[list[float]] = None
    source: str = ""  # the file read, for messages

    def __len__(self) -> int:
        return len(self.tokens)


def read_vocabulary(folder: Path, vocab_size: int) -> Vocabulary:
    """The token tables for a model whose embedding has ``vocab_size`` rows."""
    if (folder / "tokenizer.model").is_file():
        return _sentencepiece(folder, vocab_size)
    if (folder / "tokenizer.json").is_file():
        return _byte_level_bpe(folder, vocab_size)
    raise PlanError(f"{folder} has neither tokenizer.json nor tokenizer.model, and a GGUF file carries its "
                    "tokenizer; copy the tokenizer files from the base model (mergesmith fix --from-base).",
                    path=folder)


def looks_special(text: str) -> bool:
    """Added tokens some models forget to mark special (llama.cpp's converter treats them so too)."""
    return (text in ("<pad>", "<mask>") or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<｜") and text.endswith("｜>")) or (text.startswith("<unused") and text.endswith(">")))


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanError(f"{path} cannot be read as JSON ({exc}); copy it again from the base model.",
                        path=path) from None
    if not isinstance(data, dict):
        raise PlanError(f"{path} is not a JSON object; copy it again from the base model.", path=path)
    return data


def _byte_level_bpe(folder: Path, vocab_size: int) -> Vocabulary:
    path = folder / "tokenizer.json"
    data = _read_json(path)
    model = data.get("model") or {}
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise PlanError(f"{path} holds a {model.get('type') or 'unknown'} tokenizer; the GGUF export reads "
                        "byte-level BPE (tokenizer.json) and SentencePiece (tokenizer.model).", path=path)
    by_id: dict[int, str] = {int(i): t for t, i in model["vocab"].items()}
    added = {int(a["id"]): a for a in data.get("added_tokens") or [] if isinstance(a, dict) and "id" in a}
    for i, a in added.items():
        by_id[i] = a.get("content", "")
    _check_fits(by_id, vocab_size, path)
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
        elif i in added:
            text = by_id[i]
            special = bool(added[i].get("special")) or looks_special(text)
            tokens.append(text if special else text.replace("\u2581", " "))
            types.append(CONTROL if special else USER_DEFINED)
        else:
            tokens.append(by_id[i])
            types.append(NORMAL)
    return Vocabulary("gpt2", _pre_tokenizer(data, path), tokens, types, None, str(path))


def _check_fits(by_id: dict[int, object], vocab_size: int, path: Path) -> None:
    if by_id and max(by_id) >= vocab_size:
        raise PlanError(f"{path} has token id {max(by_id)}, but the model's embedding has only {vocab_size} "
                        "rows: the tokenizer does not belong to these weights. Use the tokenizer the model "
                        "was trained with (the run's tokenizer, or the base model's).", path=path)


def _pre_tokenizer(data: dict, path: Path) -> str:
    pre = data.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers") if pre.get("type") == "Sequence" else [pre]
    for part in parts or []:
        if not isinstance(part, dict):
            continue
        pattern = part.get("pattern") or {}
        regex = pattern.get("Regex") if isinstance(pattern, dict) else None
        if part.get("type") == "Split" and regex in PRE_TOKENIZERS:
            return PRE_TOKENIZERS[regex]
        if part.get("type") == "ByteLevel" and part.get("use_regex", True) and len(parts) == 1:
            return "gpt-2"
    raise PlanError(f"{path} splits text with a pre-tokenizer llama.cpp's export here does not know "
                    "(known: Qwen2, Llama 3, GPT-2 byte-level); convert this model with llama.cpp's "
                    "convert_hf_to_gguf.py.", path=path)


def _sentencepiece(folder: Path, vocab_size: int) -> Vocabulary:
    from sentencepiece import SentencePieceProcessor

    path = folder / "tokenizer.model"
    sp = SentencePieceProcessor()
    try:
        sp.LoadFromFile(str(path))
    except (OSError, RuntimeError) as exc:
        raise PlanError(f"{path} is not a SentencePiece model ({exc}); copy it again from the base model.",
                        path=path) from None
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    types = [UNUSED] * vocab_size
    if sp.vocab_size() > vocab_size:
        _check_fits({sp.vocab_size() - 1: None}, vocab_size, path)
    for i in range(sp.vocab_size()):
        tokens[i], scores[i] = sp.IdToPiece(i), sp.GetScore(i)
        types[i] = (UNKNOWN if sp.IsUnknown(i) else CONTROL if sp.IsControl(i) else UNUSED if sp.IsUnused(i)
                    else BYTE if sp.IsByte(i) else NORMAL)
    for i, text, special in _added_tokens(folder, vocab_size):
        tokens[i], scores[i] = (text if special else text.replace("\u2581", " ")), -1000.0
        types[i] = CONTROL if special or looks_special(text) else USER_DEFINED
    return Vocabulary("llama", "default", tokens, types, scores, str(path))


def _added_tokens(folder: Path, vocab_size: int) -> list[tuple[int, str, bool]]:
    """Tokens added on top of a SentencePiece model (added_tokens.json, tokenizer_config.json)."""
    found: dict[int, tuple[str, bool]] = {}
    if (folder / "added_tokens.json").is_file():
        for text, i in _read_json(folder / "added_tokens.json").items():
            found[int(i)] = (text, False)
    if (folder / "tokenizer_config.json").is_file():
        decoder = _read_json(folder / "tokenizer_config.json").get("added_tokens_decoder") or {}
        for i, entry in decoder.items():
            if isinstance(entry, dict) and "content" in entry:
                found[int(i)] = (entry["content"], bool(entry.get("special")))
    _check_fits(found, vocab_size, folder / "tokenizer_config.json")
    return [(i, text, special) for i, (text, special) in sorted(found.items())]
