"""One test per problem code: start from a good folder, damage it one way, expect exactly that code."""

from __future__ import annotations

import shutil

import pytest
import torch

from fixtures.files import copy_folder, edit_json, read_json, write_json
from fixtures.folders import INDEX, add_tokens, codes, drop, make_llava, make_work_dir, report, rewrite_shard


@pytest.fixture
def good(model_cache, tmp_path):
    """A sharded tiny Llama as transformers saves it, with tokenizer, chat template, generation config."""
    return copy_folder(model_cache("llama", sharded=True), tmp_path / "model")


def test_good_folder_is_clean(good):
    r = report(good)
    assert r.kind == "model"
    assert r.problems == [] and r.notes == []
    s = r.summary
    assert s["shards"] == len(list(good.glob("*.safetensors"))) > 1
    assert s["parameters"] > 0 and s["dtypes"] == ["bfloat16"] and s["architecture"] == "LlamaForCausalLM"


# --- config -------------------------------------------------------------------------------------------


def test_missing_config(good):
    (good / "config.json").unlink()
    assert codes(good) == {"missing-config"}


def test_unparseable_config(good):
    (good / "config.json").write_text("{ not json")
    assert codes(good) == {"missing-config"}


def test_unknown_architecture(good):
    edit_json(good / "config.json", model_type="no-such-model", architectures=["NoSuchModelForCausalLM"])
    assert codes(good) == {"unknown-architecture"}


def test_missing_remote_code(good):
    edit_json(good / "config.json", auto_map={"AutoModelForCausalLM": "modeling_mine.MineForCausalLM"})
    r = report(good)
    assert r.codes == {"missing-remote-code"}
    assert r.problems[0].file == "modeling_mine.py"


def test_dtype_mismatch(good):
    edit_json(good / "config.json", dtype="float16")
    assert codes(good) == {"dtype-mismatch"}


# --- generation config ----------------------------------------------------------------------------------


def test_missing_generation_config(good):
    (good / "generation_config.json").unlink()
    assert codes(good) == {"missing-generation-config"}


@pytest.mark.parametrize("content", ["{ nope", '{"max_new_tokens": -1}'])
def test_bad_generation_config(good, content):
    (good / "generation_config.json").write_text(content)
    assert codes(good) == {"bad-generation-config"}


def test_generation_config_flags(good):
    edit_json(good / "generation_config.json", temperature=0.6, top_p=0.9)
    r = report(good)
    assert r.codes == {"generation-config-flags"}
    assert "temperature" in r.problems[0].message and r.problems[0].fixable


# --- tokenizer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("remove", [("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"),
                                    ("tokenizer.json",), ("tokenizer_config.json",)])
def test_missing_tokenizer(good, remove):
    for name in remove:
        (good / name).unlink()
    assert codes(good) == {"missing-tokenizer"}


@pytest.mark.parametrize("deep", [True, False])
def test_broken_tokenizer(good, deep):
    (good / "tokenizer.json").write_text("{ broken")
    assert codes(good, deep=deep) == {"broken-tokenizer"}


@pytest.mark.parametrize("deep", [True, False])
def test_vocab_mismatch_tokenizer_larger_than_embeddings(good, deep):
    add_tokens(good, [f"tok{i}" for i in range(20)])  # 120 + 20 > 128 rows
    r = report(good, deep=deep)
    assert r.codes == {"vocab-mismatch"}
    assert "140" in r.problems[0].message and "128" in r.problems[0].message


def test_vocab_mismatch_config_vocab_size(good):
    edit_json(good / "config.json", vocab_size=100)
    assert codes(good) == {"vocab-mismatch"}


def test_missing_chat_template(good):
    (good / "chat_template.jinja").unlink()
    assert codes(good) == set()  # no chat tokens: a base model needs no template
    add_tokens(good, ["<|im_start|>", "<|im_end|>"], special=True)
    assert codes(good) == {"missing-chat-template"}


def test_missing_special_tokens(good):
    edit_json(good / "tokenizer_config.json", eos_token=None)
    edit_json(good / "config.json", eos_token_id=None)
    edit_json(good / "generation_config.json", eos_token_id=None)
    assert codes(good) == {"missing-special-tokens"}


