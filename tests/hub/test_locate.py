"""core.hub.cache.locate: a folder or a Hub id, found in the Hugging Face and ModelScope caches as the
libraries lay them out (tests/fixtures/hubcache.py), offline, with what is missing and where we looked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fixtures.hubcache import QWEN_ID, commit_of, hf_cache, ms_cache
from mergesmith.core.errors import PlanError
from mergesmith.core.hub.cache import hf_cache_root, locate
from mergesmith.core.hub.located import FOLDER, HF_CACHE, MODELSCOPE_CACHE, NOT_FOUND
from mergesmith.core.model.base import BaseModel



SHARDS = [f"model-0000{i}-of-00007.safetensors" for i in range(1, 8)]


def test_hub_id_is_found_in_the_hugging_face_cache_at_refs_main(caches, qwen_base):
    hf, _ = caches
    snap = hf_cache(hf, QWEN_ID, qwen_base)
    found = locate(QWEN_ID)
    assert (found.where, found.path, found.repo_id, found.revision) == (HF_CACHE, snap, QWEN_ID, "main")
    assert found.snapshot == snap.name and found.complete
    assert set(SHARDS) <= set(found.needed) and "tokenizer.json" in found.needed and "generation_config.json" in found.needed
    assert found.summary() == f"Hugging Face cache, snapshot {snap.name[:7]} (main)"
    assert all(os.path.islink(snap / n) for n in found.needed)  # read through the links into blobs/


def test_repo_folder_and_snapshot_folder_are_read_as_the_cache(caches, qwen_base):
    hf, _ = caches
    snap = hf_cache(hf, QWEN_ID, qwen_base)
    repo = hf / "models--Qwen--Qwen1.5-0.5B-Chat"
    for spec in (repo, snap):
        found = locate(str(spec))
        assert (found.where, found.path, found.repo_id, found.snapshot) == (HF_CACHE, snap, QWEN_ID, snap.name)
    assert locate(str(qwen_base)).where == FOLDER


def test_revisions_branch_tag_full_and_short_commit(caches, qwen_base, tmp_path):
    hf, _ = caches
    main = hf_cache(hf, QWEN_ID, qwen_base)
    v1 = hf_cache(hf, QWEN_ID, qwen_base, revision="v1.0", commit=commit_of("other"))
    assert locate(QWEN_ID).path == main
    assert locate(f"{QWEN_ID}@v1.0").path == v1
    assert locate(QWEN_ID, revision="v1.0").path == v1
    assert locate(f"{QWEN_ID}@{v1.name}").path == v1
    assert locate(f"{QWEN_ID}@{v1.name[:8]}").path == v1
    gone = locate(f"{QWEN_ID}@v2.0")
    assert gone.where == NOT_FOUND and "no snapshot for revision v2.0" in gone.problem and "v1.0 ->" in gone.problem
    assert "v2.0" in gone.not_found_message()


def test_missing_and_dangling_files_are_counted(caches, qwen_base):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, qwen_base, dangling=SHARDS[:2], incomplete=SHARDS[2:3])
    found = locate(QWEN_ID)
    assert found.found and found.missing == tuple(SHARDS[:3])
    assert f"3 files of {len(found.needed)} missing" in found.summary()
    with pytest.raises(PlanError) as exc:
        BaseModel.open(QWEN_ID)
    msg = exc.value.message
    assert "Hugging Face cache" in msg and SHARDS[0] in msg and SHARDS[2] in msg and "--base FOLDER" in msg


def test_missing_tokenizer_only_is_found_but_incomplete(caches, qwen_base):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, qwen_base, dangling=["tokenizer.json"])
    base = BaseModel.open(QWEN_ID)
    try:
        assert base.located.missing == ("tokenizer.json",) and not base.located.essential_missing
    finally:
        base.close()


@pytest.mark.parametrize("layout", ["new", "old", "oldest"])
def test_modelscope_layouts(caches, qwen_base, layout):
    _, ms = caches
    folder = ms_cache(ms, QWEN_ID, qwen_base, layout=layout, revision="v1.0.2")
    found = locate(QWEN_ID)
    assert found.where == MODELSCOPE_CACHE and found.complete
    assert found.path.resolve() == folder.resolve() and found.revision == "v1.0.2"
    assert found.summary() == "ModelScope cache, revision v1.0.2"
    assert locate(f"{QWEN_ID}@v9").where == NOT_FOUND  # another revision is not this one
    assert locate(str(folder)).where == MODELSCOPE_CACHE


def test_modelscope_owner_in_another_case(caches, qwen_base):
    _, ms = caches
    ms_cache(ms, "qwen/Qwen1.5-0.5B-Chat", qwen_base)  # ModelScope's own spelling of the owner
    assert locate(QWEN_ID).where == MODELSCOPE_CACHE


def test_hugging_face_first_unless_incomplete(caches, qwen_base):
    hf, ms = caches
    hf_cache(hf, QWEN_ID, qwen_base, dangling=SHARDS[:1])
    ms_cache(ms, QWEN_ID, qwen_base)
    assert locate(QWEN_ID).where == MODELSCOPE_CACHE  # the complete one
    hf2 = caches[0].parent / "hf2"
    os.environ["HF_HUB_CACHE"] = str(hf2)  # restored by monkeypatch in the fixture
    hf_cache(hf2, QWEN_ID, qwen_base)
    assert locate(QWEN_ID).where == HF_CACHE


def test_not_found_names_where_we_looked(caches):
    hf, ms = caches
    found = locate("internlm/internlm2-chat-7b")
    assert found.where == NOT_FOUND and str(hf / "models--internlm--internlm2-chat-7b") in found.looked_in
    assert str(ms / "models" / "internlm" / "internlm2-chat-7b") in found.looked_in
    msg = found.not_found_message(download=True)
    assert msg.count(".") >= 1 and str(hf) in msg and str(ms) in msg and "--download" in msg
    with pytest.raises(PlanError) as exc:
        BaseModel.open("internlm/internlm2-chat-7b")
    assert str(hf) in exc.value.message and "--base FOLDER" in exc.value.message
    assert locate("/nowhere/model").where == NOT_FOUND


def test_repo_folder_without_snapshot_says_so(caches, qwen_base):
    hf, _ = caches
    hf_cache(hf, QWEN_ID, qwen_base)
    repo = hf / "models--Qwen--Qwen1.5-0.5B-Chat"
    (repo / "refs" / "main").write_text(commit_of("gone"))
    for snap in (repo / "snapshots").iterdir():
        os.rename(snap, repo / snap.name)
    with pytest.raises(PlanError) as exc:
        BaseModel.open(str(repo))
    assert "Hugging Face cache folder of Qwen/Qwen1.5-0.5B-Chat" in exc.value.message
    assert "no snapshot for revision main" in exc.value.message


ENV_CASES = [
    {"HF_HUB_CACHE": "{t}/hub-cache", "HF_HOME": "{t}/home", "XDG_CACHE_HOME": "{t}/xdg"},
    {"HUGGINGFACE_HUB_CACHE": "{t}/legacy", "HF_HOME": "{t}/home"},
    {"HF_HOME": "{t}/home", "XDG_CACHE_HOME": "{t}/xdg"},
    {"XDG_CACHE_HOME": "{t}/xdg"},
    {"HOME": "{t}/user"},
    {"HF_HOME": "~/hf-home"},
]


@pytest.mark.parametrize("env", ENV_CASES, ids=lambda e: "+".join(e))
def test_cache_root_is_where_huggingface_hub_looks(env, tmp_path, monkeypatch):
    """The same environment, read by huggingface_hub's own constants (in a fresh interpreter) and by us."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v.format(t=tmp_path))
    theirs = subprocess.run([sys.executable, "-c", "import huggingface_hub.constants as c; print(c.HF_HUB_CACHE)"],
                            capture_output=True, text=True, check=True, env=dict(os.environ)).stdout.strip()
    assert str(hf_cache_root()) == theirs


