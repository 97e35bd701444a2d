"""Write XTuner training output with the programs that write it: mmengine and DeepSpeed.

- ``iter_N.pth`` files: mmengine's own objects (MessageHub and its HistoryBuffers, OptimWrapper,
  LinearLR/CosineAnnealingLR, Config dumps) saved through mmengine's save path (:func:`save_pth`,
  :func:`work_dir`).
- DeepSpeed work_dirs: the real DeepSpeed, two CPU ranks, in a child process
  (:func:`deepspeed_work_dirs`, tests/xtuner/ds_producer.py).
- Hand-made, only where no real run can be had here: ZeRO folders of other geometries (1, 3 or 11
  ranks, several parameter groups, frozen fragments of DeepSpeed < 0.13.2) and broken folders
  (:func:`save_deepspeed`). Their DeepSpeed classes (``ZeroStageEnum``, the loss scaler,
  ``fragment_address``) are defined in temporary modules registered under DeepSpeed's dotted names
  while ``torch.save`` runs, then removed.
"""

from __future__ import annotations

import contextlib
import enum
import io
import math
import sys
import types
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

# --- temporary foreign modules ------------------------------------------------------------------


@contextlib.contextmanager
def foreign_modules():
    """Register fake deepspeed modules with their classes; remove them afterwards."""
    made: dict[str, types.ModuleType] = {}

    def module(name: str) -> types.ModuleType:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sub = ".".join(parts[:i])
            if sub not in made:
                made[sub] = types.ModuleType(sub)
                if i > 1:
                    setattr(made[".".join(parts[:i - 1])], parts[i - 1], made[sub])
        return made[name]

    def define(mod_name: str, cls):
        cls.__module__ = mod_name
        cls.__qualname__ = cls.__name__
        setattr(module(mod_name), cls.__name__, cls)
        return cls

    class ZeroStageEnum(int, enum.Enum):
        disabled = 0
        optimizer_states = 1
        gradients = 2
        weights = 3

    class DynamicLossScaler:
        def __init__(self):
            self.cur_scale = 65536.0
            self.cur_iter = 7
            self.scale_factor = 2.0
            self.scale_window = 1000
            self.min_scale = 1.0
            self.dynamic = True

    @dataclass
    class fragment_address:  # noqa: N801 - DeepSpeed's name
        numel: int
        start: int

    ns = types.SimpleNamespace(
        ZeroStageEnum=define("deepspeed.runtime.zero.config", ZeroStageEnum),
        DynamicLossScaler=define("deepspeed.runtime.fp16.loss_scaler", DynamicLossScaler),
        fragment_address=define("deepspeed.utils.tensor_fragment", fragment_address),
    )
    saved = {k: sys.modules.get(k) for k in made}
    sys.modules.update(made)
    try:
        yield ns
    finally:
        for k, old in saved.items():
            if old is None:
                sys.modules.pop(k, None)
            else:  # pragma: no cover
                sys.modules[k] = old


# --- XTuner configs ------------------------------------------------------------------------------

_HEADER = """# Copyright (c) OpenMMLab. All rights reserved.
import torch
from mmengine.hooks import CheckpointHook, IterTimerHook, LoggerHook
from mmengine.optim import AmpOptimWrapper, CosineAnnealingLR, LinearLR
from peft import LoraConfig
from torch.optim import AdamW
from transformers import (AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig,
                          CLIPImageProcessor, CLIPVisionModel)

from xtuner.dataset.collate_fns import default_collate_fn
from xtuner.model import LLaVAModel, SupervisedFinetune
from xtuner.utils import PROMPT_TEMPLATE

#######################################################################
#                          PART 1  Settings                           #
#######################################################################
"""