# --- shards and index ------------------------------------------------------------------------------------


def test_missing_shard(good):
    (good / "model-00002-of-00003.safetensors").unlink()
    r = report(good)
    assert r.codes == {"missing-shard"}
    assert [p.file for p in r.problems] == ["model-00002-of-00003.safetensors"]


def test_orphan_shard(good):
    shutil.copy(good / "model-00001-of-00003.safetensors", good / "model-00001-of-00002.safetensors")
    assert codes(good) == {"orphan-shard"}


def test_index_missing(good):
    (good / INDEX).unlink()
    assert codes(good) == {"index-mismatch"}


def test_index_wrong_total_size(good):
    doc = read_json(good / INDEX)
    doc["metadata"]["total_size"] += 2
    write_json(good / INDEX, doc)
    assert codes(good) == {"index-mismatch"}


def test_index_maps_tensor_to_wrong_shard(good):
    doc = read_json(good / INDEX)
    name = "model.norm.weight"
    doc["weight_map"][name] = next(f for f in sorted(set(doc["weight_map"].values())) if f != doc["weight_map"][name])
    write_json(good / INDEX, doc)
    assert codes(good) == {"index-mismatch"}


def test_index_lacks_a_shard(good):
    """A shard nothing names but whose tensors are needed: the index is wrong, not the shard."""
    doc = read_json(good / INDEX)
    doc["weight_map"] = {k: v for k, v in doc["weight_map"].items() if v != "model-00003-of-00003.safetensors"}
    write_json(good / INDEX, doc)
    assert "index-mismatch" in codes(good)


@pytest.mark.parametrize("damage", ["truncate", "header", "append"])
def test_corrupt_shard(good, damage):
    path = good / "model-00003-of-00003.safetensors"
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:-8])
    elif damage == "header":
        path.write_bytes(data[:8] + b"{garbage" + data[16:])
    else:
        path.write_bytes(data + b"\0" * 8)
    r = report(good)
    assert r.codes == {"corrupt-shard"}
    assert r.problems[0].file == path.name


def test_pickle_weights(good):
    from safetensors.torch import load_file

    torch.save(load_file(str(good / "model-00001-of-00003.safetensors")), good / "pytorch_model.bin")
    (good / "training_args.bin").write_bytes(b"not weights")  # trainer leftovers are not weights
    assert codes(good) == {"pickle-weights"}


def test_shard_oversize(good):
    assert codes(good, max_shard_size=10**6) == set()
    r = report(good, max_shard_size=15_000)
    assert r.codes == {"shard-oversize"} and r.problems[0].severity == "warning"


# --- weights against the architecture --------------------------------------------------------------------


def test_missing_weights(good):
    rewrite_shard(good, "model.layers.1.mlp.up_proj.weight", drop("model.layers.1.mlp.up_proj.weight"))
    r = report(good)
    assert r.codes == {"missing-weights"}
    assert "model.layers.1.mlp.up_proj.weight" in r.problems[0].message


def test_unexpected_weights(good):
    def add(s):
        s["model.layers.0.mlp.extra.weight"] = torch.zeros(4, 4, dtype=torch.bfloat16)
    rewrite_shard(good, "model.norm.weight", add)
    assert codes(good) == {"unexpected-weights"}


def test_shape_mismatch(good):
    edit_json(good / "config.json", intermediate_size=64)
    assert codes(good) == {"shape-mismatch"}


def test_tied_embeddings(good):
    edit_json(good / "config.json", tie_word_embeddings=True)
    r = report(good)
    assert r.codes == {"tied-embeddings"} and r.problems[0].fixable


def test_tied_embeddings_identical_copies_are_fine(good):
    edit_json(good / "config.json", tie_word_embeddings=True)
    from safetensors.torch import load_file

    embed = load_file(str(good / read_json(good / INDEX)["weight_map"]["model.embed_tokens.weight"]))["model.embed_tokens.weight"]

    def copy_embed(s):
        s["lm_head.weight"] = embed.clone()
    rewrite_shard(good, "lm_head.weight", copy_embed)
    assert codes(good) == set()


