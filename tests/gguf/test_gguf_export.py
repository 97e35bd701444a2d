"""The GGUF export read back with llama.cpp's own reader, and compared with llama.cpp's converter.

Read back: every tensor of the model folder is in the file under llama.cpp's name, and its values are
the folder's (exactly for f16/bf16 after the same rounding, within q8_0's step for q8_0), with the
query/key rows of Llama in the interleaved order llama.cpp's rope expects (undone here by a separately
written inverse). Converter: on the same folder, llama.cpp's convert_hf_to_gguf.py writes the same
tensors byte for byte, the same token tables and the same metadata (but for the model's display name).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fixtures.gguf_models import config_of

FAMILIES = ("llama", "qwen2")
TYPES = ("f16", "bf16", "q8_0")
OURS_ONLY = {"general.quantized_by"}
THEIRS_ONLY: set = set()


def _reader(path):
    import gguf

    return gguf.GGUFReader(str(path))


def _value(field):
    try:
        return field.contents()
    except (ValueError, IndexError):
        return None


def _hf_order(rows: np.ndarray, rows_per_head: int) -> np.ndarray:
    """llama.cpp's interleaved (re, im) pairs per head back to HF's halves."""
    out = np.empty_like(rows)
    for h in range(rows.shape[0] // rows_per_head):
        head = rows[h * rows_per_head:(h + 1) * rows_per_head]
        out[h * rows_per_head:(h + 1) * rows_per_head] = np.concatenate([head[0::2], head[1::2]])
    return out


def _source_tensors(folder):
    from safetensors.torch import load_file as load_torch  # numpy cannot hold bfloat16

    return load_torch(str(folder / "model.safetensors"))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("qtype", TYPES)
def test_values_read_back(family, qtype, gguf_models, exported):
    import gguf

    folder = gguf_models[family]
    config = config_of(folder)
    reader = _reader(exported(family, qtype))
    tensors = {t.name: t for t in reader.tensors}
    source = _source_tensors(folder)
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    name_map = gguf.get_tensor_name_map({v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}[family],
                                        config["num_hidden_layers"])
    assert len(tensors) == len(source)
    for hf_name, hf in source.items():
        name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        t = tensors[name]
        assert tuple(int(d) for d in reversed(t.shape)) == tuple(hf.shape), name
        got = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(tuple(hf.shape))
        if family == "llama" and hf_name.endswith(("q_proj.weight", "k_proj.weight")):
            got = _hf_order(got, head_dim)
        want = hf.to(torch.float32).numpy()
        if t.tensor_type.name == "F16":
            np.testing.assert_array_equal(got, want.astype(np.float16).astype(np.float32), err_msg=name)
        elif t.tensor_type.name in ("BF16", "F32"):
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            assert t.tensor_type.name == "Q8_0"
            blocks = want.reshape(-1, 32)
            step = np.abs(blocks).max(axis=1, keepdims=True) / 127
            # half a step of rounding, plus the scale's own float16 rounding (127 * 2**-11 of a step)
            assert (np.abs(got.reshape(-1, 32) - blocks) <= step * 0.57).all(), name


@pytest.mark.parametrize("family", FAMILIES)
def test_metadata_and_tokens(family, gguf_models, exported):
    from transformers import AutoTokenizer

    folder = gguf_models[family]
    config = config_of(folder)
    fields = _reader(exported(family, "f16")).fields
    assert _value(fields["general.architecture"]) == family
    assert _value(fields[f"{family}.block_count"]) == config["num_hidden_layers"]
    assert _value(fields[f"{family}.attention.head_count_kv"]) == config["num_key_value_heads"]
    tokens = _value(fields["tokenizer.ggml.tokens"])
    assert len(tokens) == config["vocab_size"]  # the llama's embedding has rows past the tokenizer's end
    tok = AutoTokenizer.from_pretrained(str(folder))
    assert _value(fields["tokenizer.ggml.eos_token_id"]) == tok.eos_token_id
    if family == "qwen2":
        assert _value(fields["tokenizer.ggml.model"]) == "gpt2"
        assert _value(fields["tokenizer.ggml.pre"]) == "qwen2"
        assert "<|im_start|>" in _value(fields["tokenizer.chat_template"])
    else:
        assert _value(fields["tokenizer.ggml.model"]) == "llama"
        import sentencepiece

        n = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model")).vocab_size()
        assert n < config["vocab_size"]
        assert tokens[n:] == [f"[PAD{i}]" for i in range(n, config["vocab_size"])]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("qtype", TYPES)
def test_same_as_llama_cpp_converter(family, qtype, exported, converted):
    theirs = converted(family)[qtype]
    a, b = _reader(exported(family, qtype)), _reader(theirs)
    ours_t, theirs_t = {t.name: t for t in a.tensors}, {t.name: t for t in b.tensors}
    assert set(ours_t) == set(theirs_t)
    for name, t in ours_t.items():
        u = theirs_t[name]
        assert (list(t.shape), t.tensor_type) == (list(u.shape), u.tensor_type), name
        assert np.asarray(t.data).tobytes() == np.asarray(u.data).tobytes(), name
    assert set(a.fields) - set(b.fields) == OURS_ONLY
    assert set(b.fields) - set(a.fields) == THEIRS_ONLY
    differ = [k for k in set(a.fields) & set(b.fields) - {"GGUF.kv_count"}
              if _value(a.fields[k]) != _value(b.fields[k])]
    assert differ == ["general.name"]  # theirs title-cases the folder's name


@pytest.mark.parametrize("rope", [
    {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
     "original_max_position_embeddings": 32, "rope_theta": 500000.0},
    {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0},
], ids=["llama3", "linear"])
def test_rope_scaling_as_the_converter_writes_it(rope, tmp_path):
    """Llama 3.1's rope (a rope_freqs tensor) and linear scaling: the same keys and tensors as llama.cpp's."""
    from fixtures.gguf_models import make_llama_spm
    from fixtures.llama_cpp import run_converter
    from mergesmith.core.gguf.export import plan_gguf, run_gguf

    folder = make_llama_spm(tmp_path / "m", rope_parameters=rope)
    with plan_gguf(folder, tmp_path / "ours.gguf", "f16") as plan:
        ours = run_gguf(plan).out
    theirs = run_converter(folder, {"f16": tmp_path / "theirs.gguf"})["f16"]
    a, b = _reader(ours), _reader(theirs)
    assert {t.name: np.asarray(t.data).tobytes() for t in a.tensors} == \
        {t.name: np.asarray(t.data).tobytes() for t in b.tensors}
    assert set(a.fields) - set(b.fields) == OURS_ONLY and set(b.fields) - set(a.fields) == THEIRS_ONLY
    for key in (k for k in a.fields if ".rope." in k):
        assert _value(a.fields[key]) == pytest.approx(_value(b.fields[key])), key
