"""Broken JSON, indexes, symlinks, configs that are not Python, adapters that contradict
themselves or hold NaN: a clear sentence naming the file, exit 2, nothing written; never a
traceback or a hang. (Paths with spaces and non-ASCII characters: test_inputs_unchanged.py runs
every command under ``模型 with space/``.)"""

import json
import os
from pathlib import Path

import pytest

from fixtures.cli import assert_clean_failure, run_cli
from fixtures.files import copy_folder


def assert_plan_refused(code, out, err, names):
    """A plan with errors: exit 2, the problems (naming ``names``) on stdout, one line on stderr."""
    assert code == 2 and "Traceback" not in out + err, (code, err)
    assert "nothing was written" in err and len(err.strip().splitlines()) == 1, err
    for name in [names] if isinstance(names, str) else names:
        assert name in out, (name, out)


def _edit_json(path: Path, change) -> None:
    path.write_text(change(json.loads(path.read_text())))


ADAPTER_CONFIGS = {
    "not JSON": lambda c: "{not json",
    "empty": lambda c: "",
    "a list": lambda c: "[1, 2]",
    "nested 100000 deep": lambda c: "[" * 100_000 + "]" * 100_000,
    "r is a string": lambda c: json.dumps({**c, "r": "four"}),
    "lora_alpha is NaN": lambda c: json.dumps({**c, "lora_alpha": float("nan")}),
    "rank_pattern key is not a regex": lambda c: json.dumps({**c, "rank_pattern": {"q_proj(": 4}}),
    "trainable_token_indices of strings": lambda c: json.dumps({**c, "trainable_token_indices": ["a"]}),
}


@pytest.mark.parametrize("case", sorted(ADAPTER_CONFIGS))
def test_broken_adapter_config(adapter, base, tmp_path, case):
    bad = copy_folder(adapter, tmp_path / "adapter")
    _edit_json(bad / "adapter_config.json", ADAPTER_CONFIGS[case])
    code, _, err = run_cli("merge", bad, "--base", base, "--out", tmp_path / "out")
    assert_clean_failure(code, err, "adapter_config.json" if "JSON" in case or case in ("empty", "a list")
                         else str(bad))
    assert not (tmp_path / "out").exists()
    code, out, err = run_cli("inspect", bad)
    assert code == 1 and "[bad-adapter]" in out and "Traceback" not in err


@pytest.mark.parametrize("content", ["{nope", "", "[1, 2]", "[" * 100_000 + "]" * 100_000])
def test_base_config_json_that_is_not_json_or_not_an_object(adapter, base, tmp_path, content):
    bad = copy_folder(base, tmp_path / "base")
    (bad / "config.json").write_text(content)
    code, _, err = run_cli("merge", adapter, "--base", bad, "--out", tmp_path / "out")
    assert_clean_failure(code, err, "config.json")
    code, out, err = run_cli("inspect", bad)
    assert code == 1 and "[missing-config]" in out and "Traceback" not in err


INDEXES = {
    "not JSON": (lambda d: "{x", "index-mismatch"),
    "weight_map is a list": (lambda d: json.dumps({**d, "weight_map": []}), "index-mismatch"),
    "points at a missing shard": (lambda d: json.dumps(
        {**d, "weight_map": {**d["weight_map"], "lm_head.weight": "model-00099-of-00099.safetensors"}}),
        "index-mismatch"),
    "names a tensor no shard holds": (lambda d: json.dumps(
        {**d, "weight_map": {**d["weight_map"], "model.ghost.weight": sorted(set(d["weight_map"].values()))[0]}}),
        "index-mismatch"),
    "points outside the folder": (lambda d: json.dumps(
        {**d, "weight_map": {k: "../../../etc/passwd" for k in d["weight_map"]}}), "missing-shard"),
}


@pytest.mark.parametrize("case", sorted(INDEXES))
def test_broken_index(adapter, model_cache, tmp_path, case):
    sharded = model_cache("llama", "bfloat16", sharded=True)
    bad = copy_folder(sharded, tmp_path / "base")
    change, code_name = INDEXES[case]
    _edit_json(bad / "model.safetensors.index.json", change)
    code, _, err = run_cli("merge", adapter, "--base", bad, "--out", tmp_path / "out")
    line = assert_clean_failure(code, err, "base")
    assert "index" in line or "shard" in line
    assert not (tmp_path / "out").exists()
    code, out, err = run_cli("inspect", bad)
    assert code == 1 and "Traceback" not in err and f"[{code_name}]" in out, out


def test_symlink_loops_and_dangling_links_in_inputs(adapter, base, tmp_path):
    b = copy_folder(base, tmp_path / "base")
    os.symlink("loop", b / "loop")  # a link to itself
    os.symlink(b, b / "self")  # a directory link back to the folder
    os.symlink("/nonexistent/tokenizer.model", b / "tokenizer.model")  # dangling, a name we copy
    a = copy_folder(adapter, tmp_path / "adapter")
    os.symlink("a", a / "b")
    os.symlink("b", a / "a")
    code, out, err = run_cli("merge", a, "--base", b, "--out", tmp_path / "out")
    assert code == 0 and "Traceback" not in err, err
    assert not (tmp_path / "out" / "tokenizer.model").exists()
    assert "[broken-link] tokenizer.model:" in out and "/nonexistent/tokenizer.model, which does not exist" in out
    for folder in (a, b):
        code, out, err = run_cli("inspect", folder)
        assert code == 0 and "Traceback" not in err, (out, err)


