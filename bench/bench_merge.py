"""Benchmark: Mergesmith's merge against PEFT's merge_and_unload and a plain ``cp -r``.

Builds a synthetic Llama-style base of real shapes (hidden 2048, intermediate 5504, 22 layers,
32 attention heads and 32 key/value heads, vocabulary 32000: 1.24 B parameters, 2.5 GB in bf16)
straight into safetensors, one tensor at a time, never as a torch model; and a rank-16 LoRA on
all seven linear projections with non-zero ``lora_B``, saved in float32 under PEFT's key names.

Then it times, alternating A B C A B C ..., each under ``/usr/bin/time -v`` (wall time, CPU
time, peak RSS):

A. ``mergesmith merge ADAPTER --base BASE --out OUT --overwrite``
B. PEFT: ``from_pretrained(dtype=bfloat16)``, ``PeftModel.from_pretrained``,
   ``merge_and_unload()``, ``save_pretrained(max_shard_size="5GB")`` (+ the tokenizer)
C. ``cp -r BASE OUT``

Before every run the page cache is dropped (``sync; echo 3 > /proc/sys/vm/drop_caches``) and the
programs' own files are warmed again by a tiny untimed run of A and B, so every timed run reads
the model from disk while start-up is not a disk benchmark ("cold model, warm programs"). When
the cache cannot be dropped, one untimed warm-up of each runs first and the runs are warm-cache.
After each run its output is flushed (``sync``, timed separately) and removed. Mergesmith fsyncs
its output before it returns (so its ``sync`` finds little left); ``cp`` and PEFT do not, so the
table also compares the time until the output is on disk (wall + ``sync``).

The machine is shared and noisy: read the ratios, measured in the same run, more than the
seconds. Usage (from the repository root)::

    .venv/bin/python bench/bench_merge.py              # scales 1 and 2, 3 repetitions each
    .venv/bin/python bench/bench_merge.py --quick      # a small model, to test the script
    .venv/bin/python bench/bench_merge.py --scale 2 --reps 5

Everything goes under ``bench/work/`` (git-ignored); ``results.md`` and ``results.json`` there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))  # fixtures.models.make_tokenizer

PY = sys.executable
# What the ``mergesmith`` console script runs, started the same way on any snapshot of core/,
# with the editable install's import hook removed: otherwise a module the snapshot lacks (say a
# plugin added since) would be imported from the live working tree.
NO_EDITABLE = ("sys.meta_path[:] = [f for f in sys.meta_path "
               "if not getattr(f, '__module__', '').startswith('__editable__')]")


def _console_target() -> tuple[str, str]:
    """(module, function) the installed ``mergesmith`` console script calls."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="console_scripts"):
        if ep.name == "mergesmith":
            return ep.module, ep.attr
    return "mergesmith.cli.main", "main"


_MOD, _ATTR = _console_target()
# a snapshot from before issue 12 has its command line at mergesmith.core.cli
MERGESMITH = [PY, "-c", f"import sys, importlib, importlib.util; {NO_EDITABLE}; "
              f"m = importlib.import_module({_MOD!r} if importlib.util.find_spec('mergesmith.cli') "
              "else 'mergesmith.core.cli'); "
              f"sys.exit(getattr(m, {_ATTR!r}, m.main)())"]
