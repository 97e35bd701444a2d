"""Tiny Llama (SentencePiece) and Qwen2 (byte-level BPE) models, built once per session, and their
GGUF exports, written once per (model, type)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gguf_models(tmp_path_factory):
    from fixtures.gguf_models import make_llama_spm, make_qwen2_bpe

    root = tmp_path_factory.mktemp("gguf-models")
    return {"llama": make_llama_spm(root / "llama"), "qwen2": make_qwen2_bpe(root / "qwen2")}


@pytest.fixture(scope="session")
def exported(gguf_models, tmp_path_factory):
    """exported(family, type) -> the .gguf Mergesmith wrote for it (cached)."""
    from mergesmith.core.gguf.export import plan_gguf, run_gguf

    root = tmp_path_factory.mktemp("gguf-out")
    done: dict = {}

    def get(family: str, qtype: str):
        if (family, qtype) not in done:
            with plan_gguf(gguf_models[family], root / f"{family}-{qtype}.gguf", qtype) as plan:
                done[family, qtype] = run_gguf(plan).out
        return done[family, qtype]

    return get


@pytest.fixture(scope="session")
def converted(gguf_models, tmp_path_factory):
    """converted(family) -> {type: the .gguf llama.cpp's own converter wrote} (once per family)."""
    from fixtures.llama_cpp import run_converter

    root = tmp_path_factory.mktemp("gguf-converter")
    done: dict = {}

    def get(family: str):
        if family not in done:
            outs = {t: root / f"{family}-{t}.gguf" for t in ("f16", "bf16", "q8_0")}
            done[family] = run_converter(gguf_models[family], outs, pre="qwen2" if family == "qwen2" else "-")
        return done[family]

    return get
