"""merge straight from XTuner's training output: work_dir, .pth, DeepSpeed folders; LoRA and full."""

import json
import shutil
from collections import OrderedDict

import pytest
import torch

from fixtures.adapters import peft_merged_xtuner
from fixtures.cli import run_cli
from fixtures.files import read_weights
from fixtures.merge import assert_same
from fixtures.models import make_tokenizer
from fixtures.xtuner import LORA, full_state_dict, lora_state_dict, sft_config, work_dir
from mergesmith.core import detect
from mergesmith.core.errors import SourceError
from mergesmith.core.engine.merge import merge
from mergesmith.core.plan.base import PlanOptions
from mergesmith.core.plan.planners import make_plan


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, llm_base, llm_linears):
    """A work_dir with two iterations of an rsLoRA run on the attention projections."""
    lora = dict(LORA, use_rslora=True, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    sds = {100: lora_state_dict(llm_linears, "llm.", 4, seed=1, targets=lora["target_modules"]),
           200: lora_state_dict(llm_linears, "llm.", 4, seed=2, targets=lora["target_modules"])}
    wd = work_dir(tmp_path_factory.mktemp("run") / "work_dirs" / "tiny", sft_config(str(llm_base), lora), sds)
    return wd, sds, dict(r=4, lora_alpha=8, use_rslora=True)  # PEFT's options: scale 8 / sqrt(4)


def test_work_dir_merge_is_base_plus_scaled_lora_from_fp32(lora_run, llm_base, tmp_path):
    wd, sds, lora = lora_run
    source = detect(wd)
    assert source.kind == "xtuner-work-dir" and source.base_hint == str(llm_base)
    assert source.iterations == [100, 200] and source.iteration == 200
    assert source.component("llm-adapter").details["use_rslora"] is True
    result = merge(wd, llm_base, tmp_path / "out")
    assert not [p for p in result.problems if p.is_error]
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sds[200], "llm.", **lora))
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (tmp_path / "out" / name).is_file()


def test_iter_picks_another_checkpoint(lora_run, llm_base, tmp_path):
    wd, sds, lora = lora_run
    done = run_cli("merge", wd, "--out", tmp_path / "out", "--iter", "100")
    assert done.code == 0  # base from the config
    assert "Using the base model named by the training" in done.err
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sds[100], "llm.", **lora))
    done = run_cli("merge", wd, "--out", tmp_path / "o2", "--iter", "7")
    assert done.code == 2
    assert "no checkpoint for iteration 7; it has 100, 200" in done.err


def test_single_pth_finds_the_config_in_its_work_dir(lora_run, llm_base, tmp_path):
    wd, sds, lora = lora_run
    result = merge(wd / "iter_100.pth", llm_base, tmp_path / "out")
    assert result.out.is_dir()
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sds[100], "llm.", **lora))


def test_single_pth_alone_reads_the_config_from_meta(lora_run, llm_base, tmp_path):
    wd, sds, lora = lora_run
    shutil.copy(wd / "iter_200.pth", tmp_path / "model.pth")
    source = detect(tmp_path / "model.pth")
    assert source.kind == "xtuner-pth" and source.training.config_text and source.base_hint == str(llm_base)
    merge(tmp_path / "model.pth", llm_base, tmp_path / "out")
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sds[200], "llm.", **lora))


def test_lora_without_any_config_is_refused(llm_linears, tmp_path):
    torch.save({"state_dict": lora_state_dict(llm_linears, "llm.", 4, seed=1)}, tmp_path / "iter_1.pth")
    with pytest.raises(SourceError, match="lora_alpha"):
        detect(tmp_path / "iter_1.pth")


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_deepspeed_merge_uses_fp32_masters(real_zero, llm_base, tmp_path, stage):
    run = real_zero[stage]
    source = detect(run.work_dir)
    assert source.kind == "xtuner-work-dir" and source.training.zero_stage == stage
    assert detect(run.folder).kind == "xtuner-deepspeed"
    merge(run.work_dir, llm_base, tmp_path / "out")
    want = peft_merged_xtuner(llm_base, run.expected, "llm.", r=4, lora_alpha=8)
    assert_same(read_weights(tmp_path / "out"), want)