_TAIL = """
#######################################################################
#                    PART 4  Scheduler & Optimizer                    #
#######################################################################
optim_wrapper = dict(
    type=AmpOptimWrapper,
    optimizer=dict(type=AdamW, lr=lr, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=1, error_if_nonfinite=False),
    accumulative_counts=16, loss_scale='dynamic', dtype='float16')
param_scheduler = [
    dict(type=LinearLR, start_factor=1e-5, by_epoch=True, begin=0, end=0.03 * 3, convert_to_iter_based=True),
]
default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, log_metric_by_epoch=False, interval=10),
    checkpoint=dict(type=CheckpointHook, by_epoch=False, interval=save_steps, max_keep_ckpts=2))
"""


def _lora_text(name: str, lora: Optional[dict]) -> str:
    if lora is None:
        return ""
    items = ",\n        ".join(f"{k}={v!r}" for k, v in lora.items())
    return f"\n    {name}=dict(\n        type=LoraConfig,\n        {items}),"


def sft_config(base: str, lora: Optional[dict] = None, tokenizer: Optional[str] = None) -> str:
    """A ``SupervisedFinetune`` config (LoRA when ``lora`` is given, else full fine-tune)."""
    return _HEADER + f"""# Model
pretrained_model_name_or_path = {base!r}
use_varlen_attn = False

# Data
prompt_template = PROMPT_TEMPLATE.internlm2_chat
max_length = 2048
batch_size = 1  # per_device
lr = 2e-4
save_steps = 500

#######################################################################
#                      PART 2  Model & Tokenizer                      #
#######################################################################
tokenizer = dict(
    type=AutoTokenizer.from_pretrained,
    pretrained_model_name_or_path={(tokenizer and repr(tokenizer)) or 'pretrained_model_name_or_path'},
    trust_remote_code=True,
    padding_side='right')

model = dict(
    type=SupervisedFinetune,
    use_varlen_attn=use_varlen_attn,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=pretrained_model_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.float16),{_lora_text('lora', lora)}
)
""" + _TAIL


def llava_config(llm: str, vit: str, *, llm_lora: Optional[dict] = None, vit_lora: Optional[dict] = None,
                 freeze_llm: bool = True, freeze_vit: bool = True, depth: int = 2) -> str:
    return _HEADER + f"""# Model
llm_name_or_path = {llm!r}
visual_encoder_name_or_path = {vit!r}
pretrained_pth = './work_dirs/llava_pretrain/iter_2181.pth'
lr = 2e-4
save_steps = 500

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
    freeze_llm={freeze_llm},
    freeze_visual_encoder={freeze_vit},
    pretrained_pth=pretrained_pth,
    projector_depth={depth},
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=llm_name_or_path,
        trust_remote_code=True,
        torch_dtype=torch.float16,
        quantization_config=dict(
            type=BitsAndBytesConfig,
            load_in_4bit=True,
            bnb_4bit_compute_dtype=torch.float16)),{_lora_text('llm_lora', llm_lora)}
    visual_encoder=dict(
        type=CLIPVisionModel.from_pretrained,
        pretrained_model_name_or_path=visual_encoder_name_or_path),{_lora_text('visual_encoder_lora', vit_lora)}
)
""" + _TAIL


# --- state dicts ---------------------------------------------------------------------------------


def base_linears(base: Path) -> dict[str, tuple[int, int]]:
    """``{module: (out, in)}`` of a base model's attention/MLP linear layers (from its header)."""
    from safetensors import safe_open

    out = {}
    for f in sorted(Path(base).glob("*.safetensors")):
        with safe_open(str(f), "pt") as sf:
            for name in sf.keys():
                if "layers." in name and name.endswith(("_proj.weight", ".fc1.weight", ".fc2.weight")):
                    shape = sf.get_slice(name).get_shape()
                    out[name[: -len(".weight")]] = (shape[0], shape[1])
    return dict(sorted(out.items()))


