"""Helpers for the output-safety tests: a wide model fast to build, real CLI processes, snapshots.

The wide model reuses the benchmark's streaming safetensors writer (bench/bench_merge.py) with
cheap values (uniform, not Gaussian): what matters here is bytes to write, not their numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from bench_merge import PROJ, base_tensors, model_spec, write_safetensors  # noqa: E402

SPEC = model_spec(layers=4, vocab=8192, hidden=1024, inter=2816, heads=8, kv_heads=8)
TAGS = (".mergesmith-partial-", ".mergesmith-old-", ".mergesmith-replaced-")


def build_wide(root: Path) -> tuple[Path, Path]:
    from builders import make_tokenizer
    from transformers import GenerationConfig, LlamaConfig

    base, adapter = root / "base", root / "adapter"
    base.mkdir()
    adapter.mkdir()
    gen = torch.Generator().manual_seed(7)

    def make(name, shape, scale=0.02):
        t = torch.empty(shape, dtype=torch.float32)
        return t.uniform_(-scale, scale, generator=gen) + (1.0 if name.endswith("norm.weight") else 0.0)

    write_safetensors(base, base_tensors(SPEC), make, 20_000_000, "model")
    LlamaConfig(hidden_size=SPEC["hidden"], intermediate_size=SPEC["inter"], num_hidden_layers=SPEC["layers"],
                num_attention_heads=SPEC["heads"], num_key_value_heads=SPEC["kv_heads"], vocab_size=SPEC["vocab"],
                max_position_embeddings=256, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                dtype="bfloat16", architectures=["LlamaForCausalLM"]).save_pretrained(str(base))
    GenerationConfig(bos_token_id=1, eos_token_id=2).save_pretrained(str(base))
    make_tokenizer(base, vocab_size=120)
    shapes = dict(base_tensors(SPEC))
    tensors = []
    for n in range(SPEC["layers"]):
        for mod, proj in PROJ:
            out_f, in_f = shapes[f"model.layers.{n}.{mod}.{proj}.weight"]
            p = f"base_model.model.model.layers.{n}.{mod}.{proj}"
            tensors += [(f"{p}.lora_A.weight", (8, in_f)), (f"{p}.lora_B.weight", (out_f, 8))]
    write_safetensors(adapter, tensors, make, 1 << 62, "adapter_model")
    (adapter / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": str(base), "r": 8,
        "lora_alpha": 16, "target_modules": [p for _, p in PROJ], "fan_in_fan_out": False, "bias": "none",
        "use_rslora": False, "use_dora": False, "modules_to_save": None}))
    return base, adapter


def folder_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def leftovers(parent: Path, name: str = "") -> list[str]:
    return sorted(p.name for p in parent.iterdir() if any(t in p.name for t in TAGS) and name in p.name)


def partials(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if ".mergesmith-partial-" in p.name]


def snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha1} of every file under ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "mergesmith.cli", *map(str, args)]


STARTED: list[subprocess.Popen] = []  # reaped after each test (conftest), even one that failed


def _popen(argv: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc


def reap_all() -> None:
    """Kill and reap whatever a test started and left running (a stray process or open pipe would
    surface as a ResourceWarning in some later test)."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start(*args) -> subprocess.Popen:
    return _popen(cli(*args))


def kill_at(args, parent: Path, fraction: float, total: int) -> tuple[int, bool]:
    """Start the CLI, SIGKILL it once ``fraction`` of ``total`` bytes sit in its partial folder:
    (pid, whether that point was reached before it finished)."""
    proc = start(*args)
    reached = wait_for(parent, proc, fraction, total)
    proc.kill()
    proc.communicate(timeout=30)
    return proc.pid, reached


def run(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=timeout)


def wait_for(parent: Path, proc: subprocess.Popen, fraction: float, total: int, timeout=60.0) -> bool:
    """Poll until the partial folder of ``proc`` under ``parent`` holds ``fraction`` of ``total``
    bytes (or, with fraction 0, exists). False if the process ended first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        found = [p for p in partials(parent) if f"-partial-{proc.pid}@" in p.name]  # its own, not a leftover
        if found and (fraction == 0 or folder_size(found[0]) >= fraction * total):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.0005)
    raise TimeoutError(f"no partial output reached {fraction:.0%} in {timeout} s")


def wait_until(check, proc: subprocess.Popen, timeout=60.0) -> bool:
    """Poll ``check()`` until true; False if ``proc`` ended first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.0005)
    raise TimeoutError(f"the awaited moment did not come in {timeout} s")


def strace_refusal() -> str:
    """Why renames cannot be slowed down here (no strace, ptrace refused), or '' when they can."""
    import shutil

    if shutil.which("strace") is None:
        return "strace is not installed"
    probe = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=rename",
                            "-e", "inject=rename:delay_enter=1", "true"], capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"strace cannot trace here: {probe.stderr.strip()[:200]}"


RENAMES = "rename,renameat,renameat2"


def start_slow_renames(*args, delay=0.4) -> subprocess.Popen:
    """The CLI under strace, every rename held back ``delay`` seconds before it happens: the moment
    between two renames lasts long enough to SIGKILL the process there (its pid is in the names it
    makes; this Popen is strace's)."""
    return _popen(["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", f"trace={RENAMES}",
                   "-e", f"inject={RENAMES}:delay_enter={int(delay * 1e6)}", *cli(*args)])


def owner_pid(name: str) -> int:
    """The writer's pid in a staging name ``.<out><tag><pid>@<host>-<random>``."""
    tag = next(t for t in TAGS if t in name)
    return int(name.split(tag, 1)[1].split("@", 1)[0])


def kill_now(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


def run_here(capsys, *args) -> subprocess.CompletedProcess:
    """The CLI in this process (the next run after a kill needs no fresh interpreter: saves its
    imports), as a CompletedProcess."""
    from mergesmith.cli.main import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)
