"""convert: XTuner's pth_to_hf layout and adapter_config.json, loadable by PEFT."""

import json

import pytest
import torch

from fixtures.cli import run_cli
from fixtures.files import read_weights
from fixtures.xtuner import LORA
from mergesmith.core import detect
from mergesmith.core.plan.convert import plan_convert
from mergesmith.core.engine.convert import convert
from mergesmith.core.errors import PlanError
from mergesmith.core.plan.base import PlanOptions
from fixtures.xtuner import full_state_dict, lora_state_dict, sft_config, work_dir

PEFT_014_FIELDS = {"alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias", "eva_config",
                   "exclude_modules", "fan_in_fan_out", "inference_mode", "init_lora_weights",
                   "layer_replication", "layers_pattern", "layers_to_transform", "loftq_config", "lora_alpha",
                   "lora_bias", "lora_dropout", "megatron_config", "megatron_core", "modules_to_save",
                   "peft_type", "r", "rank_pattern", "revision", "target_modules", "task_type", "use_dora",
                   "use_rslora"}


def _peft_names(sd, wrapper):
    return {k[len(wrapper):].replace(".default.", "."): v for k, v in sd.items() if k.startswith(wrapper)}


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory, llm_base, llm_linears):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=21)
    lora = dict(LORA, target_modules=None)  # XTuner fills in every linear layer
    return work_dir(tmp_path_factory.mktemp("sft") / "wd", sft_config(str(llm_base), lora), {40: sd}), sd


def test_sft_lora_convert_layout_config_and_peft_load(sft_run, llm_base, tmp_path):
    wd, sd = sft_run
    out = tmp_path / "hf"
    convert(wd, out)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "adapter_config.json",
                                                     "adapter_model.safetensors", "xtuner_config.py"]
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert set(cfg) == PEFT_014_FIELDS
    assert {k: cfg[k] for k in ("r", "lora_alpha", "lora_dropout", "bias", "task_type", "peft_type",
                                "base_model_name_or_path", "inference_mode", "use_rslora")} == \
        {"r": 4, "lora_alpha": 8, "lora_dropout": 0.05, "bias": "none", "task_type": "CAUSAL_LM",
         "peft_type": "LORA", "base_model_name_or_path": str(llm_base), "inference_mode": True, "use_rslora": False}
    assert cfg["target_modules"] == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]
    from safetensors import safe_open

    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        assert f.metadata() == {"format": "pt"}
    weights = read_weights(out)
    want = _peft_names(sd, "llm.")
    assert sorted(weights) == sorted(want)
    assert all(torch.equal(weights[k], want[k]) and weights[k].dtype == torch.float32 for k in want)
    assert (out / "xtuner_config.py").read_text() == (wd / "tiny_lora.py").read_text()

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(llm_base), dtype=torch.float32), str(out))
    loaded = model.state_dict()
    for k, v in sd.items():
        assert torch.equal(loaded[k[len("llm."):]], v), k


def test_convert_float16_reproduces_xtuner_dtypes(sft_run, tmp_path):
    wd, sd = sft_run
    done = run_cli("convert", wd, "--out", tmp_path / "hf", "--dtype", "float16")
    assert done.code == 0
    assert "Converted into" in done.out
    weights = read_weights(tmp_path / "hf")
    want = _peft_names(sd, "llm.")
    assert all(weights[k].dtype == torch.float16 and torch.equal(weights[k], want[k].half()) for k in want)