def lora_state_dict(linears: dict[str, tuple[int, int]], wrapper: str, r: int, seed: int,
                    targets: Optional[list[str]] = None, module_prefix: str = "") -> "OrderedDict[str, torch.Tensor]":
    """XTuner's LoRA keys (``<wrapper>base_model.model.<module>.lora_A.default.weight``), fp32."""
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for mod, (out_f, in_f) in linears.items():
        if targets and mod.rsplit(".", 1)[-1] not in targets:
            continue
        key = f"{wrapper}base_model.model.{module_prefix}{mod}"
        sd[f"{key}.lora_A.default.weight"] = torch.randn(r, in_f, generator=g) * 0.1
        sd[f"{key}.lora_B.default.weight"] = torch.randn(out_f, r, generator=g) * 0.1
    return sd


def projector_state_dict(vit_hidden: int, llm_hidden: int, depth: int = 2, seed: int = 5):
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    sizes = [vit_hidden] + [llm_hidden] * depth
    for i in range(depth):
        sd[f"projector.model.{2 * i}.weight"] = torch.randn(sizes[i + 1], sizes[i], generator=g) * 0.1
        sd[f"projector.model.{2 * i}.bias"] = torch.randn(sizes[i + 1], generator=g) * 0.1
    return sd


def full_state_dict(base: Path, seed: int = 3, dtype=torch.float32, prefix: str = "llm."):
    """Every tensor of ``base``, perturbed ("trained"), under ``prefix``."""
    from safetensors.torch import load_file

    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for f in sorted(Path(base).glob("*.safetensors")):
        for name, t in load_file(str(f)).items():
            sd[prefix + name] = (t.float() + torch.randn(t.shape, generator=g) * 0.01).to(dtype)
    return sd


# --- mmengine single-file checkpoints (written by mmengine itself) -------------------------------
#
# What XTuner's runner saves, built from mmengine's own objects: a real ``MessageHub`` that logged
# scalars for ``iteration`` steps (its ``HistoryBuffer`` objects pickle their statistics methods as
# ``getattr(HistoryBuffer, 'min')``), a real ``OptimWrapper`` around torch's AdamW after a step, real
# ``LinearLR``/``CosineAnnealingLR`` schedulers, the config as mmengine's ``Config.pretty_text``, and
# mmengine's file backend to write the file as its ``save_checkpoint`` does. The meta keys are those
# of mmengine's FlexibleRunner and strategy save path, which XTuner 0.2.0 uses (see tests/specimens).

EXPERIMENT_TIME = "20260101_000000"


def mmengine_config_text(cfg_text: str) -> str:
    """The config as mmengine's runner dumps it (``Config.pretty_text``: sorted keys, dotted type names)."""
    from mmengine.config import Config

    return Config.fromstring(cfg_text, ".py").pretty_text if cfg_text.strip() else ""


class _Trainee(torch.nn.Module):
    """A module whose parameters carry the checkpoint's names: the tensors themselves (its
    ``state_dict()`` is what the runner saves), or fp32 copies to train when ``trainable``."""

    def __init__(self, state_dict: dict, trainable: bool = False):
        super().__init__()
        for name, t in (state_dict or {"weight": torch.zeros(1)}).items():
            *path, leaf = name.split(".")
            mod = self
            for part in path:
                if part not in mod._modules:
                    mod.add_module(part, torch.nn.Module())
                mod = mod._modules[part]
            value = t.detach().float().clone() if trainable else t
            mod.register_parameter(leaf, torch.nn.Parameter(value, requires_grad=trainable))

    def loss(self) -> torch.Tensor:
        return sum(torch.nan_to_num(p).square().mean() for p in self.parameters())


def _message_hub(iteration: int, max_iters: int):
    """A real mmengine MessageHub after ``iteration`` logged training steps."""
    from mmengine.logging import MessageHub

    hub = MessageHub(name=f"mergesmith-tests-{id(object())}")
    for it in range(1, iteration + 1):
        hub.update_scalars({"train/lr": 2e-4 * min(1.0, it / 10), "train/loss": 2.0 / it, "train/grad_norm": 1.0 / it,
                            "train/time": 0.5, "train/data_time": 0.01})
    hub.update_info("iter", iteration)
    hub.update_info("epoch", 0)
    hub.update_info("max_iters", max_iters)
    return hub