def test_needed_files_follow_what_the_snapshot_has(tmp_path):
    """.bin only when that is all there is; the slow tokenizer's files when there is no tokenizer.json;
    remote code named by auto_map; shards without their index miss the index."""
    import json

    from mergesmith.core.hub.needed import needed_files

    f = tmp_path / "m"
    f.mkdir()
    (f / "config.json").write_text(json.dumps({"auto_map": {"AutoModelForCausalLM": "modeling_x.XForCausalLM"}}))
    (f / "pytorch_model.bin").write_bytes(b"x")
    (f / "tokenizer_config.json").write_text(json.dumps({"vocab_file": "vocab.json", "merges_file": "merges.txt",
                                                         "special_tokens_map_file": "/home/someone/x.json"}))
    (f / "merges.txt").write_text("#")
    needed, missing = needed_files(f)
    assert "pytorch_model.bin" in needed and "model.safetensors" not in needed
    assert missing == ("vocab.json", "modeling_x.py")
    (f / "tokenizer.json").write_text("{}")
    (f / "modeling_x.py").write_text("")
    assert needed_files(f)[1] == ()
    g = tmp_path / "g"
    g.mkdir()
    (g / "config.json").write_text("{}")
    (g / "model-00001-of-00002.safetensors").write_bytes(b"")
    assert needed_files(g)[1] == ("model.safetensors.index.json",)
