"""What a folder is, folders that must come out clean, and the inspect command line (exit 0/1/2)."""

from __future__ import annotations

import json

import pytest
import torch

from fixtures.adapters import make_adapter
from fixtures.cli import run_cli
from fixtures.files import copy_folder, write_json
from fixtures.folders import make_converted, make_llava, make_work_dir, report
from fixtures.models import make_model, make_tokenizer, model_config


@pytest.mark.parametrize("arch,tie,sharded", [("llama", False, True), ("qwen2", True, False), ("gpt2", True, False),
                                              ("gpt2", False, True)])
def test_transformers_saved_folders_are_clean(model_cache, arch, tie, sharded):
    r = report(model_cache(arch, sharded=sharded, tie=tie))
    assert r.kind == "model" and r.problems == [], r.problems


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_our_merge_output_is_clean(model_cache, tmp_path, arch):
    from mergesmith.core.engine.merge import merge

    base = model_cache(arch, tie=arch == "gpt2")
    adapter = make_adapter(base, tmp_path / "adapter", modules_to_save=["lm_head"] if arch == "llama" else None)
    result = merge(adapter, base, tmp_path / "out")
    assert result.problems == []
    assert report(tmp_path / "out").problems == []


def test_llava_hf_is_clean(tmp_path):
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration

    vc = CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                          image_size=32, patch_size=16, projection_dim=16)
    cfg = LlavaConfig(vision_config=vc, text_config=model_config("llama"), image_token_id=127)
    folder = tmp_path / "llava-hf"
    LlavaForConditionalGeneration(cfg).to(torch.bfloat16).save_pretrained(str(folder))
    make_tokenizer(folder)
    write_json(folder / "generation_config.json", {"eos_token_id": 2})
    r = report(folder)
    assert r.kind == "llava-hf" and r.codes == {"missing-processor"}
    write_json(folder / "preprocessor_config.json", {"image_processor_type": "CLIPImageProcessor"})
    assert report(folder).problems == []


def test_kinds(model_cache, tmp_path):
    base = model_cache("llama")
    assert report(base).kind == "model"
    assert report(make_adapter(base, tmp_path / "adapter")).kind == "peft-adapter"
    conv = make_converted(tmp_path / "converted", base)
    r = report(conv)
    assert r.kind == "xtuner-converted" and r.problems == []
    assert r.summary["parts"]["llm_adapter"]["adapter"]["modules"] > 0
    assert report(make_work_dir(tmp_path / "wd")).kind == "xtuner-work-dir"
    assert report(make_llava(tmp_path / "llava", base)).kind == "llava"
    (tmp_path / "empty").mkdir()
    assert report(tmp_path / "empty").kind == "unknown"


def test_converted_llava_without_projector(model_cache, tmp_path):
    conv = make_converted(tmp_path / "converted", model_cache("llama"))
    (conv / "xtuner_config.py").write_text("model = dict(type='LLaVAModel')\n")
    assert report(conv).codes == {"missing-projector"}


def test_inspect_stays_fast_and_reads_no_tensor_data(model_cache):
    """The merge runs inspect after every merge: warm, it takes milliseconds."""
    import time

    folder = model_cache("llama", sharded=True)
    report(folder)
    t0 = time.perf_counter()
    report(folder)
    assert time.perf_counter() - t0 < 0.5


# --- command line ---------------------------------------------------------------------------------------


def test_cli_inspect_exit_codes(model_cache, tmp_path):
    good = copy_folder(model_cache("llama", sharded=True), tmp_path / "m")
    code, out, _ = run_cli("inspect", good)
    assert code == 0
    assert "No problems found." in out and "parameters" in out
    (good / "generation_config.json").unlink()
    assert run_cli("inspect", good).code == 0  # warnings only
    (good / "model.safetensors.index.json").unlink()
    code, out, _ = run_cli("inspect", good, "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["kind"] == "model" and not doc["ok"]
    assert {p["code"] for p in doc["problems"]} == {"index-mismatch", "missing-generation-config"}
    assert all(set(p) >= {"code", "severity", "file", "message", "fixable"} for p in doc["problems"])
    nope = run_cli("inspect", tmp_path / "nope")
    assert nope.code == 2
    assert run_cli("inspect", good / "config.json").code == 2
    (tmp_path / "empty").mkdir()
    empty = run_cli("inspect", tmp_path / "empty")
    assert empty.code == 2
    err = nope.err + empty.err
    assert "does not exist" in err and "Traceback" not in err


def test_cli_inspect_options(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    assert run_cli("inspect", adapter, "--base", base).code == 0
    code, out, _ = run_cli("inspect", base, "--scan-values", "--max-shard-size", "10KB")
    assert code == 0
    assert "shard-oversize" in out and "Warnings (1)" in out
    assert run_cli("inspect", adapter, "--base", tmp_path / "missing-base").code == 2


def test_gpt2_pickled_only_folder(tmp_path):
    """A folder saved as pytorch_model.bin: pickle-weights, but no false 'missing' findings."""
    folder = make_model(tmp_path / "m", arch="gpt2", tie=True)
    from safetensors.torch import load_file

    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    r = report(folder)
    assert r.codes == {"pickle-weights"}
    assert r.summary["format"] == "pickle"
