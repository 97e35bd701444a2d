"""The one-step path: ``mergesmith merge SOURCE --format gguf`` writes what merging to a folder and then
exporting that folder writes, byte for byte, without the folder (a LoRA, a DoRA)."""

from __future__ import annotations

import pytest

from fixtures.adapters import make_adapter
from fixtures.cli import run_cli


@pytest.mark.parametrize("family,lora", [("llama", {}), ("qwen2", {"use_dora": True})])
def test_one_step_equals_merge_then_export(family, lora, gguf_models, tmp_path):
    base = gguf_models[family]
    adapter = make_adapter(base, tmp_path / "adapter", **lora)
    folder = tmp_path / "merged"
    assert run_cli("merge", adapter, "--base", base, "--out", folder).code == 0
    two_steps = tmp_path / "two.gguf"
    assert run_cli("export-gguf", folder, "--out", two_steps, "--type", "q8_0").code == 0

    one_step = tmp_path / "out" / "one.gguf"
    r = run_cli("merge", adapter, "--base", base, "--format", "gguf", "--type", "q8_0", "--out", one_step)
    assert r.code == 0, r.err
    assert sorted(p.name for p in one_step.parent.iterdir()) == ["one.Modelfile", "one.gguf"]
    _same_tensors(one_step, two_steps)


def _same_tensors(a_path, b_path):
    import gguf
    import numpy as np

    a, b = gguf.GGUFReader(str(a_path)), gguf.GGUFReader(str(b_path))
    assert [t.name for t in a.tensors] == [t.name for t in b.tensors]
    for t, u in zip(a.tensors, b.tensors):
        assert t.tensor_type == u.tensor_type and np.asarray(t.data).tobytes() == np.asarray(u.data).tobytes(), t.name
    keys = set(a.fields) - {"general.name"}
    assert keys == set(b.fields) - {"general.name"}
    for k in keys:
        assert a.fields[k].contents() == b.fields[k].contents(), k


def test_one_step_refuses_llava_and_unsupported(model_cache, tmp_path):
    base = model_cache("gpt2")
    adapter = make_adapter(base, tmp_path / "adapter")
    r = run_cli("merge", adapter, "--base", base, "--format", "gguf", "--out", tmp_path / "g.gguf")
    assert r.code == 2 and "GPT2LMHeadModel" in r.err and "Traceback" not in r.err
    assert list(tmp_path.glob("*.gguf")) == [] and not list(tmp_path.glob(".g.gguf*"))
