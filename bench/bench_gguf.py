"""Benchmark: Mergesmith's GGUF export against llama.cpp's own ``convert_hf_to_gguf.py``.

On the merge benchmark's synthetic Llama (bench_merge.py: 1.24 B parameters, 2.5 GB in bf16; with
``--scale 2`` also the doubled one), in one run, each under ``/usr/bin/time -v`` with the page cache
dropped before each timed run (when it can be), alternating:

A. ``mergesmith export-gguf BASE --out OUT.gguf --type T``             (T = f16, q8_0)
B. ``convert_hf_to_gguf.py BASE --outtype T --outfile OUT.gguf``       (llama.cpp's converter)

and from a training output (the benchmark's rank-16 LoRA on all seven projections):

C. ``mergesmith merge ADAPTER --base BASE --format gguf --type T --out OUT.gguf``   (one step)
D. the chain: PEFT's load / merge_and_unload / save_pretrained (what ``xtuner convert merge`` does),
   then B on its output; the two steps' times added, the larger peak RSS.

The converter is the one ``make llama-cpp-src`` unpacks into .cache/llama.cpp. Its BPE pre-tokenizer
check does not know the synthetic tokenizer; it is told "gpt-2", which is what the tokenizer is.
Usage: ``.venv/bin/python bench/bench_gguf.py [--scale 1 --scale 2] [--reps 1] [--types f16,q8_0]``.
Results under bench/work/gguf-results.md (git-ignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_spec = importlib.util.spec_from_file_location("bench_merge", HERE / "bench_merge.py")
bm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bm)

MERGESMITH = [bm.PY, "-m", "mergesmith.cli"]  # the installed (editable) Mergesmith of this tree
CONVERTER_WRAPPER = """
import runpy, sys
from pathlib import Path
llama = Path(sys.argv[1])
sys.path[:0] = [str(llama), str(llama / "gguf-py")]
import conversion.base as base
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "gpt-2"
sys.argv = [str(llama / "convert_hf_to_gguf.py")] + sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def commands(tool: str, qtype: str, base: Path, adapter: Path, out: Path, llama: Path) -> list[list[str]]:
    if tool == "mergesmith":
        return [[*MERGESMITH, "export-gguf", str(base), "--out", str(out), "--type", qtype, "--overwrite"]]
    if tool == "converter":
        return [[bm.PY, "-c", CONVERTER_WRAPPER, str(llama), str(base), "--outtype", qtype, "--outfile", str(out)]]
    if tool == "one-step":
        return [[*MERGESMITH, "merge", str(adapter), "--base", str(base), "--format", "gguf", "--type", qtype,
                 "--out", str(out), "--overwrite"]]
    merged = out.with_suffix(".merged")  # the chain: PEFT's merge, then the converter
    return [[bm.PY, "-c", bm.PEFT_SCRIPT, str(base), str(adapter), str(merged)],
            [bm.PY, "-c", CONVERTER_WRAPPER, str(llama), str(merged), "--outtype", qtype, "--outfile", str(out)]]


def run_tool(tool, qtype, base, adapter, work, llama, cache, tag, rep) -> dict:
    out = work / f"gguf-{tool}-{qtype}.gguf"
    total = {"wall": 0.0, "cpu": 0.0, "rss": 0}
    for i, cmd in enumerate(commands(tool, qtype, base, adapter, out, llama)):
        if cache == "cold":
            bm.drop_caches()
        r = bm.timed(cmd, work / f"gguf-{tag}-{tool}-{qtype}-{rep}-{i}.log")
        total["wall"] += r["wall"]
        total["cpu"] += r["cpu"]
        total["rss"] = max(total["rss"], r["rss"])
    total["out_bytes"] = out.stat().st_size
    out.unlink()
    out.with_suffix(".Modelfile").unlink(missing_ok=True)
    shutil.rmtree(out.with_suffix(".merged"), ignore_errors=True)
    return total


def table(results: dict) -> str:
    lines = ["| model | type | tool | wall s | peak RSS MB | output GB | wall ÷ converter's | RSS ÷ converter's |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for tag, by_type in results["scales"].items():
        for qtype, runs in by_type.items():
            med = {t: {k: statistics.median(r[k] for r in rs) for k in ("wall", "rss", "out_bytes")}
                   for t, rs in runs.items()}
            for t, m in med.items():
                ref = med["converter"] if t in ("mergesmith", "converter") else med.get("chain", m)
                lines.append(f"| {tag} | {qtype} | {t} | {m['wall']:.1f} | {m['rss'] / 1e6:.0f} | "
                             f"{m['out_bytes'] / 1e9:.2f} | {m['wall'] / ref['wall']:.2f} | {m['rss'] / ref['rss']:.2f} |")
    return "\n".join(lines) + "\n\n(one-step and chain rows are relative to the chain)\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, action="append", help="model size multiple (default 1)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--types", default="f16,q8_0")
    ap.add_argument("--tools", default="mergesmith,converter,one-step,chain")
    ap.add_argument("--quick", action="store_true", help="a 2-layer model, to test the script")
    ap.add_argument("--work", type=Path, default=HERE / "work")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    llama = ROOT / ".cache" / "llama.cpp"
    if not (llama / "convert_hf_to_gguf.py").is_file():
        raise SystemExit("llama.cpp's converter is not unpacked: run `make llama-cpp-src` first.")
    cache = "cold" if bm.drop_caches() else "warm"
    layers, vocab = (2, 8000) if args.quick else (22, 32000)
    results = {"cache": cache, "scales": {}}
    for s in args.scale or [1]:
        tag = f"{'quick-' if args.quick else ''}x{s}"
        base, adapter = bm.ensure_models(work, tag, bm.model_spec(layers * s, vocab), 5 << 30)
        results["scales"][tag] = {}
        for qtype in args.types.split(","):
            runs = {t: [] for t in args.tools.split(",")}
            for rep in range(args.reps):
                for t in runs:
                    r = run_tool(t, qtype, base, adapter, work, llama, cache, tag, rep)
                    runs[t].append(r)
                    print(f"  {tag} {qtype} {t:<10} {r['wall']:7.1f} s wall {r['rss'] / 1e6:7.0f} MB peak RSS",
                          flush=True)
            results["scales"][tag][qtype] = runs
    md = table(results)
    stem = "gguf-results-quick" if args.quick else "gguf-results"
    (work / f"{stem}.md").write_text(md)
    (work / f"{stem}.json").write_text(json.dumps(results, indent=2))
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
