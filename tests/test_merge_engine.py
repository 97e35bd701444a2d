"""The merge engine's promises beyond the maths: what it carries, what it refuses, and that it
never leaves a half-written folder or touches an input."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading

import pytest
import torch

from fixtures.adapters import make_adapter, peft_merged
from fixtures.files import read_json, read_weights
from fixtures.merge import ms_merge, ms_plan
from fixtures.models import load_model, make_tokenizer


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent):
    return [p.name for p in parent.iterdir() if ".mergesmith-" in p.name]


@pytest.fixture
def pair(model_cache, tmp_path):
    base = model_cache("llama", sharded=True)
    adapter = make_adapter(base, tmp_path / "adapter")
    return base, adapter


def test_inputs_are_never_changed(pair, tmp_path):
    base, adapter = pair
    before = (_digest(base), _digest(adapter))
    ms_merge(adapter, base, tmp_path / "out")
    assert (_digest(base), _digest(adapter)) == before


def test_output_is_complete_and_loads(pair, tmp_path):
    base, adapter = pair
    out = tmp_path / "out"
    result = ms_merge(adapter, base, out, max_shard_size="40KB")
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "model.safetensors.index.json"} <= names
    shards = sorted(n for n in names if n.endswith(".safetensors"))
    assert len(shards) > 1 and shards[0] == f"model-00001-of-{len(shards):05d}.safetensors"
    index = read_json(out / "model.safetensors.index.json")
    weights = read_weights(out)
    assert set(index["weight_map"]) == set(weights)
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in weights.values())
    for s in shards:  # no shard over the limit unless it holds a single bigger tensor
        size = (out / s).stat().st_size
        assert size <= 40_000 or len([k for k, v in index["weight_map"].items() if v == s]) == 1
    assert not any(n.endswith((".bin", ".pth", ".pt")) for n in names)
    assert read_json(out / "generation_config.json")["eos_token_id"] == [2, 3]
    assert not result.problems, result.problems
    load_model(out)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(out))
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)


def test_tokenizer_from_training_output_when_saved(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    make_tokenizer(adapter, vocab_size=100, chat_template=False)
    (adapter / "chat_template.jinja").write_text("{{ 'trained template' }}")
    gen = {"eos_token_id": [2, 7], "do_sample": False}
    (adapter / "generation_config.json").write_text(json.dumps(gen))
    out = tmp_path / "out"
    ms_merge(adapter, base, out)
    assert (out / "tokenizer.json").read_bytes() == (adapter / "tokenizer.json").read_bytes()
    assert (out / "chat_template.jinja").read_text() == "{{ 'trained template' }}"
    assert read_json(out / "generation_config.json") == gen


def test_remote_code_files_travel(model_cache, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(model_cache("llama"), base)
    cfg = read_json(base / "config.json")
    cfg["auto_map"] = {"AutoConfig": "configuration_tiny.TinyConfig",
                       "AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"}
    (base / "config.json").write_text(json.dumps(cfg))
    (base / "configuration_tiny.py").write_text("class TinyConfig: pass\n")
    (base / "modeling_tiny.py").write_text("from .helpers_tiny import x\nclass TinyForCausalLM: pass\n")
    (base / "helpers_tiny.py").write_text("x = 1\n")
    (base / "unrelated.py").write_text("y = 2\n")
    (base / "LICENSE").write_text("license text\n")
    adapter = make_adapter(model_cache("llama"), tmp_path / "adapter")
    out = tmp_path / "out"
    ms_merge(adapter, base, out)
    names = {p.name for p in out.iterdir()}
    assert {"configuration_tiny.py", "modeling_tiny.py", "helpers_tiny.py", "LICENSE"} <= names
    assert "unrelated.py" not in names
    assert read_json(out / "config.json")["auto_map"] == cfg["auto_map"]


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_output_dtype_change(model_cache, tmp_path, dtype):
    base = model_cache("llama", "bfloat16")
    adapter = make_adapter(base, tmp_path / "adapter")
    out = tmp_path / "out"
    ms_merge(adapter, base, out, dtype=dtype)
    target = getattr(torch, dtype)
    cfg = read_json(out / "config.json")
    assert cfg.get("dtype", cfg.get("torch_dtype")) == dtype
    ours = read_weights(out)
    assert {t.dtype for t in ours.values()} == {target}
    # PEFT's own merge in float32, rounded once to the target dtype
    name = "model.layers.0.self_attn.q_proj.weight"
    expect = peft_merged(base, adapter, torch.float32).state_dict()[name].to(target)
    assert torch.equal(ours[name], expect)
    assert load_model(out).dtype == target


@pytest.mark.parametrize("where", ["adapter", "base"])
def test_float16_overflow_is_refused_not_written_as_inf(model_cache, tmp_path, where):
    """bf16 holds values float16 cannot (max 65504): asking for float16 must not ship Inf silently."""
    from safetensors.torch import load_file, save_file

    from mergesmith.core.errors import OverflowToInfError

    base = model_cache("llama", "bfloat16")
    adapter = make_adapter(base, tmp_path / "adapter")
    if where == "adapter":  # a LoRA whose product pushes q_proj past float16's range
        f = adapter / "adapter_model.safetensors"
        w = load_file(str(f))
        w["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] *= 1e9
        save_file(w, str(f), metadata={"format": "pt"})
        name = "model.layers.0.self_attn.q_proj.weight"
    else:  # a base weight (not touched by the adapter) beyond float16's range
        base = shutil.copytree(base, tmp_path / "base")
        [f] = base.glob("*.safetensors")
        w = load_file(str(f))
        name = "model.norm.weight"
        w[name][3] = 1e5
        save_file(w, str(f), metadata={"format": "pt"})
    with pytest.raises(OverflowToInfError, match=f"{name} has values up to .*beyond float16's largest"):
        ms_merge(adapter, base, tmp_path / "out", dtype="float16")
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)
    ms_merge(adapter, base, tmp_path / "out")  # in the base's own bfloat16 it is fine


def test_wrong_base_is_refused_before_writing(model_cache, tmp_path):
    base = model_cache("llama")
    other = model_cache("qwen2", vocab_size=96)
    adapter = make_adapter(other, tmp_path / "adapter", target_modules=["q_proj", "embed_tokens"],
                           save_embedding_layers=False)
    # same module names, different vocabulary: a shape problem naming module and both shapes
    plan = ms_plan(adapter, base, tmp_path / "out")
    assert not plan.ok
    msg = " ".join(p.message for p in plan.problems if p.is_error)
    assert "model.embed_tokens" in msg and "[96, 32]" in msg and "[128, 32]" in msg
    from mergesmith.core.errors import PlanError

    with pytest.raises(PlanError):
        ms_merge(adapter, base, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)


def test_adapter_for_another_architecture(model_cache, tmp_path):
    adapter = make_adapter(model_cache("gpt2"), tmp_path / "adapter", target_modules=["c_attn"])
    plan = ms_plan(adapter, model_cache("llama"), tmp_path / "out")
    (p,) = [p for p in plan.problems if p.is_error and p.code != "wrong-base"]
    assert p.code == "missing-module" and "transformer.h.0.attn.c_attn.weight" in p.message
    assert "wrong-base" in {p.code for p in plan.problems if p.is_error}  # both sides named (tests/safety)


def test_base_that_is_not_a_model(model_cache, tmp_path):
    from mergesmith.core.errors import PlanError

    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    with pytest.raises(PlanError, match="is an adapter, not a base model"):
        ms_plan(adapter, adapter, tmp_path / "out")
    with pytest.raises(PlanError, match="does not exist"):
        ms_plan(adapter, tmp_path / "nope", tmp_path / "out")


@pytest.mark.parametrize("change, message", [
    ({"peft_type": "IA3"}, "IA3 adapter"),
    ({"init_lora_weights": "pissa"}, "pissa"),
    ({"layer_replication": [[0, 2]]}, "layer replication"),
    ({"target_parameters": ["experts.gate_up_proj"]}, "target_parameters"),
])
def test_unsupported_variants_refused_with_a_sentence(model_cache, tmp_path, change, message):
    from mergesmith.core.errors import SourceError
    from mergesmith.core.sources.detect import detect

    adapter = make_adapter(model_cache("llama"), tmp_path / "adapter")
    cfg = read_json(adapter / "adapter_config.json")
    cfg.update(change)
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(SourceError, match=message):
        detect(adapter)


def test_unknown_lora_tensor_refused(model_cache, tmp_path):
    from safetensors.torch import load_file, save_file

    from mergesmith.core.errors import SourceError
    from mergesmith.core.sources.detect import detect

    adapter = make_adapter(model_cache("llama"), tmp_path / "adapter")
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    tensors["base_model.model.model.layers.0.mlp.up_proj.lora_E"] = torch.zeros(4)
    save_file(tensors, str(adapter / "adapter_model.safetensors"))
    with pytest.raises(SourceError, match="lora_E"):
        detect(adapter)


def test_existing_output_needs_overwrite_and_is_replaced_only_on_success(pair, tmp_path):
    base, adapter = pair
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    plan = ms_plan(adapter, base, out)
    assert [p.code for p in plan.problems if p.is_error] == ["output-exists"]
    ms_merge(adapter, base, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "config.json").is_file()
    assert not _leftovers(tmp_path)


def test_output_inside_an_input_refused(pair):
    base, adapter = pair
    plan = ms_plan(adapter, base, base / "merged")
    assert [p.code for p in plan.problems if p.is_error] == ["output-overlaps-input"]
    plan = ms_plan(adapter, base, adapter)
    assert "output-overlaps-input" in [p.code for p in plan.problems]


def test_cancel_leaves_nothing_behind(pair, tmp_path):
    from mergesmith.core import CancelToken
    from mergesmith.core.errors import Cancelled
    from mergesmith.core.engine.merge import run_plan

    base, adapter = pair
    plan = ms_plan(adapter, base, tmp_path / "out", max_shard_size="30KB")
    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if p.file and p.file.startswith("model-00002"):
            token.cancel()

    with pytest.raises(Cancelled):
        run_plan(plan, progress, token)
    assert seen and not (tmp_path / "out").exists() and not _leftovers(tmp_path)


def test_error_midway_leaves_nothing_behind(pair, tmp_path, monkeypatch):
    from mergesmith.core.engine import merge as merge_mod
    from mergesmith.core.io.atomic import DiskFullError

    base, adapter = pair
    plan = ms_plan(adapter, base, tmp_path / "out", max_shard_size="30KB")
    calls = {"n": 0}
    real = merge_mod.ShardWriter.write_part

    def failing(self, data):  # the disk fills up while the writer thread writes
        calls["n"] += 1
        if calls["n"] == 10:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(merge_mod.ShardWriter, "write_part", failing)
    with pytest.raises(DiskFullError, match="ran out of space"):
        merge_mod.run_plan(plan)
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)


def test_progress_counts_every_byte(pair, tmp_path):
    from mergesmith.core.engine.merge import run_plan

    base, adapter = pair
    plan = ms_plan(adapter, base, tmp_path / "out")
    events = []
    result = run_plan(plan, events.append)
    writes = [e for e in events if e.phase == "write"]
    assert writes and all(a.done <= b.done for a, b in zip(writes, writes[1:]))
    assert events[-1].phase == "done" and events[-1].done == events[-1].total == plan.total_bytes
    assert plan.total_bytes == sum(p.stat().st_size for p in result.out.iterdir())


def test_cancel_from_another_thread(pair, tmp_path):
    from mergesmith.core import CancelToken
    from mergesmith.core.errors import Cancelled
    from mergesmith.core.engine.merge import run_plan

    base, adapter = pair
    plan = ms_plan(adapter, base, tmp_path / "out", max_shard_size="20KB")
    token = CancelToken()
    token_set = threading.Timer(0, token.cancel)
    token_set.start()
    token_set.join()
    with pytest.raises(Cancelled):
        run_plan(plan, None, token)
    assert not (tmp_path / "out").exists()


def test_plan_reads_headers_only(pair, tmp_path, monkeypatch):
    """Planning touches no base tensor data (of the adapter it reads the small tensors, for NaN/Inf)."""
    from mergesmith.core.io import safetensors as safetensors_io

    base, adapter = pair
    read = safetensors_io.SafetensorsFile.tensor

    def boom(self, name):
        if self.path.parent != adapter:
            raise AssertionError(f"plan read tensor data of {name}")
        return read(self, name)

    monkeypatch.setattr(safetensors_io.SafetensorsFile, "tensor", boom)
    plan = ms_plan(adapter, base, tmp_path / "out")
    assert plan.ok and plan.stats["merged_tensors"] == 14
    assert plan.disk_needed >= plan.total_bytes


def test_quantized_base_refused(model_cache, tmp_path):
    from mergesmith.core.errors import PlanError

    base = tmp_path / "base-4bit"
    shutil.copytree(model_cache("llama"), base)
    cfg = read_json(base / "config.json")
    cfg["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    (base / "config.json").write_text(json.dumps(cfg))
    adapter = make_adapter(model_cache("llama"), tmp_path / "adapter")
    with pytest.raises(PlanError, match="quantized \\(bitsandbytes\\).*original float16/bfloat16"):
        ms_plan(adapter, base, tmp_path / "out")
