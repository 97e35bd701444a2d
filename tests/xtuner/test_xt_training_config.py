"""Which config a checkpoint was trained with, on real XTuner work_dirs (tests/specimens).

mmengine stores the config's text in every checkpoint (``meta['cfg']``); the ``.py`` beside it is a
copy that users edit. The variants here are made from the specimens with mmengine itself: the
checkpoint is loaded with ``torch.load`` while mmengine is importable (as XTuner loads it), edited,
and saved again with ``torch.save``, so its pickle still holds mmengine's real objects.
"""

import shutil

import pytest
import torch
from safetensors.torch import load_file

from fixtures.cli import assert_clean_failure, run_cli
from fixtures.specimens import (CONFIG, QWEN_BASE, QWEN_WD, ROOT, copy_work_dir, make_internvl, resave,
                                set_alpha, stored_config)


@pytest.fixture(scope="module")
def right(tmp_path_factory):
    """The specimen merged as it is: the reference for the edited variants."""
    out = tmp_path_factory.mktemp("right") / "out"

    done = run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", out)
    assert done.code == 0
    return load_file(out / "model.safetensors")


def test_an_edited_config_is_named_and_the_checkpoints_own_config_is_used(tmp_path, right):
    wd = copy_work_dir(tmp_path / "wd")
    set_alpha(wd / CONFIG, 32)
    code, out, err = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "out")
    assert code == 0, err
    said = out + err
    assert "[config-mismatch]" in said and CONFIG in said and "iter_40.pth" in said
    assert "lora_alpha 32 \u2260 16" in said
    merged = load_file(tmp_path / "out" / "model.safetensors")
    assert merged.keys() == right.keys() and all(torch.equal(merged[k], right[k]) for k in right)

    code, out, _ = run_cli("inspect", wd)
    assert code == 0 and "[config-mismatch]" in out and "lora_alpha 32 \u2260 16" in out


def test_the_config_for_another_iteration_is_that_checkpoints_own(tmp_path):
    """iter_20 trained with alpha 16 and iter_40 (say) with 32: each merge follows its own checkpoint."""
    wd = copy_work_dir(tmp_path / "wd")

    resave(wd / "iter_40.pth", cfg=stored_config(wd / "iter_40.pth").replace("lora_alpha=16,", "lora_alpha=32,"))
    code, out, err = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "o40", "--dry-run")
    assert code == 0 and "alpha=32" in out and "lora_alpha 16 \u2260 32" in out + err
    code, out, err = run_cli("merge", wd, "--iter", "20", "--base", QWEN_BASE, "--out", tmp_path / "o20",
                             "--dry-run")
    assert code == 0 and "alpha=16" in out and "config-mismatch" not in out + err


def test_a_checkpoint_without_a_stored_config_uses_the_py_and_says_so(tmp_path, right):
    wd = copy_work_dir(tmp_path / "wd")
    resave(wd / "iter_40.pth", drop_cfg=True)
    set_alpha(wd / CONFIG, 32)
    code, out, err = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "out")
    assert code == 0, err
    code, out, _ = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "o2", "--dry-run")
    assert f"iter_40.pth stores no training config, so the settings come from {CONFIG}" in out
    assert "alpha=32" in out
    merged = load_file(tmp_path / "out" / "model.safetensors")
    changed = [k for k in right if not torch.equal(merged[k], right[k])]
    assert len(changed) == 7 * 2  # the 7 LoRA targets of both layers follow the .py's alpha


def test_without_any_config_the_lora_is_refused_with_a_sentence(tmp_path):
    wd = copy_work_dir(tmp_path / "wd")
    resave(wd / "iter_40.pth", drop_cfg=True)
    (wd / CONFIG).unlink()
    code, _, err = run_cli("merge", wd / "iter_40.pth", "--base", QWEN_BASE, "--out", tmp_path / "out")
    assert_clean_failure(code, err, ["iter_40.pth", "lora_alpha"])


def test_the_log_folders_config_copy_and_deepspeeds_script_are_not_taken_for_the_config(tmp_path):
    """vis_data/config.py (mmengine's second copy) and zero_to_fp32.py sit in real work_dirs."""
    wd = copy_work_dir(tmp_path / "wd")
    resave(wd / "iter_40.pth", drop_cfg=True)
    vis = next(wd.glob("*/vis_data/config.py"))
    set_alpha(vis, 64)  # were it read, the alpha would be 64
    (wd / CONFIG).rename(tmp_path / CONFIG)
    zero = ROOT / "zero2_workdir" / "work_dirs" / "internlm2_chat_7b_qlora_oasst1_e3" / "zero_to_fp32.py"
    shutil.copy(zero, wd / "zero_to_fp32.py")
    code, _, err = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "out", "--dry-run")
    assert_clean_failure(code, err, ["iter_40.pth", "lora_alpha"])


