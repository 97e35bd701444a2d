"""Report, tokenizer part: the files a loader needs, that it loads, its size, its chat template.

The token count is the highest token id plus one (ids at or beyond the embedding rows crash
the model), read from ``tokenizer.json`` and ``added_tokens.json``, or from the loaded
tokenizer when transformers loads it. Loading is local only (``local_files_only``) and never
runs remote code: a tokenizer that needs ``trust_remote_code`` is counted from its files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..io.jsonfile import json_object_or_none
from .. import formats
from .report import Report, join
from ..quiet import quiet_transformers

# Special tokens that only make sense with a chat template.
CHAT_MARKERS = ("<|im_start|>", "<|im_end|>", "<|start_header_id|>", "<|eot_id|>", "[INST]",
                "<start_of_turn>", "<|user|>", "<|assistant|>", "<|system|>", "<|im_sep|>",
                "<|start|>", "<|turn>", "<|User|>", "<|Assistant|>")
VOCAB_FILES = ("tokenizer.json", "tokenizer.model", "vocab.txt", "spiece.model", "sentencepiece.bpe.model")
MISSING_LIBRARY_HINTS = ("sentencepiece", "protobuf", "tiktoken", "requires the", "pip install")


def tokenizer_names(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.iterdir() if p.is_file() and formats.is_tokenizer_file(p.name)}
    except OSError:
        return set()


def check_tokenizer(report: Report, folder: Path, rel: str = "", *, embedding_rows: Optional[int] = None,
                    embedding_name: str = "the input embedding", load: bool = True,
                    generation_eos: bool = False) -> None:
    names = tokenizer_names(folder)
    file = join(rel, "tokenizer.json")
    if not _files_complete(report, rel, names, file):
        return
    config = _read(folder / "tokenizer_config.json")
    if config is None:
        report.problem("broken-tokenizer", join(rel, "tokenizer_config.json"), key="broken-tokenizer/config")
        return
    tokens = _count_from_files(folder, names)
    if tokens is False:
        report.problem("broken-tokenizer", file, key="broken-tokenizer/json")
        return
    loaded, broken = _load_if_asked(report, folder, rel, names, config, load)
    if broken:
        return
    if loaded is not None:
        try:
            tokens = max(len(loaded), max(loaded.get_vocab().values(), default=-1) + 1)
        except Exception:  # a tokenizer class with an unusual vocabulary API
            pass
    summary = report.summary_for(rel)
    if isinstance(tokens, int):
        summary["tokenizer_tokens"] = tokens
        if embedding_rows is not None and tokens > embedding_rows:
            report.problem("vocab-mismatch", file, key="vocab-mismatch/tokenizer", tokens=tokens,
                           embedding=embedding_name, rows=embedding_rows)
    _check_chat_template(report, folder, rel, names, config, loaded)
    _check_eos(report, folder, rel, config, loaded, generation_eos)


def _files_complete(report: Report, rel: str, names: set[str], file: str) -> bool:
    """Whether the tokenizer's files are all there (a vocabulary and tokenizer_config.json)."""
    has_vocab = (bool(names & set(VOCAB_FILES)) or {"vocab.json", "merges.txt"} <= names
                 or any(n.endswith(".tiktoken") for n in names))
    if not names or not (names & ({"tokenizer_config.json", "vocab.json"} | set(VOCAB_FILES))):
        report.problem("missing-tokenizer", file)
        return False
    missing = []
    if not has_vocab:
        missing.append("merges.txt" if "vocab.json" in names else "tokenizer.json / tokenizer.model")
    if "tokenizer_config.json" not in names:
        missing.append("tokenizer_config.json")
    if missing:
        report.problem("missing-tokenizer", join(rel, missing[0].split(" ")[0]), key="missing-tokenizer/incomplete",
                       missing=", ".join(missing))
        return False
    return True


