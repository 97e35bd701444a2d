"""llama.cpp is the judge: it loads every exported file, tokenizes as transformers does, and its logits
for a fixed prompt agree with transformers' on the model folder: the same top-1 token at every position,
and max |Δlogit| within what the type allows (f16/bf16 tight; q8_0 as measured: see TOLERANCE).

llama.cpp comes from llama-cpp-python, compiled from its source package (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fixtures.llama_cpp import run_llama
from fixtures.models import load_model

PROMPTS = ["Mergesmith merges adapters into base models, one tensor at a time.", "你好，世界。合并适配器。"]
# max |Δlogit| against transformers in float32 on the bf16 model folder, over both prompts (logits of
# these tiny random models span about ±10). Measured here: f16 0.0013 / 0.0009 (Llama / Qwen2), bf16
# 0.013 / 0.009, q8_0 0.086 / 0.055 (one Qwen2 near-tie flipped); the bounds leave room for other CPUs' kernels.
# f16/bf16: the same top-1 token at every position. q8_0: the same, except where transformers' own two
# best scores are within 2 x the tolerance (a near-tie that 8-bit weights may flip).
TOLERANCE = {"f16": 0.05, "bf16": 0.05, "q8_0": 0.3}


def _reference_ids(folder, text: str, family: str) -> list[int]:
    """The token ids the model was trained with: SentencePiece itself for the Llama (with BOS), the
    transformers tokenizer for Qwen2."""
    if family == "llama":
        import sentencepiece

        sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        return [sp.bos_id()] + sp.encode(text)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_tokenizes_as_the_model_was_trained(family, gguf_models, exported, tmp_path):
    tokens, _ = run_llama(exported(family, "f16"), texts=PROMPTS, add_bos=family == "llama", tmp=tmp_path)
    for text, ours in zip(PROMPTS, tokens):
        assert ours == _reference_ids(gguf_models[family], text, family), text


CASES = [(f, t) for f in ("llama", "qwen2") for t in ("f16", "bf16", "q8_0")]


@pytest.mark.parametrize("family,qtype", CASES)
def test_logits_agree_with_transformers(family, qtype, gguf_models, exported, record_property, tmp_path):
    folder = gguf_models[family]
    model = load_model(folder, dtype=torch.float32).eval()
    prompts = [_reference_ids(folder, text, family) for text in PROMPTS]
    _, logits = run_llama(exported(family, qtype), ids=prompts, tmp=tmp_path)
    worst, flips = 0.0, 0
    for text, ids, got in zip(PROMPTS, prompts, logits):
        with torch.no_grad():
            want = model(torch.tensor([ids])).logits[0].numpy()
        assert got.shape == want.shape
        worst = max(worst, float(np.abs(got - want).max()))
        differ = np.nonzero(got.argmax(-1) != want.argmax(-1))[0]
        if qtype != "q8_0":
            assert differ.size == 0, (text, got.argmax(-1), want.argmax(-1))
        for pos in differ:  # q8_0 may flip a near-tie: transformers' own scores for the two must be that close
            gap = want[pos].max() - want[pos][got[pos].argmax()]
            assert gap <= 2 * TOLERANCE[qtype], (text, pos, gap)
        flips += int(differ.size)
    record_property("max_abs_dlogit", worst)
    print(f"\n{family} {qtype}: max |Δlogit| = {worst:.4f}, top-1 near-ties flipped: {flips}")
    assert worst <= TOLERANCE[qtype]
