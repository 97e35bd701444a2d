"""Every kind of input Mergesmith reads, in one folder, and a fingerprint to prove none changed.

``build_inputs(root)`` writes a sharded base, a PEFT adapter, a CLIP visual encoder, an XTuner
work_dir (LoRA), a DeepSpeed ZeRO-2 work_dir, a LLaVA work_dir and a damaged model folder (for
``fix``). ``fingerprint(folder)`` records, for every entry below it (symlinks not followed): its
type, mode, mtime_ns, size, sha256 (files) or target (links) -- and the directories' own mtimes,
so even a temporary file created and removed inside an input would show.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections import OrderedDict
from pathlib import Path


def fingerprint(folder: Path) -> dict[str, tuple]:
    folder = Path(folder)
    out: dict[str, tuple] = {}

    def entry(path: Path) -> tuple:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            return ("link", st.st_mode, os.readlink(path))
        if stat.S_ISDIR(st.st_mode):
            return ("dir", st.st_mode, st.st_mtime_ns)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return ("file", st.st_mode, st.st_mtime_ns, st.st_size, digest)

    out["."] = entry(folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            out[str(path.relative_to(folder))] = entry(path)
    return out


def changes(before: dict, after: dict) -> list[str]:
    """What differs between two fingerprints, in words (empty when nothing changed)."""
    said = [f"added {k}" for k in sorted(after.keys() - before.keys())]
    said += [f"removed {k}" for k in sorted(before.keys() - after.keys())]
    said += [f"changed {k}: {before[k]} -> {after[k]}" for k in sorted(before.keys() & after.keys())
             if before[k] != after[k]]
    return said


def build_inputs(root: Path) -> dict[str, Path]:
    """The inputs (see the module docstring), named; the XTuner configs name the base by its path."""
    from builders import make_adapter, make_model
    from xt_builders import (base_linears, llava_config, lora_state_dict, make_vit, projector_state_dict,
                             save_deepspeed, sft_config, work_dir)
    from xthelpers import LORA, VIT_LORA

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    p = {"base": make_model(root / "base", max_shard_size="20KB")}
    p["adapter"] = make_adapter(p["base"], root / "adapter", r=4, lora_alpha=8)
    p["vit"] = make_vit(root / "vit")
    linears = base_linears(p["base"])
    cfg = sft_config(str(p["base"]), LORA)
    p["xtuner"] = work_dir(root / "xtuner_wd", cfg, {10: lora_state_dict(linears, "llm.", 4, seed=1)})
    ds = root / "deepspeed_wd"
    ds.mkdir()
    (ds / "cfg.py").write_text(cfg)
    save_deepspeed(ds / "iter_8.pth", lora_state_dict(linears, "llm.", 4, seed=2), stage=2, world=2, cfg_text=cfg)
    p["deepspeed"] = ds
    sd = OrderedDict()
    sd.update(lora_state_dict(base_linears(p["vit"]), "visual_encoder.", 4, seed=11, module_prefix="vision_model."))
    sd.update(lora_state_dict(linears, "llm.", 4, seed=12))
    sd.update(projector_state_dict(24, 32))
    p["llava"] = work_dir(root / "llava_wd", llava_config(str(p["base"]), str(p["vit"]), llm_lora=LORA,
                                                           vit_lora=VIT_LORA), {30: sd}, name="llava_lora")
    damaged = shutil.copytree(p["base"], root / "damaged")
    for name in ("generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        (damaged / name).unlink()
    p["damaged"] = damaged
    return p


def commands(p: dict[str, Path], out: Path) -> list[tuple[list, tuple]]:
    """Every command on these inputs, with the exit codes it may give: (argv, codes)."""
    out = Path(out)
    b = str(p["base"])
    return [
        (["inspect", p["base"]], (0,)),
        (["inspect", p["adapter"], "--base", b, "--scan-values"], (0,)),
        (["inspect", p["xtuner"], "--json"], (0,)),
        (["inspect", p["deepspeed"]], (0,)),
        (["inspect", p["llava"]], (0,)),
        (["inspect", p["damaged"], "--base", b], (1,)),
        (["merge", p["adapter"], "--base", b, "--out", out / "m1", "--dry-run"], (0,)),
        (["merge", p["adapter"], "--base", b, "--out", out / "m1", "--check", "full"], (0,)),
        (["merge", p["xtuner"], "--base", b, "--out", out / "m2", "--max-shard-size", "30KB"], (0,)),
        (["merge", p["xtuner"] / "iter_10.pth", "--out", out / "m2b", "--dtype", "float32"], (0,)),
        (["merge", p["deepspeed"], "--base", b, "--out", out / "m3"], (0,)),
        (["merge", p["llava"], "--base", b, "--visual-encoder", p["vit"], "--out", out / "m4"], (0,)),
        (["merge", p["llava"], "--base", b, "--visual-encoder", p["vit"], "--out", out / "m5",
          "--format", "llava-hf"], (0,)),
        (["convert", p["xtuner"], "--out", out / "c1", "--dry-run"], (0,)),
        (["convert", p["xtuner"], "--out", out / "c1"], (0,)),
        (["convert", p["deepspeed"] / "iter_8.pth", "--out", out / "c2"], (0,)),
        (["convert", p["llava"], "--out", out / "c3", "--dtype", "float16"], (0,)),
        (["verify", out / "m1", "--source", p["adapter"], "--base", b, "--logits"], (0,)),
        (["verify", out / "m3", "--source", p["deepspeed"], "--base", b], (0,)),
        (["fix", p["damaged"], "--from-base", b, "--dry-run"], (0,)),
        (["fix", p["damaged"], "--from-base", b, "--out", out / "f1"], (0, 1)),
        (["inspect", out / "f1"], (0,)),
    ]
