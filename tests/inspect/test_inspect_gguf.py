"""inspect reads a .gguf file with llama.cpp's own reader: a good export is clean, a copy cut short is
"corrupt-gguf", a file without the token tables llama.cpp needs is "incomplete-gguf"."""

from __future__ import annotations

import json

from fixtures.cli import run_cli


def test_inspect_gguf(tmp_path):
    from fixtures.gguf_models import make_llama_spm
    from mergesmith.core.gguf.export import plan_gguf, run_gguf

    with plan_gguf(make_llama_spm(tmp_path / "llama"), tmp_path / "good.gguf", "q8_0") as plan:
        good = run_gguf(plan).out
    r = run_cli("inspect", good, "--json")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["kind"] == "gguf" and report["problems"] == []
    assert report["summary"]["architecture"] == "llama" and report["summary"]["tokens"] == 420

    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    r = run_cli("inspect", cut)
    assert r.code == 1 and "[corrupt-gguf] cut.gguf" in r.out and "export it again" in r.out
    assert [p["code"] for p in json.loads(run_cli("inspect", cut, "--json").out)["problems"]] == ["corrupt-gguf"]


def test_inspect_gguf_without_tokenizer(tmp_path):
    """A file llama.cpp would refuse: hyper-parameters but no token tables (made with gguf's writer)."""
    import gguf
    import numpy as np

    path = tmp_path / "notok.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(1)
    w.add_embedding_length(32)
    w.add_head_count(4)
    w.add_tensor("token_embd.weight", np.zeros((8, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = run_cli("inspect", path)
    assert r.code == 1 and "tokenizer.ggml.tokens" in r.out
    assert [p["code"] for p in json.loads(run_cli("inspect", path, "--json").out)["problems"]] == ["incomplete-gguf"]