def _trained_optimizer(state_dict: dict, iteration: int, max_iters: int):
    """mmengine's OptimWrapper around AdamW (after one real step) and its LinearLR + CosineAnnealingLR."""
    from mmengine.optim import CosineAnnealingLR, LinearLR, OptimWrapper

    model = _Trainee(state_dict, trainable=True)
    wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.9, 0.999), weight_decay=0),
                           clip_grad=dict(max_norm=1, error_if_nonfinite=False))
    warmup = max(1, max_iters // 8)
    schedulers = [LinearLR(wrapper, start_factor=1e-5, by_epoch=False, begin=0, end=warmup),
                  CosineAnnealingLR(wrapper, T_max=max_iters - warmup, eta_min=0.0, by_epoch=False,
                                    begin=warmup, end=max_iters)]
    wrapper.update_params(model.loss())
    for _ in range(iteration):
        for s in schedulers:
            s.step()
    return wrapper, schedulers


def runner_client_state(cfg_text: str, iteration: int, name: str = "tiny_lora",
                        trainee: Optional[dict] = None, optimizer: bool = True) -> dict:
    """What mmengine's runner and strategy put next to the weights: ``meta``, ``message_hub``,
    ``param_schedulers`` and, when ``optimizer``, ``optimizer`` (AdamW over ``trainee``'s shapes)."""
    import mmengine

    max_iters = 4 * max(iteration, 8)
    wrapper, schedulers = _trained_optimizer(trainee or {}, iteration, max_iters)
    state = {
        "meta": {"epoch": 0, "iter": iteration, "cfg": cfg_text, "experiment_name": name, "seed": 1234,
                 "time": EXPERIMENT_TIME, "mmengine": mmengine.__version__},
        "message_hub": _message_hub(iteration, max_iters).state_dict(),
        "param_schedulers": [s.state_dict() for s in schedulers],
    }
    if optimizer:
        state["optimizer"] = wrapper.state_dict()
    return state


def _mmengine_save_checkpoint(checkpoint: dict, path: Path) -> None:
    """``mmengine.runner.checkpoint.save_checkpoint`` for a local file: torch.save to memory, then
    mmengine's file backend writes the bytes. (Importing ``mmengine.runner`` needs OpenCV, which
    mmengine-lite does not install, so its two lines are spelled out here.)"""
    from mmengine.fileio import get_file_backend

    with io.BytesIO() as f:
        torch.save(checkpoint, f)
        get_file_backend(str(path)).put(f.getvalue(), str(path))


def save_pth(path: Path, state_dict: dict, cfg_text: str = "", iteration: int = 500,
             legacy_format: bool = False, optimizer: bool = True, name: str = "tiny_lora") -> Path:
    """An ``iter_N.pth`` as XTuner's mmengine runner saves it (``cfg_text`` goes into ``meta`` as is:
    pass :func:`mmengine_config_text` output for what a runner writes). ``optimizer=False`` leaves out
    the optimizer state, as ``save_optimizer=False`` does (big checkpoints build faster);
    ``legacy_format`` rewrites the file in torch's pre-1.6 (non-zip) format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt = runner_client_state(cfg_text, iteration, name, trainee=state_dict, optimizer=optimizer)
    ckpt["state_dict"] = _Trainee(state_dict).state_dict()
    _mmengine_save_checkpoint(ckpt, path)
    if legacy_format:
        torch.save(torch.load(path, weights_only=False), path, _use_new_zipfile_serialization=False)
    return path


# --- DeepSpeed ZeRO work_dirs (written by DeepSpeed itself) ------------------------------------

ALL_LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
CLIP_LINEARS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]


@dataclass
class ZeroRun:
    """A work_dir a real DeepSpeed run left: ``folder`` is its ``iter_N.pth/`` tag folder, ``expected``
    the fp32 trained weights as DeepSpeed's own ``zero_to_fp32`` rebuilds them from it."""
    work_dir: Path
    folder: Path
    stage: int
    expected: "OrderedDict[str, torch.Tensor]"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _zero_run_specs(root: Path, base: Path, lora: dict, runs: dict, iteration: int, name: str,
                    vit: Optional[Path], vit_lora: Optional[dict]) -> dict:
    """Each run's work_dir with its config as mmengine dumps it, and its ds_producer.py options."""
    specs = {}
    for i, (key, options) in enumerate(runs.items()):
        wd = root / f"run{i}" / name
        wd.mkdir(parents=True)
        if options.get("llava"):
            cfg = llava_config(str(base), str(vit), llm_lora=lora, vit_lora=vit_lora)
        else:
            cfg = sft_config(str(base), None if options.get("full") else lora)
        text = mmengine_config_text(cfg)
        (wd / f"{name}.py").write_text(text)
        torch.save(runner_client_state(text, iteration, name, optimizer=False), root / f"client_state{i}.pt")
        specs[key] = dict(options, dtype="bf16", work_dir=str(wd), tag=f"iter_{iteration}.pth",
                          expected=str(root / f"expected{i}.pt"), client_state=str(root / f"client_state{i}.pt"))
    return specs


def _run_ds_producer(spec_file: Path, timeout: float) -> None:
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("deepspeed") is None:
        raise RuntimeError("DeepSpeed is not installed: `make setup` installs it (after torch: "
                           "pip install --no-build-isolation deepspeed==0.16.2)")
    env = dict(os.environ, DS_ACCELERATOR="cpu", DS_BUILD_OPS="0", PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("ds_producer.py")), str(spec_file)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"DeepSpeed failed to write the checkpoints:\n{done.stderr[-4000:]}")