TIME = "/usr/bin/time"
TOOLS = ("mergesmith", "peft", "cp")
PROJ = (("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"),
        ("self_attn", "o_proj"), ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj"))
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

PEFT_SCRIPT = """
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
base, adapter, out = sys.argv[1:4]
model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
model.save_pretrained(out, max_shard_size="5GB")
AutoTokenizer.from_pretrained(base).save_pretrained(out)
"""


# --- the synthetic model -------------------------------------------------------------------------


def model_spec(layers: int, vocab: int, hidden=2048, inter=5504, heads=32, kv_heads=32) -> dict:
    return dict(layers=layers, vocab=vocab, hidden=hidden, inter=inter, heads=heads, kv_heads=kv_heads)


def base_tensors(spec: dict) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every weight, in the order transformers' state dict lists them."""
    h, i, v = spec["hidden"], spec["inter"], spec["vocab"]
    kv = h // spec["heads"] * spec["kv_heads"]
    out = {"q_proj": (h, h), "k_proj": (kv, h), "v_proj": (kv, h), "o_proj": (h, h),
           "gate_proj": (i, h), "up_proj": (i, h), "down_proj": (h, i)}
    names = [("model.embed_tokens.weight", (v, h))]
    for n in range(spec["layers"]):
        p = f"model.layers.{n}."
        names += [(f"{p}{mod}.{proj}.weight", out[proj]) for mod, proj in PROJ]
        names += [(f"{p}input_layernorm.weight", (h,)), (f"{p}post_attention_layernorm.weight", (h,))]
    return names + [("model.norm.weight", (h,)), ("lm_head.weight", (v, h))]


def _random(shape, dtype, gen, std, mean=0.0, chunk=1 << 24) -> torch.Tensor:
    """A random tensor filled a chunk of rows at a time (no full-size float32 temporary)."""
    t = torch.empty(shape, dtype=dtype)
    flat = t.view(-1)
    for s in range(0, flat.numel(), chunk):
        part = torch.randn(min(chunk, flat.numel() - s), generator=gen) * std + mean
        flat[s:s + part.numel()] = part
    return t


def write_safetensors(folder: Path, tensors, make, max_shard: int, stem: str) -> list[str]:
    """Stream ``tensors`` [(name, shape)] into shards of at most ``max_shard`` bytes, as
    transformers splits them; ``make(name, shape)`` produces each tensor just in time."""
    from mergesmith.core.io.safetensors import ShardWriter

    shards: list[list] = [[]]
    size = 0
    itemsize = 2 if stem == "model" else 4
    for name, shape in tensors:
        nbytes = itemsize * torch.Size(shape).numel()
        if shards[-1] and size + nbytes > max_shard:
            shards.append([])
            size = 0
        shards[-1].append((name, shape))
        size += nbytes
    dtype, code = (torch.bfloat16, "BF16") if itemsize == 2 else (torch.float32, "F32")
    files, weight_map = [], {}
    for k, shard in enumerate(shards, 1):
        fname = f"{stem}.safetensors" if len(shards) == 1 else \
            f"{stem}-{k:05d}-of-{len(shards):05d}.safetensors"
        shard = sorted(shard)  # the safetensors library writes names in sorted order
        with ShardWriter(folder / fname, [(n, code, s) for n, s in shard], {"format": "pt"}) as w:
            for name, shape in shard:
                w.write(name, make(name, shape).to(dtype))
                weight_map[name] = fname
        files.append(fname)
    if len(shards) > 1:
        total = sum(itemsize * torch.Size(s).numel() for _, s in tensors)
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        (folder / f"{stem}.safetensors.index.json").write_text(json.dumps(index, indent=2))
    return files


def build_base(folder: Path, spec: dict, max_shard: int) -> None:
    from fixtures.models import make_tokenizer
    from transformers import GenerationConfig, LlamaConfig

    folder.mkdir(parents=True)
    gen = torch.Generator().manual_seed(1234)

    def make(name, shape):
        if name.endswith("norm.weight"):
            return _random(shape, torch.bfloat16, gen, 0.1, 1.0)
        return _random(shape, torch.bfloat16, gen, 0.02)

    write_safetensors(folder, base_tensors(spec), make, max_shard, "model")
    LlamaConfig(hidden_size=spec["hidden"], intermediate_size=spec["inter"],
                num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                num_key_value_heads=spec["kv_heads"], vocab_size=spec["vocab"],
                max_position_embeddings=2048, rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2,
                tie_word_embeddings=False, dtype="bfloat16",
                architectures=["LlamaForCausalLM"]).save_pretrained(str(folder))
    GenerationConfig(bos_token_id=1, eos_token_id=2, max_new_tokens=64).save_pretrained(str(folder))
    make_tokenizer(folder, vocab_size=120)


def build_adapter(folder: Path, base: Path, spec: dict, rank=16, alpha=32) -> None:
    """A PEFT LoRA adapter (float32, as PEFT saves) with random non-zero A and B."""
    folder.mkdir(parents=True)
    gen = torch.Generator().manual_seed(99)
    shapes = dict(base_tensors(spec))
    tensors = []
    for n in range(spec["layers"]):
        for mod, proj in PROJ:
            out_f, in_f = shapes[f"model.layers.{n}.{mod}.{proj}.weight"]
            p = f"base_model.model.model.layers.{n}.{mod}.{proj}"
            tensors += [(f"{p}.lora_A.weight", (rank, in_f)), (f"{p}.lora_B.weight", (out_f, rank))]
    # A like PEFT's kaiming start (~1/sqrt(in)); B as after some training: the delta moves most
    # bf16 weights by a few units in the last place.
    write_safetensors(folder, tensors, lambda name, shape: _random(
        shape, torch.float32, gen, 0.02 if "lora_A" in name else 0.01), 1 << 62, "adapter_model")
    config = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": str(base),
        "r": rank, "lora_alpha": alpha, "lora_dropout": 0.0, "bias": "none",
        "target_modules": [p for _, p in PROJ], "fan_in_fan_out": False, "use_rslora": False,
        "use_dora": False, "lora_bias": False, "modules_to_save": None, "init_lora_weights": True,
        "rank_pattern": {}, "alpha_pattern": {}, "inference_mode": True,
    }
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2))


