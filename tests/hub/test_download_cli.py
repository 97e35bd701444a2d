"""``mergesmith merge|convert ... --download`` against the local Hub; without it, no request at all."""

from __future__ import annotations

import pytest

from fixtures.adapters import make_adapter
from fixtures.cli import assert_clean_failure, run_cli
from fixtures.files import edit_json, read_weights
from fixtures.xtuner import LORA, base_linears, full_state_dict, lora_state_dict, sft_config, work_dir


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, hub_repos):
    folder = make_adapter(hub_repos["single"], tmp_path_factory.mktemp("adapter") / "lora")
    # what PEFT writes for a base loaded by its Hub id (here it was loaded from the folder we serve)
    edit_json(folder / "adapter_config.json", base_model_name_or_path="tiny/llama")
    return folder


def same_output(a, b):
    wa, wb = read_weights(a), read_weights(b)
    assert wa.keys() == wb.keys() and all(wa[k].equal(wb[k]) for k in wa)
    assert (a / "config.json").read_text() == (b / "config.json").read_text()
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()


def test_merge_base_hub_id_with_download(hub, hub_repos, adapter, tmp_path):
    done = run_cli("merge", adapter, "--base", "tiny/llama", "--out", tmp_path / "out", "--download")
    assert done.code == 0, done.err
    assert "Downloading the base model tiny/llama (main, commit" in done.err
    assert "Downloaded tiny/llama" in done.err and "Merged into" in done.out
    ref = run_cli("merge", adapter, "--base", hub_repos["single"], "--out", tmp_path / "ref")
    assert ref.code == 0, ref.err
    same_output(tmp_path / "out", tmp_path / "ref")
    # the second time the cache has it all: nothing more is fetched
    before = len(hub.gets())
    again = run_cli("merge", adapter, "--base", "tiny/llama", "--out", tmp_path / "out2", "--download")
    assert again.code == 0, again.err
    assert len(hub.gets()) == before


def test_merge_base_named_by_the_adapter_with_download(hub, adapter, tmp_path):
    done = run_cli("merge", adapter, "--out", tmp_path / "out", "--download")
    assert done.code == 0, done.err
    assert "Downloaded tiny/llama" in done.err


def test_merge_without_download_never_connects(hub, adapter, tmp_path):
    done = run_cli("merge", adapter, "--base", "tiny/llama", "--out", tmp_path / "out")
    line = assert_clean_failure(done.code, done.err, ["tiny/llama", "--download"])
    assert "not a folder on this machine" in line
    done = run_cli("merge", adapter, "--out", tmp_path / "out")
    assert_clean_failure(done.code, done.err, ["The training names tiny/llama", "--download"])
    assert hub.log == [] and not (tmp_path / "out").exists()


def test_merge_download_failure_is_one_sentence(hub, adapter, tmp_path):
    done = run_cli("merge", adapter, "--base", "tiny/nope", "--out", tmp_path / "out", "--download")
    assert_clean_failure(done.code, done.err, ["There is no model tiny/nope on the Hub", "check the id"])
    assert not (tmp_path / "out").exists()


def test_xtuner_work_dir_naming_a_hub_id(hub, hub_repos, tmp_path):
    sd = lora_state_dict(base_linears(hub_repos["single"]), "llm.", 4, seed=31)
    wd = work_dir(tmp_path / "wd", sft_config("tiny/llama", dict(LORA, target_modules=None)), {10: sd})
    done = run_cli("merge", wd, "--out", tmp_path / "out", "--download")
    assert done.code == 0, done.err
    ref = run_cli("merge", wd, "--base", hub_repos["single"], "--out", tmp_path / "ref")
    assert ref.code == 0, ref.err
    same_output(tmp_path / "out", tmp_path / "ref")


def test_convert_full_finetune_with_download(hub, hub_repos, tmp_path):
    sd = full_state_dict(hub_repos["single"], seed=32)
    wd = work_dir(tmp_path / "wd", sft_config("tiny/llama"), {3: sd}, name="full")
    done = run_cli("convert", wd, "--out", tmp_path / "no")
    assert_clean_failure(done.code, done.err, ["tiny/llama", "--download"])
    assert hub.log == []
    done = run_cli("convert", wd, "--out", tmp_path / "out", "--download")
    assert done.code == 0, done.err
    ref = run_cli("convert", wd, "--base", hub_repos["single"], "--out", tmp_path / "ref")
    assert ref.code == 0, ref.err
    same_output(tmp_path / "out", tmp_path / "ref")


def test_dry_run_with_download_only_says_the_size(hub, adapter, tmp_path):
    done = run_cli("merge", adapter, "--base", "tiny/llama", "--out", tmp_path / "out", "--download", "--dry-run")
    assert done.code == 0, done.err
    assert "Would download the base model tiny/llama" in done.err and "nothing was downloaded" in done.err
    assert hub.gets() == [] and not hub.cache.joinpath("models--tiny--llama", "snapshots").exists()
