"""Variants of the real XTuner specimens (tests/specimens), made with mmengine itself.

A checkpoint is loaded with ``torch.load`` while mmengine is importable (as XTuner loads it), edited,
and saved again with ``torch.save``, so its pickle still holds mmengine's real objects.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import torch

SPECIMENS = Path(__file__).parent / "specimens"
QWEN = SPECIMENS / "qwen2_qlora_workdir"
QWEN_WD = QWEN / "work_dirs" / "qwen1_5_0_5b_chat_qlora_alpaca_e3"
QWEN_BASE = QWEN / "models" / "Qwen1.5-0.5B-Chat-tiny"
CONFIG = "qwen1_5_0_5b_chat_qlora_alpaca_e3.py"


def copy_work_dir(dst: Path) -> Path:
    shutil.copytree(QWEN_WD, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    return dst


_RESAVE = """
import sys, torch
path, cfg, sd = sys.argv[1:4]
obj = torch.load(path, map_location="cpu", weights_only=False)  # a trusted specimen, mmengine importable
assert type(obj["message_hub"]["log_scalars"]["train/loss"]).__module__.startswith("mmengine")
if cfg == "-":
    del obj["meta"]["cfg"]
elif cfg:
    obj["meta"]["cfg"] = open(cfg, encoding="utf-8").read()
if sd:
    obj["state_dict"] = torch.load(sd)
torch.save(obj, path)
"""


def resave(path: Path, *, cfg: Optional[str] = None, drop_cfg: bool = False, state_dict: Optional[dict] = None) -> None:
    """Load a real checkpoint the way XTuner does, change its stored config or weights, save it again.

    It runs in a child process, so mmengine is never imported into the tests' own process (where
    tests check that reading a checkpoint imports nothing).
    """
    with tempfile.TemporaryDirectory() as tmp:
        cfg_arg = "-" if drop_cfg else ""
        if cfg is not None:
            cfg_arg = str(Path(tmp) / "cfg.py")
            Path(cfg_arg).write_text(cfg, encoding="utf-8")
        sd_arg = ""
        if state_dict is not None:
            sd_arg = str(Path(tmp) / "sd.pt")
            torch.save(state_dict, sd_arg)
        subprocess.run([sys.executable, "-c", _RESAVE, str(path), cfg_arg, sd_arg], check=True, timeout=120)


def stored_config(path: Path) -> str:
    from mergesmith.core.io.checkpoint import checkpoint_meta, load_checkpoint

    return checkpoint_meta(load_checkpoint(path))["cfg"]


def set_alpha(path: Path, alpha: int) -> None:
    text = path.read_text()
    assert "lora_alpha=16," in text
    path.write_text(text.replace("lora_alpha=16,", f"lora_alpha={alpha},"))


INTERNVL_MODEL = """model = dict(
    freeze_llm=True,
    freeze_visual_encoder=True,
    llm_lora=dict(
        lora_alpha=256,
        lora_dropout=0.05,
        r=128,
        target_modules=None,
        task_type='CAUSAL_LM',
        type='peft.LoraConfig'),
    model_path='OpenGVLab/Mini-InternVL-Chat-2B-V1-5',
    quantization_llm=True,
    quantization_vit=False,
    type='xtuner.model.InternVL_V1_5')
"""


def internvl_state_dict(base: Path) -> dict:
    """What XTuner's InternVL_V1_5.state_dict keeps: PEFT's state of the LoRA-wrapped language model
    (under ``model.language_model.``) and the projector ``model.mlp1.``."""
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
    from transformers import AutoModelForCausalLM

    llm = get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=4, lora_alpha=8))
    sd = {f"model.language_model.{k}": v for k, v in get_peft_model_state_dict(llm).items()}
    mlp = torch.nn.Sequential(torch.nn.LayerNorm(16), torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 32))
    sd.update({f"model.mlp1.{k}": v for k, v in mlp.state_dict().items()})
    return sd


def make_internvl(folder: Path) -> Path:
    """A work_dir as XTuner's InternVL QLoRA configs leave it (config .py, meta['cfg'], keys)."""
    wd = copy_work_dir(folder / "internvl_v1_5_internlm2_2b_qlora_finetune")
    (wd / "iter_20.pth").unlink()
    cfg_py = wd / CONFIG
    text = cfg_py.read_text()
    start, end = text.index("model = dict("), text.index("optim_type =")
    text = text[:start] + INTERNVL_MODEL + text[end:]
    cfg_py.rename(wd / "internvl_v1_5_internlm2_2b_qlora_finetune.py")
    (wd / "internvl_v1_5_internlm2_2b_qlora_finetune.py").write_text(text)

    resave(wd / "iter_40.pth", cfg=text, state_dict=internvl_state_dict(QWEN_BASE))
    return wd


