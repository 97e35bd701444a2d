"""An adapter or checkpoint for another base is caught at plan time, with both sides named:
the model the training names and the base chosen (folder and what it is), and what to do."""

import json

import pytest

from fixtures.cli import run_cli
from fixtures.files import copy_folder
from test_hostile_inputs import assert_plan_refused


@pytest.fixture(scope="module")
def qwen(model_cache):
    return model_cache("qwen2", "bfloat16")


def test_llama_adapter_on_a_qwen2_base_of_the_same_shapes(adapter, base, qwen, tmp_path):
    """Same module names, same shapes: only the pairing check can see it."""
    code, out, err = run_cli("merge", adapter, "--base", qwen, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[wrong-base]", str(base), "(llama, hidden_size 32", str(qwen),
                                         "qwen2, hidden_size 32", "--base"])


def test_gpt2_module_names_on_llama(base, model_cache, tmp_path):
    from fixtures.adapters import make_adapter

    gpt2 = model_cache("gpt2", "bfloat16")
    ad = make_adapter(gpt2, tmp_path / "gpt2-lora", target_modules=["c_attn"], fan_in_fan_out=True)
    code, out, err = run_cli("merge", ad, "--base", base, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[missing-module]", "transformer.h.0.attn.c_attn.weight",
                                         f"trained on {gpt2}, not on the base {base}", "[wrong-base]"])


def test_other_vocabulary(base, model_cache, tmp_path):
    from fixtures.adapters import make_adapter

    ad = make_adapter(base, tmp_path / "embed-lora", target_modules=["q_proj"],
                      modules_to_save=["embed_tokens", "lm_head"])
    big = model_cache("llama", "bfloat16", vocab_size=200)
    code, out, err = run_cli("merge", ad, "--base", big, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[shape-mismatch]", "[128, 32]", "[200, 32]", "vocab_size 128",
                                         "vocab_size 200", str(base), str(big)])


def test_a_hub_name_of_another_family_is_a_warning(adapter, base, tmp_path):
    ad = copy_folder(adapter, tmp_path / "adapter")
    cfg = json.loads((ad / "adapter_config.json").read_text())
    (ad / "adapter_config.json").write_text(json.dumps({**cfg, "base_model_name_or_path": "Qwen/Qwen2-7B"}))
    code, out, err = run_cli("merge", ad, "--base", base, "--out", tmp_path / "out", "--dry-run")
    assert code == 0 and "[wrong-base]" in out and "Qwen/Qwen2-7B" in out and str(base) in out


def test_xtuner_lora_checkpoint_on_the_wrong_base(base, qwen, tmp_path):
    from fixtures.xtuner import LORA, base_linears, lora_state_dict, sft_config, work_dir

    wd = work_dir(tmp_path / "wd", sft_config(str(base), LORA), {10: lora_state_dict(base_linears(base), "llm.", 4, seed=1)})
    code, out, err = run_cli("merge", wd, "--base", qwen, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[wrong-base]", str(base), str(qwen)])


def test_xtuner_full_fine_tune_on_the_wrong_base(base, qwen, model_cache, tmp_path):
    from fixtures.xtuner import full_state_dict, sft_config, work_dir

    wd = work_dir(tmp_path / "wd", sft_config(str(base)), {3: full_state_dict(base)}, name="full")
    code, out, err = run_cli("merge", wd, "--base", qwen, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[wrong-base]", str(base), str(qwen)])
    gpt2 = model_cache("gpt2", "bfloat16")
    code, out, err = run_cli("merge", wd, "--base", gpt2, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[missing-module]", f"trained from {base}, not from {gpt2}"])


def test_llava_visual_encoder_lora_against_the_wrong_vit(base, tmp_path):
    from collections import OrderedDict

    from fixtures.xtuner import (LORA, VIT_LORA, base_linears, llava_config, lora_state_dict, make_vit,
                                 projector_state_dict, work_dir)

    vit, other = make_vit(tmp_path / "clip"), make_vit(tmp_path / "clip-wide", hidden=32)
    sd = OrderedDict()
    sd.update(lora_state_dict(base_linears(vit), "visual_encoder.", 4, seed=11, module_prefix="vision_model."))
    sd.update(lora_state_dict(base_linears(base), "llm.", 4, seed=12))
    sd.update(projector_state_dict(24, 32))
    wd = work_dir(tmp_path / "llava", llava_config(str(base), str(vit), llm_lora=LORA, vit_lora=VIT_LORA), {30: sd})
    code, out, err = run_cli("merge", wd, "--base", base, "--visual-encoder", other, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[wrong-base]", str(vit), str(other), "--visual-encoder"])
