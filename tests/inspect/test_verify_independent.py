"""verify reads the inputs itself: the config that trained the adapter, not the plan's, decides the scale.

On XTuner's real output (tests/specimens, made by XTuner 0.2.0 / mmengine 0.10.6 / DeepSpeed 0.16.2) and
on adapters PEFT writes, merged by ``mergesmith merge`` or by PEFT's own merge_and_unload.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fixtures.adapters import make_adapter, peft_merged
from fixtures.cli import run_cli

SPECIMENS = Path(__file__).resolve().parents[1] / "specimens"
QWEN = SPECIMENS / "qwen2_qlora_workdir"
QWEN_WORK = QWEN / "work_dirs" / "qwen1_5_0_5b_chat_qlora_alpaca_e3"
QWEN_CONFIG = "qwen1_5_0_5b_chat_qlora_alpaca_e3.py"
QWEN_BASE = QWEN / "models" / "Qwen1.5-0.5B-Chat-tiny"


def verify(out, source, base, **kwargs):
    from mergesmith.core.verify.compare import verify as _verify

    return _verify(out, source, base, **kwargs)


def merge(source, base, out, *extra):

    done = run_cli("merge", source, "--base", base, "--out", out, *extra)
    assert done.code == 0
    return out


def edited_work_dir(folder: Path) -> Path:
    """The qwen2 work_dir with its config .py edited after training: lora_alpha 16 -> 32."""
    folder.mkdir()
    shutil.copy2(QWEN_WORK / "iter_40.pth", folder / "iter_40.pth")
    text = (QWEN_WORK / QWEN_CONFIG).read_text(encoding="utf-8")
    assert text.count("lora_alpha=16") == 1
    (folder / QWEN_CONFIG).write_text(text.replace("lora_alpha=16", "lora_alpha=32"), encoding="utf-8")
    return folder


def without_stored_config(work_dir: Path, folder: Path) -> Path:
    """A copy of a work_dir whose checkpoint was saved again without meta['cfg'] (mmengine's own objects kept).

    In a child process: unpickling imports mmengine, which other tests check is never imported here.
    """
    folder.mkdir()
    shutil.copy2(work_dir / QWEN_CONFIG, folder / QWEN_CONFIG)
    subprocess.run([sys.executable, "-c", RESAVE, str(work_dir / "iter_40.pth"), str(folder / "iter_40.pth")],
                   check=True, timeout=120)
    return folder


RESAVE = """import sys, torch
ckpt = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
assert "cfg" in ckpt["meta"] and "mmengine" in sys.modules
del ckpt["meta"]["cfg"]
torch.save(ckpt, sys.argv[2])
"""


@pytest.fixture(scope="module")
def alpha_case(tmp_path_factory):
    """(work_dir whose .py says 32 but whose checkpoint says 16, the merge with 32, the merge with 16)."""
    # found, not imported: other tests check it never is
    assert importlib.util.find_spec("mmengine") is not None, "mmengine-lite (the test extra) re-saves the checkpoint"
    root = tmp_path_factory.mktemp("alpha")
    edited = edited_work_dir(root / "edited")
    wrong = merge(without_stored_config(edited, root / "no-cfg"), QWEN_BASE, root / "merged-32")
    right = merge(QWEN_WORK, QWEN_BASE, root / "merged-16")
    return edited, wrong, right


def test_merge_with_an_edited_config_is_a_mismatch(alpha_case):
    edited, wrong, _ = alpha_case
    result = verify(wrong, edited, QWEN_BASE)
    assert not result.ok
    mismatches = [p for p in result.problems if p.code == "merge-mismatch"]
    assert len(mismatches) == 14 and {p.code for p in result.problems} == {"merge-mismatch"}
    assert {p.file for p in mismatches} == {c.name for c in result.checks if c.kind == "merged"}
    for p in mismatches:
        assert p.message.startswith(p.file)
        assert "scale 0.5 (lora_alpha 32 at r 64)" in p.message
        assert "lora_alpha 16 / r 64 from the training config stored in iter_40.pth gives 0.25" in p.message
    assert any(f"{QWEN_CONFIG} in the work_dir says lora_alpha 32" in n and "says lora_alpha 16" in n
               for n in result.notes)
    assert result.lines()[-1] == "The merge is NOT what the inputs give."


def test_right_merge_passes_although_the_py_was_edited(alpha_case):
    edited, _, right = alpha_case
    result = verify(right, edited, QWEN_BASE)
    assert result.ok and result.problems == [], result.lines()
    assert len([c for c in result.checks if c.kind == "merged"]) == 14 and result.worst.ulp == 0
    assert "stored in iter_40.pth (LLM: lora_alpha 16 / r 64 = scale 0.25)" in result.settings


def test_checkpoint_without_a_stored_config_uses_the_py_and_says_so(alpha_case, tmp_path):
    edited, wrong, right = alpha_case
    bare = without_stored_config(edited, tmp_path / "bare")
    result = verify(wrong, bare, QWEN_BASE)
    assert result.ok and result.worst.ulp == 0
    assert any("stores no training config" in n and QWEN_CONFIG in n for n in result.notes)
    assert not verify(right, bare, QWEN_BASE).ok


def test_cli_names_the_two_scales(alpha_case):

    edited, wrong, _ = alpha_case
    done = run_cli("verify", wrong, "--source", edited, "--base", QWEN_BASE, "--json")
    assert done.code == 1
    doc = json.loads(done.out)
    assert not doc["ok"] and "lora_alpha 16 / r 64 = scale 0.25" in doc["settings"]
    assert "lora_alpha 32 at r 64" in doc["problems"][0]["message"]


@pytest.mark.parametrize("specimen, work, base, extra, merged, replaced", [
    ("qwen2_qlora_workdir", "qwen1_5_0_5b_chat_qlora_alpaca_e3", "Qwen1.5-0.5B-Chat-tiny", (), 14, 0),
    ("zero2_workdir", "internlm2_chat_7b_qlora_oasst1_e3", "internlm2-chat-7b-tiny-llama", (), 14, 0),
    ("llava_pretrain_workdir", "llava_vicuna_7b_v15_clip_vit_large_p14_336_e1_gpu8_pretrain",
     "vicuna-7b-v1.5-tiny", ("--visual-encoder", "clip-vit-large-patch14-336-tiny"), 0, 4),
])
def test_specimens_merged_then_verified(tmp_path, specimen, work, base, extra, merged, replaced):
    root = SPECIMENS / specimen
    extra = [root / "models" / e if i % 2 else e for i, e in enumerate(extra)]
    out = merge(root / "work_dirs" / work, root / "models" / base, tmp_path / "out", *extra)
    result = verify(out, root / "work_dirs" / work, root / "models" / base)
    assert result.ok and result.problems == [] and result.unchecked == [], result.lines()
    kinds = [c.kind for c in result.checks]
    assert kinds.count("merged") == merged and kinds.count("replaced") == replaced
    assert result.worst.ulp == 0


def test_damaged_projector_is_named(tmp_path):
    from safetensors.torch import load_file, save_file

    root = SPECIMENS / "llava_pretrain_workdir"
    work = root / "work_dirs" / "llava_vicuna_7b_v15_clip_vit_large_p14_336_e1_gpu8_pretrain"
    out = merge(work, root / "models" / "vicuna-7b-v1.5-tiny", tmp_path / "out",
                "--visual-encoder", root / "models" / "clip-vit-large-patch14-336-tiny")
    weights = out / "projector" / "model.safetensors"
    state = load_file(weights)
    state["model.2.bias"] = state["model.2.bias"] + 1
    save_file(state, weights, metadata={"format": "pt"})
    result = verify(out, work, root / "models" / "vicuna-7b-v1.5-tiny")
    assert [(p.code, p.file) for p in result.problems] == [("merge-mismatch", "projector/model.2.bias")]


# --- PEFT adapters: the settings in adapter_config.json, checked against PEFT's own merge -------------------


@pytest.fixture
def base(model_cache):
    return model_cache("llama")


def test_alpha_pattern_and_rank_pattern_are_read(base, tmp_path):
    adapter = make_adapter(base, tmp_path / "adapter", rank_pattern={"q_proj": 8}, alpha_pattern={"v_proj": 2})
    out = tmp_path / "peft-merged"
    peft_merged(base, adapter, torch.bfloat16).save_pretrained(str(out))
    result = verify(out, adapter, base)
    assert result.ok and result.worst.ulp <= 1, result.lines()
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["alpha_pattern"] = {}
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    result = verify(out, adapter, base)
    assert sorted(p.file for p in result.problems) == [f"model.layers.{i}.self_attn.v_proj.weight" for i in (0, 1)]
    assert all("lora_alpha 8 / r 4 from adapter_config.json" in p.message for p in result.problems)


def test_rslora_scale(base, tmp_path):
    adapter = make_adapter(base, tmp_path / "adapter", use_rslora=True, r=16, lora_alpha=8)
    out = tmp_path / "peft-merged"
    peft_merged(base, adapter, torch.float32).save_pretrained(str(out))
    result = verify(out, adapter, base)
    assert result.ok and result.worst.ulp <= 2, result.lines()
    assert "lora_alpha 8 / sqrt(r 16) = scale 2" in result.settings


def test_fan_in_fan_out_and_embedding_lora(model_cache, tmp_path):
    base = model_cache("gpt2")
    adapter = make_adapter(base, tmp_path / "adapter", target_modules=["c_attn", "wte"], fan_in_fan_out=True)
    out = tmp_path / "peft-merged"
    # float32: PEFT rounds an embedding's delta to a 16-bit base dtype before adding it (double rounding)
    peft_merged(base, adapter, torch.float32).save_pretrained(str(out))
    result = verify(out, adapter, base)
    assert result.ok, result.lines()
    assert {c.name for c in result.checks if c.kind == "merged"} == {
        "transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", "transformer.h.1.attn.c_attn.weight"}
    assert result.worst.ulp <= 1


def test_dora_is_said_to_be_unchecked(base, tmp_path):
    from mergesmith.core.engine.merge import merge as run_merge

    adapter = make_adapter(base, tmp_path / "adapter", use_dora=True, target_modules=["q_proj", "v_proj"])
    run_merge(adapter, base, tmp_path / "out")
    result = verify(tmp_path / "out", adapter, base)
    assert result.ok and len(result.unchecked) == 4
    assert not [c for c in result.checks if c.kind == "merged"]
    assert any(n.startswith("4 tensor(s) use DoRA, which verify does not recompute independently") for n in result.notes)
    assert result.lines()[-1] == "The checked tensors are right; 4 could not be checked independently."
    from mergesmith.gui.checking import verify_sentence

    assert "4 tensor(s) of a variant verify does not recompute" in verify_sentence(result)
    assert "The merge is right" not in verify_sentence(result)
