"""Streaming: the merge's memory does not grow with the model.

Two synthetic Llama-shaped bases, one four times the other (written straight to safetensors),
each merged with a LoRA on every projection and a dtype change (so every byte goes through the
float32 path, none is copied by the kernel). The peak resident memory the merge adds over the
bare interpreter must be about the same for both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import torch

from mergesmith.core.io.safetensors import ShardWriter

HIDDEN, INTER, VOCAB, RANK = 512, 1376, 4096, 8
PROJ = {"self_attn.q_proj": (HIDDEN, HIDDEN), "self_attn.k_proj": (HIDDEN, HIDDEN),
        "self_attn.v_proj": (HIDDEN, HIDDEN), "self_attn.o_proj": (HIDDEN, HIDDEN),
        "mlp.gate_proj": (INTER, HIDDEN), "mlp.up_proj": (INTER, HIDDEN), "mlp.down_proj": (HIDDEN, INTER)}


def _write(path, tensors):
    entries = [(n, "BF16" if t.dtype == torch.bfloat16 else "F32", tuple(t.shape)) for n, t in tensors]
    with ShardWriter(path, entries, {"format": "pt"}) as w:
        for n, t in tensors:
            w.write(n, t)


def synthetic(folder, layers):
    folder.mkdir()
    g = torch.Generator().manual_seed(layers)
    tensors = [("model.embed_tokens.weight", torch.randn(VOCAB, HIDDEN, generator=g).bfloat16())]
    adapter = []
    for i in range(layers):
        for mod, (o, inp) in PROJ.items():
            name = f"model.layers.{i}.{mod}"
            tensors.append((f"{name}.weight", (torch.randn(o, inp, generator=g) * 0.02).bfloat16()))
            adapter.append((f"base_model.model.{name}.lora_A.weight", torch.randn(RANK, inp, generator=g) * 0.01))
            adapter.append((f"base_model.model.{name}.lora_B.weight", torch.randn(o, RANK, generator=g) * 0.01))
        tensors.append((f"model.layers.{i}.input_layernorm.weight", torch.ones(HIDDEN).bfloat16()))
    tensors.append(("lm_head.weight", torch.randn(VOCAB, HIDDEN, generator=g).bfloat16()))
    _write(folder / "model.safetensors", tensors)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                                                    "hidden_size": HIDDEN, "torch_dtype": "bfloat16"}))
    ad = folder.parent / f"{folder.name}-adapter"
    ad.mkdir()
    _write(ad / "adapter_model.safetensors", adapter)
    (ad / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": RANK, "lora_alpha": 16,
                                                        "target_modules": ["q_proj"]}))
    return folder, ad, sum(t.numel() for _, t in tensors) * 4


PROBE = textwrap.dedent("""
    import sys
    from pathlib import Path
    import torch
    from mergesmith.core.engine import merge  # everything the merge imports
    from mergesmith.core.inspect import folder  # noqa: F401
    from mergesmith.core.plan import planners  # noqa: F401
    from mergesmith.core.sources import detect  # noqa: F401

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1])

    before = status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    merge.merge(sys.argv[1], sys.argv[2], Path(sys.argv[3]), dtype="float32")
    print(status("VmHWM:") - before)
""")


def _growth_kib(base, adapter, out):
    proc = subprocess.run([sys.executable, "-c", PROBE, str(adapter), str(base), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1])


def test_peak_memory_does_not_grow_with_the_model(tmp_path):
    small, small_ad, small_out = synthetic(tmp_path / "small", 2)
    large, large_ad, large_out = synthetic(tmp_path / "large", 10)
    assert large_out > 3 * small_out  # output bytes (float32): 42 MB and 140 MB
    g_small = _growth_kib(small, small_ad, tmp_path / "o-small")
    g_large = _growth_kib(large, large_ad, tmp_path / "o-large")
    extra_mib = (g_large - g_small) / 1024
    model_growth_mib = (large_out - small_out) / 2**20
    # the larger model writes ~80 MB more; the merge may not hold more than a few MB of it
    assert extra_mib < 0.1 * model_growth_mib, (g_small, g_large, model_growth_mib)
