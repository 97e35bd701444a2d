"""A base named by its Hub id, found offline in the caches, in every command that takes a base: merge
(by the training config's name and by --base), convert, verify, fix --from-base and inspect --base.
The qwen2-qlora specimen's config names ``Qwen/Qwen1.5-0.5B-Chat``; its tiny stand-in goes in the cache."""

from __future__ import annotations

import json
import shutil

import pytest

from fixtures.cli import assert_clean_failure, run_cli
from fixtures.files import tree_digest
from fixtures.hubcache import QWEN_ID, hf_cache, ms_cache
from fixtures.specimens import QWEN_BASE, QWEN_WD
from fixtures.xtuner import full_state_dict, sft_config, work_dir

SHARDS = [f"model-0000{i}-of-00007.safetensors" for i in range(1, 8)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The merge given the base's own folder."""
    out = tmp_path_factory.mktemp("ref") / "merged"
    done = run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", out)
    assert done.code == 0, done.err
    return out


def test_merge_finds_the_configs_base_in_the_hugging_face_cache(caches, reference, tmp_path):
    hf, _ = caches
    snap = hf_cache(hf, QWEN_ID, QWEN_BASE)
    done = run_cli("merge", QWEN_WD, "--out", tmp_path / "by-id")
    assert done.code == 0, done.err
    assert f"{QWEN_ID} (Hugging Face cache, snapshot {snap.name[:7]} (main)): {snap}" in done.err
    done = run_cli("merge", QWEN_WD, "--base", snap, "--out", tmp_path / "by-snapshot")
    assert done.code == 0, done.err
    assert tree_digest(tmp_path / "by-id") == tree_digest(tmp_path / "by-snapshot") == tree_digest(reference)


@pytest.mark.parametrize("layout", ["new", "old"])
def test_merge_base_id_from_the_modelscope_cache(caches, reference, tmp_path, layout):
    _, ms = caches
    ms_cache(ms, QWEN_ID, QWEN_BASE, layout=layout)
    done = run_cli("merge", QWEN_WD, "--base", QWEN_ID, "--out", tmp_path / "ms")
    assert done.code == 0, done.err
    assert tree_digest(tmp_path / "ms") == tree_digest(reference)


def test_dry_run_and_json_say_where_the_base_was_found(caches, tmp_path):
    hf, _ = caches
    snap = hf_cache(hf, QWEN_ID, QWEN_BASE)
    repo = hf / "models--Qwen--Qwen1.5-0.5B-Chat"
    done = run_cli("merge", QWEN_WD, "--base", repo, "--out", tmp_path / "x", "--dry-run")
    assert done.code == 0, done.err
    assert f"Base:    {QWEN_ID} (Hugging Face cache, snapshot {snap.name[:7]} (main)): {snap}" in done.out
    done = run_cli("merge", QWEN_WD, "--out", tmp_path / "x", "--dry-run", "--json")
    plan = json.loads(done.out)
    assert plan["base"] == str(snap) and plan["base_found"]["where"] == "huggingface-cache"
    assert plan["base_found"]["snapshot"] == snap.name and plan["base_found"]["missing"] == []
    assert plan["source"]["base_found"]["repo_id"] == QWEN_ID


def test_not_found_says_where_we_looked(caches, tmp_path):
    hf, ms = caches
    done = run_cli("merge", QWEN_WD, "--out", tmp_path / "x")
    line = assert_clean_failure(done.code, done.err, [QWEN_ID, str(hf), str(ms), "--base", "--download"])
    assert "Hugging Face cache" in line and "ModelScope cache" in line
    done = run_cli("merge", QWEN_WD, "--base", "internlm/internlm2-chat-7b", "--out", tmp_path / "x")
    assert_clean_failure(done.code, done.err, ["internlm/internlm2-chat-7b", str(hf), str(ms), "--download"])


def test_incomplete_snapshot_names_the_missing_files(caches, tmp_path):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, QWEN_BASE, dangling=SHARDS[:2], skip=SHARDS[2:3])
    done = run_cli("merge", QWEN_WD, "--out", tmp_path / "x")
    line = assert_clean_failure(done.code, done.err, [*SHARDS[:3], "Hugging Face cache", "3 files of"])
    assert "not downloaded" in line


def test_incomplete_tokenizer_is_a_warning(caches, tmp_path):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, QWEN_BASE, dangling=["generation_config.json"])
    done = run_cli("merge", QWEN_WD, "--out", tmp_path / "x", "--dry-run")
    assert done.code == 0, done.err
    assert "[base-incomplete] generation_config.json" in done.out and "1 file of" in done.out


def test_convert_full_finetune_base_by_id(caches, tmp_path):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, QWEN_BASE)
    sd = full_state_dict(QWEN_BASE, seed=22)
    wd = work_dir(tmp_path / "wd", sft_config(QWEN_ID), {3: sd}, name="full")
    assert run_cli("convert", wd, "--out", tmp_path / "by-id").code == 0
    assert run_cli("convert", wd, "--base", QWEN_BASE, "--out", tmp_path / "by-folder").code == 0
    assert tree_digest(tmp_path / "by-id") == tree_digest(tmp_path / "by-folder")
    shutil.rmtree(hf / "models--Qwen--Qwen1.5-0.5B-Chat")
    done = run_cli("convert", wd, "--out", tmp_path / "none")
    assert_clean_failure(done.code, done.err, [QWEN_ID, str(hf), "--download"])


