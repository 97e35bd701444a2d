"""llama.cpp is the judge: it loads every exported file, tokenizes as transformers does, and its logits
for a fixed prompt agree with transformers' on the model folder: the same top-1 token at every position,
and max |Δlogit| within what the type allows (f16/bf16 tight; q8_0 as measured: see TOLERANCE).

llama.cpp comes from llama-cpp-python, compiled from its source package (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fixtures.llama_cpp import load_llama
from fixtures.models import load_model

PROMPTS = ["Mergesmith merges adapters into base models, one tensor at a time.", "你好，世界。合并适配器。"]
# max |Δlogit| against transformers in float32 on the bf16 model folder, over both prompts; the logits
# of these tiny random models span about ±15. Measured here (see the closing note): f16 ≈ 0.003,
# bf16 ≈ 0.002, q8_0 ≈ 0.05; the bounds leave room for other CPUs' kernels.
TOLERANCE = {"f16": 0.05, "bf16": 0.05, "q8_0": 0.5}


def _hf_ids(folder, text: str, family: str) -> list[int]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    ids = tok(text, add_special_tokens=False)["input_ids"]
    return ([tok.bos_token_id] if family == "llama" else []) + ids


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_tokenizes_as_transformers(family, gguf_models, exported):
    llm = load_llama(exported(family, "f16"))
    for text in PROMPTS:
        ours = llm.tokenize(text.encode("utf-8"), add_bos=family == "llama", special=False)
        assert ours == _hf_ids(gguf_models[family], text, family), text


@pytest.mark.parametrize("family", ["llama", "qwen2"])
@pytest.mark.parametrize("qtype", ["f16", "bf16", "q8_0"])
def test_logits_agree_with_transformers(family, qtype, gguf_models, exported, record_property):
    folder = gguf_models[family]
    model = load_model(folder, dtype=torch.float32).eval()
    llm = load_llama(exported(family, qtype))
    worst = 0.0
    for text in PROMPTS:
        ids = _hf_ids(folder, text, family)
        with torch.no_grad():
            want = model(torch.tensor([ids])).logits[0].numpy()
        llm.reset()
        llm.eval(ids)
        got = np.asarray(llm.scores[: len(ids)], dtype=np.float32)
        assert got.shape == want.shape
        assert (got.argmax(-1) == want.argmax(-1)).all(), (text, got.argmax(-1), want.argmax(-1))
        worst = max(worst, float(np.abs(got - want).max()))
    record_property("max_abs_dlogit", worst)
    print(f"\n{family} {qtype}: max |Δlogit| = {worst:.4f}")
    assert worst <= TOLERANCE[qtype]