def test_modules_to_save_and_dpo_reference_keys(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=4)
    head = torch.randn(128, 32) * 0.02
    sd["llm.base_model.model.lm_head.modules_to_save.default.weight"] = head
    sd["ref_llm.model.norm.weight"] = torch.ones(32)  # DPO's reference model: ignored
    lora = dict(LORA, modules_to_save=["lm_head"])
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base), lora), {10: sd})
    source = detect(wd)
    assert any("ref_llm" in n for n in source.notes)
    merge(wd, llm_base, tmp_path / "out")
    want = peft_merged_xtuner(llm_base, sd, "llm.", r=4, lora_alpha=8)
    want["lm_head.weight"] = head.to(torch.bfloat16)
    assert_same(read_weights(tmp_path / "out"), want)


def test_frozen_base_layer_weights_in_a_checkpoint_are_not_used(llm_base, llm_linears, tmp_path):
    """A .pth with the frozen weights too (zeros here, so that using them would show): the base's are used."""
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=5)
    frozen = {"llm.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight": torch.zeros(32, 32),
              "llm.base_model.model.model.embed_tokens.weight": torch.zeros(128, 32)}
    wd = work_dir(tmp_path / "wd2", sft_config(str(llm_base), LORA), {2: OrderedDict(list(sd.items()) + list(frozen.items()))})
    source = detect(wd)
    assert any("frozen" in n for n in source.notes)
    merge(wd, llm_base, tmp_path / "out")
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sd, "llm.", r=4, lora_alpha=8))


def test_zero3_checkpoint_with_frozen_weights(real_zero, llm_base, tmp_path):
    """ZeRO-3 saved without exclude_frozen_parameters (XTuner on DeepSpeed < 0.13.2): frozen
    fragments are noted, not served as trained weights."""
    run = real_zero["zero3-frozen"]
    source = detect(run.work_dir)
    assert any("frozen" in n for n in source.notes)
    merge(run.work_dir, llm_base, tmp_path / "out")
    want = peft_merged_xtuner(llm_base, run.expected, "llm.", r=4, lora_alpha=8)
    assert_same(read_weights(tmp_path / "out"), want)


def test_full_finetune_writes_base_dtype_config_and_the_configs_tokenizer(llm_base, tmp_path):
    sd = full_state_dict(llm_base, seed=6)
    tok = tmp_path / "tokenizer"
    make_tokenizer(tok, vocab_size=100)
    (tok / "tokenizer_config.json").write_text(json.dumps(
        dict(json.loads((tok / "tokenizer_config.json").read_text()), padding_side="right")))
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base), tokenizer=str(tok)), {50: sd}, name="full")
    source = detect(wd)
    assert [c.role for c in source.components] == ["llm", "training-config"]
    result = merge(wd, llm_base, tmp_path / "out")
    assert not [p for p in result.problems if p.is_error]
    out = read_weights(tmp_path / "out")
    assert_same(out, {k[4:]: v.to(torch.bfloat16) for k, v in sd.items()})
    assert json.loads((tmp_path / "out" / "config.json").read_text()) == json.loads((llm_base / "config.json").read_text())
    assert json.loads((tmp_path / "out" / "tokenizer_config.json").read_text())["padding_side"] == "right"
    assert (tmp_path / "out" / "generation_config.json").read_bytes() == (llm_base / "generation_config.json").read_bytes()


def test_full_finetune_deepspeed_without_frozen_params(real_zero, llm_base, tmp_path):
    run = real_zero["zero2-full"]  # layer 1 frozen, so not in the checkpoint
    assert run.expected and not any("layers.1." in k for k in run.expected)
    plan = make_plan(detect(run.work_dir), llm_base, PlanOptions(out=tmp_path / "out"))
    assert any(p.code == "frozen-tensors" for p in plan.problems)
    from mergesmith.core.engine.merge import run_plan

    run_plan(plan)
    base = read_weights(llm_base)
    trained = run.expected
    want = {k: (trained["llm." + k].to(torch.bfloat16) if "llm." + k in trained else v) for k, v in base.items()}
    assert_same(read_weights(tmp_path / "out"), want)


