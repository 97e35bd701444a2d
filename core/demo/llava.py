"""The built-in LLaVA demo: a tiny LLM, a tiny CLIP vision tower and an XTuner LLaVA run, made on the spot.

``make_llava_demo(folder)`` writes, with no download and in a few seconds:

``base-model/``
    the same tiny Llama-shaped LLM as the plain demo (:mod:`.lora`).
``clip-vit/``
    a tiny ``CLIPVisionModel`` (hidden 32, 2 layers, 32-pixel images in 8-pixel patches),
    float32, with a ``preprocessor_config.json``.
``llava_work_dir/``
    what ``xtuner train`` leaves for a LLaVA fine-tune with LoRA on both the LLM and the visual
    encoder: the config ``.py`` (``LLaVAModel``, naming both folders), ``iter_200.pth`` whose
    ``state_dict`` holds XTuner's ``llm.``, ``visual_encoder.`` and ``projector.`` keys, and
    ``last_checkpoint``.

It returns ``(training output, base LLM, visual encoder)``. Merged, it shows the three
components and both layouts (``--format xtuner`` and ``llava-hf``). Nothing here imports Qt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .. import formats
from .lora import DEMO_BASE, LORA_ALPHA, LORA_R, TARGETS, lora_state, make_base, module_shapes

DEMO_VIT = "clip-vit"
DEMO_LLAVA_WORK_DIR = "llava_work_dir"
DEMO_LLAVA_CONFIG = "llava_tiny_clip_lora_finetune.py"
DEMO_LLAVA_ITER = 200
VIT_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")
VIT_HIDDEN = 32


def make_llava_demo(folder) -> tuple[Path, Path, Path]:
    """Write the LLaVA demo into ``folder``; return (work_dir, base LLM, visual encoder).

    Calling it again on the same folder reuses what is already there.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    base, vit, work_dir = folder / DEMO_BASE, folder / DEMO_VIT, folder / DEMO_LLAVA_WORK_DIR
    if not (base / formats.SAFE_WEIGHTS).is_file():
        make_base(base)
    if not (vit / formats.SAFE_WEIGHTS).is_file():
        _make_vit(vit)
    if not (work_dir / f"iter_{DEMO_LLAVA_ITER}.pth").is_file():
        _make_work_dir(base, vit, work_dir)
    return work_dir, base, vit


def _make_vit(vit: Path) -> None:
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModel

    tmp = vit.with_name(vit.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1)
    config = CLIPVisionConfig(hidden_size=VIT_HIDDEN, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, image_size=32, patch_size=8, projection_dim=16)
    model = CLIPVisionModel(config)
    # XTuner trained with transformers 4, whose CLIPVisionModel keys start with vision_model.
    state = {k if k.startswith("vision_model.") else f"vision_model.{k}": v.contiguous()
             for k, v in model.state_dict().items()}
    save_file(state, str(tmp / formats.SAFE_WEIGHTS), metadata={"format": "pt"})
    model.config.architectures = ["CLIPVisionModel"]
    model.config.save_pretrained(str(tmp))
    pre = {"crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "do_normalize": True,
           "do_resize": True, "do_rescale": True, "image_mean": [0.4815, 0.4578, 0.4082],
           "image_std": [0.2686, 0.2613, 0.2758], "image_processor_type": "CLIPImageProcessor",
           "resample": 3, "rescale_factor": 1 / 255, "size": {"shortest_edge": 32}}
    (tmp / formats.PREPROCESSOR_CONFIG).write_text(json.dumps(pre, indent=2) + "\n")
    tmp.rename(vit)


def _make_work_dir(base: Path, vit: Path, work_dir: Path) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    text = _config_text(base, vit, work_dir)
    (work_dir / DEMO_LLAVA_CONFIG).write_text(text, encoding="utf-8")
    state = lora_state(module_shapes(vit, VIT_TARGETS), wrapper="visual_encoder.")
    state.update(lora_state(module_shapes(base, TARGETS)))
    gen = torch.Generator().manual_seed(4321)
    llm_hidden = json.loads((base / formats.CONFIG).read_text())["hidden_size"]
    sizes = [VIT_HIDDEN, llm_hidden, llm_hidden]
    for i in range(2):  # XTuner's ProjectorModel: Linear, GELU, Linear
        state[f"projector.model.{2 * i}.weight"] = torch.randn(sizes[i + 1], sizes[i], generator=gen) * 0.05
        state[f"projector.model.{2 * i}.bias"] = torch.randn(sizes[i + 1], generator=gen) * 0.01
    meta = {"epoch": 1, "iter": DEMO_LLAVA_ITER, "cfg": text, "seed": 0,
            "experiment_name": Path(DEMO_LLAVA_CONFIG).stem, "time": "20250101_000000",
            "mmengine_version": "0.10.6"}
    tmp = work_dir / f".iter_{DEMO_LLAVA_ITER}.pth.partial"
    torch.save({"meta": meta, "state_dict": state}, tmp)
    tmp.rename(work_dir / f"iter_{DEMO_LLAVA_ITER}.pth")
    (work_dir / "last_checkpoint").write_text(str(work_dir / f"iter_{DEMO_LLAVA_ITER}.pth"))


def _config_text(base: Path, vit: Path, work_dir: Path) -> str:
    llm_targets = ", ".join(repr(t) for t in TARGETS)
    vit_targets = ", ".join(repr(t) for t in VIT_TARGETS)
    return f'''# Written by Mergesmith's demo: an XTuner LLaVA fine-tune config (LoRA on the LLM and the
# visual encoder), as `xtuner train` copies it into work_dir. Dataset and runtime parts trimmed.
import torch
from peft import LoraConfig
from transformers import (AutoModelForCausalLM, AutoTokenizer, CLIPImageProcessor,
                          CLIPVisionModel)

from xtuner.model import LLaVAModel

llm_name_or_path = {str(base)!r}
visual_encoder_name_or_path = {str(vit)!r}
pretrained_pth = './work_dirs/llava_tiny_pretrain/iter_100.pth'
work_dir = {str(work_dir)!r}

tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=llm_name_or_path,
    trust_remote_code=True,
    padding_side='right')

image_processor = dict(
    type=CLIPImageProcessor.from_pretrained,
    pretrained_model_name_or_path=visual_encoder_name_or_path,
    trust_remote_code=True)

model = dict(
    type=LLaVAModel,
    freeze_llm=True,
    freeze_visual_encoder=True,
    pretrained_pth=pretrained_pth,
    visual_select_layer=-2,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=llm_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.bfloat16),
    llm_lora=dict(
        type=LoraConfig, r={LORA_R}, lora_alpha={LORA_ALPHA}, lora_dropout=0.05, bias='none',
        target_modules=[{llm_targets}], task_type='CAUSAL_LM'),
    visual_encoder=dict(
        type=CLIPVisionModel.from_pretrained,
        pretrained_model_name_or_path=visual_encoder_name_or_path),
    visual_encoder_lora=dict(
        type=LoraConfig, r={LORA_R}, lora_alpha={LORA_ALPHA}, lora_dropout=0.05, bias='none',
        target_modules=[{vit_targets}]))
'''
