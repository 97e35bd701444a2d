"""`mergesmith merge` as scripts and people use it: exit codes, JSON, dry runs, plain errors."""

from __future__ import annotations

import json
import sys

import pytest

from fixtures.adapters import make_adapter
from fixtures.cli import run_cli_process


@pytest.fixture
def pair(model_cache, tmp_path):
    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "/training/machine/models/tiny-llama"  # not on this machine
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    return base, adapter


def test_merge_json(pair, tmp_path):
    base, adapter = pair
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "out", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dtype"] == "bfloat16" and doc["problems"] == []
    names = {f["path"] for f in doc["files"]}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= names
    assert {"write", "check", "total"} <= set(doc["seconds"])
    assert doc["stats"]["merged_tensors"] == 14


def test_dry_run_writes_nothing(pair, tmp_path):
    base, adapter = pair
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "out", "--dry-run")
    assert code == 0, err
    assert "model.safetensors" in out and "Disk:" in out and "bfloat16" in out
    assert not (tmp_path / "out").exists()
    code, out, _ = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "out", "--dry-run", "--json")
    assert json.loads(out)["ok"] is True


def test_human_output_and_check(pair, tmp_path):
    base, adapter = pair
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "out")
    assert code == 0, err
    assert "Merged into" in out and "Checked:" in out


@pytest.mark.parametrize("args, words", [
    (["merge", "{tmp}/missing", "--base", "{base}", "--out", "{tmp}/o"], "does not exist"),
    (["merge", "{adapter}", "--base", "{tmp}/nowhere", "--out", "{tmp}/o"], "does not exist"),
    (["merge", "{adapter}", "--base", "{adapter}", "--out", "{tmp}/o"], "is an adapter, not a base model"),
    (["merge", "{adapter}", "--out", "{tmp}/o"], "/training/machine/models/tiny-llama, which is not on this"),
    (["merge", "{adapter}", "--base", "{base}", "--out", "{tmp}/o", "--max-shard-size", "lots"], "Cannot read the size"),
])
def test_errors_are_sentences_not_tracebacks(pair, tmp_path, args, words):
    base, adapter = pair
    args = [a.format(tmp=tmp_path, base=base, adapter=adapter) for a in args]
    code, out, err = run_cli_process(*args)
    assert code == 2
    assert words in err and "Traceback" not in err and "Traceback" not in out
    assert err.startswith("mergesmith: ")


def test_plan_errors_listed_and_nothing_written(pair, tmp_path, model_cache):
    base, _ = pair
    other = make_adapter(model_cache("gpt2"), tmp_path / "gpt2-adapter", target_modules=["c_attn"])
    code, out, err = run_cli_process("merge", other, "--base", base, "--out", tmp_path / "o")
    assert code == 2
    assert "[missing-module]" in out and "nothing was written" in err
    assert not (tmp_path / "o").exists()


def test_base_from_adapter_config(pair, tmp_path):
    base, adapter = pair
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = str(base)
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    code, out, err = run_cli_process("merge", adapter, "--out", tmp_path / "o")
    assert code == 0, err
    assert "Using the base model named by the training" in err


def test_progress_bar_on_a_terminal(pair, tmp_path):
    """The bar is drawn when stderr is a terminal (a pty here) and only then."""
    import os
    import pty

    base, adapter = pair
    pid, fd = pty.fork()
    if pid == 0:  # child: stderr is the pty
        os.execv(sys.executable, [sys.executable, "-m", "mergesmith.cli", "merge", str(adapter),
                                  "--base", str(base), "--out", str(tmp_path / "o")])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "[" in text and "%" in text and "Merged into" in text


def test_llava_format_on_a_plain_adapter_is_refused(pair, tmp_path):
    base, adapter = pair
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "o", "--format", "llava-hf")
    assert code == 2 and "[format-not-applicable]" in out and not (tmp_path / "o").exists()


@pytest.mark.parametrize("check, words", [("quick", "also loads the tokenizer"),
                                          ("full", "tokenizer (loaded)"),
                                          ("none", "Not checked")])
def test_check_levels(pair, tmp_path, check, words):
    base, adapter = pair
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "o", "--check", check)
    assert code == 0, err
    assert words in out


def test_quick_check_catches_a_missing_tokenizer(model_cache, tmp_path):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(model_cache("llama"), base)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (base / name).unlink()
    adapter = make_adapter(base, tmp_path / "adapter")
    code, out, err = run_cli_process("merge", adapter, "--base", base, "--out", tmp_path / "o")
    assert code == 1 and "[missing-tokenizer]" in out
