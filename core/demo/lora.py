"""The built-in demo: a tiny base model and a tiny XTuner training output, made on the spot.

``make_demo(folder)`` writes, with no download and in a few seconds:

``base-model/``
    a tiny Llama-shaped model built from a transformers config with random weights, saved as
    safetensors (bfloat16), a byte-level BPE tokenizer trained with the ``tokenizers`` library,
    and a ``generation_config.json``.
``work_dir/``
    what ``xtuner train`` leaves behind for a LoRA run: the config ``.py`` (naming the base
    model's path), ``iter_50.pth`` and ``iter_100.pth`` saved with plain ``torch.save`` as
    mmengine checkpoints (``state_dict`` with XTuner's ``llm.base_model.model.<module>.lora_A.
    default.weight`` keys, and ``meta``), and ``last_checkpoint``.
``iter_100_hf/``
    the same adapter as ``xtuner convert pth_to_hf`` would write it (PEFT adapter + the config
    copied as ``xtuner_config.py``), for front ends whose core cannot read a work_dir yet.

It returns ``(training_output, base)``: the work_dir when :func:`mergesmith.core.detect` accepts
it, else the converted folder. Nothing here imports Qt; nothing here is test code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .. import formats

DEMO_BASE = "base-model"
DEMO_WORK_DIR = "work_dir"
DEMO_CONVERTED = "iter_100_hf"
DEMO_CONFIG = "llama_tiny_lora_alpaca_e1.py"
DEMO_ITERATIONS = (50, 100)
LORA_R, LORA_ALPHA = 8, 16
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

_CORPUS = [
    "Mergesmith turns a fine-tuning run into a model folder you can deploy.",
    "A LoRA adapter adds a low-rank update to each weight: W + s * (B @ A).",
    "The tokenizer, the config and the generation config travel with the weights.",
    "hello world, this is a tiny corpus for a tiny tokenizer.",
]
_CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
                  "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def make_demo(folder) -> tuple[Path, Path]:
    """Write the demo into ``folder`` (created if needed); return (training output, base).

    Calling it again on the same folder reuses what is already there.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / DEMO_BASE
    if not (base / formats.SAFE_WEIGHTS).is_file():
        make_base(base)
    work_dir = folder / DEMO_WORK_DIR
    converted = folder / DEMO_CONVERTED
    if not (work_dir / f"iter_{DEMO_ITERATIONS[-1]}.pth").is_file() or not converted.is_dir():
        _make_training_output(base, work_dir, converted)
    return _pick_training_output(work_dir, converted), base


# --- the base model -------------------------------------------------------------------------------


def make_base(base: Path) -> None:
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, GenerationConfig, LlamaConfig

    tmp = base.with_name(base.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=384,
                         max_position_embeddings=256, tie_word_embeddings=False,
                         bos_token_id=1, eos_token_id=2, pad_token_id=3)
    model = AutoModelForCausalLM.from_config(config).to(torch.bfloat16)
    with torch.no_grad():  # norms start at exactly 1: give every tensor some texture
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    # Weights straight to safetensors (no save_pretrained: it draws a progress bar on stderr).
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / formats.SAFE_WEIGHTS), metadata={"format": "pt"})
    model.config.dtype = torch.bfloat16
    model.config.architectures = ["LlamaForCausalLM"]
    model.config.save_pretrained(str(tmp))
    GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=3, do_sample=True,
                     temperature=0.7, top_p=0.9, max_new_tokens=64).save_pretrained(str(tmp))
    _make_tokenizer(tmp, vocab_size=380)
    tmp.rename(base)


def _make_tokenizer(folder: Path, vocab_size: int) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS * 8, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>")
    fast.chat_template = _CHAT_TEMPLATE
    fast.save_pretrained(str(folder))


# --- the training output --------------------------------------------------------------------------


def module_shapes(base: Path, targets: tuple[str, ...] = TARGETS) -> dict[str, tuple[int, int]]:
    """(out, in) of every LoRA target, read from the base's safetensors header."""
    from ..io.safetensors import read_header

    header = read_header(base / formats.SAFE_WEIGHTS)
    shapes = {}
    for name, info in sorted(header.tensors.items()):
        if name.endswith(".weight") and name[:-len(".weight")].rsplit(".", 1)[-1] in targets:
            shapes[name[:-len(".weight")]] = tuple(info.shape)
    return shapes


def lora_state(shapes: dict[str, tuple[int, int]], step: int = DEMO_ITERATIONS[-1],
                wrapper: str = "llm.") -> dict[str, torch.Tensor]:
    """XTuner's state_dict for a LoRA run: fp32 A and B, B non-zero (as after training)."""
    gen = torch.Generator().manual_seed(1234)
    growth = step / DEMO_ITERATIONS[-1]  # later iterations moved further from zero
    state = {}
    for module, (out_f, in_f) in shapes.items():
        prefix = f"{wrapper}base_model.model.{module}"
        a = torch.randn(LORA_R, in_f, generator=gen) / in_f ** 0.5
        b = torch.randn(out_f, LORA_R, generator=gen) * 0.02 * growth
        state[f"{prefix}.lora_A.default.weight"] = a.contiguous()
        state[f"{prefix}.lora_B.default.weight"] = b.contiguous()
    return state


