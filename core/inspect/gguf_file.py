"""Inspect one ``.gguf`` file: its header and metadata, its tensor table, and whether the data the
table promises is all there (a copy cut short is the common breakage).

Read with llama.cpp's own reader (the ``gguf`` package, memory-mapped: no tensor data is loaded), so
this check shares nothing with Mergesmith's exporter but the file format.
"""

from __future__ import annotations

from pathlib import Path

from .report import Report

# the hyper-parameters llama.cpp refuses to load a text model without, per architecture prefix
NEEDED = ("block_count", "embedding_length", "attention.head_count")
TYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2}


def is_gguf_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".gguf"


def check_gguf(report: Report, path: Path) -> None:
    name = path.name
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        report.problem("corrupt-gguf", name, f"{name} cannot be read ({exc.strerror}); check its permissions.")
        return
    if magic != b"GGUF":
        report.problem("corrupt-gguf", name, f"{name} does not start with GGUF's signature, so it is not a GGUF "
                       "file (or its start is damaged); export it again.")
        return
    reader = _read(report, path)
    if reader is None:
        return
    fields = {k: f for k, f in reader.fields.items()}
    arch = _text(fields.get("general.architecture"))
    _summarise(report, reader, fields, arch)
    _check_data(report, path, reader)
    _check_metadata(report, name, fields, arch)


def _read(report: Report, path: Path):
    import gguf

    try:
        return gguf.GGUFReader(str(path))
    except (ValueError, IndexError, KeyError, TypeError, OSError, OverflowError) as exc:
        report.problem("corrupt-gguf", path.name,
                       f"{path.name} cannot be read as GGUF ({type(exc).__name__}: {exc}); the file is truncated "
                       "or damaged: copy or export it again.")
        return None


def _text(field) -> str:
    try:
        return str(field.contents()) if field is not None else ""
    except (ValueError, IndexError, UnicodeDecodeError):
        return ""


def _summarise(report: Report, reader, fields: dict, arch: str) -> None:
    s = report.summary
    s["architecture"] = arch or None
    s["tensors"] = len(reader.tensors)
    s["parameters"] = int(sum(int(t.n_elements) for t in reader.tensors))
    types: dict[str, int] = {}
    for t in reader.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
    s["tensor_types"] = types
    s["metadata_keys"] = len(fields)
    tokens = fields.get("tokenizer.ggml.tokens")
    s["tokens"] = len(tokens.data) if tokens is not None else 0
    s["chat_template"] = "tokenizer.chat_template" in fields


def _check_data(report: Report, path: Path, reader) -> None:
    """Every tensor's bytes inside the file: offset + size within it."""
    size = path.stat().st_size
    cut = [t.name for t in reader.tensors if int(t.data_offset) + int(t.n_bytes) > size]
    if cut:
        report.problem("corrupt-gguf", path.name,
                       f"{path.name} ends at {size} bytes, before the data of {len(cut)} tensor(s) "
                       f"(first: {cut[0]}): the file was cut short; copy or export it again.")


def _check_metadata(report: Report, name: str, fields: dict, arch: str) -> None:
    if not arch:
        report.problem("incomplete-gguf", name, f"{name} names no general.architecture; llama.cpp cannot load "
                       "it. Export it again from the model folder (mergesmith export-gguf).")
        return
    missing = [f"{arch}.{k}" for k in NEEDED if f"{arch}.{k}" not in fields]
    if "tokenizer.ggml.tokens" not in fields or "tokenizer.ggml.model" not in fields:
        missing.append("tokenizer.ggml.tokens / tokenizer.ggml.model")
    if missing:
        report.problem("incomplete-gguf", name,
                       f"{name} lacks {', '.join(missing)}, which llama.cpp needs to load it; export it again "
                       "from a model folder with its tokenizer (mergesmith export-gguf).")