def test_last_checkpoint_names_a_path_on_the_training_machine(tmp_path):
    wd = copy_work_dir(tmp_path / "wd")
    assert (wd / "last_checkpoint").read_text().startswith("/mnt/petrelfs/")  # not this machine
    code, out, _ = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "o", "--dry-run")
    assert code == 0 and "Using iter_40.pth" in out
    (wd / "last_checkpoint").write_text("/mnt/petrelfs/researcher/work_dirs/x/iter_20.pth")
    code, out, _ = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "o", "--dry-run")
    assert code == 0 and "Using iter_20.pth" in out


def test_float16_in_the_config_of_a_bfloat16_base_keeps_bfloat16_and_says_so(tmp_path):
    code, out, err = run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", tmp_path / "o", "--dry-run")
    assert code == 0 and "(dtype bfloat16)" in out
    assert "loads the LLM as float16 (torch_dtype), but the base model is stored in bfloat16" in out + err
    code, out, err = run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", tmp_path / "o", "--dry-run",
                             "--dtype", "float16")
    assert code == 0 and "(dtype float16)" in out and "dtype-kept" not in out + err


# --- InternVL --------------------------------------------------------------------------------------

@pytest.fixture
def internvl(tmp_path):
    return make_internvl(tmp_path)


def test_internvl_is_refused_truthfully_everywhere(internvl, tmp_path):
    for argv in (["merge", internvl, "--base", QWEN_BASE, "--out", tmp_path / "o"],
                 ["merge", internvl / "iter_40.pth", "--base", QWEN_BASE, "--out", tmp_path / "o"],
                 ["convert", internvl, "--out", tmp_path / "c"]):
        code, _, err = run_cli(*argv)
        msg = assert_clean_failure(code, err, ["iter_40.pth", "InternVL training output is not supported yet"])
        assert "InternVL_V1_5 of OpenGVLab/Mini-InternVL-Chat-2B-V1-5" in msg or "InternVL_V1_5" in msg
    assert not (tmp_path / "o").exists() and not (tmp_path / "c").exists()
    code, out, _ = run_cli("inspect", internvl)
    assert code == 1 and "[unsupported-model]" in out and "InternVL training output is not supported yet" in out


def test_internvl_keys_without_any_config_are_refused_as_internvl(internvl, tmp_path):
    resave(internvl / "iter_40.pth", drop_cfg=True)
    for p in internvl.glob("*.py"):
        p.unlink()
    code, _, err = run_cli("merge", internvl, "--base", QWEN_BASE, "--out", tmp_path / "o")
    assert_clean_failure(code, err, ["iter_40.pth", "InternVL training output is not supported yet"])


def test_qlora_is_merged_into_the_16_bit_base_and_said_in_words(tmp_path):
    code, out, err = run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", tmp_path / "o", "--dry-run")
    assert code == 0
    assert ("[qlora] iter_40.pth: QLoRA: the training loaded the base in 4-bit; as XTuner and PEFT do, the adapter "
            "is merged into the original bfloat16 weights") in out + err


def test_a_lora_setting_the_reader_cannot_know_is_refused_naming_the_line(tmp_path):
    """A .py (used: the checkpoint stores no config) whose alpha comes from the environment: no guess."""
    wd = copy_work_dir(tmp_path / "wd")
    resave(wd / "iter_40.pth", drop_cfg=True)
    text = (wd / CONFIG).read_text()
    (wd / CONFIG).write_text("import os\n" + text.replace("lora_alpha=16,", "lora_alpha=int(os.environ.get('ALPHA', 16)),"))
    code, _, err = run_cli("merge", wd, "--base", QWEN_BASE, "--out", tmp_path / "out")
    msg = assert_clean_failure(code, err, ["iter_40.pth", "cannot be read from the training config"])
    line = 1 + next(i for i, t in enumerate((wd / CONFIG).read_text().splitlines()) if "ALPHA" in t)
    assert f"line {line}" in msg, msg