def test_llava_convert_layout(llava_run, llm_base, vit_base, tmp_path):
    wd, sd = llava_run
    convert(wd, tmp_path / "hf")
    out = tmp_path / "hf"
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "llm_adapter", "projector",
                                                     "visual_encoder_adapter", "xtuner_config.py"]
    llm_cfg = json.loads((out / "llm_adapter" / "adapter_config.json").read_text())
    vit_cfg = json.loads((out / "visual_encoder_adapter" / "adapter_config.json").read_text())
    assert llm_cfg["task_type"] == "CAUSAL_LM" and llm_cfg["base_model_name_or_path"] == str(llm_base)
    assert vit_cfg["task_type"] is None and vit_cfg["base_model_name_or_path"] == str(vit_base)
    assert vit_cfg["auto_mapping"] == {"base_model_class": "CLIPVisionModel",
                                       "parent_library": "transformers.models.clip.modeling_clip"}
    assert vit_cfg["target_modules"] == ["fc1", "fc2", "k_proj", "out_proj", "q_proj", "v_proj"]
    assert (vit_cfg["r"], vit_cfg["lora_alpha"]) == (4, 16)
    vit_w = read_weights(out / "visual_encoder_adapter")
    assert sorted(vit_w) == sorted(_peft_names(sd, "visual_encoder."))
    assert next(iter(vit_w)).startswith("base_model.model.vision_model.encoder.layers.")
    proj = read_weights(out / "projector")
    assert sorted(proj) == ["model.0.bias", "model.0.weight", "model.2.bias", "model.2.weight"]
    assert json.loads((out / "projector" / "config.json").read_text())["llm_hidden_size"] == 32
    assert (out / "projector" / "modeling_projector.py").is_file()


def test_full_finetune_convert(llm_base, tmp_path):
    sd = full_state_dict(llm_base, seed=22)
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base)), {3: sd}, name="full")
    for dtype, want_dtype, name in (("keep", torch.float32, "float32"), ("float16", torch.float16, "float16")):
        out = tmp_path / f"hf-{dtype}"
        convert(wd, out, dtype=dtype)
        assert_cfg = json.loads((out / "config.json").read_text())
        assert assert_cfg.get("dtype", assert_cfg.get("torch_dtype")) == name and assert_cfg["use_cache"] is True
        weights = read_weights(out)
        assert all(torch.equal(weights[k[4:]], v.to(want_dtype)) for k, v in sd.items())
        assert (out / "tokenizer.json").is_file() and (out / "xtuner_config.py").is_file()


def test_convert_refuses_what_needs_no_conversion(llm_base, tmp_path):
    with pytest.raises(PlanError, match="needs no conversion"):
        plan_convert(detect(llm_base), PlanOptions(out=tmp_path / "x"))
    done = run_cli("convert", llm_base, "--out", tmp_path / "x")
    assert done.code == 2
    assert "Traceback" not in done.err


def test_full_finetune_convert_without_base(llm_base, tmp_path):
    sd = full_state_dict(llm_base, seed=23)
    wd = work_dir(tmp_path / "wd", sft_config("/not/here"), {3: sd}, name="full")
    with pytest.raises(PlanError, match=r"--base DIR\)\. The training names /not/here"):
        plan_convert(detect(wd), PlanOptions(out=tmp_path / "x"))
    plan = plan_convert(detect(wd), PlanOptions(out=tmp_path / "x"), base=llm_base)
    assert plan.ok


def test_convert_dry_run_json(sft_run, tmp_path):
    wd, _ = sft_run
    done = run_cli("convert", wd, "--out", tmp_path / "hf", "--dry-run", "--json", "--iter", "40")
    assert done.code == 0
    doc = json.loads(done.out)
    assert {f["path"] for f in doc["files"]} == {"adapter_model.safetensors", "adapter_config.json", "README.md",
                                                 "xtuner_config.py"}
    assert doc["source"]["iteration"] == 40 and not (tmp_path / "hf").exists()


def test_convert_from_deepspeed_folder(real_zero, tmp_path):
    run = real_zero[2]
    convert(run.folder, tmp_path / "hf")
    weights = read_weights(tmp_path / "hf")
    want = _peft_names(run.expected, "llm.")
    assert sorted(weights) == sorted(want) and all(torch.equal(weights[k], want[k]) for k in want)


def test_llava_convert_float16_halves_only_the_llm(llava_run, tmp_path):
    wd, _ = llava_run
    convert(wd, tmp_path / "hf", dtype="float16")
    assert {v.dtype for v in read_weights(tmp_path / "hf" / "llm_adapter").values()} == {torch.float16}
    assert {v.dtype for v in read_weights(tmp_path / "hf" / "visual_encoder_adapter").values()} == {torch.float32}
    assert {v.dtype for v in read_weights(tmp_path / "hf" / "projector").values()} == {torch.float32}