def deepspeed_work_dirs(root: Path, base: Path, lora: dict, runs: dict, world: int = 2, iteration: int = 5,
                        name: str = "tiny_lora", vit: Optional[Path] = None, vit_lora: Optional[dict] = None,
                        timeout: float = 600) -> dict:
    """XTuner-style work_dirs trained one step by the real DeepSpeed (``world`` CPU ranks, gloo, bf16)
    and saved as mmengine's DeepSpeedStrategy saves them: ``{key: ZeroRun}`` for ``runs``, which maps
    each key to the run's options (``stage``; ``full`` and ``frozen`` for a full fine-tune;
    ``exclude_frozen``; ``llava``: see tests/xtuner/ds_producer.py).

    LoRA runs wrap ``lora['target_modules']`` with ``lora``'s rank and alpha (LLaVA runs also the
    vision tower ``vit``'s ``vit_lora['target_modules']``). DeepSpeed runs in a child process
    (ds_producer.py), so the tests never import it; every run shares its rank processes."""
    import json

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    specs = _zero_run_specs(root, Path(base), lora, runs, iteration, name, vit, vit_lora)
    lora_keys = ("r", "lora_alpha", "target_modules")
    spec = {"base": str(base), "lora": {k: lora[k] for k in lora_keys}, "world": world, "port": _free_port(),
            "vit": str(vit) if vit else None, "vit_lora": {k: vit_lora[k] for k in lora_keys} if vit_lora else None,
            "runs": list(specs.values())}
    (root / "spec.json").write_text(json.dumps(spec, indent=1))
    _run_ds_producer(root / "spec.json", timeout)
    return {key: ZeroRun(Path(r["work_dir"]), Path(r["work_dir"]) / r["tag"], r["stage"],
                         torch.load(r["expected"], weights_only=True))
            for key, r in specs.items()}


# --- DeepSpeed ZeRO folders, hand-made (geometries a two-rank run cannot make, and broken folders) --


