"""Benchmark: inspect a 7B-shaped model folder of 100+ shards, reading no tensor data.

Builds (under ``bench/work/inspect-7b/``, git-ignored, removed afterwards unless ``--keep``) a
Llama-2-7B-shaped folder: 32 layers, hidden 4096, intermediate 11008, vocabulary 32000, bf16,
6.74 B parameters (13.5 GB) cut into ~128 MB shards. Each shard is its real safetensors header
followed by a hole (the file is truncated to its full size, so it is sparse and takes no disk),
with the index, config.json, generation_config.json and a small tokenizer.

It then times ``inspect_folder`` in this process, several runs each:

* ``headers``: ``deep=False`` (config, generation config, tokenizer files, every shard header,
  the index, numbering, sizes, dtypes) — what the 100+ shards cost;
* ``full, first``: ``deep=True`` the first time (also loads the tokenizer with transformers and
  builds the model on the meta device to compare names, importing the Llama classes);
* ``full, warm``: ``deep=True`` again (the meta model is cached per config);
* ``full, meta rebuilt``: ``deep=True`` with that cache cleared (what ``run_plan`` pays after
  merging a model of another shape in a long-lived process);

and, once, a fresh ``mergesmith inspect DIR`` process (Python and library imports included).
Bytes read are taken from ``/proc/self/io`` (``rchar``) around each call, to show that only
headers and small files are read. Prints a table and writes ``bench/work/bench_inspect.json``.

Usage (from the repository root)::

    .venv/bin/python bench/bench_inspect.py [--shard-mb 128] [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LLAMA_7B = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096, tie_word_embeddings=False,
                bos_token_id=1, eos_token_id=2, dtype="bfloat16")


def tensors_7b(cfg: dict) -> list[tuple[str, tuple[int, ...]]]:
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    out = [("model.embed_tokens.weight", (v, h))]
    for n in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{n}."
        out += [(p + "self_attn.q_proj.weight", (h, h)), (p + "self_attn.k_proj.weight", (h, h)),
                (p + "self_attn.v_proj.weight", (h, h)), (p + "self_attn.o_proj.weight", (h, h)),
                (p + "mlp.gate_proj.weight", (i, h)), (p + "mlp.up_proj.weight", (i, h)),
                (p + "mlp.down_proj.weight", (h, i)), (p + "input_layernorm.weight", (h,)),
                (p + "post_attention_layernorm.weight", (h,))]
    out += [("model.norm.weight", (h,)), ("lm_head.weight", (v, h))]
    return out


def build(folder: Path, shard_bytes: int) -> dict:
    from fixtures.models import make_tokenizer
    from transformers import GenerationConfig, LlamaConfig

    from mergesmith.core.io.safetensors import build_header

    folder.mkdir(parents=True)
    groups, current, size = [], [], 0
    for name, shape in tensors_7b(LLAMA_7B):
        nbytes = 2 * (shape[0] * (shape[1] if len(shape) > 1 else 1))
        if current and size + nbytes > shard_bytes:
            groups.append(current)
            current, size = [], 0
        current.append((name, "BF16", shape))
        size += nbytes
    groups.append(current)
    n = len(groups)
    weight_map, total = {}, 0
    for k, group in enumerate(groups, 1):
        fname = f"model-{k:05d}-of-{n:05d}.safetensors"
        header, infos = build_header(group, {"format": "pt"})
        with open(folder / fname, "wb") as f:
            f.write(header)
            f.truncate(len(header) + infos[-1].end)  # sparse: no data written
        for info in infos:
            weight_map[info.name] = fname
            total += info.end - info.start
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, indent=2))
    LlamaConfig(**LLAMA_7B).save_pretrained(str(folder))
    GenerationConfig(bos_token_id=1, eos_token_id=2).save_pretrained(str(folder))
    make_tokenizer(folder)
    return {"shards": n, "total_bytes": total, "parameters": total // 2}


def rchar() -> int:
    with open("/proc/self/io", encoding="ascii") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def timed(fn, runs: int) -> dict:
    times, reads = [], []
    result = None
    for _ in range(runs):
        r0 = rchar()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        reads.append(rchar() - r0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "bytes_read": max(reads), "problems": [p.code for p in result.problems]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shard-mb", type=float, default=128)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = HERE / "work"
    folder = work / "inspect-7b"
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    built = build(folder, int(args.shard_mb * 2**20))
    built["build_s"] = time.perf_counter() - t0
    headers = sum(int.from_bytes(open(p, "rb").read(8), "little") + 8 for p in folder.glob("*.safetensors"))
    small = sum(p.stat().st_size for p in folder.iterdir() if not p.name.endswith(".safetensors"))
    try:
        from mergesmith.core.inspect.folder import inspect_folder

        rows = {}
        rows["headers (deep=False)"] = timed(lambda: inspect_folder(folder, deep=False), args.runs)
        rows["full, first call"] = timed(lambda: inspect_folder(folder), 1)
        rows["full, warm"] = timed(lambda: inspect_folder(folder), args.runs)
        from mergesmith.core.inspect import arch as inspect_arch

        def uncached():
            inspect_arch._cache.clear()  # as after a merge of another model: the meta model is rebuilt
            return inspect_folder(folder)

        rows["full, meta rebuilt"] = timed(uncached, args.runs)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mergesmith.cli", "inspect", str(folder)],
                              capture_output=True, text=True)
        cold = time.perf_counter() - t0
        report = inspect_folder(folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"7B-shaped folder: {built['shards']} shards, {built['parameters'] / 1e9:.2f} B parameters, "
          f"{built['total_bytes'] / 1e9:.1f} GB (sparse); headers {headers / 1e6:.2f} MB, small files "
          f"{small / 1e6:.2f} MB")
    print(f"{'':<24}{'median':>10}{'min':>10}{'max':>10}{'read':>12}  problems")
    for name, r in rows.items():
        print(f"{name:<24}{r['median_s'] * 1000:>8.1f}ms{r['min_s'] * 1000:>8.1f}ms{r['max_s'] * 1000:>8.1f}ms"
              f"{r['bytes_read'] / 1e6:>10.2f}MB  {r['problems'] or 'none'}")
    print(f"{'fresh CLI process':<24}{cold * 1000:>8.1f}ms  (exit {proc.returncode}; includes Python, torch and "
          "transformers imports)")
    assert report.summary["shards"] == built["shards"] and report.summary["parameters"] == built["parameters"]
    out = {"folder": built, "header_bytes": headers, "small_file_bytes": small, "runs": rows,
           "cli_cold_s": cold, "cli_exit": proc.returncode}
    work.mkdir(exist_ok=True)
    (work / "bench_inspect.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
