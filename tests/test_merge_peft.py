"""Mergesmith's merge equals PEFT's merge_and_unload, tensor by tensor and logit by logit.

Each case builds a tiny base (Llama, Qwen2 or GPT-2; bf16, fp16 or fp32; single file or
sharded), makes an adapter with PEFT (non-zero B), merges it with Mergesmith and with PEFT, and
compares. Linear-layer merges are bit-identical, because both compute ``W + s*(B@A)`` in float32
and round once. PEFT rounds an embedding's delta to the base dtype before adding it; we do not,
so there we allow one unit in the last place against PEFT and require bit-equality against an
exact float32 reference.
"""

from __future__ import annotations

import pytest
import torch

from fixtures.adapters import make_adapter, peft_merged, peft_unmerged
from fixtures.files import read_json, read_weights
from fixtures.merge import assert_same_as, logits, ms_merge
from fixtures.models import load_model

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def _check(base, adapter, out, dtype, max_ulp=0, resize=None):
    result = ms_merge(adapter, base, out)
    assert not [p for p in result.problems if p.is_error], result.problems
    ref = peft_merged(base, adapter, dtype, resize_vocab=resize)
    worst = assert_same_as(ref.state_dict(), out, max_ulp=max_ulp, base=read_weights(base))
    assert worst, "no tensors compared"
    ours = load_model(out)
    assert ours.dtype == dtype
    torch.testing.assert_close(logits(ours), logits(ref), rtol=0, atol=0 if max_ulp == 0 else 2e-2)
    return result, worst


@pytest.mark.parametrize("arch", ["llama", "qwen2", "gpt2"])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_plain_lora_matches_peft_bit_for_bit(model_cache, tmp_path, arch, dtype):
    base = model_cache(arch, dtype)
    adapter = make_adapter(base, tmp_path / "adapter")
    _check(base, adapter, tmp_path / "out", DTYPES[dtype])


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_sharded_base(model_cache, tmp_path, arch):
    base = model_cache(arch, "bfloat16", sharded=True)
    assert (base / "model.safetensors.index.json").is_file()
    adapter = make_adapter(base, tmp_path / "adapter", r=8, lora_alpha=32)
    _check(base, adapter, tmp_path / "out", torch.bfloat16)


def test_rslora(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", r=8, lora_alpha=16, use_rslora=True)
    result, _ = _check(base, adapter, tmp_path / "out", torch.bfloat16)
    assert result.stats["adapter"]["use_rslora"]


def test_rank_and_alpha_patterns(model_cache, tmp_path):
    base = model_cache("qwen2")
    adapter = make_adapter(base, tmp_path / "adapter", r=4, lora_alpha=8,
                           rank_pattern={"q_proj": 2, r"layers\.1\.mlp\.down_proj": 6},
                           alpha_pattern={"v_proj": 3, "up_proj": 32})
    result, _ = _check(base, adapter, tmp_path / "out", torch.bfloat16)
    assert result.stats["adapter"]["ranks"] == [2, 4, 6]


def test_adapter_saved_in_half_precision(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", dtype=torch.bfloat16)
    _check(base, adapter, tmp_path / "out", torch.bfloat16)


def test_adapter_bin_file(model_cache, tmp_path):
    from safetensors.torch import load_file

    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    st = adapter / "adapter_model.safetensors"
    torch.save(load_file(str(st)), adapter / "adapter_model.bin")
    st.unlink()
    _check(base, adapter, tmp_path / "out", torch.bfloat16)


def test_modules_to_save(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["q_proj", "v_proj"],
                           modules_to_save=["lm_head"])
    result, _ = _check(base, adapter, tmp_path / "out", torch.bfloat16)
    assert result.stats["replaced_tensors"] == 1


def test_gpt2_conv1d_fan_in_fan_out(model_cache, tmp_path):
    base = model_cache("gpt2", "float32")
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["c_attn", "c_proj", "c_fc"],
                           fan_in_fan_out=True)
    assert read_json(adapter / "adapter_config.json")["fan_in_fan_out"] is True
    _check(base, adapter, tmp_path / "out", torch.float32)


def test_lora_bias(model_cache, tmp_path):
    base = model_cache("qwen2")  # q/k/v projections have biases
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["q_proj", "k_proj", "v_proj"],
                           lora_bias=True)
    _check(base, adapter, tmp_path / "out", torch.bfloat16)


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_dora(model_cache, tmp_path, dtype):
    base = model_cache("llama", dtype)
    adapter = make_adapter(base, tmp_path / "adapter", use_dora=True,
                           target_modules=["q_proj", "v_proj", "down_proj"])
    result, _ = _check(base, adapter, tmp_path / "out", DTYPES[dtype], max_ulp=1)
    assert result.stats["adapter"]["use_dora"]