def test_symlink_loop_as_the_source_or_base_and_a_dangling_shard(adapter, base, tmp_path):
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    code, _, err = run_cli("merge", loop, "--base", base, "--out", tmp_path / "out")
    assert_clean_failure(code, err, "loop")
    code, _, err = run_cli("merge", adapter, "--base", loop, "--out", tmp_path / "out")
    assert_clean_failure(code, err, "loop")
    b = copy_folder(base, tmp_path / "base")
    (b / "model.safetensors").unlink()
    os.symlink("/nonexistent/model.safetensors", b / "model.safetensors")
    code, _, err = run_cli("merge", adapter, "--base", b, "--out", tmp_path / "out")
    assert_clean_failure(code, err, str(b))
    code, out, err = run_cli("inspect", b)
    assert code == 1 and "Traceback" not in err


XTUNER_CONFIGS = {
    "syntax error": "model = dict(\n",
    "null bytes": "model = dict()\x00\n",
    "a 10 GB string": "model = dict(type='x' * 10**10)\n",
    "doubling 40 times": "x = 'ab' * 1000\n" + "x = x + x\n" * 40 + "model = dict(type=x)\n",
    "a huge integer": "x = 7\n" + "x = x * x\n" * 40 + "model = dict(type=x)\n",
    "200000 terms": "x = " + "+".join(["1"] * 200_000) + "\nmodel = dict()\n",
    "rank from a function call": None,
    "rank from a lambda": None,
}


@pytest.mark.parametrize("case", sorted(XTUNER_CONFIGS))
def test_xtuner_configs_that_are_not_data(base, tmp_path, case):
    from fixtures.xtuner import LORA, base_linears, lora_state_dict, sft_config, work_dir

    text = XTUNER_CONFIGS[case]
    if text is None:
        what = "int(open('/etc/hostname').read())" if "function" in case else "(lambda: 4)()"
        text = sft_config(str(base), LORA).replace("r=4", f"r={what}")
    wd = work_dir(tmp_path / "wd", text, {10: lora_state_dict(base_linears(base), "llm.", 4, seed=1)},
                  as_written=True)  # no runner writes these: mmengine would run them
    for argv in (["merge", wd, "--base", base, "--out", tmp_path / "out"], ["convert", wd, "--out", tmp_path / "out"]):
        code, _, err = run_cli(*argv)
        assert_clean_failure(code, err, "iter_10.pth" if "rank" in case or "tiny_lora.py" not in err else "tiny_lora.py")
        assert not (tmp_path / "out").exists()
    code, out, err = run_cli("inspect", wd)
    assert code in (0, 1) and "Traceback" not in err


def test_adapter_rank_disagrees_with_its_tensors(adapter, base, tmp_path):
    bad = copy_folder(adapter, tmp_path / "adapter")
    _edit_json(bad / "adapter_config.json", lambda c: json.dumps({**c, "r": 8}))
    code, _, err = run_cli("merge", bad, "--base", base, "--out", tmp_path / "out")
    line = assert_clean_failure(code, err, str(bad))
    assert "rank 4 in its tensors but 8 in adapter_config.json" in line


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_or_inf_in_an_adapter_is_refused_before_writing(adapter, base, tmp_path, value):
    """NaN in one element of lora_A makes a whole column of B@A NaN, so every output of that layer
    is NaN: the merged model would be useless. An error (not a warning), found at plan time by
    reading the adapter's small tensors, naming the tensor; nothing is written."""
    from safetensors.torch import load_file, save_file

    bad = copy_folder(adapter, tmp_path / "adapter")
    sd = load_file(str(bad / "adapter_model.safetensors"))
    name = sorted(k for k in sd if "lora_B" in k)[3]
    sd[name][1, 2] = value
    save_file(sd, str(bad / "adapter_model.safetensors"))
    code, out, err = run_cli("merge", bad, "--base", base, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[non-finite]", "adapter_model.safetensors", name])
    assert not (tmp_path / "out").exists()
    code, out, err = run_cli("inspect", bad, "--scan-values")
    assert code == 1 and "[non-finite]" in out and name in out


def test_nan_in_an_xtuner_checkpoint_lora(base, tmp_path):
    from fixtures.xtuner import LORA, base_linears, lora_state_dict, sft_config, work_dir

    sd = lora_state_dict(base_linears(base), "llm.", 4, seed=1)
    name = sorted(k for k in sd if "lora_A" in k)[0]
    sd[name][0, 0] = float("nan")
    wd = work_dir(tmp_path / "wd", sft_config(str(base), LORA), {10: sd})
    code, out, err = run_cli("merge", wd, "--base", base, "--out", tmp_path / "out")
    assert_plan_refused(code, out, err, ["[non-finite]", "NaN"])
    assert not (tmp_path / "out").exists()