def test_weights_unverified_for_renamed_architectures(tmp_path):
    """Mixtral's experts are fused on load: mismatches there are warnings, never errors."""
    from transformers import MixtralConfig, MixtralForCausalLM

    from fixtures.models import make_tokenizer

    cfg = MixtralConfig(hidden_size=32, intermediate_size=48, num_hidden_layers=1, num_attention_heads=4,
                        num_key_value_heads=2, vocab_size=128, num_local_experts=2, max_position_embeddings=64)
    folder = tmp_path / "mixtral"
    MixtralForCausalLM(cfg).save_pretrained(str(folder))
    make_tokenizer(folder)
    edit_json(folder / "generation_config.json", eos_token_id=2)
    assert codes(folder) == set()
    name = "model.layers.0.self_attn.q_proj.weight"
    rewrite_shard(folder, name, drop(name))
    r = report(folder)
    assert r.codes == {"weights-unverified"} and r.ok


def test_non_finite(good):
    def poison(s):
        s["model.layers.0.mlp.down_proj.weight"][0, 0] = float("nan")
    rewrite_shard(good, "model.layers.0.mlp.down_proj.weight", poison)
    assert codes(good) == set()  # values are only read when asked
    events = []
    r = report(good, scan_values=True, progress=events.append)
    assert r.codes == {"non-finite"}
    assert "model.layers.0.mlp.down_proj.weight" in r.problems[0].message
    assert events and events[-1].done == events[-1].total > 0


# --- LLaVA --------------------------------------------------------------------------------------------------


@pytest.fixture
def llava(model_cache, tmp_path):
    return make_llava(tmp_path / "llava", model_cache("llama", sharded=True))


def test_llava_layout_is_clean(llava):
    r = report(llava)
    assert r.kind == "llava" and r.problems == []
    assert r.summary["parts"]["projector"]["projector"] == {"depth": 2, "in": 16, "out": 32}


def test_missing_projector(llava):
    shutil.rmtree(llava / "projector")
    assert codes(llava) == {"missing-projector"}


def test_projector_mismatch(llava):
    edit_json(llava / "projector" / "config.json", llm_hidden_size=64)
    assert codes(llava) == {"projector-mismatch"}


def test_projector_does_not_fit_the_llm(llava):
    edit_json(llava / "config.json", hidden_size=64)
    assert "projector-mismatch" in codes(llava, deep=False)


def test_missing_processor(llava):
    (llava / "visual_encoder" / "preprocessor_config.json").unlink()
    r = report(llava)
    assert r.codes == {"missing-processor"} and r.problems[0].file == "visual_encoder/preprocessor_config.json"


def test_projector_missing_remote_code(llava):
    (llava / "projector" / "modeling_projector.py").unlink()
    r = report(llava)
    assert r.codes == {"missing-remote-code"} and r.problems[0].file == "projector/modeling_projector.py"


# --- adapters and training output ------------------------------------------------------------------------


@pytest.fixture
def adapter(model_cache, tmp_path):
    from fixtures.adapters import make_adapter

    return make_adapter(model_cache("llama"), tmp_path / "adapter")


def test_adapter_is_clean_and_fits_its_base(adapter, model_cache):
    r = report(adapter, base=model_cache("llama"))
    assert r.kind == "peft-adapter" and r.problems == []
    assert r.summary["adapter"]["r"] == 4


def test_bad_adapter(adapter):
    edit_json(adapter / "adapter_config.json", r=16)
    assert codes(adapter) == {"bad-adapter"}


def test_missing_module_against_base(adapter, model_cache):
    from safetensors.torch import load_file, save_file

    path = adapter / "adapter_model.safetensors"
    state = {k.replace("layers.1.", "layers.7."): v for k, v in load_file(str(path)).items()}
    save_file(state, str(path))
    assert codes(adapter) == set()
    assert codes(adapter, base=model_cache("llama")) == {"missing-module"}


