"""identify_base: a base's Hub id and revision from its folder and the names the training gives it.

The cache layouts are built here by hand, as huggingface_hub and modelscope lay them out (the tests
never reach the Hub or ModelScope): ``models--ORG--NAME/snapshots/<hash>/`` for Hugging Face;
``<cache>/models/ORG/NAME`` (modelscope >= 1.15, a '.' in a name stored as '___') and
``<cache>/ORG/NAME`` (older) for ModelScope, with the ``.mdl``/``.msc``/``.mv`` files its
``ModelFileSystemCache`` writes beside the model's files.
"""

import os

import pytest

from mergesmith.core.model.base_id import HF_CACHE, MODELSCOPE_CACHE, NAMED, hub_id, identify_base

HASH = "a" * 40


def test_hugging_face_snapshot(tmp_path):
    snap = tmp_path / "hub" / "models--Qwen--Qwen1.5-0.5B-Chat" / "snapshots" / HASH
    snap.mkdir(parents=True)
    ident = identify_base(snap, ["internlm/internlm2-chat-7b"])  # the folder's own id wins
    assert (ident.hub_id, ident.revision, ident.found) == ("Qwen/Qwen1.5-0.5B-Chat", HASH, HF_CACHE)
    single = tmp_path / "hub" / "models--gpt2" / "snapshots" / HASH
    single.mkdir(parents=True)
    assert identify_base(single).hub_id == "gpt2"


def test_a_link_to_a_snapshot_is_followed(tmp_path):
    snap = tmp_path / "hub" / "models--acme--tiny" / "snapshots" / HASH
    snap.mkdir(parents=True)
    os.symlink(snap, tmp_path / "tiny")
    assert identify_base(tmp_path / "tiny").hub_id == "acme/tiny"


def test_modelscope_new_layout_with_dots_stored_as_underscores(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELSCOPE_CACHE", raising=False)
    folder = tmp_path / ".cache" / "modelscope" / "hub" / "models" / "Qwen" / "Qwen1___5-0___5B-Chat"
    folder.mkdir(parents=True)
    (folder / ".mv").write_text("Revision:v1.0.2,CreatedAt:1700000000")
    ident = identify_base(folder)
    assert (ident.hub_id, ident.revision, ident.found) == ("Qwen/Qwen1.5-0.5B-Chat", "v1.0.2", MODELSCOPE_CACHE)


def test_modelscope_old_layout_found_by_its_marker_files(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELSCOPE_CACHE", raising=False)
    folder = tmp_path / "my_cache" / "Shanghai_AI_Laboratory" / "internlm2-chat-7b"
    folder.mkdir(parents=True)
    assert identify_base(folder).hub_id is None  # a plain folder: nothing says it is a cache
    (folder / ".mdl").write_bytes(b"")  # modelscope pickles {'id': ...} here; it is never unpickled
    ident = identify_base(folder)
    assert ident.hub_id == "Shanghai_AI_Laboratory/internlm2-chat-7b" and ident.found == MODELSCOPE_CACHE
    # the training's Hugging Face id wins over ModelScope's, which the text still names
    ident = identify_base(folder, ["internlm/internlm2-chat-7b"])
    assert (ident.hub_id, ident.found, ident.modelscope_id) == (
        "internlm/internlm2-chat-7b", NAMED, "Shanghai_AI_Laboratory/internlm2-chat-7b")


def test_modelscope_cache_named_by_its_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "ms"))
    folder = tmp_path / "ms" / "qwen" / "Qwen-7B"
    folder.mkdir(parents=True)
    assert identify_base(folder).hub_id == "qwen/Qwen-7B"


@pytest.mark.parametrize("name, expected", [
    ("Qwen/Qwen1.5-0.5B-Chat", "Qwen/Qwen1.5-0.5B-Chat"),
    ("internlm/internlm2-chat-7b", "internlm/internlm2-chat-7b"),
    ("/models/Qwen1.5", None), ("./Qwen/Qwen1.5", None), ("~/models/x", None), ("../a/b", None),
    ("a/b/c", None), ("acme/bad--name", None), ("acme/x.git", None), ("gpt2", None), ("", None), (None, None),
    ("C:\\models\\x", None), ("acme/name with space", None),
])
def test_hub_id_shapes(name, expected):
    assert hub_id(name) == expected


def test_a_relative_folder_that_looks_like_an_id_is_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Qwen" / "Qwen1.5").mkdir(parents=True)
    assert hub_id("Qwen/Qwen1.5") is None
    assert identify_base(None, ["Qwen/Qwen1.5", "acme/tiny"]).hub_id == "acme/tiny"


def test_nothing_known(tmp_path):
    ident = identify_base(tmp_path, [None, str(tmp_path)])
    assert ident.hub_id is None and ident.folder == tmp_path and ident.found is None
