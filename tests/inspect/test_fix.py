"""mergesmith fix: each repair ends in a clean folder, the original is never touched (or, in place,
kept in a backup), --dry-run writes nothing, and weights come out bit-identical."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from fixtures.adapters import make_adapter
from fixtures.cli import run_cli
from fixtures.files import copy_folder, edit_json, read_json, read_weights, tree_digest, write_json
from fixtures.folders import INDEX, add_tokens, codes
from fixtures.models import make_model


@pytest.fixture
def base(model_cache):
    return model_cache("llama", sharded=True)


@pytest.fixture
def good(base, tmp_path):
    return copy_folder(base, tmp_path / "model")


def fix(folder, **kwargs):
    from mergesmith.core.fix.folder import fix_folder

    return fix_folder(folder, **kwargs)


def test_copies_tokenizer_and_generation_config_from_base(good, base):
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
        (good / name).unlink()
    before = tree_digest(good)
    from mergesmith.core.fix.folder import plan_fix

    plan = plan_fix(good)  # without a base: the generation config can be written, the tokenizer cannot
    assert [p.code for p, _ in plan.unfixed] == ["missing-tokenizer"]
    assert "--from-base" in plan.unfixed[0][1]
    result = fix(good, base=base)
    assert result.out == good.with_name("model-fixed") and result.report.problems == []
    assert tree_digest(good) == before  # the original is untouched
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
        assert (result.out / name).read_bytes() == (base / name).read_bytes()
    assert read_weights(result.out).keys() == read_weights(base).keys()


def test_writes_generation_config_from_config(good):
    (good / "generation_config.json").unlink()
    result = fix(good)
    assert result.report.problems == []
    doc = read_json(result.out / "generation_config.json")
    assert doc["eos_token_id"] == 2 and doc["bos_token_id"] == 1


def test_rebuilds_missing_index(good, base):
    (good / INDEX).unlink()
    result = fix(good)
    assert result.report.problems == []
    assert read_json(result.out / INDEX)["weight_map"] == read_json(base / INDEX)["weight_map"]
    assert read_json(result.out / INDEX)["metadata"]["total_size"] == read_json(base / INDEX)["metadata"]["total_size"]


def test_rebuilds_wrong_index_and_leaves_out_orphans(good, base):
    doc = read_json(good / INDEX)
    doc["metadata"]["total_size"] = 1
    write_json(good / INDEX, doc)
    shutil.copy(good / "model-00001-of-00003.safetensors", good / "model-00001-of-00002.safetensors")
    assert codes(good) == {"index-mismatch", "orphan-shard"}
    result = fix(good)
    assert result.report.problems == []
    assert not (result.out / "model-00001-of-00002.safetensors").exists()
    assert (good / "model-00001-of-00002.safetensors").exists()


def test_converts_pickles_with_shared_tensors(tmp_path):
    """A tied GPT-2 saved as a pickle: lm_head shares wte's storage; it is left out, as transformers does."""
    from safetensors.torch import load_file

    folder = make_model(tmp_path / "gpt2", arch="gpt2", tie=True)
    original = load_file(str(folder / "model.safetensors"))
    state = dict(original)
    state["lm_head.weight"] = state["transformer.wte.weight"]  # shared storage, as torch.save keeps it
    torch.save(state, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    assert codes(folder) == {"pickle-weights"}
    result = fix(folder)
    assert result.report.problems == []
    assert not (result.out / "pytorch_model.bin").exists()
    written = read_weights(result.out)
    assert written.keys() == original.keys()
    assert all(torch.equal(written[k], original[k]) for k in original)


def test_converts_pickles_beside_safetensors(good, base):
    from safetensors.torch import load_file

    torch.save(load_file(str(good / "model-00001-of-00003.safetensors")), good / "pytorch_model.bin")
    result = fix(good)
    assert result.report.problems == []
    assert not (result.out / "pytorch_model.bin").exists()
    ours, ref = read_weights(result.out), read_weights(base)
    assert ours.keys() == ref.keys() and all(torch.equal(ours[k], ref[k]) for k in ref)


def test_reshards_streaming_bit_identical(good, base):
    limit = 10_000
    assert codes(good, max_shard_size=limit) == {"shard-oversize"}
    result = fix(good, max_shard_size=limit)
    assert result.report.problems == []
    shards = sorted(result.out.glob("*.safetensors"))
    assert len(shards) > 3
    from mergesmith.core.io.safetensors import read_header

    for s in shards:
        h = read_header(s)
        assert s.stat().st_size <= limit or len(h.tensors) == 1
    ours, ref = read_weights(result.out), read_weights(base)
    assert ours.keys() == ref.keys() and all(torch.equal(ours[k], ref[k]) for k in ref)


def test_config_edits(good):
    edit_json(good / "config.json", dtype="float16", tie_word_embeddings=True)
    edit_json(good / "generation_config.json", temperature=0.7)
    assert codes(good) == {"dtype-mismatch", "tied-embeddings", "generation-config-flags"}
    result = fix(good)
    assert result.report.problems == []
    cfg = read_json(result.out / "config.json")
    assert cfg["dtype"] == "bfloat16" and cfg["tie_word_embeddings"] is False
    assert "temperature" not in read_json(result.out / "generation_config.json")


def test_missing_config_from_base(good, base):
    (good / "config.json").unlink()
    result = fix(good, base=base)
    assert result.report.problems == []
    assert read_json(result.out / "config.json") == read_json(base / "config.json")


def test_chat_template_from_base(good, base):
    (good / "chat_template.jinja").unlink()
    add_tokens(good, ["<|im_start|>", "<|im_end|>"], special=True)
    assert codes(good) == {"missing-chat-template"}
    result = fix(good, base=base)
    assert result.report.problems == []
    assert (result.out / "chat_template.jinja").read_text() == (base / "chat_template.jinja").read_text()


def test_remote_code_from_base(good, tmp_path):
    other = copy_folder(good, tmp_path / "base-with-code")
    for folder in (good, other):
        edit_json(folder / "config.json", auto_map={"AutoConfig": "configuration_mine.MineConfig"})
    (other / "configuration_mine.py").write_text("# code\n")
    assert codes(good) == {"missing-remote-code"}
    result = fix(good, base=other)
    assert (result.out / "configuration_mine.py").read_text() == "# code\n"
    assert result.report.problems == []


def test_adapter_pickle_converted(model_cache, tmp_path):
    from safetensors.torch import load_file

    adapter = make_adapter(model_cache("llama"), tmp_path / "adapter")
    original = load_file(str(adapter / "adapter_model.safetensors"))
    torch.save(original, adapter / "adapter_model.bin")
    (adapter / "adapter_model.safetensors").unlink()
    result = fix(adapter)
    assert result.report.problems == []
    converted = load_file(str(result.out / "adapter_model.safetensors"))
    assert all(torch.equal(converted[k], original[k]) for k in original)
    assert not (result.out / "adapter_model.bin").exists()


def test_in_place_keeps_a_backup(good, base):
    (good / INDEX).unlink()
    edit_json(good / "generation_config.json", temperature=0.7)
    old_gen = (good / "generation_config.json").read_bytes()
    result = fix(good, in_place=True)
    assert result.out == good and result.report.problems == []
    assert result.backup is not None and result.backup.parent == good.parent
    assert (result.backup / "generation_config.json").read_bytes() == old_gen
    assert sorted(p.name for p in result.backup.iterdir()) == ["generation_config.json"]
    assert not [p for p in good.parent.iterdir() if "mergesmith-partial" in p.name]


def test_in_place_rewrite_moves_old_shards_to_backup(good, base):
    before = tree_digest(good)
    result = fix(good, in_place=True, max_shard_size=10_000)
    assert result.report.problems == []
    kept = tree_digest(result.backup)
    assert {k for k in before if k.endswith(".safetensors") or k == INDEX} == set(kept)
    assert all(kept[k] == before[k] for k in kept)
    ours, ref = read_weights(good), read_weights(base)
    assert all(torch.equal(ours[k], ref[k]) for k in ref)


def test_nothing_to_fix(good):
    result = fix(good)
    assert result.actions == [] and result.out == good
    assert not good.with_name("model-fixed").exists()


def test_cancel_leaves_nothing(good):
    from mergesmith.core.errors import Cancelled
    from mergesmith.core.fix.folder import plan_fix, run_fix
    from mergesmith.core.progress import CancelToken

    (good / INDEX).unlink()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_fix(plan_fix(good), cancel=token)
    assert sorted(p.name for p in good.parent.iterdir()) == ["model"]


def test_action_for_each_fixable_problem(good):
    """What the GUI's Fix button shows: one action per fixable problem."""
    from mergesmith.core.fix.folder import plan_fix

    (good / INDEX).unlink()
    (good / "generation_config.json").unlink()
    plan = plan_fix(good)
    for p in plan.report.problems:
        assert p.fixable and plan.action_for(p) is not None
    assert json.dumps(plan.to_dict())


def test_cli_fix(good, base):
    (good / INDEX).unlink()
    (good / "tokenizer.json").unlink()
    before = tree_digest(good)
    code, out, _ = run_cli("fix", good, "--dry-run")
    assert code == 1  # the tokenizer needs --from-base
    assert "Would do" in out and "Rebuild model.safetensors.index.json" in out and "--from-base" in out
    assert tree_digest(good) == before and not good.with_name("model-fixed").exists()
    assert run_cli("fix", good, "--dry-run", "--from-base", base).code == 0
    code, out, _ = run_cli("fix", good, "--from-base", base)
    assert code == 0 and "Fixed into" in out
    code, _, err = run_cli("fix", good, "--from-base", base)
    assert code == 2 and "already exists" in err  # model-fixed exists now
    code, out, _ = run_cli("fix", good, "--from-base", base, "--in-place", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["in_place"] and doc["report"]["ok"] and doc["backup"] is None  # nothing replaced, only added


def test_refuses_to_guess_between_single_file_and_index(good, model_cache):
    from mergesmith.core.fix.folder import plan_fix

    shutil.copy(model_cache("llama") / "model.safetensors", good / "model.safetensors")
    plan = plan_fix(good)
    assert plan.actions == [] and "stale" in plan.unfixed[0][1]


def test_projector_code_from_mergesmith(model_cache, tmp_path):
    """XTuner's projector code, shipped with Mergesmith, is copied back without any base."""
    from fixtures.folders import make_llava
    from mergesmith.core.fix.planners import _shipped_projector_file

    assert _shipped_projector_file("modeling_projector.py") is not None, "resources/projector is not installed"
    llava = make_llava(tmp_path / "llava", model_cache("llama"))
    (llava / "projector" / "modeling_projector.py").unlink()
    result = fix(llava)
    assert result.report.problems == []
    assert (result.out / "projector" / "modeling_projector.py").read_bytes() == \
        _shipped_projector_file("modeling_projector.py").read_bytes()
    assert (result.out / "visual_encoder" / "preprocessor_config.json").is_file()