def test_verify_fix_and_inspect_take_a_hub_id(caches, reference, tmp_path):
    hf, _ = caches
    snap = hf_cache(hf, QWEN_ID, QWEN_BASE)
    done = run_cli("verify", reference, "--source", QWEN_WD, "--base", QWEN_ID)
    assert done.code == 0, done.out + done.err
    assert f"Hugging Face cache, snapshot {snap.name[:7]}" in done.out

    broken = shutil.copytree(reference, tmp_path / "broken")
    (broken / "tokenizer.json").unlink()
    done = run_cli("fix", broken, "--from-base", QWEN_ID, "--out", tmp_path / "fixed")
    assert done.code == 0, done.out + done.err
    assert f"Base: {QWEN_ID} (Hugging Face cache" in done.out
    assert (tmp_path / "fixed" / "tokenizer.json").read_bytes() == (QWEN_BASE / "tokenizer.json").read_bytes()
    assert not (tmp_path / "fixed" / "tokenizer.json").is_symlink()

    conv = tmp_path / "converted"
    assert run_cli("convert", QWEN_WD, "--out", conv).code == 0
    done = run_cli("inspect", conv, "--base", QWEN_ID)
    assert f"base model: {QWEN_ID} (Hugging Face cache, snapshot {snap.name[:7]} (main)): {snap}" in done.out
    report = json.loads(run_cli("inspect", conv, "--base", QWEN_ID, "--json").out)
    assert report["summary"]["base_found"]["path"] == str(snap)
    done = run_cli("inspect", QWEN_WD)
    assert f"named by the config: {QWEN_ID} (Hugging Face cache, snapshot" in done.out


def test_verify_and_fix_not_found_say_where_we_looked(caches, reference, tmp_path):
    hf, ms = caches
    done = run_cli("verify", reference, "--source", QWEN_WD, "--base", QWEN_ID)
    assert_clean_failure(done.code, done.err, [QWEN_ID, str(hf), str(ms)], expected=(1, 2))
    broken = shutil.copytree(reference, tmp_path / "broken")
    done = run_cli("fix", broken, "--from-base", QWEN_ID)
    assert_clean_failure(done.code, done.err, [QWEN_ID, str(hf), "--from-base"], expected=(1, 2))


def test_peft_adapter_names_its_base_by_hub_id(caches, tmp_path):
    """PEFT writes the id it loaded the base by into ``base_model_name_or_path``: found in the cache."""
    from fixtures.adapters import make_adapter
    from fixtures.files import edit_json

    hf, _ = caches
    hf_cache(hf, QWEN_ID, QWEN_BASE)
    adapter = make_adapter(QWEN_BASE, tmp_path / "adapter")
    edit_json(adapter / "adapter_config.json", base_model_name_or_path=QWEN_ID)
    done = run_cli("merge", adapter, "--out", tmp_path / "by-id")
    assert done.code == 0, done.err
    assert "Hugging Face cache" in done.err
    assert run_cli("merge", adapter, "--base", QWEN_BASE, "--out", tmp_path / "by-folder").code == 0
    assert tree_digest(tmp_path / "by-id") == tree_digest(tmp_path / "by-folder")
    done = run_cli("verify", tmp_path / "by-id", "--source", adapter, "--base", QWEN_ID)
    assert done.code == 0, done.out + done.err


def test_the_revision_the_training_config_names_is_used(caches, tmp_path):
    """``llm=dict(..., revision='v1.0')``: the snapshot refs/v1.0 names, not main's."""
    from fixtures.xtuner import LORA, lora_state_dict, base_linears

    from mergesmith.core.sources.detect import detect

    hf, _ = caches
    main = hf_cache(hf, QWEN_ID, QWEN_BASE)
    v1 = hf_cache(hf, QWEN_ID, QWEN_BASE, revision="v1.0", commit="1" * 40)
    text = sft_config(QWEN_ID, LORA).replace("        trust_remote_code=True,\n        torch_dtype",
                                             "        revision='v1.0',\n        trust_remote_code=True,\n"
                                             "        torch_dtype")
    sd = lora_state_dict(base_linears(QWEN_BASE), "llm.", r=LORA["r"], seed=4)
    wd = work_dir(tmp_path / "wd", text, {5: sd}, name="rev")
    with detect(wd) as source:
        assert source.base_hint == f"{QWEN_ID}@v1.0" and source.base_located().path == v1 != main
    done = run_cli("merge", wd, "--out", tmp_path / "out", "--dry-run")
    assert done.code == 0, done.err
    assert f"snapshot 1111111 (v1.0)): {v1}" in done.out


def test_llava_llm_and_visual_encoder_by_their_hub_ids(caches, tmp_path):
    """The llava-pretrain specimen names lmsys/vicuna-7b-v1.5 and openai/clip-vit-large-patch14-336."""
    from fixtures.specimens import SPECIMENS

    spec = SPECIMENS["llava-pretrain"]
    hf, ms = caches
    hf_cache(hf, "lmsys/vicuna-7b-v1.5", spec.base)
    ms_cache(ms, "openai/clip-vit-large-patch14-336", spec.vit)
    done = run_cli("merge", spec.work_dir, "--out", tmp_path / "by-id")
    assert done.code == 0, done.err
    assert run_cli("merge", spec.work_dir, *spec.merge_args(), "--out", tmp_path / "by-folder").code == 0
    assert tree_digest(tmp_path / "by-id") == tree_digest(tmp_path / "by-folder")
    done = run_cli("merge", spec.work_dir, "--visual-encoder", "openai/clip-vit-large-patch14-336",
                   "--out", tmp_path / "typed", "--format", "llava-hf")
    assert done.code == 0, done.err
