"""``mergesmith export-gguf`` as a user runs it, its refusals, cancel, and ``inspect`` of .gguf files."""

from __future__ import annotations

import json
import shutil

import pytest

from fixtures.cli import assert_clean_failure, run_cli


def test_export_prints_what_to_run(gguf_models, tmp_path):
    out = tmp_path / "chat" / "qwen2-chat.gguf"
    r = run_cli("export-gguf", gguf_models["qwen2"], "--out", out, "--type", "q8_0")
    assert r.code == 0, r.err
    assert out.is_file() and out.with_name("qwen2-chat.Modelfile").is_file()
    assert "ollama create qwen2-chat -f qwen2-chat.Modelfile" in r.out
    modelfile = out.with_name("qwen2-chat.Modelfile").read_text()
    assert modelfile.splitlines() == ["FROM ./qwen2-chat.gguf", 'PARAMETER stop "<|im_end|>"']
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_dry_run_writes_nothing(gguf_models, tmp_path):
    out = tmp_path / "m.gguf"
    r = run_cli("export-gguf", gguf_models["llama"], "--out", out, "--dry-run", "--json")
    assert r.code == 0, r.err
    plan = json.loads(r.out)
    assert plan["architecture"] == "llama" and plan["tokenizer"] == "llama" and plan["bytes"] > 0
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_refusals_are_sentences(gguf_models, model_cache, tmp_path):
    existing = tmp_path / "old.gguf"
    existing.write_bytes(b"keep me")
    cases = [
        (("export-gguf", gguf_models["llama"], "--out", existing), ["already exists", "--overwrite"]),
        (("export-gguf", model_cache("gpt2"), "--out", tmp_path / "g.gguf"), ["GPT2LMHeadModel", "Llama", "Qwen2"]),
        (("export-gguf", tmp_path, "--out", tmp_path / "x.gguf"), ["no config.json"]),
        (("export-gguf", gguf_models["llama"], "--out", tmp_path / "x.bin"), ["*.gguf"]),
    ]
    for argv, words in cases:
        r = run_cli(*argv)
        assert_clean_failure(r.code, r.err, words)
    assert existing.read_bytes() == b"keep me"


def test_overwrite_replaces_only_when_done(gguf_models, tmp_path):
    out = tmp_path / "m.gguf"
    out.write_bytes(b"old")
    r = run_cli("export-gguf", gguf_models["llama"], "--out", out, "--overwrite")
    assert r.code == 0, r.err
    assert out.read_bytes()[:4] == b"GGUF"


def test_cancel_leaves_nothing(gguf_models, tmp_path):
    from mergesmith.core.errors import Cancelled
    from mergesmith.core.gguf.export import plan_gguf, run_gguf
    from mergesmith.core.progress import CancelToken

    token = CancelToken()
    out = tmp_path / "m.gguf"

    def progress(p):
        if p.done > p.total // 3:
            token.cancel()

    with plan_gguf(gguf_models["llama"], out, "f16") as plan:
        with pytest.raises(Cancelled):
            run_gguf(plan, progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_input_is_not_changed(gguf_models, tmp_path):
    """The input folder is read only: byte for byte the same after an export."""
    from fixtures.files import tree_digest

    before = tree_digest(gguf_models["qwen2"])
    assert run_cli("export-gguf", gguf_models["qwen2"], "--out", tmp_path / "q.gguf").code == 0
    assert tree_digest(gguf_models["qwen2"]) == before


def test_a_file_that_appears_while_exporting_is_not_replaced(gguf_models, tmp_path):
    """Issue 17's rule for the GGUF file too: the final rename refuses a name someone else took meanwhile."""
    from mergesmith.core.gguf.export import plan_gguf, run_gguf
    from mergesmith.core.io.landing import OutputAppearedError

    out = tmp_path / "m.gguf"

    def progress(p):
        if p.done > p.total // 2 and not out.exists():
            out.write_bytes(b"someone else's")

    with plan_gguf(gguf_models["llama"], out, "f16") as plan:
        with pytest.raises(OutputAppearedError):
            run_gguf(plan, progress=progress)
    assert out.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf"]  # no staging file, no hold left


def test_an_output_another_run_holds_is_refused_at_plan_time(gguf_models, tmp_path):
    from mergesmith.core.io import hold

    out = tmp_path / "m.gguf"
    with hold.acquire(out, "GGUF export"):
        r = run_cli("export-gguf", gguf_models["llama"], "--out", out)
    assert_clean_failure(r.code, r.err, [str(out), "being written by another Mergesmith"])
    assert not out.exists()
