"""The three real XTuner specimens, and readers of their truth that do not go through Mergesmith.

Expected values in the specimen tests come from here: the checkpoints are read with
``torch.load(weights_only=False)`` (the specimens are trusted files made by XTuner itself), with
inert stand-ins for the mmengine and DeepSpeed classes their pickles name, and the DeepSpeed ZeRO-2 folder is
rebuilt here from the ranks' fp32 optimizer partitions, following DeepSpeed's own layout (the
flat fp32 groups of all ranks, concatenated, cut by ``param_shapes``). Nothing here imports
``mergesmith``.
"""

from __future__ import annotations

import glob
import hashlib
import pickle
import re
import types
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).parent

LORA_A = ".lora_A.default.weight"
LORA_B = ".lora_B.default.weight"
LLM_LORA_PREFIX = "llm.base_model.model."


@dataclass(frozen=True)
class Specimen:
    key: str
    folder: Path
    config_name: str
    base_name: str
    checkpoints: tuple  # iterations, oldest first
    vit_name: Optional[str] = None
    lora: bool = True
    deepspeed: bool = False

    @property
    def work_dir(self) -> Path:
        return self.folder / "work_dirs" / self.config_name

    @property
    def config_file(self) -> Path:
        return self.work_dir / f"{self.config_name}.py"

    @property
    def base(self) -> Path:
        return self.folder / "models" / self.base_name

    @property
    def vit(self) -> Optional[Path]:
        return self.folder / "models" / self.vit_name if self.vit_name else None

    @property
    def ref_hf(self) -> Path:
        return self.folder / "ref_hf"

    @property
    def ref_merged(self) -> Path:
        return self.folder / "ref_merged"

    def checkpoint(self, iteration: Optional[int] = None) -> Path:
        return self.work_dir / f"iter_{iteration or self.checkpoints[-1]}.pth"

    def merge_args(self) -> list[str]:
        args = ["--base", str(self.base)]
        if self.vit is not None:
            args += ["--visual-encoder", str(self.vit)]
        return args


SPECIMENS = {
    "qwen2-qlora": Specimen("qwen2-qlora", ROOT / "qwen2_qlora_workdir", "qwen1_5_0_5b_chat_qlora_alpaca_e3",
                            "Qwen1.5-0.5B-Chat-tiny", (20, 40)),
    "zero2": Specimen("zero2", ROOT / "zero2_workdir", "internlm2_chat_7b_qlora_oasst1_e3",
                      "internlm2-chat-7b-tiny-llama", (24,), deepspeed=True),
    "llava-pretrain": Specimen("llava-pretrain", ROOT / "llava_pretrain_workdir",
                               "llava_vicuna_7b_v15_clip_vit_large_p14_336_e1_gpu8_pretrain",
                               "vicuna-7b-v1.5-tiny", (30,), vit_name="clip-vit-large-patch14-336-tiny",
                               lora=False),
}
LORA_SPECIMENS = [k for k, s in SPECIMENS.items() if s.lora]


# -- reading the checkpoints (independently of Mergesmith)

class _AnyAttribute(type):
    """mmengine's HistoryBuffer state pickles ``getattr(HistoryBuffer, 'min')``: any attribute exists."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _inert_function


def _inert_function(*args, **kwargs):
    return None


class _Inert(metaclass=_AnyAttribute):
    """Stands in for a DeepSpeed or mmengine class (loss scaler, fragment address, HistoryBuffer)."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state


class _ZeroStage(int):
    """``deepspeed.runtime.zero.config.ZeroStageEnum`` is an IntEnum, pickled as ``ZeroStageEnum(2)``."""


# mmengine and DeepSpeed are stood in for, not imported: the checkpoints' tensors and plain containers
# are all these tests read, and importing mmengine here would hide, from later tests in the same
# session, whether Mergesmith itself needs it.
_STOOD_IN = ("deepspeed", "mmengine")


class _StandInUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in _STOOD_IN:
            return _ZeroStage if name == "ZeroStageEnum" else _Inert
        return super().find_class(module, name)


_STAND_INS = types.SimpleNamespace(__name__="stand_in_pickle", Unpickler=_StandInUnpickler, load=pickle.load)


def torch_load(path: Path):
    """torch.load of a trusted specimen (full pickle), with stand-ins for mmengine's and DeepSpeed's classes."""
    import torch

    return torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_STAND_INS)