def ensure_models(work: Path, tag: str, spec: dict, max_shard: int) -> tuple[Path, Path]:
    """Build the base and adapter for ``spec`` unless the same ones are already there."""
    folder = work / tag
    stamp = folder / "spec.json"
    want = json.dumps(dict(spec, max_shard=max_shard), sort_keys=True)
    base, adapter = folder / "base", folder / "adapter"
    if stamp.is_file() and stamp.read_text() == want:
        return base, adapter
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    print(f"building {tag}: {spec}", flush=True)
    build_base(base, spec, max_shard)
    build_adapter(adapter, base, spec)
    stamp.write_text(want)
    print(f"  built {du(base) / 1e9:.2f} GB base, {du(adapter) / 1e6:.0f} MB adapter in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return base, adapter


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


# --- which Mergesmith -------------------------------------------------------------------------


def snapshot(rev: str, work: Path) -> tuple[Path, str]:
    """A frozen copy of core/ and cli/ as ``mergesmith.core`` and ``mergesmith.cli``: the committed ``rev``, or
    ``worktree`` (the files as they are now). Colleagues edit the working tree while this runs;
    every timed run must execute the same code. Returns (folder for PYTHONPATH, label)."""
    if (Path(rev) / "mergesmith" / "core").is_dir():  # a prepared copy, e.g. with a patch to try
        return Path(rev).resolve(), f"folder {Path(rev).resolve().name}"
    if rev == "worktree":
        digest = subprocess.run(
            f"cat $(find {ROOT}/core {ROOT}/cli -name '*.py' | sort) | sha1sum", shell=True, capture_output=True, text=True).stdout[:10]
        label, dest = f"working tree ({digest})", work / "src" / f"worktree-{digest}"
    else:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                             capture_output=True, text=True).stdout.strip()
        label, dest = f"commit {sha}", work / "src" / sha
    if not (dest / "mergesmith" / "core" / "__init__.py").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        pkg = dest / "mergesmith"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        if rev == "worktree":
            for part in ("core", "cli"):
                shutil.copytree(ROOT / part, pkg / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:  # before issue 12 the command line was core/cli.py: no cli/ to take
            parts = "core cli" if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:cli"],
                                                 capture_output=True).returncode == 0 else "core"
            subprocess.run(f"git -C {ROOT} archive {rev} {parts} | tar -x -C {pkg}", shell=True, check=True)
    return dest, label