def test_plain_torch_save_work_dir(llm_base, llm_linears, tmp_path):
    """A config and a plain torch.save({'state_dict', 'meta'}) whose meta holds no config."""
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=8)
    (tmp_path / "wd").mkdir()
    (tmp_path / "wd" / "demo.py").write_text(sft_config(str(llm_base), LORA))
    torch.save({"state_dict": sd, "meta": {"iter": 20}}, tmp_path / "wd" / "iter_20.pth")
    merge(tmp_path / "wd", llm_base, tmp_path / "out")
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(llm_base, sd, "llm.", r=4, lora_alpha=8))


def test_the_demo_work_dir(tmp_path):
    """What the GUI's demo generator writes (mergesmith.core.demo: a config and plain torch.save
    checkpoints), merged as PEFT merges the same LoRA tensors."""
    from mergesmith.core.demo.lora import DEMO_ITERATIONS, DEMO_WORK_DIR, LORA_ALPHA, LORA_R, make_demo

    _, base = make_demo(tmp_path / "demo")
    wd = tmp_path / "demo" / DEMO_WORK_DIR
    sd = torch.load(wd / f"iter_{DEMO_ITERATIONS[-1]}.pth", weights_only=True)["state_dict"]
    merge(wd, base, tmp_path / "out")
    assert_same(read_weights(tmp_path / "out"), peft_merged_xtuner(base, sd, "llm.", r=LORA_R, lora_alpha=LORA_ALPHA))


def test_adapter_for_another_model_is_refused_before_writing(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=9)
    sd["llm.base_model.model.model.layers.7.mlp.up_proj.lora_A.default.weight"] = torch.zeros(4, 32)
    sd["llm.base_model.model.model.layers.7.mlp.up_proj.lora_B.default.weight"] = torch.zeros(48, 4)
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base), LORA), {1: sd})
    done = run_cli("merge", wd, "--base", llm_base, "--out", tmp_path / "out")
    assert done.code == 2
    assert "Traceback" not in done.err and not (tmp_path / "out").exists()
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out"))
    [problem] = [p for p in plan.problems if p.is_error]
    assert problem.code == "missing-module" and "layers.7.mlp.up_proj" in problem.message


def test_unknown_tensors_are_not_dropped_silently(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=10)
    sd["mlp1.0.weight"] = torch.zeros(2, 2)
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base), LORA), {1: sd})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out"))
    assert [p.code for p in plan.problems if p.is_error] == ["unknown-tensors"]


def test_missing_base_named_by_the_config(llm_linears, tmp_path):
    wd = work_dir(tmp_path / "wd", sft_config("/nowhere/internlm2-7b", LORA),
                  {1: lora_state_dict(llm_linears, "llm.", 4, seed=1)})
    done = run_cli("merge", wd, "--out", tmp_path / "out")
    assert done.code == 2
    err = done.err
    assert "The training names /nowhere/internlm2-7b, which is not on this machine" in err


def test_broken_config_in_work_dir_via_cli(llm_linears, tmp_path):
    wd = work_dir(tmp_path / "wd", "model = dict(type=SupervisedFinetune,\n  llm=dict(\n",
                  {1: lora_state_dict(llm_linears, "llm.", 4, seed=1)}, as_written=True)
    done = run_cli("merge", wd, "--base", tmp_path, "--out", tmp_path / "out")
    assert done.code == 2
    err = done.err
    assert "is not valid Python (line" in err and "Traceback" not in err


def test_truncated_checkpoint_via_cli(lora_run, tmp_path):
    wd, _, _ = lora_run
    data = (wd / "iter_200.pth").read_bytes()
    (tmp_path / "iter_200.pth").write_bytes(data[:-200])
    done = run_cli("merge", tmp_path / "iter_200.pth", "--base", tmp_path, "--out", tmp_path / "o")
    assert done.code == 2
    err = done.err
    assert "truncated or damaged" in err and "Traceback" not in err
