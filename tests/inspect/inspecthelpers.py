"""Good folders to damage, and the damage: shared by the inspect, fix and verify tests."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch

from builders import make_adapter

sys.path.insert(0, str(Path(__file__).parent.parent / "xtuner"))  # xt_builders

INDEX = "model.safetensors.index.json"


def copy_model(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def codes(folder: Path, **kwargs) -> set[str]:
    from mergesmith.core.inspect.folder import inspect_folder

    return inspect_folder(folder, **kwargs).codes


def report(folder: Path, **kwargs):
    from mergesmith.core.inspect.folder import inspect_folder

    return inspect_folder(folder, **kwargs)


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def write_json(path: Path, doc) -> None:
    Path(path).write_text(json.dumps(doc, indent=2))


def edit_json(path: Path, **changes) -> None:
    doc = read_json(path)
    for k, v in changes.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    write_json(path, doc)


def shard_of(folder: Path, tensor: str) -> str:
    index = folder / INDEX
    if index.is_file():
        return read_json(index)["weight_map"][tensor]
    return "model.safetensors"


def rewrite_shard(folder: Path, tensor: str, fn, *, update_index: bool = True) -> str:
    """Load the shard holding ``tensor``, let ``fn(state)`` change it, save it, fix the index."""
    from safetensors.torch import load_file, save_file

    name = shard_of(folder, tensor)
    state = load_file(str(folder / name))
    state = dict(state)
    changed = fn(state)
    state = state if changed is None else changed
    save_file(state, str(folder / name), metadata={"format": "pt"})
    index = folder / INDEX
    if update_index and index.is_file():
        doc = read_json(index)
        wm = {k: v for k, v in doc["weight_map"].items() if v != name}
        wm.update({k: name for k in state})
        doc["weight_map"] = dict(sorted(wm.items()))
        total = 0
        for f in sorted(set(wm.values())):
            sub = load_file(str(folder / f))
            total += sum(t.numel() * t.element_size() for k, t in sub.items() if wm.get(k) == f)
        doc["metadata"]["total_size"] = total
        write_json(index, doc)
    return name


def drop(*names: str):
    """A rewrite_shard function that removes tensors."""
    def fn(state):
        for n in names:
            del state[n]
        return state
    return fn


def add_tokens(folder: Path, tokens: list[str], special: bool = False) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    if special:
        tok.add_special_tokens({"additional_special_tokens": tokens})
    else:
        tok.add_tokens(tokens)
    tok.save_pretrained(str(folder))


# --- other layouts ---------------------------------------------------------------------------------

PROJECTOR_PY = "# stand-in for XTuner's projector code (never run by inspect)\n"


def make_llava(root: Path, llm: Path, visual_hidden: int = 16) -> Path:
    """XTuner's LLaVA layout: the LLM at the root, projector/, visual_encoder/ (tiny CLIP)."""
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModel

    copy_model(llm, root)
    llm_hidden = read_json(root / "config.json")["hidden_size"]
    proj = root / "projector"
    proj.mkdir()
    write_json(proj / "config.json", {
        "architectures": ["ProjectorModel"],
        "auto_map": {"AutoConfig": "configuration_projector.ProjectorConfig",
                     "AutoModel": "modeling_projector.ProjectorModel"},
        "bias": True, "depth": 2, "hidden_act": "gelu", "llm_hidden_size": llm_hidden,
        "model_type": "projector", "torch_dtype": "float32", "visual_hidden_size": visual_hidden})
    for name in ("configuration_projector.py", "modeling_projector.py"):
        (proj / name).write_text(PROJECTOR_PY)
    torch.manual_seed(3)
    save_file({"model.0.weight": torch.randn(llm_hidden, visual_hidden), "model.0.bias": torch.randn(llm_hidden),
               "model.2.weight": torch.randn(llm_hidden, llm_hidden), "model.2.bias": torch.randn(llm_hidden)},
              str(proj / "model.safetensors"), metadata={"format": "pt"})
    vc = CLIPVisionConfig(hidden_size=visual_hidden, intermediate_size=32, num_hidden_layers=1,
                          num_attention_heads=2, image_size=32, patch_size=16, projection_dim=16)
    CLIPVisionModel(vc).save_pretrained(str(root / "visual_encoder"))
    write_json(root / "visual_encoder" / "preprocessor_config.json",
               {"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": 32, "width": 32}})
    (root / "xtuner_config.py").write_text("model = dict(type='LLaVAModel')\n")
    return root


def make_work_dir(folder: Path, base: str = "/models/base") -> Path:
    """An XTuner work_dir as mmengine writes it (config dump, iter_10.pth and iter_20.pth, last_checkpoint)."""
    from xt_builders import sft_config, work_dir

    sd = {"llm.base_model.model.x.lora_A.default.weight": torch.zeros(2, 4)}
    return work_dir(folder, sft_config(base), {10: sd, 20: sd}, name="my_config")


def make_converted(folder: Path, base: Path) -> Path:
    """XTuner's converted layout with llm_adapter/ and xtuner_config.py."""
    make_adapter(base, folder / "llm_adapter")
    (folder / "xtuner_config.py").write_text("model = dict(type='SupervisedFinetune')\n")
    return folder