def _config_text(base: Path, work_dir: Path) -> str:  # long: one template string, the config file
    targets = ", ".join(repr(t) for t in TARGETS)
    return f'''# Copyright (c) OpenMMLab. All rights reserved.
# Written by Mergesmith's demo: an XTuner LoRA config, as `xtuner train` copies it into work_dir.
import torch
from datasets import load_dataset
from mmengine.dataset import DefaultSampler
from mmengine.hooks import CheckpointHook, IterTimerHook, LoggerHook, ParamSchedulerHook
from mmengine.optim import AmpOptimWrapper, CosineAnnealingLR
from peft import LoraConfig
from torch.optim import AdamW
from transformers import AutoModelForCausalLM, AutoTokenizer

from xtuner.dataset import process_hf_dataset
from xtuner.dataset.collate_fns import default_collate_fn
from xtuner.dataset.map_fns import alpaca_map_fn, template_map_fn_factory
from xtuner.model import SupervisedFinetune
from xtuner.utils import PROMPT_TEMPLATE

#######################################################################
#                          PART 1  Settings                           #
#######################################################################
# Model
pretrained_model_name_or_path = {str(base)!r}

# Data
alpaca_en_path = 'tatsu-lab/alpaca'
prompt_template = PROMPT_TEMPLATE.default
max_length = 256

# Scheduler & Optimizer
batch_size = 1
accumulative_counts = 1
max_epochs = 1
lr = 2e-4
save_steps = 50
save_total_limit = 2
work_dir = {str(work_dir)!r}

#######################################################################
#            PART 2  Model & Tokenizer                                #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path=pretrained_model_name_or_path,
    trust_remote_code=True,
    padding_side='right')

model = dict(
    type=SupervisedFinetune,
    use_varlen_attn=False,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=pretrained_model_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.bfloat16),
    lora=dict(
        type=LoraConfig,
        r={LORA_R},
        lora_alpha={LORA_ALPHA},
        lora_dropout=0.1,
        bias='none',
        target_modules=[{targets}],
        task_type='CAUSAL_LM'))

#######################################################################
#                      PART 3  Dataset & Dataloader                   #
#######################################################################
train_dataset = dict(
    type=process_hf_dataset,
    dataset=dict(type=load_dataset, path=alpaca_en_path),
    tokenizer=tokenizer,
    max_length=max_length,
    dataset_map_fn=alpaca_map_fn,
    template_map_fn=dict(type=template_map_fn_factory, template=prompt_template),
    remove_unused_columns=True,
    shuffle_before_pack=True,
    pack_to_max_length=False)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    dataset=train_dataset,
    sampler=dict(type=DefaultSampler, shuffle=True),
    collate_fn=dict(type=default_collate_fn))

#######################################################################
#                    PART 4  Scheduler & Optimizer                    #
#######################################################################
optim_wrapper = dict(
    type=AmpOptimWrapper,
    optimizer=dict(type=AdamW, lr=lr, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=1, error_if_nonfinite=False),
    accumulative_counts=accumulative_counts,
    loss_scale='dynamic',
    dtype='float16')

param_scheduler = dict(type=CosineAnnealingLR, eta_min=0.0, by_epoch=True, T_max=max_epochs,
                       convert_to_iter_based=True)

train_cfg = dict(type='TrainLoop', max_epochs=max_epochs)

#######################################################################
#                           PART 5  Runtime                           #
#######################################################################
default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=10),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(type=CheckpointHook, by_epoch=False, interval=save_steps,
                    max_keep_ckpts=save_total_limit))

env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
visualizer = None
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
log_processor = dict(by_epoch=False)
'''


def _make_training_output(base: Path, work_dir: Path, converted: Path) -> None:
    from safetensors.torch import save_file

    work_dir.mkdir(parents=True, exist_ok=True)
    config_text = _config_text(base, work_dir)
    (work_dir / DEMO_CONFIG).write_text(config_text, encoding="utf-8")
    shapes = module_shapes(base)
    state = {}
    for step in DEMO_ITERATIONS:
        state = lora_state(shapes, step)
        meta = {"epoch": 1, "iter": step, "cfg": config_text, "seed": 0,
                "experiment_name": Path(DEMO_CONFIG).stem, "time": "20250101_000000",
                "mmengine_version": "0.10.6"}
        # Written by a plain torch.save, as mmengine's Runner.save_checkpoint does for a single
        # process; message_hub and optimizer state are left out (readers ignore them).
        tmp = work_dir / f".iter_{step}.pth.partial"
        torch.save({"meta": meta, "state_dict": state}, tmp)
        tmp.rename(work_dir / f"iter_{step}.pth")
    (work_dir / "last_checkpoint").write_text(str(work_dir / f"iter_{DEMO_ITERATIONS[-1]}.pth"))

    # the same last iteration as `xtuner convert pth_to_hf --safe-serialization` writes it
    converted.mkdir(parents=True, exist_ok=True)
    peft = {k.replace("llm.", "", 1).replace(".default", ""): v for k, v in state.items()}
    save_file(peft, str(converted / formats.ADAPTER_SAFE), metadata={"format": "pt"})
    adapter_config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": str(base),
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "lora_alpha": LORA_ALPHA,
        "lora_dropout": 0.1, "modules_to_save": None, "peft_type": "LORA", "r": LORA_R,
        "rank_pattern": {}, "revision": None, "target_modules": sorted(TARGETS),
        "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }
    (converted / formats.ADAPTER_CONFIG).write_text(json.dumps(adapter_config, indent=2) + "\n")
    (converted / formats.XTUNER_CONFIG).write_text(config_text, encoding="utf-8")


def _pick_training_output(work_dir: Path, converted: Path) -> Path:
    """The work_dir when this core can read one, else the converted folder."""
    from ..errors import MergesmithError
    from ..sources.detect import detect

    try:
        source = detect(work_dir)
    except MergesmithError:
        return converted
    source.close()
    return work_dir
