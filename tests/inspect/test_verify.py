"""mergesmith verify: a right merge (ours or PEFT's) passes, a wrong or damaged one is named."""

from __future__ import annotations

import json

import pytest
import torch

from fixtures.adapters import make_adapter, peft_merged
from fixtures.cli import run_cli
from fixtures.files import copy_folder
from fixtures.folders import rewrite_shard


@pytest.fixture
def base(model_cache):
    return model_cache("llama")


@pytest.fixture
def adapter(base, tmp_path):
    return make_adapter(base, tmp_path / "adapter")


@pytest.fixture
def merged(base, adapter, tmp_path):
    from mergesmith.core.engine.merge import merge

    merge(adapter, base, tmp_path / "merged")
    return tmp_path / "merged"


def verify(out, source, base, **kwargs):
    from mergesmith.core.verify.compare import verify as _verify

    return _verify(out, source, base, **kwargs)


def test_our_merge_verifies_exactly(merged, adapter, base):
    events = []
    result = verify(merged, adapter, base, progress=events.append)
    assert result.ok and result.problems == []
    merged_checks = [c for c in result.checks if c.kind == "merged"]
    assert len(merged_checks) == 14  # 7 linear layers x 2 decoder layers, all-linear LoRA
    assert result.worst.ulp == 0
    assert events and events[-1].done == events[-1].total


def test_peft_merge_verifies_within_rounding(base, adapter, tmp_path):
    out = tmp_path / "peft-merged"
    peft_merged(base, adapter, torch.bfloat16).save_pretrained(str(out))
    result = verify(out, adapter, base)
    assert result.ok, result.lines()
    assert result.worst.ulp <= 1


def test_damaged_tensor_is_named(merged, adapter, base):
    name = "model.layers.1.self_attn.v_proj.weight"

    def damage(state):
        state[name] = (state[name].float() * 1.01).to(state[name].dtype)
    rewrite_shard(merged, name, damage)
    result = verify(merged, adapter, base)
    assert not result.ok
    assert {p.code for p in result.problems} == {"merge-mismatch"}
    assert result.problems[0].file == name and result.worst.name == name


def test_unmerged_folder_fails_tensors_and_logits(base, adapter, tmp_path):
    out = copy_folder(base, tmp_path / "not-merged")
    result = verify(out, adapter, base, logits=True)
    codes = [p.code for p in result.problems]
    assert set(codes) == {"merge-mismatch", "logits-mismatch"}
    assert codes.count("merge-mismatch") == 14
    assert result.logits["ratio"] > 0.9


def test_logits_of_a_right_merge_agree(merged, adapter, base):
    result = verify(merged, adapter, base, logits=True)
    assert result.ok, result.lines()
    lg = result.logits
    assert lg["dtype"] == "float32" and lg["ratio"] < 0.25 and lg["argmax_agreement"] == 1.0


def test_other_dtype_and_replaced_tensors(base, tmp_path):
    """A merge written with --dtype float16 and an adapter that replaces lm_head (modules_to_save)."""
    from mergesmith.core.engine.merge import merge

    adapter = make_adapter(base, tmp_path / "adapter", modules_to_save=["lm_head"])
    merge(adapter, base, tmp_path / "out", dtype="float16")
    result = verify(tmp_path / "out", adapter, base, all_tensors=True)
    assert result.ok, result.lines()
    kinds = {c.kind for c in result.checks}
    assert kinds == {"merged", "replaced", "copied"}
    assert any("float16" in n for n in result.notes)


def test_missing_tensor(merged, adapter, base):
    name = "model.layers.0.mlp.up_proj.weight"

    def drop(state):
        del state[name]
    rewrite_shard(merged, name, drop)
    result = verify(merged, adapter, base)
    assert {p.code for p in result.problems} == {"missing-weights"}


def test_cli_verify(merged, adapter, base, tmp_path):
    code, out, _ = run_cli("verify", merged, "--source", adapter, "--base", base)
    assert code == 0
    assert "Largest difference: 0 ulp" in out and "The merge is right." in out
    code, out, _ = run_cli("verify", base, "--source", adapter, "--base", base, "--json")
    assert code == 1
    doc = json.loads(out)
    assert not doc["ok"] and doc["max_ulp"] > 2
    for argv in ((merged, "--source", tmp_path / "nope", "--base", base),
                 (tmp_path / "nope", "--source", adapter, "--base", base)):
        code, _, err = run_cli("verify", *argv)
        assert code == 2 and "Traceback" not in err


def test_converted_xtuner_source(base, tmp_path):
    """verify works for any source make_plan accepts: here XTuner's converted folder (llm_adapter/)."""
    from mergesmith.core.engine.merge import merge

    from fixtures.folders import make_converted

    conv = make_converted(tmp_path / "converted", base)
    merge(conv, base, tmp_path / "out")
    result = verify(tmp_path / "out", conv, base, logits=True)
    assert result.ok, result.lines()
    assert result.worst.ulp == 0 and result.logits is not None


def test_xtuner_checkpoint_source_with_logits(tmp_path):
    """A raw XTuner work_dir (issue 3's reader): tensors recomputed, logits via a PEFT model built from them."""
    from mergesmith.core.demo.lora import make_demo
    from mergesmith.core.engine.merge import merge

    source, base = make_demo(tmp_path / "demo")
    merge(source, base, tmp_path / "out")
    result = verify(tmp_path / "out", source, base, logits=True)
    assert result.ok, result.lines()
    assert result.worst.ulp == 0 and result.logits["ratio"] < 0.25