def _load_if_asked(report: Report, folder: Path, rel: str, names: set[str], config: dict,
                   load: bool) -> tuple[Any, bool]:
    """``(the tokenizer transformers loads, or None; whether it is broken)``; one with remote code
    (``auto_map``) is not loaded."""
    if load and not config.get("auto_map"):
        loaded, error = _load(folder)
        if error is not None:
            # A slow-only tokenizer (tokenizer.model, vocab.txt) may need libraries this machine lacks;
            # without tokenizer.json we cannot tell a missing library from a broken file.
            if any(h in error.lower() for h in MISSING_LIBRARY_HINTS) or "tokenizer.json" not in names:
                report.note(f"The tokenizer{f' in {rel}/' if rel else ''} was not loaded: {error}")
            else:
                report.problem("broken-tokenizer", join(rel, "tokenizer_config.json"), key="broken-tokenizer/load",
                               error=error)
                return None, True
        return loaded, False
    if load:
        report.note("The tokenizer uses remote code (auto_map); it was counted from its files, not loaded.")
    return None, False


def _read(path: Path):
    return json_object_or_none(path)


def _count_from_files(folder: Path, names: set[str]):
    """Highest token id + 1 from tokenizer.json / added_tokens.json; None if unknown; False if broken."""
    ids: list[int] = []
    if "tokenizer.json" in names:
        doc = _read(folder / "tokenizer.json")
        if doc is None:
            return False
        model = doc.get("model") or {}
        vocab = model.get("vocab")
        if isinstance(vocab, dict):
            ids.extend(v for v in vocab.values() if isinstance(v, int))
        elif isinstance(vocab, list):  # Unigram: [[piece, score], ...]
            ids.append(len(vocab) - 1)
        ids.extend(t.get("id") for t in doc.get("added_tokens") or [] if isinstance(t.get("id"), int))
    if "added_tokens.json" in names:
        doc = _read(folder / "added_tokens.json") or {}
        ids.extend(v for v in doc.values() if isinstance(v, int))
    if "vocab.json" in names and "tokenizer.json" not in names:
        doc = _read(folder / "vocab.json") or {}
        ids.extend(v for v in doc.values() if isinstance(v, int))
    return max(ids) + 1 if ids else None


def _load(folder: Path):
    """(tokenizer, None) or (None, a one-line reason)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:  # pragma: no cover
        return None, str(exc)
    try:
        with quiet_transformers():
            tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
        return tok, None
    except Exception as exc:  # any loader failure is a finding, not a crash
        text = str(exc).strip().splitlines()
        return None, (text[0] if text else type(exc).__name__)[:300]


def has_chat_template(folder: Path, names: set[str], config: dict) -> bool:
    if config.get("chat_template"):
        return True
    if any(n.startswith("chat_template") for n in names):
        return True
    return (folder / "additional_chat_templates").is_dir()


def _check_chat_template(report: Report, folder: Path, rel: str, names: set[str], config: dict, loaded) -> None:
    if has_chat_template(folder, names, config):
        report.summary_for(rel)["chat_template"] = True
        return
    specials = set()
    for entry in (config.get("added_tokens_decoder") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            specials.add(entry["content"])
    tj = _read(folder / "tokenizer.json") if "tokenizer.json" in names else None
    for t in (tj or {}).get("added_tokens") or []:
        if isinstance(t, dict) and isinstance(t.get("content"), str):
            specials.add(t["content"])
    if loaded is not None:
        specials.update(getattr(loaded, "all_special_tokens", []) or [])
    found = sorted(m for m in CHAT_MARKERS if m in specials)
    report.summary_for(rel)["chat_template"] = False
    if found:
        report.problem("missing-chat-template", join(rel, "tokenizer_config.json"), tokens=", ".join(found[:3]))


def _check_eos(report: Report, folder: Path, rel: str, config: dict, loaded, generation_eos: bool) -> None:
    eos = config.get("eos_token")
    stm = _read(folder / "special_tokens_map.json") or {}
    if eos or stm.get("eos_token") or generation_eos or (loaded is not None and getattr(loaded, "eos_token", None)):
        return
    report.problem("missing-special-tokens", join(rel, "tokenizer_config.json"))