def test_gpt2_dora_conv1d(model_cache, tmp_path):
    base = model_cache("gpt2", "float32")
    adapter = make_adapter(base, tmp_path / "adapter", use_dora=True, target_modules=["c_attn", "c_fc"],
                           fan_in_fan_out=True)
    _check(base, adapter, tmp_path / "out", torch.float32, max_ulp=1)


def test_embedding_lora(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["embed_tokens", "q_proj"],
                           save_embedding_layers=False)
    _check(base, adapter, tmp_path / "out", torch.bfloat16, max_ulp=1)
    # against PEFT's own merge in float32, rounded once, the embedding is bit-exact
    name = "model.embed_tokens.weight"
    expect = peft_merged(base, adapter, torch.float32).state_dict()[name].to(torch.bfloat16)
    assert torch.equal(read_weights(tmp_path / "out")[name], expect)


def test_embedding_dora(model_cache, tmp_path):
    base = model_cache("llama", "float32")
    adapter = make_adapter(base, tmp_path / "adapter", use_dora=True, target_modules=["embed_tokens"],
                           save_embedding_layers=False)
    _check(base, adapter, tmp_path / "out", torch.float32, max_ulp=2)


def test_trainable_tokens(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["q_proj"],
                           trainable_token_indices=[3, 7, 11])
    _check(base, adapter, tmp_path / "out", torch.bfloat16)


def test_resized_vocabulary(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter", resize_vocab=136, target_modules=["q_proj"],
                           save_embedding_layers=True)
    _check(base, adapter, tmp_path / "out", torch.bfloat16, resize=136)
    cfg = read_json(tmp_path / "out" / "config.json")
    assert cfg["vocab_size"] == 136
    w = read_weights(tmp_path / "out")
    assert w["model.embed_tokens.weight"].shape[0] == 136 and w["lm_head.weight"].shape[0] == 136


def test_tied_embeddings_stay_tied_and_are_not_duplicated(model_cache, tmp_path):
    base = model_cache("llama", tie=True)
    assert "lm_head.weight" not in read_weights(base)
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["embed_tokens", "q_proj"],
                           save_embedding_layers=False)
    _check(base, adapter, tmp_path / "out", torch.bfloat16, max_ulp=1)
    assert "lm_head.weight" not in read_weights(tmp_path / "out")
    assert read_json(tmp_path / "out" / "config.json")["tie_word_embeddings"] is True


def test_tied_resized_vocabulary_stays_tied(model_cache, tmp_path):
    base = model_cache("llama", tie=True)
    adapter = make_adapter(base, tmp_path / "adapter", resize_vocab=136, target_modules=["q_proj"],
                           save_embedding_layers=True)
    _check(base, adapter, tmp_path / "out", torch.bfloat16, resize=136)
    w = read_weights(tmp_path / "out")
    assert "lm_head.weight" not in w and w["model.embed_tokens.weight"].shape[0] == 136
    cfg = read_json(tmp_path / "out" / "config.json")
    assert cfg["tie_word_embeddings"] is True and cfg["vocab_size"] == 136


def test_tied_modules_to_save_lm_head_unties(model_cache, tmp_path):
    base = model_cache("llama", tie=True)
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["q_proj"], modules_to_save=["lm_head"])
    _check(base, adapter, tmp_path / "out", torch.bfloat16)
    assert read_json(tmp_path / "out" / "config.json")["tie_word_embeddings"] is False
    assert "lm_head.weight" in read_weights(tmp_path / "out")


def test_tied_lora_on_lm_head_unties_like_training(model_cache, tmp_path):
    """A LoRA on a tied lm_head acts on the output only: we untie, so logits match the unmerged
    adapter. (PEFT's merge adds the delta into the shared tensor, changing the input embedding
    too; see peft#2018.)"""
    base = model_cache("llama", tie=True)
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["lm_head", "q_proj"])
    result = ms_merge(adapter, base, tmp_path / "out")
    assert not [p for p in result.problems if p.is_error]
    assert read_json(tmp_path / "out" / "config.json")["tie_word_embeddings"] is False
    w = read_weights(tmp_path / "out")
    assert torch.equal(w["model.embed_tokens.weight"], read_weights(base)["model.embed_tokens.weight"])
    ours = load_model(tmp_path / "out", dtype=torch.float32)
    ref = peft_unmerged(base, adapter, torch.float32)
    torch.testing.assert_close(logits(ours), logits(ref), rtol=0.02, atol=0.02)