def _groups(names: list[str], n: int) -> list[list[str]]:
    size = math.ceil(len(names) / n)
    return [names[i:i + size] for i in range(0, len(names), size)] or [[]]


def save_deepspeed(folder: Path, params: "OrderedDict[str, torch.Tensor]", *, stage: int, world: int,
                   cfg_text: str = "", iteration: int = 500, groups: int = 2, bf16: bool = True,
                   frozen: Optional[dict[str, torch.Tensor]] = None,
                   shared: Optional[dict[str, str]] = None) -> Path:
    """A DeepSpeed tag folder ``iter_N.pth/`` as ``engine.save_checkpoint`` writes it.

    ``params`` are the fp32 master weights of the trainable parameters, in ``named_parameters``
    order; ``frozen`` (optional) the frozen ones, stored as DeepSpeed < 0.13.2 did.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(params)
    group_names = _groups(names, groups)
    half = torch.bfloat16 if bf16 else torch.float16
    prefix = "bf16_" if bf16 else ""
    ds_config = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 16,
                 "zero_optimization": {"stage": stage, "overlap_comm": True},
                 "bf16": {"enabled": bf16}, "fp16": {"enabled": not bf16}}
    client = runner_client_state(cfg_text, iteration, trainee=params, optimizer=False)
    client["optim_wrapper"] = {"loss_scaler": None}
    with foreign_modules() as ns:
        param_shapes = [OrderedDict((n, params[n].shape) for n in grp) for grp in group_names]

        def model_states(module, frozen_shapes=None, frozen_frags=None):
            d = {"module": module, "buffer_names": [], "optimizer": None, "param_shapes": param_shapes,
                 "frozen_param_shapes": frozen_shapes, "shared_params": dict(shared or {}),
                 "frozen_param_fragments": frozen_frags, "lr_scheduler": None,
                 "data_sampler": None, "random_ltd": None, "sparse_tensor_module_names": set(),
                 "skipped_steps": 0, "global_steps": iteration, "global_samples": iteration * 16,
                 "dp_world_size": world, "mp_world_size": 1, "ds_config": ds_config, "ds_version": "0.16.2"}
            d.update(client)
            return d

        def optim_file(rank: int, osd: dict) -> None:
            osd.update({"loss_scaler": ns.DynamicLossScaler(), "dynamic_loss_scale": True, "overflow": False})
            torch.save({"optimizer_state_dict": osd, "ds_config": ds_config, "ds_version": "0.16.2"},
                       folder / f"{prefix}zero_pp_rank_{rank}_mp_rank_00_optim_states.pt")

        if stage in (1, 2):
            module = OrderedDict((n, params[n].to(half)) for n in names)
            fshapes = OrderedDict((n, t.shape) for n, t in frozen.items()) if frozen else None
            torch.save(model_states(module, fshapes, dict(frozen) if frozen else None),
                       folder / "mp_rank_00_model_states.pt")
            align = 2 * world
            parts: list[list[torch.Tensor]] = [[] for _ in range(world)]
            paddings: list[list[int]] = [[] for _ in range(world)]
            for grp in group_names:
                flat = torch.cat([params[n].reshape(-1).float() for n in grp])
                padded_len = align * math.ceil(flat.numel() / align)
                padding = padded_len - flat.numel()
                flat = torch.cat([flat, torch.zeros(padding)])
                per = padded_len // world
                for r in range(world):
                    piece = flat[r * per:(r + 1) * per].clone()
                    pad = padding if r == world - 1 else 0
                    parts[r].append(piece[: per - pad].clone())
                    paddings[r].append(pad)
            for r in range(world):
                mappings = [OrderedDict((n, ns.fragment_address(params[n].numel(), 0)) for n in grp)
                            for grp in group_names]
                optim_file(r, {
                    "zero_stage": ns.ZeroStageEnum(stage), "partition_count": [world] * len(group_names),
                    "single_partition_of_fp32_groups": parts[r], "group_paddings": paddings[r],
                    "param_slice_mappings": mappings, "clip_grad": 1.0, "ds_version": "0.16.2",
                    "base_optimizer_state": {"state": {g: {"exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p),
                                                           "step": torch.tensor(float(iteration))}
                                                       for g, p in enumerate(parts[r])},
                                             "param_groups": [{"lr": 2e-4, "params": [g]} for g in range(len(parts[r]))]},
                })
        else:
            chunks: list[list[torch.Tensor]] = [[] for _ in range(world)]
            frozen_frags: list[dict] = [dict() for _ in range(world)]
            for grp in group_names:
                pieces = [[] for _ in range(world)]
                for n in grp:
                    flat = params[n].reshape(-1).float()
                    per = math.ceil(flat.numel() / world)
                    flat = torch.cat([flat, torch.zeros(per * world - flat.numel())])
                    for r in range(world):
                        pieces[r].append(flat[r * per:(r + 1) * per])
                for r in range(world):
                    chunks[r].append(torch.cat(pieces[r]).clone())
            for n, t in (frozen or {}).items():
                flat = t.reshape(-1)
                per = math.ceil(flat.numel() / world)
                flat = torch.cat([flat, torch.zeros(per * world - flat.numel(), dtype=flat.dtype)])
                for r in range(world):
                    frozen_frags[r][n] = flat[r * per:(r + 1) * per].clone()
            fshapes = OrderedDict((n, t.shape) for n, t in frozen.items()) if frozen else None
            for r in range(world):
                module = OrderedDict((n, torch.empty(0, dtype=half)) for n in names)
                torch.save(model_states(module, fshapes, frozen_frags[r] if frozen else None),
                           folder / f"zero_pp_rank_{r}_mp_rank_00_model_states.pt")
                optim_file(r, {
                    "zero_stage": ns.ZeroStageEnum.weights, "partition_count": world,
                    "fp32_flat_groups": chunks[r],
                    "optimizer_state_dict": {"state": {g: {"exp_avg": torch.zeros_like(c)} for g, c in enumerate(chunks[r])},
                                             "param_groups": [{"lr": 2e-4}]},
                })
    return folder


# --- small folders -------------------------------------------------------------------------------


def make_vit(folder: Path, hidden: int = 24, seed: int = 0) -> Path:
    """A tiny CLIPVisionModel (fp32) with a preprocessor_config.json, as a CLIP folder has."""
    import json

    from transformers import CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(seed)
    cfg = CLIPVisionConfig(hidden_size=hidden, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, projection_dim=16)
    CLIPVisionModel(cfg).save_pretrained(str(folder))
    pre = {"crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "do_normalize": True,
           "do_resize": True, "image_mean": [0.481, 0.458, 0.408], "image_std": [0.269, 0.261, 0.276],
           "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
           "size": {"shortest_edge": 32}}
    (Path(folder) / "preprocessor_config.json").write_text(json.dumps(pre, indent=2))
    return Path(folder)


def work_dir(root: Path, cfg_text: str, checkpoints: dict[int, dict], name: str = "tiny_lora",
             optimizer: bool = True, as_written: bool = False) -> Path:
    """A work_dir as XTuner's runner leaves it: the config dumped by mmengine as ``<name>.py``,
    ``iter_N.pth`` files (the same dump in their ``meta``), ``last_checkpoint``.

    ``as_written=True`` keeps ``cfg_text`` verbatim instead of mmengine's dump: for configs no runner
    writes (hand-edited, broken or hostile ones, which must never reach mmengine: it executes them)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    text = cfg_text if as_written else mmengine_config_text(cfg_text)
    (root / f"{name}.py").write_text(text)
    last = None
    for it, sd in sorted(checkpoints.items()):
        last = save_pth(root / f"iter_{it}.pth", sd, text, it, optimizer=optimizer, name=name)
    if last is not None:
        (root / "last_checkpoint").write_text(str(last))
    return root