def use_snapshot(folder: Path) -> None:
    """Make this process and every child import ``mergesmith.core`` from ``folder``."""
    sys.path.insert(0, str(folder))
    exec(NO_EDITABLE)
    ENV["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])


# --- timing --------------------------------------------------------------------------------------


def command(tool: str, base: Path, adapter: Path, out: Path) -> list[str]:
    if tool == "mergesmith":
        return [*MERGESMITH, "merge", str(adapter), "--base", str(base), "--out", str(out),
                "--overwrite", "--json"]
    if tool == "peft":
        return [PY, "-c", PEFT_SCRIPT, str(base), str(adapter), str(out)]
    return ["cp", "-r", str(base), str(out)]


def timed(cmd: list[str], log: Path) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds, CPU seconds and peak RSS (bytes)."""
    stats = log.with_suffix(".time")
    t0 = time.perf_counter()
    with open(log, "w") as out:
        rc = subprocess.run([TIME, "-v", "-o", str(stats), *cmd], stdout=out, stderr=subprocess.STDOUT,
                            env=ENV).returncode
    wall = time.perf_counter() - t0
    text = stats.read_text()

    def field(label: str) -> float:
        m = re.search(rf"{re.escape(label)}: ([\d.]+)", text)
        return float(m.group(1)) if m else float("nan")

    if rc != 0:
        tail = log.read_text()[-2000:]
        raise SystemExit(f"{cmd[0]} failed (exit {rc}); its output ends with:\n{tail}")
    return {"wall": wall, "cpu": field("User time (seconds)") + field("System time (seconds)"),
            "rss": int(field("Maximum resident set size (kbytes)")) * 1024,
            "major_faults": int(field("Major (requiring I/O) page faults"))}


def drop_caches() -> bool:
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def warm_programs(probe: tuple[Path, Path], work: Path, tools=TOOLS) -> None:
    """Untimed runs of A and B on a tiny model: the interpreters' libraries back in the cache."""
    base, adapter = probe
    for tool in (t for t in tools if t != "cp"):
        out = work / f"probe-out-{tool}"
        timed(command(tool, base, adapter, out), work / "probe.log")
        shutil.rmtree(out, ignore_errors=True)


def run_scale(tag, base, adapter, work, reps, cache, probe, keep_last, tools=TOOLS) -> dict:
    """Alternate the tools ``reps`` times; return every run's figures."""
    runs = {t: [] for t in tools}
    outs = {t: work / f"out-{t}" for t in TOOLS}
    if cache == "warm":  # one untimed warm-up of each
        for t in tools:
            timed(command(t, base, adapter, outs[t]), work / "warmup.log")
            shutil.rmtree(outs[t], ignore_errors=True)
    for rep in range(reps):
        for t in tools:
            shutil.rmtree(outs[t], ignore_errors=True)
            if cache == "cold":
                drop_caches()
                warm_programs(probe, work, tools)
                _evict((base, adapter))  # in case the warm-up touched them: model files cold
            r = timed(command(t, base, adapter, outs[t]), work / f"{tag}-{t}-{rep}.log")
            s0 = time.perf_counter()
            subprocess.run(["sync"], check=False)
            r["sync"] = time.perf_counter() - s0
            r["out_bytes"] = du(outs[t])
            if t == "mergesmith":
                r.update(_phases(work / f"{tag}-{t}-{rep}.log", r["wall"]))
            runs[t].append(r)
            print(f"  {tag} rep {rep + 1}/{reps} {t:<10} {r['wall']:7.1f} s wall {r['cpu']:7.1f} s cpu "
                  f"{r['rss'] / 1e6:7.0f} MB peak RSS  (+{r['sync']:.1f} s sync)", flush=True)
            if not (keep_last and rep == reps - 1 and t != "cp"):
                shutil.rmtree(outs[t], ignore_errors=True)
    shutil.rmtree(outs["cp"], ignore_errors=True)
    return runs


def _phases(log: Path, wall: float) -> dict:
    """Mergesmith's own split of its wall time, from its --json result."""
    text = log.read_text()
    try:
        seconds = json.loads(text[text.index("{"):])["seconds"]
    except (ValueError, KeyError):
        return {}
    return {"t_write": seconds.get("write", 0.0), "t_check": seconds.get("check", 0.0),
            "t_start": wall - seconds.get("total", 0.0)}


def _evict(folders) -> None:
    """Drop the model files' pages from the cache (after warming the programs)."""
    for folder in folders:
        for p in Path(folder).rglob("*"):
            if p.is_file():
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


# --- checking ------------------------------------------------------------------------------------


def weight_files(folder: Path) -> dict[str, Path]:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return {n: folder / f for n, f in json.loads(index.read_text())["weight_map"].items()}
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        return {n: folder / "model.safetensors" for n in f.keys()}


def compare(ours: Path, theirs: Path) -> dict:
    """Tensor by tensor, streaming: are Mergesmith's tensors bit-identical to PEFT's?"""
    from safetensors import safe_open

    a, b = weight_files(ours), weight_files(theirs)
    result = {"tensors": len(a), "identical": 0, "different": [], "missing": sorted(set(b) - set(a)),
              "extra": sorted(set(a) - set(b))}
    handles: dict[Path, object] = {}

    def get(path: Path, name: str) -> torch.Tensor:
        if path not in handles:
            handles[path] = safe_open(str(path), "pt")
        return handles[path].get_tensor(name)

    for name in sorted(set(a) & set(b)):
        x, y = get(a[name], name), get(b[name], name)
        if x.dtype == y.dtype and x.shape == y.shape and torch.equal(
                x.view(-1).view(torch.uint8), y.view(-1).view(torch.uint8)):
            result["identical"] += 1
        else:
            diff = (x.float() - y.float()).abs().max().item() if x.shape == y.shape else None
            result["different"].append({"name": name, "dtypes": [str(x.dtype), str(y.dtype)],
                                        "max_abs_diff": diff})
        del x, y
    result["bit_identical"] = not result["different"] and not result["missing"] and not result["extra"]
    return result


# --- report --------------------------------------------------------------------------------------


def summarize(runs: dict) -> dict:
    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss", "sync")}
           for t, rs in runs.items()}
    for t, rs in runs.items():
        med[t]["rss_max"] = max(r["rss"] for r in rs)
        med[t]["wall_min"], med[t]["wall_max"] = min(r["wall"] for r in rs), max(r["wall"] for r in rs)
    for k in ("t_start", "t_write", "t_check"):
        vals = [r[k] for r in runs["mergesmith"] if k in r]
        if vals:
            med["mergesmith"][k] = statistics.median(vals)
    if not all(t in med for t in TOOLS):
        return med
    m, p, c = med["mergesmith"], med["peft"], med["cp"]
    med["ratios"] = {"mergesmith/cp": m["wall"] / c["wall"], "peft/mergesmith": p["wall"] / m["wall"],
                     "peft/cp": p["wall"] / c["wall"],
                     "cpu mergesmith/cp": m["cpu"] / max(c["cpu"], 1e-9),
                     "cpu peft/mergesmith": p["cpu"] / m["cpu"]}
    return med