def zero2_fp32_state_dict(tag_dir: Path) -> OrderedDict:
    """The fp32 master weights of a ZeRO-1/2 checkpoint folder, rebuilt from the optimizer files."""
    import torch

    files = sorted(glob.glob(str(tag_dir / "*_optim_states.pt")),
                   key=lambda f: int(re.search(r"zero_pp_rank_(\d+)_", f).group(1)))
    states = [torch_load(Path(f))["optimizer_state_dict"] for f in files]
    assert all(int(s["zero_stage"]) in (1, 2) for s in states)
    world = states[0]["partition_count"]
    world = max(world) if isinstance(world, (list, tuple)) else world
    assert len(states) == world, f"{len(states)} optimizer files for {world} ranks"
    model_states = torch_load(tag_dir / "mp_rank_00_model_states.pt")
    out = OrderedDict()
    for g, shapes in enumerate(model_states["param_shapes"]):
        flat = torch.cat([s["single_partition_of_fp32_groups"][g] for s in states])
        assert flat.dtype == torch.float32
        offset = 0
        for name, shape in shapes.items():
            n = int(torch.Size(shape).numel())
            out[name] = flat[offset:offset + n].view(shape).clone()
            offset += n
        # what is left is DeepSpeed's alignment padding only (a multiple of 2 * world)
        align = 2 * world
        assert -(-offset // align) * align == -(-flat.numel() // align) * align, (offset, flat.numel())
    return out


def trained_weights(spec: Specimen, iteration: Optional[int] = None) -> OrderedDict:
    """The checkpoint's trained (fp32) weights under XTuner's key names."""
    path = spec.checkpoint(iteration)
    if path.is_dir():
        return zero2_fp32_state_dict(path)
    return OrderedDict(torch_load(path)["state_dict"])


def config_text(spec: Specimen, iteration: Optional[int] = None) -> str:
    """The training config as stored in the checkpoint's ``meta`` (mmengine's pretty text)."""
    path = spec.checkpoint(iteration)
    ckpt = torch_load(path / "mp_rank_00_model_states.pt" if path.is_dir() else path)
    return ckpt["meta"]["cfg"]


def lora_r_alpha(cfg_text: str) -> tuple[int, float]:
    """``r`` and ``lora_alpha`` of the ``lora=dict(...)`` block of a config text."""
    block = re.search(r"\blora=dict\((.*?)\)", cfg_text, re.S)
    assert block, "no lora=dict(...) in the config"
    r = int(re.search(r"\br=(\d+)", block.group(1)).group(1))
    alpha = float(re.search(r"\blora_alpha=([\d.]+)", block.group(1)).group(1))
    return r, alpha


def lora_pairs(weights: dict, prefix: str = LLM_LORA_PREFIX) -> dict:
    """{module name in the base: (A, B)} for the LLM LoRA keys of a checkpoint."""
    pairs = {}
    for key, a in weights.items():
        if key.startswith(prefix) and key.endswith(LORA_A):
            module = key[len(prefix):-len(LORA_A)]
            pairs[module] = (a, weights[key[:-len(LORA_A)] + LORA_B])
    return pairs


def expected_merge(spec: Specimen, iteration: Optional[int] = None) -> tuple[dict, set]:
    """(every tensor of the merged LLM, names the adapter changed): ``W + s * (B @ A)`` in fp32, cast
    to the base dtype, with ``s = lora_alpha / r`` from the config text in the checkpoint."""
    base = read_folder(spec.base)
    r, alpha = lora_r_alpha(config_text(spec, iteration))
    scale = alpha / r
    out = dict(base)
    for module, (a, b) in lora_pairs(trained_weights(spec, iteration)).items():
        w = base[module + ".weight"]
        out[module + ".weight"] = (w.float() + scale * (b.float() @ a.float())).to(w.dtype)
    return out, set(out) - {k for k in out if out[k] is base[k]}


# -- reading folders

def read_folder(folder: Path) -> dict:
    """Every tensor of the ``*.safetensors`` files directly in ``folder``."""
    from safetensors.torch import load_file

    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        for name, t in load_file(str(f)).items():
            assert name not in out, f"{name} twice in {folder}"
            out[name] = t
    return out


def bits(t):
    """The tensor's bytes, for byte-for-byte comparisons (NaN-safe, -0.0 != 0.0)."""
    return t.contiguous().flatten().view(__import__("torch").uint8)


def same_bytes(a, b) -> bool:
    import torch

    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(bits(a), bits(b))


def tree_digest(root: Path) -> dict:
    """{relative path: sha256} of every file under ``root`` (to show the inputs are unchanged)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