def test_adapter_pickle_weights(adapter):
    from safetensors.torch import load_file

    path = adapter / "adapter_model.safetensors"
    torch.save(load_file(str(path)), adapter / "adapter_model.bin")
    path.unlink()
    assert codes(adapter) == {"pickle-weights"}


def test_work_dir_and_corrupt_checkpoint(tmp_path):
    wd = make_work_dir(tmp_path / "work_dir")
    r = report(wd)
    assert r.kind == "xtuner-work-dir" and r.problems == []
    assert [c["name"] for c in r.summary["checkpoints"]] == ["iter_10.pth", "iter_20.pth"]
    assert r.summary["base_hint"] == "/models/base"
    data = (wd / "iter_20.pth").read_bytes()
    (wd / "iter_20.pth").write_bytes(data[: len(data) // 2])
    r = report(wd)
    assert r.codes == {"corrupt-checkpoint"} and r.problems[0].file == "iter_20.pth"


def test_config_edited_after_training(tmp_path):
    """A real work_dir (specimen) whose .py no longer says what its checkpoint was trained with."""
    from fixtures.specimens import CONFIG, copy_work_dir, set_alpha

    wd = copy_work_dir(tmp_path / "wd")
    assert codes(wd) == set()
    set_alpha(wd / CONFIG, 32)
    r = report(wd)
    assert r.codes == {"config-mismatch"} and r.problems[0].file == CONFIG
    assert "lora_alpha 32 \u2260 16" in r.problems[0].message and r.problems[0].params["details"] == "lora_alpha 32 \u2260 16"
    assert r.summary["base_hint"] == "Qwen/Qwen1.5-0.5B-Chat"  # the checkpoint's own config says so


def test_internvl_work_dir_is_unsupported(tmp_path):
    from fixtures.specimens import make_internvl

    r = report(make_internvl(tmp_path))
    assert r.codes == {"unsupported-model"} and "InternVL training output is not supported yet" in r.problems[0].message


def test_deepspeed_checkpoint_without_model_states(tmp_path):
    wd = make_work_dir(tmp_path / "work_dir")
    (wd / "iter_30.pth").mkdir()
    torch.save({}, wd / "iter_30.pth" / "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt")
    assert codes(wd) == {"corrupt-checkpoint"}


def test_single_file_beside_an_index(good, model_cache):
    """transformers loads model.safetensors alone when it exists: a stale one beside an index is an error."""
    shutil.copy(model_cache("llama") / "model.safetensors", good / "model.safetensors")
    assert codes(good) == {"index-mismatch"}


def test_adapter_tokenizer_larger_than_base_embeddings(adapter, model_cache):
    from fixtures.models import make_tokenizer

    tok = make_tokenizer(adapter)
    tok.add_tokens([f"new{i}" for i in range(20)])
    tok.save_pretrained(str(adapter))
    assert codes(adapter) == set()  # without a base, the rows are unknown
    assert codes(adapter, base=model_cache("llama")) == {"vocab-mismatch"}


def test_quantized_models_are_not_compared_by_name(good):
    def quantize(s):
        s["model.layers.0.mlp.up_proj.weight_scale"] = torch.ones(1, dtype=torch.bfloat16)
    rewrite_shard(good, "model.layers.0.mlp.up_proj.weight", quantize)
    assert codes(good) == {"unexpected-weights"}
    edit_json(good / "config.json", quantization_config={"quant_method": "fp8"})
    r = report(good)
    assert r.problems == [] and "quantized" in r.notes[0]


def test_numbering_gap_without_index(good):
    (good / INDEX).unlink()
    (good / "model-00002-of-00003.safetensors").unlink()
    r = report(good)
    assert r.codes == {"index-mismatch", "missing-shard", "missing-weights"}
    assert [p.file for p in r.problems if p.code == "missing-shard"] == ["model-00002-of-00003.safetensors"]


def test_every_code_has_a_test():
    """Each code of the table is exercised somewhere in these tests."""
    from pathlib import Path

    from mergesmith.core.inspect.report import CODES

    text = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert not [c for c in CODES if f'"{c}"' not in text]