def markdown(results: dict, env: dict) -> str:
    lines = [f"Machine: {env['cpus']} cores (shared), {env['ram_gb']:.0f} GB RAM, {env['disk']}; "
             f"Mergesmith {env['mergesmith']}, torch {env['torch']}, transformers {env['transformers']}, peft {env['peft']}; "
             f"cache: {env['cache_note']}; medians of {env['reps']} alternating runs.", "",
             "| model | tool | wall (s) | CPU (s) | peak RSS | vs `cp -r` | PEFT / this | + `sync` (s) | on disk vs `cp -r` + `sync` |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tag, r in results["scales"].items():
        s = r["summary"]
        label = f"{tag}: {r['params'] / 1e9:.2f} B params, {r['base_bytes'] / 1e9:.2f} GB"
        for t, name in (("mergesmith", "Mergesmith"), ("peft", "PEFT merge_and_unload"), ("cp", "`cp -r`")):
            if t not in s:
                continue
            x = s[t]
            vs_cp = f"{x['wall'] / s['cp']['wall']:.2f}x" if "cp" in s else "-"
            vs_peft = f"{s['peft']['wall'] / x['wall']:.2f}x" if "peft" in s else "-"
            durable = (f"{(x['wall'] + x['sync']) / (s['cp']['wall'] + s['cp']['sync']):.2f}x"
                       if "cp" in s else "-")
            lines.append(f"| {label} | {name} | {x['wall']:.1f} | {x['cpu']:.1f} | "
                         f"{x['rss'] / 1e6:.0f} MB | {vs_cp} | {vs_peft} | {x['sync']:.1f} | {durable} |")
            label = ""
    lines.append("")
    targets = results["targets"]
    for line in targets:
        lines.append(f"- {line}")
    return "\n".join(lines) + "\n"


def check_targets(results: dict) -> list[str]:
    out = []
    tags = list(results["scales"])
    for tag in tags:
        s = results["scales"][tag]["summary"]
        if "ratios" not in s or "mergesmith" not in s:
            continue
        r, rss = s["ratios"], s["mergesmith"]["rss_max"]
        out.append(f"{tag}: Mergesmith {r['mergesmith/cp']:.2f}x `cp -r` (target <= 3x: "
                   f"{'met' if r['mergesmith/cp'] <= 3 else 'MISSED'}), PEFT {r['peft/mergesmith']:.2f}x "
                   f"slower (target >= 4x: {'met' if r['peft/mergesmith'] >= 4 else 'MISSED'}), peak RSS "
                   f"{rss / 1e6:.0f} MB (target < 600 MB: {'met' if rss < 600e6 else 'MISSED'})")
    if len(tags) >= 2 and all("mergesmith" in results["scales"][t]["summary"] for t in tags):
        a, b = (results["scales"][t]["summary"]["mergesmith"]["rss_max"] for t in (tags[0], tags[-1]))
        out.append(f"Mergesmith peak RSS {tags[0]} -> {tags[-1]}: {a / 1e6:.0f} -> {b / 1e6:.0f} MB, "
                   f"{(b / a - 1) * 100:+.1f}% (target < +15%: {'met' if b / a < 1.15 else 'MISSED'})")
    for tag in tags:
        m = results["scales"][tag]["summary"].get("mergesmith", {})
        if "t_write" in m:
            out.append(f"{tag}: Mergesmith's wall time, medians: start-up and plan {m['t_start']:.1f} s, "
                       f"writing {m['t_write']:.1f} s, checking the result {m['t_check']:.1f} s")
    chk = results.get("check")
    if chk:
        verdict = "bit-identical" if chk["bit_identical"] else "NOT bit-identical"
        out.append(f"Mergesmith vs PEFT on {chk['scale']}: {chk['identical']}/{chk['tensors']} tensors "
                   f"identical: {verdict}" + (f" (first differing: {chk['different'][:3]})"
                                              if chk["different"] else ""))
    return out


def environment(cache: str, reps: int) -> dict:
    import peft
    import transformers

    disk = subprocess.run(["df", "-h", str(HERE)], capture_output=True, text=True).stdout.split("\n")[1].split()
    notes = {"cold": "page cache dropped before every run, programs re-warmed, model files cold",
             "warm": "warm (could not drop the page cache; one untimed warm-up of each tool)"}
    return {"cpus": os.cpu_count(), "ram_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9,
            "disk": f"{disk[0]} ({disk[3]} free of {disk[1]})", "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "cache": cache, "cache_note": notes[cache], "reps": reps}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, help="runs of each tool per model (default 3; 1 with --quick)")
    ap.add_argument("--scale", type=int, action="append",
                    help="model size in multiples of the default layer count (repeatable; default 1 and 2)")
    ap.add_argument("--quick", action="store_true", help="a 2-layer, 8000-word model to test the script")
    ap.add_argument("--kv-heads", type=int, default=32, help="key/value heads (default 32 = no GQA)")
    ap.add_argument("--cache", choices=["auto", "cold", "warm"], default="auto")
    ap.add_argument("--base-shard-size", default="5GB", help="shard size of the synthetic base")
    ap.add_argument("--no-check", action="store_true", help="skip the bit-identity check")
    ap.add_argument("--rev", default="HEAD",
                    help="the Mergesmith to time: a commit (default HEAD), 'worktree' (a copy of core/ "
                         "now) or a folder holding mergesmith/core (to try a patch)")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help="which of mergesmith,peft,cp to time (default all; the check needs the first two)")
    ap.add_argument("--work", type=Path, default=HERE / "work")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    src, rev_label = snapshot(args.rev, work)
    use_snapshot(src)
    from mergesmith.core.formats import parse_size

    import mergesmith.core

    assert Path(mergesmith.core.__file__).is_relative_to(src), mergesmith.core.__file__

    tools = tuple(t for t in TOOLS if t in args.tools.split(","))
    if not tools:
        raise SystemExit(f"--tools: choose among {', '.join(TOOLS)}.")
    scales = args.scale or [1, 2]
    reps = args.reps or (1 if args.quick else 3)
    layers, vocab = (2, 8000) if args.quick else (22, 32000)
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is missing; install GNU time (apt-get install time).")
    cache = args.cache
    if cache in ("auto", "cold"):
        ok = drop_caches()
        if not ok and cache == "cold":
            raise SystemExit("Cannot drop the page cache here (not root?); use --cache warm.")
        cache = "cold" if ok else "warm"
    max_shard = parse_size(args.base_shard_size)
    specs = {(f"x{s}" if not args.quick else f"quick-x{s}"):
             model_spec(layers * s, vocab, kv_heads=args.kv_heads) for s in scales}
    need = sum(4 * 2 * sum(torch.Size(sh).numel() for _, sh in base_tensors(sp)) for sp in specs.values())
    free = shutil.disk_usage(work).free
    if free < need:
        raise SystemExit(f"Needs about {need / 1e9:.0f} GB free in {work}, has {free / 1e9:.0f} GB.")
    probe = ensure_models(work, "probe", model_spec(1, 256, hidden=64, inter=128, heads=4, kv_heads=4), max_shard)
    env = dict(environment(cache, reps), mergesmith=rev_label)
    results = {"env": env, "scales": {}}
    for i, (tag, spec) in enumerate(specs.items()):
        base, adapter = ensure_models(work, tag, spec, max_shard)
        keep = i == 0 and not args.no_check and {"mergesmith", "peft"} <= set(tools)
        runs = run_scale(tag, base, adapter, work, reps, cache, probe, keep, tools)
        results["scales"][tag] = {
            "spec": spec, "params": sum(torch.Size(s).numel() for _, s in base_tensors(spec)),
            "base_bytes": du(base), "runs": runs, "summary": summarize(runs)}
        if keep:
            print(f"  comparing {tag}: Mergesmith vs PEFT, tensor by tensor", flush=True)
            chk = compare(work / "out-mergesmith", work / "out-peft")
            results["check"] = dict(chk, scale=tag)
            for t in ("mergesmith", "peft"):
                shutil.rmtree(work / f"out-{t}", ignore_errors=True)
    results["targets"] = check_targets(results)
    table = markdown(results, env)
    # a quick test or a partial run keeps the real figures
    stem = "results-quick" if args.quick else "results" if tools == TOOLS else "results-partial"
    (work / f"{stem}.md").write_text(table)
    (work / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str))
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
